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
