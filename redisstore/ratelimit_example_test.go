package redisstore_test

import (
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/redisstore"
)

// Every replica of the service builds the same Limiter on the same Redis:
// together they enforce one limit per client.
func ExampleNewRateLimitStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()

	store, err := redisstore.NewRateLimitStore(rdb, redisstore.RateLimitConfig{
		Prefix:  "shop:ratelimit:",
		Timeout: 50 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{
			{Name: "burst", Limit: 10, Window: time.Second},
			{Name: "default", Limit: 100, Window: time.Minute},
		},
		Store:        store,
		StoreFailure: ratelimit.FailLocal, // Redis down: limit per replica
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	_ = http.ListenAndServe("127.0.0.1:8080", lim.Handler(mux))
}
