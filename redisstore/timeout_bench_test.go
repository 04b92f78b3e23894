package redisstore

import (
	"context"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
)

// BenchmarkDecisionUnderLoad measures the latency of one decision (two
// policies, with and without a concurrency policy) against a
// redis-server of its own while redis-benchmark loads that server, and
// reports its quantiles (p50-µs, p99-µs, p99.9-µs, max-µs): the figures
// RateLimitConfig.Timeout's default is chosen from. The load is
// redis-benchmark with -c clients and pipelines of -P commands (SET, GET,
// INCR, LPUSH), for the whole run. Run it with a fixed count, say
// -benchtime 20000x, so that the quantiles have enough samples.
func BenchmarkDecisionUnderLoad(b *testing.B) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		testenv.Unavailable(b, testenv.RedisServer, "redis-benchmark is not installed")
	}
	for _, load := range []struct{ clients, pipeline int }{{50, 4}, {200, 16}} {
		for _, conc := range []bool{false, true} {
			name := "load=c" + strconv.Itoa(load.clients) + "P" + strconv.Itoa(load.pipeline)
			if conc {
				name += "/inflight"
			}
			b.Run(name, func(b *testing.B) { benchUnderLoad(b, load.clients, load.pipeline, conc) })
		}
	}
}

func benchUnderLoad(b *testing.B, clients, pipeline int, conc bool) {
	srv := startRedis(b)
	load := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(srv.port),
		"-c", strconv.Itoa(clients), "-P", strconv.Itoa(pipeline), "-n", "100000000", "-r", "100000",
		"-t", "set,get,incr,lpush", "-q")
	if err := load.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = load.Process.Kill()
		_ = load.Wait()
	})
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
	b.Cleanup(func() { c.Close() })
	s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(b), Timeout: 5 * time.Second, Heartbeat: -1})
	if err != nil {
		b.Fatal(err)
	}
	policies := []ratelimit.Policy{{Name: "minute", Limit: 1 << 40, Window: time.Minute}, {Name: "hour", Limit: 1 << 40, Window: time.Hour}}
	if conc {
		policies = append(policies, ratelimit.Policy{Name: "inflight", Limit: 1000, Window: time.Minute, Unit: ratelimit.UnitConcurrentRequests})
	}
	res := make([]ratelimit.Result, len(policies))
	ctx := context.Background()
	time.Sleep(200 * time.Millisecond) // let the load start
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := "k" + strconv.Itoa(i%1000)
		start := time.Now()
		var err error
		if conc {
			_, err = s.Acquire(ctx, key, policies, 1, uint64(i+1), res)
		} else {
			_, err = s.Take(ctx, key, policies, 1, res)
		}
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if conc {
			_ = s.Release(ctx, key, policies, uint64(i+1))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)]) / 1e3 }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p99.9-µs")
	b.ReportMetric(float64(lat[len(lat)-1])/1e3, "max-µs")
}
