package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/sfv"
)

// A route limiter inside a service-wide limiter adds its policies to the
// lists the outer one reported.
func TestNestedLimitersJoinLists(t *testing.T) {
	outer, err := New(Config{Policies: []Policy{{Name: "default", Limit: 100, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := New(Config{Policies: []Policy{{Name: "orders", Limit: 2, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	h := outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	tests := []struct {
		wantStatus int
		wantPolicy string
		wantState  string
	}{
		{200, `"default";q=100;w=60, "orders";q=2;w=60`, `"default";r=99;t=1, "orders";r=1;t=30`},
		{200, `"default";q=100;w=60, "orders";q=2;w=60`, `"default";r=98;t=1, "orders";r=0;t=30`},
		{429, `"default";q=100;w=60, "orders";q=2;w=60`, `"default";r=97;t=1, "orders";r=0;t=30`},
	}
	for i, tt := range tests {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/orders", nil)
		req.RemoteAddr = "192.0.2.9:1234"
		h.ServeHTTP(rec, req)
		if rec.Code != tt.wantStatus {
			t.Errorf("request %d: status %d, want %d", i, rec.Code, tt.wantStatus)
		}
		for field, want := range map[string]string{"RateLimit-Policy": tt.wantPolicy, "RateLimit": tt.wantState} {
			lines := rec.Header().Values(field)
			if len(lines) != 1 {
				t.Errorf("request %d: %s has %d field lines, want 1", i, field, len(lines))
				continue
			}
			joined := lines[0]
			if joined != want {
				t.Errorf("request %d: %s = %q, want %q", i, field, joined, want)
			}
			if _, err := sfv.ParseList(joined); err != nil {
				t.Errorf("request %d: %s is not a structured list: %v", i, field, err)
			}
		}
	}
}

// Fields on the writer that no outer limiter reported (a reused writer,
// a handler or proxied upstream that set them first) are replaced, never
// joined: their values keep one size request after request.
func TestHeadersReplacedOnReusedWriter(t *testing.T) {
	outer, err := New(Config{Policies: []Policy{{Name: "default", Limit: 1_000_000, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := New(Config{Policies: []Policy{{Name: "orders", Limit: 1_000_000, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tests := []struct {
		name       string
		h          http.Handler
		wantPolicy string
	}{
		{"single", outer.Handler(next), `"default";q=1000000;w=60`},
		{"nested", outer.Handler(inner.Handler(next)), `"default";q=1000000;w=60, "orders";q=1000000;w=60`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			// What an upstream left on the writer before the limiter ran.
			rec.Header().Set("RateLimit-Policy", `"upstream";q=5;w=1`)
			rec.Header().Set("RateLimit", `"upstream";r=4;t=1`)
			var sizes [2]int
			for i := range 1000 {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.RemoteAddr = "192.0.2.10:1234"
				tt.h.ServeHTTP(rec, req)
				policy := rec.Header().Values("RateLimit-Policy")
				state := rec.Header().Values("RateLimit")
				if len(policy) != 1 || len(state) != 1 {
					t.Fatalf("request %d: %d RateLimit-Policy and %d RateLimit lines, want 1 each", i, len(policy), len(state))
				}
				if policy[0] != tt.wantPolicy {
					t.Fatalf("request %d: RateLimit-Policy = %q, want %q", i, policy[0], tt.wantPolicy)
				}
				got := [2]int{len(policy[0]), len(state[0])}
				if i == 0 {
					sizes = got
				} else if got != sizes {
					t.Fatalf("request %d: field sizes %v, want %v as on the first request", i, got, sizes)
				}
			}
		})
	}
}

// Three nested limiters each add their item: the lists an inner limiter
// joined still carry the mark for the next one in.
func TestThreeNestedLimiters(t *testing.T) {
	var hs []*Limiter
	for _, name := range []string{"a", "b", "c"} {
		l, err := New(Config{Policies: []Policy{{Name: name, Limit: 10, Window: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, l)
	}
	h := hs[0].Handler(hs[1].Handler(hs[2].Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.11:1234"
	h.ServeHTTP(rec, req)
	tests := []struct{ field, want string }{
		{"RateLimit-Policy", `"a";q=10;w=60, "b";q=10;w=60, "c";q=10;w=60`},
		{"RateLimit", `"a";r=9;t=6, "b";r=9;t=6, "c";r=9;t=6`},
	}
	for _, tt := range tests {
		if got := rec.Header().Values(tt.field); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s = %q, want [%q]", tt.field, got, tt.want)
		}
	}
}

// The mark lasts only while the request is inside the limiter: not after
// the handler returned, nor after it panicked, so a writer reused for the
// next request (or a handler's own fields) is never joined.
func TestMarkEndsWithRequest(t *testing.T) {
	l, err := New(Config{Policies: []Policy{{Name: "default", Limit: 1000, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	var sawMark bool
	tests := []struct {
		name  string
		panic bool
	}{
		{"returned", false},
		{"panicked", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				sawMark = nested(w.Header())
				if tt.panic {
					panic(http.ErrAbortHandler)
				}
			}))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = "192.0.2.12:1234"
			func() {
				defer func() { _ = recover() }()
				h.ServeHTTP(rec, req)
			}()
			if !sawMark {
				t.Errorf("handler saw no mark on the fields of the limiter it is inside")
			}
			if nested(rec.Header()) {
				t.Errorf("fields still marked after the request: a reused writer would be joined")
			}
		})
	}
}

// A value a handler adds to RateLimit-Policy takes the mark's slot; the
// limiter leaves it as the handler set it.
func TestHandlerAddKept(t *testing.T) {
	l, err := New(Config{Policies: []Policy{{Name: "default", Limit: 1000, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("RateLimit-Policy", `"handler";q=1;w=1`)
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.13:1234"
	h.ServeHTTP(rec, req)
	got := rec.Header().Values("RateLimit-Policy")
	want := []string{`"default";q=1000;w=60`, `"handler";q=1;w=1`}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("RateLimit-Policy = %q, want %q", got, want)
	}
}
