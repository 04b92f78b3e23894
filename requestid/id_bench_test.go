package requestid

import (
	"crypto/rand"
	"testing"
	"time"
)

// unorderedID is how identifiers were made before NewID was ordered: a
// crypto/rand call per identifier and no counter, so two identifiers of
// one tick sort at random. It stays here as the baseline the benchmarks
// compare NewID with.
func unorderedID() string {
	var u [16]byte
	_, _ = rand.Read(u[8:])
	now := time.Now()
	ms := uint64(now.UnixMilli())
	frac := uint64(now.Nanosecond()%1e6) * 4096 / 1e6
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 | byte(frac>>8)
	u[7] = byte(frac)
	u[8] = 0x80 | u[8]&0x3f
	var dst [36]byte
	const digits = "0123456789abcdef"
	j := 0
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = digits[x>>4], digits[x&0xf]
		j += 2
	}
	return string(dst[:])
}

var sink string

// BenchmarkNewID measures NewID against the unordered baseline, on one
// goroutine and on all processors at once. cpu-ns/op is the process's
// CPU time per identifier, which a busy machine distorts less than
// ns/op:
//
//	go test ./requestid -run '^$' -bench BenchmarkNewID -benchmem -count 5
func BenchmarkNewID(b *testing.B) {
	for _, bc := range []struct {
		name string
		fn   func() string
	}{{"ordered", NewID}, {"unordered", unorderedID}} {
		b.Run(bc.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				sink = bc.fn()
			}
			reportCPU(b, start)
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				var s string
				for pb.Next() {
					s = bc.fn()
				}
				_ = s
			})
			reportCPU(b, start)
		})
	}
}

// reportCPU reports cpu-ns/op: the process's CPU time since start, a
// cpuTime reading, per iteration; nothing without a CPU clock.
func reportCPU(b *testing.B, start int64) {
	if end := cpuTime(); start != 0 && end != 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
