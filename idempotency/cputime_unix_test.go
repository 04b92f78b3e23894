//go:build unix

package idempotency_test

import "syscall"

// cpuTime returns the process's user and system CPU time in nanoseconds.
// Benchmarks report it per operation as cpu-ns/op, which a busy machine
// distorts far less than wall-clock ns/op.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
