package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

func Example() {
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{
			{Name: "minute", Limit: 2, Window: time.Minute},
			{Name: "hour", Limit: 100, Window: time.Hour},
		},
	})
	if err != nil {
		panic(err)
	}
	api := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))

	var w *httptest.ResponseRecorder
	for i := 0; i < 3; i++ {
		r := httptest.NewRequest("GET", "/hello", nil)
		r.RemoteAddr = "203.0.113.7:52000"
		w = httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("RateLimit"), w.Header().Values("Retry-After"))
	}
	fmt.Println(w.Header().Get("RateLimit-Policy"))
	// Output:
	// 200 "minute";r=1;t=30 []
	// 200 "minute";r=0;t=30 []
	// 429 "minute";r=0;t=30 [30]
	// "minute";q=2;w=60, "hour";q=100;w=3600
}

func ExampleLimiter_Allow() {
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "jobs", Limit: 3, Window: time.Hour}},
	})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 4; i++ {
		d, err := lim.Allow(context.Background(), "tenant-42")
		if err != nil {
			panic(err)
		}
		fmt.Println(d.Allowed, d.Results()[0].Remaining, d.RetryAfter.Round(time.Minute))
	}
	// Output:
	// true 2 0s
	// true 1 0s
	// true 0 0s
	// false 0 20m0s
}

func ExampleClientIP() {
	ip, err := ratelimit.NewClientIP(ratelimit.ClientIPConfig{
		TrustedProxies: []string{"10.0.0.0/8"},
	})
	if err != nil {
		panic(err)
	}
	// Through the load balancer 10.0.0.5: the client spoofed 1.2.3.4,
	// the balancer appended the address it saw.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.5:41000"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 198.51.100.23")
	fmt.Println(ip.Key(r))

	// Straight from the client: the header is ignored.
	r.RemoteAddr = "198.51.100.23:50000"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	fmt.Println(ip.Key(r))

	// IPv6 clients are grouped by /64.
	r.RemoteAddr = "[2001:db8:1:2:aaaa::1]:50000"
	fmt.Println(ip.Key(r))
	// Output:
	// 198.51.100.23 <nil>
	// 198.51.100.23 <nil>
	// 2001:db8:1:2::/64 <nil>
}

func ExampleHeaderKey() {
	lim, err := ratelimit.New(ratelimit.Config{
		Policies:   []ratelimit.Policy{{Name: "per-key", Limit: 1000, Window: time.Hour}},
		Key:        ratelimit.HeaderKey("X-Api-Key"),
		KeyFailure: ratelimit.RejectRequest, // no key: 400 client_key_invalid
	})
	if err != nil {
		panic(err)
	}
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 400 {"error":{"code":"client_key_invalid","message":"the request does not identify its client"}}
}
