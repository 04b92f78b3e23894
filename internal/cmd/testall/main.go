// Command testall runs go test with the arguments it is given and then
// prints one line naming every group of tests that skipped because a
// server they need was missing (Redis, redis-server, PostgreSQL), or
// saying that none did. It exits with go test's status.
//
// go test shows nothing of a package whose tests pass, skips included, so
// the line cannot come from the tests themselves. testall gives go test a
// fresh file under os.TempDir in RESTWELL_SKIP_LOG; every skip for a
// missing server appends a line to it (internal/testenv), from whichever
// package and in whatever order go test runs them, and testall reads it
// when go test has finished.
//
// From the repository root:
//
//	go run ./internal/cmd/testall -race -shuffle=on ./... ./examples/... ./redisstore/... ./sqlstore/... ./bench/...
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/restwell/restwell/internal/testenv"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	f, err := os.CreateTemp("", "restwell-skips-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		return 2
	}
	log := f.Name()
	f.Close()
	defer os.Remove(log)

	cmd := exec.Command("go", append([]string{"test"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), testenv.SkipLogVar+"="+log)
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "testall:", err)
			return 2
		}
		if code = exit.ExitCode(); code < 0 {
			code = 1 // killed by a signal
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		return 2
	}
	fmt.Println(testenv.Summary(b))
	return code
}
