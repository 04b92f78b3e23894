package bench

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/redisstore"
)

// redisRestwellPlans is restwell with three plans of three policies each,
// the plan chosen per request from the client address, with pk
// parameters: still one EVALSHA per request.
func redisRestwellPlans(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	store, err := redisstore.NewRateLimitStore(c, redisstore.RateLimitConfig{Prefix: prefix, Timeout: time.Second, Heartbeat: -1})
	if err != nil {
		return nil, err
	}
	plan := func(name string, scale int64) []ratelimit.Policy {
		return []ratelimit.Policy{
			{Name: name + "-burst", Limit: int64(limit) * scale, Window: time.Second, Burst: int64(limit)},
			{Name: name, Limit: int64(limit), Window: time.Hour},
			{Name: name + "-daily", Limit: int64(limit) * 24 * scale, Window: 24 * time.Hour},
		}
	}
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: plan("anonymous", 1),
		Plans:    map[string][]ratelimit.Policy{"free": plan("free", 2), "pro": plan("pro", 10)},
		Plan: func(r *http.Request) (string, error) {
			switch len(r.RemoteAddr) % 3 {
			case 0:
				return "free", nil
			case 1:
				return "pro", nil
			}
			return "", nil
		},
		PartitionKey: []byte("benchmark partition key, 32 byte"),
		Store:        store,
	})
	if err != nil {
		return nil, err
	}
	return lim.Handler(next), nil
}

var plansLib = redisLib{"restwell-plans", http.CanonicalHeaderKey("RateLimit"), redisRestwellPlans}

// BenchmarkRedisPlans measures restwell with plans against the plain
// restwell limiter on Redis, serially; roundtrips/op shows that a plan of
// three policies is still one round trip.
func BenchmarkRedisPlans(b *testing.B) {
	addrs := redisAddrs(1000)
	for _, lib := range []redisLib{redisLibs()[0], plansLib} {
		b.Run(lib.name, func(b *testing.B) { redisSerial(b, lib, addrs) })
	}
}

// TestRedisPlansOneRoundTrip counts the commands of each request with
// plans: exactly one, whatever the plan.
func TestRedisPlansOneRoundTrip(t *testing.T) {
	c := redisClient(t)
	cnt := &redisCounter{}
	c.AddHook(cnt)
	h := plansLib.handler(t, c, redisLimit)
	addrs := redisAddrs(30)
	serve := func(addr string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		w := newBenchWriter()
		h.ServeHTTP(w, r)
		if err := redisCheck(plansLib, w, addr); err != nil {
			t.Fatal(err)
		}
	}
	serve(addrs[0]) // loads the script
	cnt.n.Store(0)
	for _, a := range addrs {
		serve(a)
	}
	if got := cnt.n.Load(); got != int64(len(addrs)) {
		t.Errorf("%d requests over three plans sent %d commands, want %d", len(addrs), got, len(addrs))
	}
	t.Logf("round trips per request with plans: %s", strconv.FormatFloat(float64(cnt.n.Load())/float64(len(addrs)), 'f', 2, 64))
}
