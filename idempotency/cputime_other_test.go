//go:build !unix

package idempotency_test

func cpuTime() int64 { return 0 }
