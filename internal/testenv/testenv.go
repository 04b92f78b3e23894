// Package testenv is the test plumbing the modules of this repository
// share: where the servers some tests need are, and what a test does when
// one is missing. Only tests import it.
//
// A test that cannot run without a server calls Unavailable, which fails
// it when the environment requires the server (RESTWELL_REQUIRE_REDIS=1,
// RESTWELL_REQUIRE_POSTGRES=1) and otherwise skips it. A skip is also
// appended, as one line "group<TAB>reason", to the file named by
// RESTWELL_SKIP_LOG when that is set; internal/cmd/testall sets it and
// prints one line naming every skipped group once go test is done.
// Examples that need a server are kept from running by SkipExamples,
// called from TestMain.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Defaults of the server addresses, used when the variables are unset.
const (
	DefaultRedisAddr   = "127.0.0.1:6379"
	DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// SkipLogVar names the variable holding the file skips are appended to.
const SkipLogVar = "RESTWELL_SKIP_LOG"

// RedisAddr returns RESTWELL_REDIS_ADDR, or DefaultRedisAddr.
func RedisAddr() string { return getenv("RESTWELL_REDIS_ADDR", DefaultRedisAddr) }

// PostgresDSN returns RESTWELL_POSTGRES_DSN, or DefaultPostgresDSN.
func PostgresDSN() string { return getenv("RESTWELL_POSTGRES_DSN", DefaultPostgresDSN) }

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// A Group is a set of tests that need the same thing from the machine.
type Group string

const (
	// Redis tests need the Redis server at RedisAddr.
	Redis Group = "redis"
	// RedisServer tests start redis-server processes of their own.
	RedisServer Group = "redis-server"
	// Postgres tests need the PostgreSQL database at PostgresDSN.
	Postgres Group = "postgres"
)

// RequireVar returns the variable that, set to 1, turns the group's skips
// into failures.
func (g Group) RequireVar() string {
	if g == Postgres {
		return "RESTWELL_REQUIRE_POSTGRES"
	}
	return "RESTWELL_REQUIRE_REDIS"
}

// Required reports whether the environment requires the group to run.
func (g Group) Required() bool { return os.Getenv(g.RequireVar()) == "1" }

// Unavailable ends tb because what group needs is missing: it fails tb
// when the group is required, and otherwise records the skip (see the
// package doc) and skips tb. The message says what is missing.
func Unavailable(tb testing.TB, g Group, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if g.Required() {
		tb.Fatalf("%s (required: %s=1)", msg, g.RequireVar())
	}
	record(g, strings.Join(strings.Fields(msg), " "), 1)
	tb.Skipf("%s (set %s=1 to fail instead)", msg, g.RequireVar())
}

// SkipExamples keeps go test from running the named examples, which need
// what g provides: an Example with an Output comment has no testing.T and
// cannot skip itself. Call it from TestMain, after flag.Parse, once a
// check found the server missing; reason says how. When g is required it
// does nothing, so the examples run and fail. Otherwise it adds the names
// to -test.skip and records one skip per example, as Unavailable does.
func SkipExamples(g Group, reason string, names ...string) {
	if g.Required() || len(names) == 0 {
		return
	}
	f := flag.Lookup("test.skip")
	if f == nil {
		return // not in a test binary
	}
	pattern := "^(" + strings.Join(names, "|") + ")$"
	if old := f.Value.String(); old != "" {
		pattern = old + "|" + pattern
	}
	if err := f.Value.Set(pattern); err != nil {
		return
	}
	msg := strings.Join(strings.Fields(reason), " ")
	fmt.Printf("skipping %s: %s (set %s=1 to fail instead)\n", strings.Join(names, ", "), msg, g.RequireVar())
	record(g, msg, len(names))
}

func record(g Group, msg string, n int) {
	path := os.Getenv(SkipLogVar)
	if path == "" {
		return
	}
	line := strings.Repeat(string(g)+"\t"+msg+"\n", n)
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
		_, _ = f.WriteString(line) // one small append: whole lines, even from parallel packages
		f.Close()
	}
}

// Summary turns the contents of a skip log into one line naming every
// skipped group, with how many tests skipped and the first reason given.
func Summary(log []byte) string {
	type group struct {
		n      int
		reason string
	}
	groups := map[string]*group{}
	for line := range strings.SplitSeq(string(log), "\n") {
		name, reason, ok := strings.Cut(line, "\t")
		if !ok || name == "" {
			continue
		}
		g := groups[name]
		if g == nil {
			g = &group{reason: reason}
			groups[name] = g
		}
		g.n++
	}
	if len(groups) == 0 {
		return "restwell: no test group skipped"
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("restwell: SKIPPED test groups: ")
	for i, name := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		g := groups[name]
		b.WriteString(name + " (" + strconv.Itoa(g.n) + " skips: " + g.reason + ")")
	}
	return b.String()
}
