package testenv

import (
	"context"
	"testing"
	"time"
)

// PingRedis checks that the Redis server at RedisAddr answers, with ping,
// the Ping of the test's own client, given two seconds; when it does not,
// it ends tb through Unavailable in group Redis. Register the client's
// Close with tb.Cleanup before calling it: Unavailable ends the test.
// The modules that have a Redis client build it with the options their
// tests need and share this check, which keeps testenv free of one.
func PingRedis(tb testing.TB, ping func(ctx context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ping(ctx); err != nil {
		Unavailable(tb, Redis, "no Redis at %s (set RESTWELL_REDIS_ADDR): %v", RedisAddr(), err)
	}
}
