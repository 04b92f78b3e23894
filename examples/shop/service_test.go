package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/sfv"
	"github.com/restwell/restwell/ratelimit"
)

func TestUnknownRouteAndMethod(t *testing.T) {
	s := newTestShop(t, nil)
	for _, path := range []string{"/nope", "/api/v2/nope", "/api/v1/nope", "/api/items", "/"} {
		wantError(t, path, s.do("GET", path, ""), http.StatusNotFound, "not_found")
	}
	for _, tt := range []struct {
		method, path string
		allow        []string
	}{
		{"DELETE", "/api/v2/items", []string{"GET", "HEAD", "POST"}},
		{"PUT", "/api/v2/orders", []string{"GET", "HEAD", "POST"}},
		{"POST", "/api/v2/items/1", []string{"DELETE", "GET", "HEAD", "PATCH", "PUT"}},
		{"DELETE", "/api/v1/orders/1", []string{"GET", "HEAD"}},
		{"POST", "/healthz", []string{"GET", "HEAD"}},
	} {
		r := s.do(tt.method, tt.path, "")
		wantError(t, tt.method+" "+tt.path, r, http.StatusMethodNotAllowed, "method_not_allowed")
		allow := strings.Split(strings.ReplaceAll(r.header.Get("Allow"), " ", ""), ",")
		for _, m := range tt.allow {
			found := false
			for _, a := range allow {
				found = found || a == m
			}
			if !found {
				t.Errorf("%s %s: Allow %q lacks %s", tt.method, tt.path, r.header.Get("Allow"), m)
			}
		}
	}
}

func TestPanicIsA500WithoutDetail(t *testing.T) {
	s := newTestShop(t, nil)
	m, _ := s.createItem("mug", 1, "USD")
	s.srv.hooks.onGetItem = func(*http.Request) { panic("secret internal detail: db password hunter2") }
	r := s.do("GET", "/api/v2/items/"+idOf(t, m), "")
	wantError(t, "panic", r, http.StatusInternalServerError, "internal_error")
	if strings.Contains(string(r.body), "secret") || strings.Contains(string(r.body), "hunter2") {
		t.Errorf("500 body leaks the panic: %s", r.body)
	}
	if !strings.Contains(s.logs.String(), "hunter2") {
		t.Error("the panic was not logged")
	}
	if !strings.Contains(s.logs.String(), "status=500") {
		t.Error("the access log has no status=500 record")
	}
	s.srv.hooks.onGetItem = nil
	wantStatus(t, "after the panic", s.do("GET", "/api/v2/items/"+idOf(t, m), ""), http.StatusOK)
}

func TestAccessLog(t *testing.T) {
	s := newTestShop(t, nil)
	r := s.do("GET", "/api/v2/items?limit=3", "")
	want := "method=GET path=/api/v2/items status=200 duration="
	logs := s.logs.String()
	if !strings.Contains(logs, want) || !strings.Contains(logs, "request_id="+r.header.Get("X-Request-Id")) {
		t.Errorf("logs %q lack %q and the request id", logs, want)
	}
	// A path with control characters reaches the log escaped, and cut.
	s.do("GET", "/%0Aevil="+strings.Repeat("a", 1000), "")
	logs = s.logs.String()
	if strings.Contains(logs, "\nevil=") {
		t.Error("a newline from the path reached the log")
	}
	if strings.Contains(logs, strings.Repeat("a", maxLoggedPath+10)) {
		t.Error("the logged path is not bounded")
	}
}

func TestRateLimit(t *testing.T) {
	s := newTestShop(t, func(c *Config) {
		c.Rate = ratelimit.Policy{Name: "default", Limit: 3, Window: time.Hour} // no refill during the test
	})
	// Requests with no API key are counted by client address.
	for i, path := range []string{"/api/v2/items", "/nope", "/api/v9/items"} {
		r := s.do("GET", path, "", "Authorization", "")
		if r.status == http.StatusTooManyRequests {
			t.Fatalf("request %d refused", i)
		}
		if got := r.header.Get("RateLimit-Policy"); got != `"default";q=3;w=3600` {
			t.Errorf("RateLimit-Policy %q", got)
		}
		if got, want := r.header.Get("RateLimit"), `"default";r=`+strconv.Itoa(2-i)+`;t=`; !strings.HasPrefix(got, want) {
			t.Errorf("RateLimit %q, want %s...", got, want)
		}
	}
	r := s.do("GET", "/api/v2/items", "", "Authorization", "")
	wantError(t, "over the limit", r, http.StatusTooManyRequests, "rate_limited")
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 1200 { // one unit comes back every 1200s
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// X-Forwarded-For from a client that is not a trusted proxy changes
	// nothing.
	wantError(t, "forged X-Forwarded-For", s.do("GET", "/api/v2/items", "", "X-Forwarded-For", "192.0.2.7", "Authorization", ""), 429, "rate_limited")
	// An account has a quota of its own, wherever it calls from.
	wantStatus(t, "an account from the same address", s.do("GET", "/api/v2/items", ""), 200)
}

// TestRateLimitByAccount: with a key, the client the limits count is the
// account: two keys of one account share a quota, another account and
// the anonymous reads from the same address have their own.
func TestRateLimitByAccount(t *testing.T) {
	s := newTestShop(t, func(c *Config) {
		c.Rate = ratelimit.Policy{Name: "default", Limit: 3, Window: time.Hour}
	})
	second, sum := newAPIKey()
	if err := s.srv.store.AddAPIKey(context.Background(), sum, "alice"); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		what, auth string
		want       int
	}{
		{"alice", s.bearer("alice"), 200},
		{"alice, second key", "Bearer " + second, 200},
		{"alice", s.bearer("alice"), 200},
		{"alice, over", s.bearer("alice"), 429},
		{"alice's second key, over", "Bearer " + second, 429},
		{"bob", s.bearer("bob"), 200},
		{"no key", "", 200},
		{"bob", s.bearer("bob"), 200},
		{"bob", s.bearer("bob"), 200},
		{"bob, over", s.bearer("bob"), 429},
		{"no key", "", 200},
	} {
		r := s.do("GET", "/api/v2/items", "", "Authorization", tt.auth)
		if r.status != tt.want {
			t.Errorf("request %d (%s): status %d, want %d", i, tt.what, r.status, tt.want)
		}
	}
}

func TestOrdersRateLimit(t *testing.T) {
	s := newTestShop(t, func(c *Config) {
		c.OrderRate = ratelimit.Policy{Name: "orders", Limit: 2, Window: time.Hour}
	})
	item, _ := s.createItem("mug", 1, "USD")
	names := func(r *response, field string) []string {
		t.Helper()
		l, err := sfv.ParseList(r.header.Get(field))
		if err != nil {
			t.Fatalf("%s %q: %v", field, r.header.Get(field), err)
		}
		var n []string
		for _, m := range l {
			s, _ := m.Value.(string)
			n = append(n, s)
		}
		return n
	}
	for i := range 2 {
		r := s.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, item)+`,"quantity":1}`, "Idempotency-Key", "rl-"+strconv.Itoa(i))
		wantStatus(t, "order", r, 201)
		if got := strings.Join(names(r, "RateLimit-Policy"), ","); got != "default,orders" {
			t.Errorf("RateLimit-Policy %q", r.header.Get("RateLimit-Policy"))
		}
		if got := strings.Join(names(r, "RateLimit"), ","); got != "default,orders" {
			t.Errorf("RateLimit %q", r.header.Get("RateLimit"))
		}
	}
	r := s.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, item)+`,"quantity":1}`, "Idempotency-Key", "rl-3")
	wantError(t, "third order", r, http.StatusTooManyRequests, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if got := r.header.Get("RateLimit-Policy"); got != `"default";q=1000000;w=60, "orders";q=2;w=3600` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if n := s.count("orders"); n != 2 {
		t.Errorf("%d orders, want 2", n)
	}
	// Other routes are held to the default policy only.
	g := s.do("GET", "/api/v2/orders", "")
	wantStatus(t, "list orders", g, 200)
	if got := strings.Join(names(g, "RateLimit-Policy"), ","); got != "default" {
		t.Errorf("GET orders RateLimit-Policy %q", got)
	}
}

func TestTrustedProxies(t *testing.T) {
	s := newTestShop(t, func(c *Config) {
		c.TrustedProxies = []string{"127.0.0.1/32", "::1"}
		c.Rate = ratelimit.Policy{Name: "default", Limit: 4, Window: time.Hour}
	})
	// Anonymous reads come through the proxy: each client is its
	// forwarded address. Client 1 has 4; the fifth is refused while
	// client 2 still has quota.
	for i := range 4 {
		wantStatus(t, "client 1, read "+strconv.Itoa(i+1), s.do("GET", "/api/v2/items", "", "X-Forwarded-For", "192.0.2.1", "Authorization", ""), 200)
	}
	wantError(t, "client 1 over", s.do("GET", "/api/v2/items", "", "X-Forwarded-For", "192.0.2.1", "Authorization", ""), 429, "rate_limited")
	wantStatus(t, "client 2", s.do("GET", "/api/v2/items", "", "X-Forwarded-For", "192.0.2.2", "Authorization", ""), 200)
	// With a key, the address does not matter: the account is the client.
	wantStatus(t, "an account through the proxy", s.do("GET", "/api/v2/items", "", "X-Forwarded-For", "192.0.2.1"), 200)
}

func TestCORS(t *testing.T) {
	const origin = "https://app.example.com"
	s := newTestShop(t, func(c *Config) { c.CORSOrigins = []string{origin} })
	m, _ := s.createItem("mug", 1, "USD")
	path := "/api/v2/items/" + idOf(t, m)

	req, _ := http.NewRequest("OPTIONS", s.ts.URL+path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "PUT")
	req.Header.Set("Access-Control-Request-Headers", "content-type,idempotency-key,if-match,if-none-match") // as browsers send it: sorted, lower case
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("preflight: %d, Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"if-match", "if-none-match", "idempotency-key", "content-type"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("preflight without X-Request-ID")
	}

	r := s.do("GET", path, "", "Origin", origin)
	if r.header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	exposed := strings.ToLower(r.header.Get("Access-Control-Expose-Headers"))
	for _, h := range []string{"etag", "ratelimit", "ratelimit-policy", "retry-after", "deprecation", "sunset", "link", "x-request-id"} {
		found := false
		for _, e := range strings.Split(exposed, ",") {
			found = found || strings.TrimSpace(e) == h
		}
		if !found {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
		}
	}
	// Errors are readable cross-origin too.
	nf := s.do("GET", "/api/v2/items/999999", "", "Origin", origin)
	if nf.status != 404 || nf.header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("404: %d, Allow-Origin %q", nf.status, nf.header.Get("Access-Control-Allow-Origin"))
	}
	if r := s.do("GET", path, "", "Origin", "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin allowed: %q", r.header.Get("Access-Control-Allow-Origin"))
	}

	// Without -cors-origins no origin is allowed.
	none := newTestShop(t, nil)
	if r := none.do("GET", "/api/v2/items", "", "Origin", origin); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS allowed by default: %q", r.header.Get("Access-Control-Allow-Origin"))
	}
}

func TestHealthzAndDocs(t *testing.T) {
	s := newTestShop(t, nil)
	h := s.do("GET", "/healthz", "")
	wantStatus(t, "healthz", h, 200)
	if h.json(t)["status"] != "ok" {
		t.Errorf("healthz %s", h.body)
	}

	o := s.do("GET", "/openapi.json", "")
	wantStatus(t, "openapi", o, 200)
	if ct := o.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("openapi Content-Type %q", ct)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(o.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1.") || len(doc.Paths) == 0 {
		t.Errorf("openapi.json: %v, openapi %q, %d paths", err, doc.OpenAPI, len(doc.Paths))
	}
	wantStatus(t, "openapi revalidated", s.do("GET", "/openapi.json", "", "If-None-Match", o.header.Get("ETag")), http.StatusNotModified)

	d := s.do("GET", "/docs", "")
	wantStatus(t, "docs", d, 200)
	if !strings.HasPrefix(d.header.Get("Content-Type"), "text/html") || !strings.Contains(string(d.body), `<a href="/openapi.json">`) {
		t.Errorf("docs: %q %s", d.header.Get("Content-Type"), d.body)
	}
}

// TestHealthzDatabaseDown: a closed database makes /healthz 503, without
// internal detail.
func TestHealthzDatabaseDown(t *testing.T) {
	s := newTestShop(t, nil)
	s.srv.store.db.Close()
	r := s.do("GET", "/healthz", "")
	wantError(t, "healthz", r, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(string(r.body), "sql") {
		t.Errorf("503 leaks the cause: %s", r.body)
	}
}

func TestEveryResponseIsIdentified(t *testing.T) {
	s := newTestShop(t, nil)
	// do checks X-Request-ID and the rate limit fields on each of these.
	for _, req := range [][2]string{
		{"GET", "/healthz"}, {"GET", "/nope"}, {"PATCH", "/api/v2/orders"}, {"GET", "/api/v9/x"},
		{"GET", "/api/v2/items?limit=0"}, {"POST", "/api/v2/orders"}, {"GET", "/api/v1/items"},
	} {
		s.do(req[0], req[1], "")
	}
	// An incoming X-Request-ID is kept when it is safe.
	r := s.do("GET", "/healthz", "", "X-Request-ID", "trace-42")
	if got := r.header.Get("X-Request-Id"); got != "trace-42" {
		t.Errorf("X-Request-ID %q, want trace-42", got)
	}
	r = s.do("GET", "/healthz", "", "X-Request-ID", "bad id with spaces")
	if got := r.header.Get("X-Request-Id"); got == "bad id with spaces" || got == "" {
		t.Errorf("X-Request-ID %q", got)
	}
}
