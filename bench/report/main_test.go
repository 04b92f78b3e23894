package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want sample
		ok   bool
	}{
		{
			line: "BenchmarkRateLimit/keys=1e5/restwell-2   4000000   301.2 ns/op   0 %denied   48 B/op   2 allocs/op",
			want: sample{"RateLimit/keys=1e5/restwell", []value{{"ns/op", 301.2}, {"%denied", 0}, {"B/op", 48}, {"allocs/op", 2}}},
			ok:   true,
		},
		{
			line: "BenchmarkRateLimit/keys=1e5-parallel/go-limiter-16\t  100\t  12.5 ns/op\t3 allocs/op\t1.5 B/key\r\n",
			want: sample{"RateLimit/keys=1e5-parallel/go-limiter", []value{{"ns/op", 12.5}, {"allocs/op", 3}, {"B/key", 1.5}}},
			ok:   true,
		},
		{ // GOMAXPROCS=1: no suffix, and the lib's own dash stays
			line: "BenchmarkX/go-limiter 100 5 ns/op",
			want: sample{"X/go-limiter", []value{{"ns/op", 5}}},
			ok:   true,
		},
		{ // two parts
			line: "BenchmarkJSON/encoding-json-8 100 5 ns/op",
			want: sample{"JSON/encoding-json", []value{{"ns/op", 5}}},
			ok:   true,
		},
		{ // a value that is not finite is dropped, the rest kept
			line: "BenchmarkX/a-8 100 NaN roundtrips/op 7 ns/op +Inf heap-MB",
			want: sample{"X/a", []value{{"ns/op", 7}}},
			ok:   true,
		},
		{ // a second value for a unit is dropped
			line: "BenchmarkX/a-8 100 7 ns/op 9 ns/op",
			want: sample{"X/a", []value{{"ns/op", 7}}},
			ok:   true,
		},
		{line: "PASS"},
		{line: "ok  \tgithub.com/restwell/restwell/bench\t12.345s"},
		{line: "--- SKIP: BenchmarkRedisRateLimit"},
		{line: "--- BENCH: BenchmarkX/a-8"},
		{line: "    redis_test.go:42: no Redis at 127.0.0.1:6379"},
		{line: "goos: linux"},
		{line: "BenchmarkX/a"},                      // name printed before a log line
		{line: "BenchmarkX/a-8 \t some log output"}, // log output after the name
		{line: "Benchmarks 10 1 ns/op"},             // not a benchmark name
		{line: "Benchmark-8 10 1 ns/op"},            // empty name
		{line: "Benchmark/a-8 10 1 ns/op"},          // empty group
		{line: "BenchmarkX-8 many 1 ns/op"},         // iterations not a number
		{line: "BenchmarkX-8 0 1 ns/op"},            // no iterations
		{line: "BenchmarkX-8 10 fast ns/op"},        // value not a number
		{line: "BenchmarkX-8 10 1 ns/op 5"},         // value without unit
		{line: "BenchmarkX-8 10 NaN ns/op"},         // nothing finite left
		{line: ""},
	}
	for _, tt := range tests {
		got, ok := parseLine(tt.line)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) && tt.ok {
			t.Errorf("parseLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct {
		name, group, cas, lib string
	}{
		{"RateLimit/keys=1e5/restwell", "RateLimit", "keys=1e5", "restwell"},
		{"JSON/encoding-json", "JSON", "", "encoding-json"},
		{"Stack/GET/1KiB/bare", "Stack", "GET/1KiB", "bare"},
		{"Alone", "Alone", "", ""},
	}
	for _, tt := range tests {
		g, c, l := splitName(tt.name)
		if g != tt.group || c != tt.cas || l != tt.lib {
			t.Errorf("splitName(%q) = %q, %q, %q; want %q, %q, %q", tt.name, g, c, l, tt.group, tt.cas, tt.lib)
		}
	}
}

// countOutput is go test output with -count 3 (and an even count of 2
// for one benchmark), interleaved with the lines go test prints around
// results.
const countOutput = `goos: linux
goarch: amd64
pkg: github.com/restwell/restwell/bench
cpu: Test CPU @ 3.00GHz
BenchmarkRateLimit/keys=1e5/restwell-2   	 4000000	       300.0 ns/op	         0 %denied	      48 B/op	       2 allocs/op
BenchmarkRateLimit/keys=1e5/restwell-2   	 4000000	       310.0 ns/op	         0 %denied	      48 B/op	       2 allocs/op
BenchmarkRateLimit/keys=1e5/restwell-2   	 4000000	       900.0 ns/op	         0 %denied	      48 B/op	       2 allocs/op
BenchmarkRateLimit/keys=1e5/httprate-2   	 1000000	      1000 ns/op	       120.5 B/key	     300 B/op	       5 allocs/op
--- SKIP: BenchmarkRateLimit/keys=1e5/broken
    ratelimit_test.go:10: not today
BenchmarkRateLimit/keys=1e5/httprate-2   	 1000000	      1200 ns/op	       121.5 B/key	     300 B/op	       7 allocs/op
BenchmarkJSON/stdlib-2   	 1000000	      50.0 ns/op
BenchmarkJSON/stdlib-2   	 1000000	      60.0 ns/op
this line is noise
PASS
ok  	github.com/restwell/restwell/bench	42.000s
`

func TestParse(t *testing.T) {
	d, err := parse(strings.NewReader(countOutput))
	if err != nil {
		t.Fatal(err)
	}
	if d.goos != "linux" || d.goarch != "amd64" || d.cpu != "Test CPU @ 3.00GHz" {
		t.Errorf("headers = %q, %q, %q; want linux, amd64, Test CPU @ 3.00GHz", d.goos, d.goarch, d.cpu)
	}
	var names []string
	for _, r := range d.results {
		names = append(names, r.name)
	}
	if want := []string{"RateLimit/keys=1e5/restwell", "RateLimit/keys=1e5/httprate", "JSON/stdlib"}; !reflect.DeepEqual(names, want) {
		t.Errorf("results = %q; want %q", names, want)
	}
	if got, want := d.custom["RateLimit"], []string{"%denied", "B/key"}; !reflect.DeepEqual(got, want) {
		t.Errorf("custom units = %q; want %q", got, want)
	}

	medians := []struct {
		name, unit string
		want       float64
		ok         bool
	}{
		{"RateLimit/keys=1e5/restwell", "ns/op", 310, true}, // odd count: the middle, not the mean
		{"RateLimit/keys=1e5/restwell", "allocs/op", 2, true},
		{"RateLimit/keys=1e5/restwell", "%denied", 0, true},
		{"RateLimit/keys=1e5/httprate", "ns/op", 1100, true}, // even count: mean of the middle two
		{"RateLimit/keys=1e5/httprate", "allocs/op", 6, true},
		{"RateLimit/keys=1e5/httprate", "B/key", 121, true},
		{"BenchmarkJSON/stdlib", "ns/op", 55, true}, // Benchmark prefix allowed
		{"JSON/stdlib", "B/op", 0, false},
		{"RateLimit/keys=1e5/broken", "ns/op", 0, false},
	}
	for _, m := range medians {
		got, ok := d.get(m.name, m.unit)
		if got != m.want || ok != m.ok {
			t.Errorf("get(%q, %q) = %v, %v; want %v, %v", m.name, m.unit, got, ok, m.want, m.ok)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		f    func(float64) string
		name string
		in   float64
		want string
	}{
		{formatNs, "ns", 0, "0.0"},
		{formatNs, "ns", 12.34, "12.3"},
		{formatNs, "ns", 99.94, "99.9"},
		{formatNs, "ns", 99.96, "100"},
		{formatNs, "ns", 100, "100"},
		{formatNs, "ns", 301.2, "301"},
		{formatNs, "ns", 12345.6, "12,346"},
		{formatNs, "ns", 1234567, "1,234,567"},
		{formatNs, "ns", -1500, "-1,500"},
		{formatNs, "ns", -0.01, "0.0"},
		{formatInt, "int", 48, "48"},
		{formatInt, "int", 2.5, "3"},
		{formatInt, "int", 1048576, "1,048,576"},
		{formatInt, "int", -0.4, "0"},
		{formatCustom, "custom", 0, "0"},
		{formatCustom, "custom", 2, "2"},
		{formatCustom, "custom", 12.5, "12.5"},
		{formatCustom, "custom", 3.10, "3.1"},
		{formatCustom, "custom", 12.3456, "12.35"},
		{formatCustom, "custom", 1234.5, "1,234.5"},
		{formatCustom, "custom", 0.004, "0.004"},
		{formatCustom, "custom", 0.00123, "0.0012"},
		{formatCustom, "custom", -2, "-2"},
		{formatCustom, "custom", 1e-12, "1e-12"},
		{formatRatio, "ratio", 1, "1.00×"},
		{formatRatio, "ratio", 3.4167, "3.42×"},
		{formatRatio, "ratio", 0.3125, "0.31×"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("format %s(%v) = %q; want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// tableOutput has a case with a restwell row, a case without one, a
// two-part name and a custom unit only some rows report.
const tableOutput = `BenchmarkRateLimit/keys=1e5/restwell-2  100  300 ns/op  48 B/op  2 allocs/op
BenchmarkRateLimit/keys=1e5/httprate-2  100  1026 ns/op  1200 B/op  7 allocs/op  120.5 B/key
BenchmarkRateLimit/keys=1e3/ulule-2  100  95.25 ns/op  0 B/op  0 allocs/op  0.5 %denied
BenchmarkRateLimit/keys=1e5/ulule-2  100  60 ns/op  0 B/op  1 allocs/op
BenchmarkRateLimit/restwell-2  100  50 ns/op  0 B/op  0 allocs/op
BenchmarkRateLimit/throttled-2  100  100 ns/op  0 B/op  0 allocs/op
`

func TestTable(t *testing.T) {
	d, err := parse(strings.NewReader(tableOutput))
	if err != nil {
		t.Fatal(err)
	}
	rp := &report{d: d}
	tests := []struct {
		group, want string
	}{
		{"RateLimit", `| case | library | ns/op | ratio | B/op | allocs/op | B/key | %denied |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
| keys=1e5 | restwell | 300 | 1.00× | 48 | 2 | – | – |
|  | httprate | 1,026 | 3.42× | 1,200 | 7 | 120.5 | – |
|  | ulule | 60.0 | 0.20× | 0 | 1 | – | – |
| keys=1e3 | ulule | 95.3 | – | 0 | 0 | – | 0.5 |
|  | restwell | 50.0 | 1.00× | 0 | 0 | – | – |
|  | throttled | 100 | 2.00× | 0 | 0 | – | – |`},
		{"Absent", "_no results (skipped?)_"},
	}
	for _, tt := range tests {
		if got := rp.table(tt.group); got != tt.want {
			t.Errorf("table(%q) =\n%s\nwant\n%s", tt.group, got, tt.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	d, err := parse(strings.NewReader(tableOutput))
	if err != nil {
		t.Fatal(err)
	}
	rp := &report{d: d}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"ns", rp.metric("RateLimit/keys=1e5/httprate", "ns/op"), "1,026"},
		{"allocs", rp.metric("RateLimit/keys=1e5/httprate", "allocs/op"), "7"},
		{"metric", rp.metric("RateLimit/keys=1e5/httprate", "B/key"), "120.5"},
		{"metric missing unit", rp.metric("RateLimit/keys=1e5/restwell", "B/key"), "–"},
		{"metric missing name", rp.metric("RateLimit/keys=1e9/restwell", "ns/op"), "–"},
		{"ratio", rp.ratio("RateLimit/keys=1e5/httprate", "RateLimit/keys=1e5/restwell"), "3.42×"},
		{"ratio inverse", rp.ratio("RateLimit/keys=1e5/restwell", "RateLimit/keys=1e5/httprate"), "0.29×"},
		{"ratio two-part", rp.ratio("RateLimit/throttled", "RateLimit/restwell"), "2.00×"},
		{"ratio missing", rp.ratio("RateLimit/keys=1e3/ulule", "RateLimit/keys=1e3/restwell"), "–"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q; want %q", tt.name, tt.got, tt.want)
		}
	}
}

// benchLines renders results as go test output: each row is a name and
// its ns/op and allocs/op.
func benchLines(rows ...string) string {
	var b strings.Builder
	for _, r := range rows {
		var name string
		var ns, allocs float64
		if _, err := fmt.Sscan(r, &name, &ns, &allocs); err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "Benchmark%s-4\t1000\t%g ns/op\t0 B/op\t%g allocs/op\n", name, ns, allocs)
	}
	return b.String()
}

func TestLimiterGoal(t *testing.T) {
	const serial, parallel = "keys=1e5", "keys=1e5-parallel"
	tests := []struct {
		name, cas, input, want string
		contains               []string
	}{
		{"met", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/httprate 400 3",
			"RateLimit/keys=1e5/ulule 500 5",
		), met, []string{"4.00×", "fastest peer httprate 400 ns/op", "restwell 1 vs httprate 3, ulule 5"}},
		{"met at exactly 3×", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/throttled 300 2",
		), met, []string{"3.00×"}},
		{"not met: too slow", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/httprate 400 3",
			"RateLimit/keys=1e5/go-limiter 250 3",
		), notMet, []string{"2.50×", "fastest peer go-limiter"}},
		{"not met: as many allocs as a peer", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 2",
			"RateLimit/keys=1e5/httprate 400 3",
			"RateLimit/keys=1e5/ulule 900 2",
		), notMet, []string{"4.00×", "ulule 2"}},
		{"bare is not a peer", serial, benchLines(
			"RateLimit/keys=1e5/bare 10 0",
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/httprate 400 3",
		), met, []string{"4.00×"}},
		{"parallel", parallel, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/httprate 200 3",
			"RateLimit/keys=1e5-parallel/restwell 50 1",
			"RateLimit/keys=1e5-parallel/httprate 400 3",
		), met, []string{"8.00×"}},
		{"no restwell", serial, benchLines(
			"RateLimit/keys=1e5/httprate 400 3",
		), noData, nil},
		{"no peers", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/bare 10 0",
		), noData, nil},
		{"other case only", parallel, benchLines(
			"RateLimit/keys=1e5/restwell 100 1",
			"RateLimit/keys=1e5/httprate 400 3",
		), noData, nil},
		{"nothing", serial, "PASS\n", noData, nil},
		{"not met: more allocs than allowed", serial, benchLines(
			"RateLimit/keys=1e5/restwell 100 3",
			"RateLimit/keys=1e5/httprate 400 9",
		), notMet, []string{"4.00×", "at most 2"}},
	}
	for _, tt := range tests {
		d, err := parse(strings.NewReader(tt.input))
		if err != nil {
			t.Fatal(err)
		}
		g := limiterGoal(d, tt.cas, "label")
		if g.status != tt.want {
			t.Errorf("%s: status %q; want %q (%s)", tt.name, g.status, tt.want, g.text)
		}
		for _, s := range tt.contains {
			if !strings.Contains(g.text, s) {
				t.Errorf("%s: text %q does not contain %q", tt.name, g.text, s)
			}
		}
	}
}

func TestStackGoal(t *testing.T) {
	tests := []struct {
		name, input, want string
		contains          []string
	}{
		{"met", benchLines(
			"Stack/GET-1KiB/bare 1000 10",
			"Stack/GET-1KiB/restwell 3000 18",
			"Stack/GET-1KiB/huma 9000 60",
		), met, []string{"overhead 2,000 ns/op", "8 allocs/op"}},
		{"not met: ns", benchLines(
			"Stack/GET-1KiB/bare 1000 10",
			"Stack/GET-1KiB/restwell 3001 11",
		), notMet, []string{"overhead 2,001 ns/op"}},
		{"not met: allocs", benchLines(
			"Stack/GET-1KiB/bare 1000 10",
			"Stack/GET-1KiB/restwell 1500 19",
		), notMet, []string{"overhead 500 ns/op", "9 allocs/op"}},
		{"no bare", benchLines(
			"Stack/GET-1KiB/restwell 1500 22",
		), noData, nil},
		{"other case", benchLines(
			"Stack/GET-1MiB/bare 1000 10",
			"Stack/GET-1MiB/restwell 1500 12",
		), noData, nil},
	}
	for _, tt := range tests {
		d, err := parse(strings.NewReader(tt.input))
		if err != nil {
			t.Fatal(err)
		}
		g := stackGoal(d)
		if g.status != tt.want {
			t.Errorf("%s: status %q; want %q (%s)", tt.name, g.status, tt.want, g.text)
		}
		for _, s := range tt.contains {
			if !strings.Contains(g.text, s) {
				t.Errorf("%s: text %q does not contain %q", tt.name, g.text, s)
			}
		}
	}
}

func TestGoalsList(t *testing.T) {
	d, err := parse(strings.NewReader(benchLines(
		"RateLimit/keys=1e5/restwell 100 1",
		"RateLimit/keys=1e5/httprate 400 3",
		"RateLimit/keys=1e5-parallel/restwell 100 1",
		"RateLimit/keys=1e5-parallel/httprate 200 3",
	)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split((&report{d: d}).goals(), "\n")
	want := []string{"- **met** — ", "- **not met** — ", "- **no data** — ", "- **no data** — ", "- **no data** — "}
	if len(lines) != len(want) {
		t.Fatalf("goals has %d lines; want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]) {
			t.Errorf("goal %d = %q; want prefix %q", i+1, l, want[i])
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	input := write("results.txt", countOutput)
	good := write("good.tmpl.md", "# B\n\n{{machine}}\n\n{{ns \"RateLimit/keys=1e5/restwell\"}} "+
		"{{allocs \"RateLimit/keys=1e5/httprate\"}} {{metric \"RateLimit/keys=1e5/httprate\" \"B/key\"}} "+
		"{{ratio \"RateLimit/keys=1e5/httprate\" \"RateLimit/keys=1e5/restwell\"}}\n\n{{table \"Stack\"}}\n")
	badParse := write("parse.tmpl.md", "{{table \"RateLimit\"")
	badExec := write("exec.tmpl.md", "partial {{table}}")

	wantGood := fmt.Sprintf("<!-- Generated by bench/run.sh from %s: edit the template, not this file. -->\n\n"+
		"# B\n\n- Go: go1.99\n- OS/arch: linux/amd64\n- CPU: Test CPU @ 3.00GHz\n- Cores: %d\n- Date: 2030-01-02\n\n"+
		"310 6 121 3.55×\n\n_no results (skipped?)_\n", filepath.ToSlash(good), runtime.NumCPU())

	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // stdout
		err   bool
	}{
		{"file", []string{"-template", good, "-go", "go1.99", "-date", "2030-01-02", input}, "", wantGood, false},
		{"stdin", []string{"-template", good, "-go", "go1.99", "-date", "2030-01-02"}, countOutput, wantGood, false},
		{"stdin dash", []string{"-template", good, "-go", "go1.99", "-date", "2030-01-02", "-"}, countOutput, wantGood, false},
		{"no template flag", []string{input}, "", "", true},
		{"two inputs", []string{"-template", good, input, input}, "", "", true},
		{"bad date", []string{"-template", good, "-date", "02/01/2030", input}, "", "", true},
		{"missing template", []string{"-template", filepath.Join(dir, "nope.md"), input}, "", "", true},
		{"missing input", []string{"-template", good, filepath.Join(dir, "nope.txt")}, "", "", true},
		{"template parse error", []string{"-template", badParse, input}, "", "", true},
		{"template exec error", []string{"-template", badExec, input}, "", "", true},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v; want error %v (stderr %q)", tt.name, err, tt.err, stderr.String())
		}
		if got := stdout.String(); got != tt.want {
			t.Errorf("%s: stdout =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestRunDefaults(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "t.md")
	if err := os.WriteFile(tmpl, []byte("{{machine}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-template", tmpl}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr %q)", err, stderr.String())
	}
	got := stdout.String()
	for _, want := range []string{"- Go: " + runtime.Version() + "\n", "- OS/arch: " + runtime.GOOS + "/" + runtime.GOARCH + "\n", "- CPU: unknown\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q does not contain %q", got, want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"-nosuchflag"}, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, errUsage) {
		t.Errorf("err = %v; want %v", err, errUsage)
	}
	if stderr.Len() == 0 {
		t.Error("stderr is empty; want the usage")
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"BenchmarkRateLimit/keys=1e5/restwell-2   4000000   301.2 ns/op   0 %denied   48 B/op   2 allocs/op",
		"BenchmarkX/go-limiter 100 5 ns/op",
		"BenchmarkStack/GET-1KiB/bare-8 1 1e300 ns/op -1e300 allocs/op NaN x",
		"BenchmarkA/-1 1 0 ns/op",
		"Benchmark- 1 1 B/op",
		"goos: linux",
		"PASS",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		smp, ok := parseLine(s)
		if !ok {
			return
		}
		if smp.name == "" || len(smp.vals) == 0 {
			t.Fatalf("parseLine(%q) = %+v, true; want a name and values", s, smp)
		}
		seen := make(map[string]bool)
		for _, v := range smp.vals {
			if v.unit == "" || seen[v.unit] || math.IsNaN(v.v) || math.IsInf(v.v, 0) {
				t.Fatalf("parseLine(%q) has bad value %+v", s, v)
			}
			seen[v.unit] = true
		}
		// Whatever parses must also render.
		d, err := parse(strings.NewReader(s + "\n" + s))
		if err != nil {
			t.Fatal(err)
		}
		rp := &report{d: d}
		group, _, _ := splitName(smp.name)
		_ = rp.table(group)
		_ = rp.goals()
		_ = rp.metric(smp.name, smp.vals[0].unit)
		_ = rp.ratio(smp.name, smp.name)
	})
}

func TestStack304Goal(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"met", benchLines("Stack/GET-1KiB-304/bare 100 1", "Stack/GET-1KiB-304/restwell 1600 9"), met},
		{"not met", benchLines("Stack/GET-1KiB-304/bare 100 1", "Stack/GET-1KiB-304/restwell 1601 9"), notMet},
		{"no bare", benchLines("Stack/GET-1KiB-304/restwell 1000 9"), noData},
	}
	for _, tt := range tests {
		d, err := parse(strings.NewReader(tt.input))
		if err != nil {
			t.Fatal(err)
		}
		if g := stack304Goal(d); g.status != tt.want {
			t.Errorf("%s: status %q; want %q (%s)", tt.name, g.status, tt.want, g.text)
		}
	}
}

// The goals quote cpu-ns/op when the benchmarks report it, and still
// decide on ns/op.
func TestGoalsCPU(t *testing.T) {
	const input = "BenchmarkRateLimit/keys=1e5/restwell-4\t1000\t900 ns/op\t100 cpu-ns/op\t0 B/op\t1 allocs/op\n" +
		"BenchmarkRateLimit/keys=1e5/httprate-4\t1000\t1800 ns/op\t400 cpu-ns/op\t0 B/op\t3 allocs/op\n" +
		"BenchmarkRateLimit/keys=1e5/ulule-4\t1000\t1000 ns/op\t300 cpu-ns/op\t0 B/op\t3 allocs/op\n" +
		"BenchmarkStack/GET-1KiB/bare-4\t1000\t100 ns/op\t90 cpu-ns/op\t0 B/op\t1 allocs/op\n" +
		"BenchmarkStack/GET-1KiB/restwell-4\t1000\t2500 ns/op\t1590 cpu-ns/op\t0 B/op\t5 allocs/op\n"
	d, err := parse(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		g        goal
		want     string
		contains string
	}{
		{"limiter", limiterGoal(d, "keys=1e5", "label"), notMet,
			"by CPU time, restwell 100 cpu-ns/op vs least peer ulule 300 cpu-ns/op = 3.00×"},
		{"stack", stackGoal(d), notMet, "by CPU time, restwell 1,590 cpu-ns/op vs bare 90.0, overhead 1,500 cpu-ns/op"},
	}
	for _, tt := range tests {
		if tt.g.status != tt.want {
			t.Errorf("%s: status %q; want %q (%s)", tt.name, tt.g.status, tt.want, tt.g.text)
		}
		if !strings.Contains(tt.g.text, tt.contains) {
			t.Errorf("%s: text %q does not contain %q", tt.name, tt.g.text, tt.contains)
		}
	}
}
