// Command loadtest measures what restwell's middleware costs the example
// service: it drives examples/shop with wrk, once with the full middleware
// stack and once with the bare handlers, on
//
//   - GET /api/v2/items/{id}                      (200 with the item)
//   - GET /api/v2/items/{id} with If-None-Match   (304)
//   - GET /api/v2/items                           (a page of 20)
//
// and prints requests per second and p99 latency for each, with the cost
// of the full stack relative to the bare service. It is run on demand,
// never in CI:
//
//	apt-get install -y wrk   # or your system's package
//	go run ./examples/loadtest -duration 10s -connections 32
//	go run ./examples/loadtest -pin   # shop on CPU 1, wrk on CPU 0
//	go run ./examples/loadtest -metrics   # the full configuration with -metrics
//
// The full configuration is the shop's own binary, as people run it: the
// access log is written to a file, one record per request, and the rate
// limit is set high enough never to refuse (it still decides every
// request). The bare one is the shop's test binary built with the
// loadtest tag (go test -c -tags loadtest), whose TestServeBare serves the
// same item handlers with no middleware; the shop itself has no such
// mode. Each is built once and started as a separate process, on one
// SQLite file seeded with -items items; wrk and the shop share the
// machine, so run it on a quiet one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name   string
	path   string
	header string // "Name: value" or ""
}

type result struct {
	rps    float64
	p99    time.Duration
	reqs   int64
	cpu    time.Duration // the shop's CPU time (user+system) during the run
	non2xx int
	errors string
}

// cpuPerRequest is the shop's CPU time per request: unlike throughput, it
// hardly depends on what else the machine is doing.
func (r result) cpuPerRequest() time.Duration {
	if r.reqs == 0 {
		return 0
	}
	return (r.cpu / time.Duration(r.reqs)).Round(100 * time.Nanosecond)
}

func run() error {
	duration := flag.Duration("duration", 10*time.Second, "how long wrk drives each scenario")
	conns := flag.Int("connections", 32, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	items := flag.Int("items", 1000, "items to seed")
	wrk := flag.String("wrk", "wrk", "the wrk binary")
	rounds := flag.Int("rounds", 3, "runs of each scenario per configuration, alternating; the best counts")
	metrics := flag.Bool("metrics", false, "run the full configuration with -metrics (Prometheus), to measure what the metrics and trace ids cost")
	pin := flag.Bool("pin", false, "pin the shop to CPU 1 with GOMAXPROCS=1 and wrk to CPU 0 with one thread (taskset), so that the shop's throughput is what one core of its own gives")
	flag.Parse()
	if *pin {
		if _, err := exec.LookPath("taskset"); err != nil {
			return fmt.Errorf("-pin needs taskset: %w", err)
		}
		*threads = 1
	}
	if _, err := exec.LookPath(*wrk); err != nil {
		return fmt.Errorf("%s not found: install it (apt-get install -y wrk): %w", *wrk, err)
	}

	dir, err := os.MkdirTemp("", "shop-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins, err := build(dir)
	if err != nil {
		return err
	}
	db := filepath.Join(dir, "load.db")

	// Seed with the full service, with an API key of its own (the
	// scenarios read items, which needs none).
	out, err := exec.Command(bins.full, "keys", "add", "-db", db, "loadtest").Output()
	if err != nil {
		return fmt.Errorf("making an API key: %w", err)
	}
	key := strings.TrimSpace(string(out))
	stop, base, _, err := start(bins, db, dir, false, false, false)
	if err != nil {
		return err
	}
	tag, err := seed(base, key, *items)
	stop()
	if err != nil {
		return err
	}

	scenarios := []scenario{
		{"GET /api/v2/items/{id}", "/api/v2/items/1", ""},
		{"GET /api/v2/items/{id}, If-None-Match (304)", "/api/v2/items/1", "If-None-Match: " + tag},
		{"GET /api/v2/items (20 per page)", "/api/v2/items", ""},
	}
	// Both configurations run side by side (only the one driven uses
	// CPU); each scenario alternates between them -rounds times and keeps
	// each one's best run, so that a burst of other work on the machine
	// does not decide the comparison.
	type server struct {
		base string
		pid  int
	}
	servers := map[bool]server{}
	for _, bare := range []bool{true, false} {
		stop, base, pid, err := start(bins, db, dir, bare, *pin, *metrics)
		if err != nil {
			return err
		}
		defer stop()
		servers[bare] = server{base, pid}
	}
	results := map[bool][]result{}
	for _, sc := range scenarios {
		best := map[bool]result{}
		for round := range *rounds {
			for _, bare := range []bool{true, false} {
				srv := servers[bare]
				if round == 0 { // warm-up
					if _, err := drive(*wrk, srv.base+sc.path, sc.header, *threads, 8, 2*time.Second, *pin); err != nil {
						return err
					}
				}
				before, err := processCPU(srv.pid)
				if err != nil {
					return err
				}
				r, err := drive(*wrk, srv.base+sc.path, sc.header, *threads, *conns, *duration, *pin)
				if err != nil {
					return err
				}
				after, err := processCPU(srv.pid)
				if err != nil {
					return err
				}
				r.cpu = after - before
				fmt.Fprintf(os.Stderr, "%s, bare=%v, round %d: %.0f req/s, p99 %s, CPU %s/request\n", sc.name, bare, round+1, r.rps, r.p99, r.cpuPerRequest())
				if r.rps > best[bare].rps {
					best[bare] = r
				}
			}
		}
		results[true] = append(results[true], best[true])
		results[false] = append(results[false], best[false])
	}

	placement := "shop and wrk share all CPUs"
	if *pin {
		placement = "shop on CPU 1 with GOMAXPROCS=1, wrk on CPU 0"
	}
	full := "full"
	if *metrics {
		full = "full with -metrics"
	}
	fmt.Printf("wrk -t%d -c%d -d%s, best of %d alternating runs, %d items, %d CPUs, %s; %s\n\n", *threads, *conns, *duration, *rounds, *items, numCPU(), placement, full)
	fmt.Println("| scenario | bare req/s | bare p99 | full req/s | full p99 | full/bare req/s | shop CPU per request, bare / full |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for i, sc := range scenarios {
		b, f := results[true][i], results[false][i]
		fmt.Printf("| %s | %.0f | %s | %.0f | %s | %.1f%% | %s / %s (+%.0f%%) |\n", sc.name, b.rps, b.p99, f.rps, f.p99, 100*f.rps/b.rps,
			b.cpuPerRequest(), f.cpuPerRequest(), 100*(float64(f.cpuPerRequest())/float64(b.cpuPerRequest())-1))
	}
	for _, bare := range []bool{true, false} {
		for i, r := range results[bare] {
			if r.non2xx > 0 || r.errors != "" {
				fmt.Printf("\nwarning: %s (bare=%v): %d non-2xx/3xx responses, %s\n", scenarios[i].name, bare, r.non2xx, r.errors)
			}
		}
	}
	return nil
}

func numCPU() int {
	n := 0
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "processor") {
			n++
		}
	}
	return n
}

// binaries are the two builds of the shop a load test runs.
type binaries struct {
	full string // the shop
	bare string // its test binary, for TestServeBare
}

// build builds the shop and its bare test binary into dir.
func build(dir string) (binaries, error) {
	b := binaries{full: filepath.Join(dir, "shop"), bare: filepath.Join(dir, "shop-bare.test")}
	for _, args := range [][]string{
		{"build", "-o", b.full, shopPackage},
		{"test", "-c", "-tags", "loadtest", "-o", b.bare, shopPackage},
	} {
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
	}
	return b, nil
}

const shopPackage = "github.com/restwell/restwell/examples/shop"

// start runs the shop, full (with -metrics if metrics) or bare, on a free
// port and waits until it answers.
func start(bins binaries, db, dir string, bare, pin, metrics bool) (stop func(), base string, pid int, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("shop-bare-%v.log", bare)))
	if err != nil {
		return nil, "", 0, err
	}
	args := []string{bins.full, "-addr", addr, "-db", db, "-rate", "1000000000/s", "-order-rate", "1000000000/s",
		"-cursor-secret", strings.Repeat("k", 32), "-metrics=" + strconv.FormatBool(metrics)}
	env := os.Environ()
	if bare {
		args = []string{bins.bare, "-test.run", "^TestServeBare$", "-test.timeout", "0"}
		env = append(env, "SHOP_LOADTEST_ADDR="+addr, "SHOP_DB="+db)
	}
	if pin {
		args = append([]string{"taskset", "-c", "1"}, args...)
		env = append(env, "GOMAXPROCS=1")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdout = io.Discard
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, "", 0, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	}
	base = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/api/v2/items?limit=1")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return stop, base, cmd.Process.Pid, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, "", 0, errors.New("the shop did not start; see " + logFile.Name())
}

// processCPU returns the user and system CPU time process pid has used,
// from /proc (Linux).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the shop's CPU time (Linux only): %w", err)
	}
	// The fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc/PID/stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// seed creates n items with the API key key and returns the ETag of
// item 1.
func seed(base, key string, n int) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	currencies := []string{"KRW", "USD", "JPY"}
	for i := range n {
		body, _ := json.Marshal(map[string]any{
			"name":  fmt.Sprintf("item %04d", i),
			"price": map[string]any{"amount": (i * 37) % 10000, "currency": currencies[i%3]},
		})
		req, err := http.NewRequest("POST", base+"/api/v2/items", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := client.Do(req)
		if err != nil {
			return "", err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return "", fmt.Errorf("seeding: %s", res.Status)
		}
	}
	res, err := client.Get(base + "/api/v2/items/1")
	if err != nil {
		return "", err
	}
	res.Body.Close()
	return res.Header.Get("ETag"), nil
}

var (
	reRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reReqs    = regexp.MustCompile(`(\d+) requests in`)
	reP99     = regexp.MustCompile(`\n\s+99%\s+([0-9.]+)(us|ms|s)\b`)
	reNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSockErr = regexp.MustCompile(`Socket errors:[^\n]*`)
)

// drive runs wrk against url and parses its summary.
func drive(wrk, url, header string, threads, conns int, d time.Duration, pin bool) (result, error) {
	args := []string{wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if pin {
		args = append([]string{"taskset", "-c", "0"}, args...)
	}
	if header != "" {
		args = append(args, "-H", header)
	}
	args = append(args, url)
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	s := string(out)
	var r result
	m := reRPS.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", s)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := reReqs.FindStringSubmatch(s); m != nil {
		r.reqs, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reP99.FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		r.p99 = time.Duration(v * float64(unit)).Round(time.Microsecond)
	}
	if m := reNon2xx.FindStringSubmatch(s); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	r.errors = reSockErr.FindString(s)
	return r, nil
}
