package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/redisstore"
)

// redisAddr is where the examples find Redis: RESTWELL_REDIS_ADDR, by
// default 127.0.0.1:6379.
var redisAddr = testenv.RedisAddr()

// TestMain keeps the examples, which need a Redis server and cannot skip
// themselves, from running when none answers, unless
// RESTWELL_REQUIRE_REDIS=1.
func TestMain(m *testing.M) {
	flag.Parse()
	c := redis.NewClient(&redis.Options{Addr: redisAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := c.Ping(ctx).Err()
	cancel()
	c.Close()
	if err != nil {
		testenv.SkipExamples(testenv.Redis, "no Redis at "+redisAddr+": "+err.Error(),
			"ExampleNewRateLimitStore", "ExampleNewIdempotencyStore")
	}
	os.Exit(m.Run())
}

// runPrefix returns a key prefix of its own, so that the examples share a
// server with other programs and runs without meeting them.
func runPrefix(name string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "example:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// Every replica of the service builds the same Limiter on the same Redis:
// together they enforce one limit per client. Here two replicas share a
// limit of 3 requests a minute per client.
func ExampleNewRateLimitStore() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
	defer rdb.Close()

	store, err := redisstore.NewRateLimitStore(rdb, redisstore.RateLimitConfig{
		Prefix:  runPrefix("ratelimit"), // in a service, a fixed one: "shop:ratelimit:"
		Timeout: 50 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	replica := func() http.Handler {
		lim, err := ratelimit.New(ratelimit.Config{
			Policies:     []ratelimit.Policy{{Name: "default", Limit: 3, Window: time.Minute}},
			Store:        store,
			StoreFailure: ratelimit.FailLocal, // Redis down: limit per replica
		})
		if err != nil {
			log.Fatal(err)
		}
		return lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}))
	}
	replicas := []http.Handler{replica(), replica()}

	for i := range 4 {
		req := httptest.NewRequest("GET", "/items", nil)
		req.RemoteAddr = "203.0.113.7:41000" // the same client each time
		rec := httptest.NewRecorder()
		replicas[i%2].ServeHTTP(rec, req)
		fmt.Println("replica", i%2, "->", rec.Code, rec.Header().Get("RateLimit-Policy"))
	}
	// Output:
	// replica 0 -> 204 "default";q=3;w=60
	// replica 1 -> 204 "default";q=3;w=60
	// replica 0 -> 204 "default";q=3;w=60
	// replica 1 -> 429 "default";q=3;w=60
}

// Idempotency records in Redis: a retry that reaches another replica is
// replayed from the record, and the handler runs once.
func ExampleNewIdempotencyStore() {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()

	store, err := redisstore.NewIdempotencyStore(rdb, redisstore.IdempotencyConfig{
		Prefix:  runPrefix("idem"), // in a service, a fixed one: "shop:idem:"
		Timeout: 2 * time.Second,   // each round trip; 503 past it (default 5s)
	})
	if err != nil {
		log.Fatal(err)
	}
	orders := 0
	replica := func() http.Handler {
		idem, err := idempotency.New(idempotency.Config{
			Store:     store,
			Retention: time.Minute, // replay retries for a minute (default a day)
			Lease:     10 * time.Second,
		})
		if err != nil {
			log.Fatal(err)
		}
		return idem.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			orders++
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"order":%d}`, orders)
		}))
	}
	replicas := []http.Handler{replica(), replica()}

	for i := range 2 {
		req := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
		req.RemoteAddr = "203.0.113.7:41000"
		req.Header.Set("Idempotency-Key", `"0b8f6a2e-5c4d-4e3f-9a1b-7c6d5e4f3a2b"`)
		rec := httptest.NewRecorder()
		replicas[i].ServeHTTP(rec, req)
		fmt.Printf("replica %d -> %d %s replayed=%q\n", i, rec.Code, rec.Body, rec.Header().Get("Idempotent-Replayed"))
	}
	fmt.Println("orders created:", orders)
	// Output:
	// replica 0 -> 201 {"order":1} replayed=""
	// replica 1 -> 201 {"order":1} replayed="true"
	// orders created: 1
}
