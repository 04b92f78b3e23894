//go:build !unix

package redisstore

func cpuTime() int64 { return 0 }
