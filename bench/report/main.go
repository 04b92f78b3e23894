// Report turns the output of
//
//	go test -run '^$' -bench . -benchmem -count N ./bench/
//
// into BENCHMARKS.md by executing a text/template with the results.
//
// Usage:
//
//	go run ./bench/report -template bench/BENCHMARKS.tmpl.md [-go version] [-date YYYY-MM-DD] [results.txt]
//
// The benchmark output is read from the file argument, or from standard
// input when there is none or it is "-". Benchmark names have the form
// Benchmark<Group>/<case>/<library> (or Benchmark<Group>/<library>, with an
// empty case); with -count N every unit is summarised by its median over
// the N runs. Lines that are not benchmark results are ignored.
//
// The template can use:
//
//	{{machine}}                      bullet list: Go version, OS/arch, CPU, cores, date
//	{{table "Group"}}                markdown table of one group, ratios against restwell
//	{{goals}}                        bullet list: each performance goal met or not, with its numbers
//	{{ns "Group/case/lib"}}          median ns/op
//	{{allocs "Group/case/lib"}}      median allocs/op
//	{{metric "Group/case/lib" "unit"}} median of any unit
//	{{ratio "G/c/libA" "G/c/libB"}}  ns/op of A divided by ns/op of B, as 1.23×
//
// A value that is missing renders as "–". The output is written only if
// the whole template executes; errors go to standard error with a
// non-zero exit status.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// The units go test prints itself with -benchmem; every other unit is a
// custom metric and gets a column of its own.
const (
	unitNs     = "ns/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
	// unitCPU is the process's CPU time per iteration, a custom metric
	// of the bench module that the goals quote next to ns/op.
	unitCPU = "cpu-ns/op"
)

// The library every other one is compared with, and the name of the
// baseline that runs without any library. The baseline is not a peer.
const (
	libRestwell = "restwell"
	libBare     = "bare"
)

// missing is what a value that is not in the results renders as.
const missing = "–"

// errUsage reports bad command-line flags or arguments; the flag package
// has already printed the details.
var errUsage = errors.New("usage")

// main exits 2 on a usage error and 1 on any other error.
func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// run is the whole program: it parses args, reads the benchmark output
// from the file argument or stdin and writes the executed template to
// stdout, all or nothing.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tmplPath := fs.String("template", "", "template `file` to execute (required)")
	goVersion := fs.String("go", runtime.Version(), "Go `version` to report")
	date := fs.String("date", time.Now().UTC().Format(time.DateOnly), "`date` of the run, YYYY-MM-DD")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: report -template file [-go version] [-date YYYY-MM-DD] [bench-output]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *tmplPath == "" || fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	if _, err := time.Parse(time.DateOnly, *date); err != nil {
		return fmt.Errorf("-date %q: want YYYY-MM-DD", *date)
	}

	text, err := os.ReadFile(*tmplPath)
	if err != nil {
		return err
	}
	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	d, err := parse(in)
	if err != nil {
		return fmt.Errorf("reading benchmark output: %w", err)
	}

	rp := &report{
		d:         d,
		goVersion: *goVersion,
		date:      *date,
		cores:     runtime.NumCPU(),
		source:    filepath.ToSlash(*tmplPath),
	}
	var buf bytes.Buffer
	if err := rp.execute(&buf, filepath.Base(*tmplPath), string(text)); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// A value is one measurement on a result line, such as 301.2 ns/op.
type value struct {
	unit string
	v    float64
}

// A sample is one parsed result line of benchmark output.
type sample struct {
	name string // Group/case/lib: no Benchmark prefix, no -N suffix
	vals []value
}

// parseLine parses one result line such as
//
//	BenchmarkRateLimit/keys=1e5/restwell-2   4000000   301.2 ns/op   48 B/op
//
// It reports false for anything else: headers, PASS, log lines, or a
// result line that is malformed. Values that are not finite are dropped,
// as is a second value for the same unit.
func parseLine(s string) (sample, bool) {
	f := strings.Fields(s)
	if len(f) < 4 || len(f)%2 != 0 {
		return sample{}, false
	}
	name, ok := strings.CutPrefix(f[0], "Benchmark")
	if !ok {
		return sample{}, false
	}
	name = stripProcs(name)
	// As in go test, the part after Benchmark must not start with a
	// lower-case letter: "Benchmarks" is not a benchmark.
	if r, _ := utf8.DecodeRuneInString(name); name == "" || r == '/' || unicode.IsLower(r) {
		return sample{}, false
	}
	if n, err := strconv.ParseInt(f[1], 10, 64); err != nil || n <= 0 {
		return sample{}, false
	}
	vals := make([]value, 0, (len(f)-2)/2)
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return sample{}, false
		}
		unit := f[i+1]
		if math.IsNaN(v) || math.IsInf(v, 0) || slices.ContainsFunc(vals, func(x value) bool { return x.unit == unit }) {
			continue
		}
		vals = append(vals, value{unit, v})
	}
	if len(vals) == 0 {
		return sample{}, false
	}
	return sample{name, vals}, true
}

// stripProcs removes the -N GOMAXPROCS suffix go test adds to a name.
func stripProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

// splitName splits Group/case/lib into its parts. A name with two parts
// has an empty case; a case may itself contain slashes.
func splitName(name string) (group, cas, lib string) {
	group, rest, ok := strings.Cut(name, "/")
	if !ok {
		return group, "", ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		return group, rest[:i], rest[i+1:]
	}
	return group, "", rest
}

// A result gathers every run of one benchmark.
type result struct {
	name, group, cas, lib string
	units                 []string             // in first-seen order
	runs                  map[string][]float64 // unit → one value per run
}

// median returns the median over the runs of unit, and whether there
// were any. With an even number of runs it is the mean of the middle two.
func (r *result) median(unit string) (float64, bool) {
	if r == nil {
		return 0, false
	}
	vs := r.runs[unit]
	if len(vs) == 0 {
		return 0, false
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2], true
	}
	return (vs[n/2-1] + vs[n/2]) / 2, true
}

// data is everything read from one benchmark output.
type data struct {
	goos, goarch, cpu string
	results           []*result           // in order of first appearance
	byName            map[string]*result  // by Group/case/lib
	custom            map[string][]string // group → custom units, first-seen
}

// parse reads benchmark output. Only a read error is an error; lines it
// does not understand are skipped.
func parse(r io.Reader) (*data, error) {
	d := &data{byName: make(map[string]*result), custom: make(map[string][]string)}
	br := bufio.NewReader(r)
	for {
		s, err := br.ReadString('\n')
		if s != "" {
			d.addLine(s)
		}
		if err == io.EOF {
			return d, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// addLine adds one line of benchmark output to d.
func (d *data) addLine(s string) {
	for _, h := range []struct {
		prefix string
		dst    *string
	}{{"goos:", &d.goos}, {"goarch:", &d.goarch}, {"cpu:", &d.cpu}} {
		if v, ok := strings.CutPrefix(s, h.prefix); ok {
			if *h.dst == "" {
				*h.dst = strings.TrimSpace(v)
			}
			return
		}
	}
	smp, ok := parseLine(s)
	if !ok {
		return
	}
	r := d.byName[smp.name]
	if r == nil {
		r = &result{name: smp.name, runs: make(map[string][]float64)}
		r.group, r.cas, r.lib = splitName(smp.name)
		d.byName[smp.name] = r
		d.results = append(d.results, r)
	}
	for _, v := range smp.vals {
		if _, seen := r.runs[v.unit]; !seen {
			r.units = append(r.units, v.unit)
		}
		r.runs[v.unit] = append(r.runs[v.unit], v.v)
		switch v.unit {
		case unitNs, unitBytes, unitAllocs:
		default:
			if !slices.Contains(d.custom[r.group], v.unit) {
				d.custom[r.group] = append(d.custom[r.group], v.unit)
			}
		}
	}
}

// get returns the median of unit for the benchmark Group/case/lib. The
// name may keep its Benchmark prefix.
func (d *data) get(name, unit string) (float64, bool) {
	if n, ok := strings.CutPrefix(name, "Benchmark"); ok && n != "" {
		name = n
	}
	return d.byName[name].median(unit)
}

// caseRows returns the results of one case of a group, in order of
// first appearance.
func (d *data) caseRows(group, cas string) []*result {
	var rs []*result
	for _, r := range d.results {
		if r.group == group && r.cas == cas {
			rs = append(rs, r)
		}
	}
	return rs
}

// A report renders a data set through a template.
type report struct {
	d         *data
	goVersion string
	date      string
	cores     int
	source    string // template path, named in the header comment
}

// execute parses text as the template called name and writes the result,
// preceded by a comment saying the file is generated, to w.
func (rp *report) execute(w io.Writer, name, text string) error {
	t, err := template.New(name).Funcs(template.FuncMap{
		"machine": rp.machine,
		"table":   rp.table,
		"goals":   rp.goals,
		"ns":      func(name string) string { return rp.metric(name, unitNs) },
		"allocs":  func(name string) string { return rp.metric(name, unitAllocs) },
		"metric":  rp.metric,
		"ratio":   rp.ratio,
	}).Parse(text)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "<!-- Generated by bench/run.sh from %s: edit the template, not this file. -->\n\n", rp.source)
	return t.Execute(w, nil)
}

// machine renders the machine the benchmarks ran on as a bullet list.
func (rp *report) machine() string {
	goos, goarch, cpu := rp.d.goos, rp.d.goarch, rp.d.cpu
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	if cpu == "" {
		cpu = "unknown"
	}
	return fmt.Sprintf("- Go: %s\n- OS/arch: %s/%s\n- CPU: %s\n- Cores: %d\n- Date: %s",
		rp.goVersion, goos, goarch, cpu, rp.cores, rp.date)
}

// metric renders the median of unit for the benchmark Group/case/lib, or
// "–" when there is none.
func (rp *report) metric(name, unit string) string {
	v, ok := rp.d.get(name, unit)
	if !ok {
		return missing
	}
	return formatUnit(unit, v)
}

// ratio renders ns/op of benchmark a divided by ns/op of benchmark b.
func (rp *report) ratio(a, b string) string {
	x, okA := rp.d.get(a, unitNs)
	y, okB := rp.d.get(b, unitNs)
	if !okA || !okB || y == 0 {
		return missing
	}
	return formatRatio(x / y)
}

// table renders one group as a markdown table: a row per benchmark, the
// rows of a case together and the case named on its first row. The ratio
// column is ns/op over the ns/op of the case's restwell row.
func (rp *report) table(group string) string {
	var (
		cases []string
		rows  = make(map[string][]*result)
	)
	for _, r := range rp.d.results {
		if r.group != group {
			continue
		}
		if _, ok := rows[r.cas]; !ok {
			cases = append(cases, r.cas)
		}
		rows[r.cas] = append(rows[r.cas], r)
	}
	if len(cases) == 0 {
		return "_no results (skipped?)_"
	}

	custom := rp.d.custom[group]
	var b strings.Builder
	b.WriteString("| case | library | ns/op | ratio | B/op | allocs/op |")
	for _, u := range custom {
		b.WriteString(" " + cell(u) + " |")
	}
	b.WriteString("\n| --- | --- | ---: | ---: | ---: | ---: |")
	for range custom {
		b.WriteString(" ---: |")
	}
	for _, c := range cases {
		base, hasBase := rp.d.byName[group+"/"+c+"/"+libRestwell].median(unitNs)
		if c == "" {
			base, hasBase = rp.d.byName[group+"/"+libRestwell].median(unitNs)
		}
		for i, r := range rows[c] {
			name := ""
			if i == 0 {
				name = c
			}
			ratio := missing
			if ns, ok := r.median(unitNs); ok && hasBase && base != 0 {
				ratio = formatRatio(ns / base)
			}
			fmt.Fprintf(&b, "\n| %s | %s | %s | %s | %s | %s |", cell(name), cell(r.lib),
				rp.cell(r, unitNs), ratio, rp.cell(r, unitBytes), rp.cell(r, unitAllocs))
			for _, u := range custom {
				fmt.Fprintf(&b, " %s |", rp.cell(r, u))
			}
		}
	}
	return b.String()
}

// cell renders the median of unit of r for a table.
func (rp *report) cell(r *result, unit string) string {
	v, ok := r.median(unit)
	if !ok {
		return missing
	}
	return formatUnit(unit, v)
}

// cell escapes s for a markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// The verdicts of a goal.
const (
	met    = "met"
	notMet = "not met"
	noData = "no data"
)

// The thresholds of the goals.
const (
	minSpeedup         = 3    // serial: restwell at least this many times faster than the fastest peer
	minParallelSpeedup = 2.5  // parallel: the same, with both cores busy
	minDeniedSpeedup   = 2    // half-denied: the same, half the requests refused
	maxLimiterAllocs   = 2    // allocs/op of an admitted request
	maxDeniedAllocs    = 3    // allocs/op of a refused request (half-denied averages both)
	maxStackNs         = 2000 // full-stack overhead over bare net/http, ns/op
	maxStackAllocs     = 8    // full-stack overhead over bare net/http, allocs/op
	maxStack304Ns      = 1500 // full-stack overhead of a 304 over bare net/http, ns/op
	goalLimiterGroup   = "RateLimit"
	goalStackGroup     = "Stack"
	goalStackCase      = "GET-1KiB"
	goalStack304Case   = "GET-1KiB-304"
)

// A goal is the verdict on one performance goal and the numbers that
// decide it.
type goal struct {
	status string // met, notMet or noData
	text   string
}

// String renders g as a markdown bullet.
func (g goal) String() string { return "- **" + g.status + "** — " + g.text }

// goals renders every goal as a markdown bullet list.
func (rp *report) goals() string {
	gs := []goal{
		limiterGoal(rp.d, "keys=1e5", "rate limiter, 100,000 keys, serial"),
		limiterGoalAt(rp.d, "keys=1e5-parallel", "rate limiter, 100,000 keys, parallel", minParallelSpeedup, maxLimiterAllocs),
		limiterGoalAt(rp.d, "half-denied", "rate limiter, half the requests refused", minDeniedSpeedup, maxDeniedAllocs),
		stackGoal(rp.d),
		stack304Goal(rp.d),
	}
	lines := make([]string, len(gs))
	for i, g := range gs {
		lines[i] = g.String()
	}
	return strings.Join(lines, "\n")
}

// limiterGoal evaluates one case of the RateLimit group with the serial
// thresholds: restwell must be at least minSpeedup times faster than the
// fastest peer, make fewer allocations than every peer and at most
// maxLimiterAllocs. The bare baseline, if any, is not a peer.
func limiterGoal(d *data, cas, label string) goal {
	return limiterGoalAt(d, cas, label, minSpeedup, maxLimiterAllocs)
}

// limiterGoalAt is limiterGoal with the speedup and allocation bounds
// given.
func limiterGoalAt(d *data, cas, label string, needSpeedup, maxAllocs float64) goal {
	label = fmt.Sprintf("%s (`%s/%s`)", label, goalLimiterGroup, cas)
	var (
		rw    *result
		peers []*result
	)
	for _, r := range d.caseRows(goalLimiterGroup, cas) {
		switch r.lib {
		case libRestwell:
			rw = r
		case libBare:
		default:
			if _, ok := r.median(unitNs); ok {
				peers = append(peers, r)
			}
		}
	}
	rwNs, okNs := rw.median(unitNs)
	rwAllocs, okAllocs := rw.median(unitAllocs)
	switch {
	case !okNs || !okAllocs || rwNs == 0:
		return goal{noData, label + ": no restwell result with ns/op and allocs/op"}
	case len(peers) == 0:
		return goal{noData, label + ": no peer results"}
	}

	fastest := peers[0]
	fastNs, _ := fastest.median(unitNs)
	for _, p := range peers[1:] {
		if ns, _ := p.median(unitNs); ns < fastNs {
			fastest, fastNs = p, ns
		}
	}
	speedup := fastNs / rwNs

	fewer := true
	var cmp []string
	for _, p := range peers {
		a, ok := p.median(unitAllocs)
		if !ok {
			continue
		}
		cmp = append(cmp, p.lib+" "+formatUnit(unitAllocs, a))
		if rwAllocs >= a {
			fewer = false
		}
	}
	if len(cmp) == 0 {
		return goal{noData, label + ": no peer reports allocs/op"}
	}

	status := notMet
	if speedup >= needSpeedup && fewer && rwAllocs <= maxAllocs {
		status = met
	}
	return goal{status, fmt.Sprintf("%s: restwell %s ns/op vs fastest peer %s %s ns/op = %s faster (needs ≥ %s×); "+
		"allocs/op restwell %s vs %s (needs fewer than every peer and at most %s)%s",
		label, formatNs(rwNs), fastest.lib, formatNs(fastNs), formatRatio(speedup), strconv.FormatFloat(needSpeedup, 'g', -1, 64),
		formatUnit(unitAllocs, rwAllocs), strings.Join(cmp, ", "), formatUnit(unitAllocs, maxAllocs), cpuSpeedup(rw, peers))}
}

// cpuSpeedup returns, when restwell and its peers report cpu-ns/op, a
// clause comparing restwell with the peer that used the least CPU time
// per request; the verdict itself stays on ns/op.
func cpuSpeedup(rw *result, peers []*result) string {
	rwCPU, ok := rw.median(unitCPU)
	if !ok || rwCPU == 0 {
		return ""
	}
	var least *result
	var leastCPU float64
	for _, p := range peers {
		if c, ok := p.median(unitCPU); ok && (least == nil || c < leastCPU) {
			least, leastCPU = p, c
		}
	}
	if least == nil {
		return ""
	}
	return fmt.Sprintf("; by CPU time, restwell %s cpu-ns/op vs least peer %s %s cpu-ns/op = %s",
		formatNs(rwCPU), least.lib, formatNs(leastCPU), formatRatio(leastCPU/rwCPU))
}

// cpuOverhead returns, when both benchmarks report cpu-ns/op, a clause
// giving the CPU time restwell adds over bare; the verdict stays on
// ns/op.
func cpuOverhead(d *data, restwell, bare string) string {
	rw, ok1 := d.get(restwell, unitCPU)
	b, ok2 := d.get(bare, unitCPU)
	if !ok1 || !ok2 {
		return ""
	}
	return fmt.Sprintf("; by CPU time, restwell %s cpu-ns/op vs bare %s, overhead %s cpu-ns/op",
		formatNs(rw), formatNs(b), formatNs(rw-b))
}

// stackGoal evaluates the full-stack goal: restwell's whole middleware
// stack must add less than maxStackNs ns/op and maxStackAllocs allocs/op
// to bare net/http.
func stackGoal(d *data) goal {
	label := fmt.Sprintf("full stack overhead over bare net/http (`%s/%s`)", goalStackGroup, goalStackCase)
	prefix := goalStackGroup + "/" + goalStackCase + "/"
	rwNs, ok1 := d.get(prefix+libRestwell, unitNs)
	rwAllocs, ok2 := d.get(prefix+libRestwell, unitAllocs)
	bareNs, ok3 := d.get(prefix+libBare, unitNs)
	bareAllocs, ok4 := d.get(prefix+libBare, unitAllocs)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return goal{noData, label + ": needs restwell and bare results with ns/op and allocs/op"}
	}
	ns, allocs := rwNs-bareNs, rwAllocs-bareAllocs
	status := notMet
	if ns <= maxStackNs && allocs <= maxStackAllocs {
		status = met
	}
	return goal{status, fmt.Sprintf("%s: restwell %s ns/op, %s allocs/op vs bare %s ns/op, %s allocs/op; "+
		"overhead %s ns/op (needs ≤ %s) and %s allocs/op (needs ≤ %d)%s",
		label, formatNs(rwNs), formatUnit(unitAllocs, rwAllocs), formatNs(bareNs), formatUnit(unitAllocs, bareAllocs),
		formatNs(ns), formatNs(maxStackNs), formatUnit(unitAllocs, allocs), maxStackAllocs,
		cpuOverhead(d, prefix+libRestwell, prefix+libBare))}
}

// stack304Goal evaluates the revalidation goal: restwell's whole stack
// answering 304 must add at most maxStack304Ns ns/op to bare net/http.
func stack304Goal(d *data) goal {
	label := fmt.Sprintf("full stack overhead of a revalidation over bare net/http (`%s/%s`)", goalStackGroup, goalStack304Case)
	prefix := goalStackGroup + "/" + goalStack304Case + "/"
	rwNs, ok1 := d.get(prefix+libRestwell, unitNs)
	bareNs, ok2 := d.get(prefix+libBare, unitNs)
	if !ok1 || !ok2 {
		return goal{noData, label + ": needs restwell and bare results with ns/op"}
	}
	ns := rwNs - bareNs
	status := notMet
	if ns <= maxStack304Ns {
		status = met
	}
	return goal{status, fmt.Sprintf("%s: restwell %s ns/op vs bare %s ns/op; overhead %s ns/op (needs ≤ %s)%s",
		label, formatNs(rwNs), formatNs(bareNs), formatNs(ns), formatNs(maxStack304Ns),
		cpuOverhead(d, prefix+libRestwell, prefix+libBare))}
}

// formatUnit formats v as the tables do for unit.
func formatUnit(unit string, v float64) string {
	switch unit {
	case unitNs:
		return formatNs(v)
	case unitBytes, unitAllocs:
		return formatInt(v)
	}
	return formatCustom(v)
}

// formatNs formats a time in ns: with thousands separators and no
// decimals from 100 up, with one decimal below.
func formatNs(v float64) string {
	if r := math.Round(v*10) / 10; math.Abs(r) < 100 {
		if r == 0 {
			r = 0 // no "-0.0"
		}
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return formatInt(v)
}

// formatInt formats v rounded to an integer, with thousands separators.
func formatInt(v float64) string {
	r := math.Round(v)
	if r == 0 {
		r = 0 // no "-0"
	}
	return commas(strconv.FormatFloat(r, 'f', 0, 64))
}

// formatCustom formats the value of a custom unit: up to two decimals
// without trailing zeros, or two significant digits for a small value
// that two decimals would show as 0.
func formatCustom(v float64) string {
	prec := 2
	if a := math.Abs(v); a != 0 && a < 0.005 {
		prec = 1 - int(math.Floor(math.Log10(a)))
		if prec > 9 {
			return strconv.FormatFloat(v, 'g', 2, 64)
		}
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	whole, frac, ok := strings.Cut(s, ".")
	if ok {
		return commas(whole) + "." + frac
	}
	return commas(whole)
}

// formatRatio formats a ratio with two decimals, as 3.42×.
func formatRatio(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) + "×" }

// commas puts thousands separators into s, a string of digits with an
// optional leading minus sign.
func commas(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 3 {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteString("," + s[i:i+3])
	}
	return b.String()
}
