//go:build !unix

package requestid

func cpuTime() int64 { return 0 }
