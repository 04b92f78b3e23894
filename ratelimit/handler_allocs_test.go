package ratelimit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHandlerAllocs bounds what one decision through the middleware
// allocates with the memory store: 1 for an admitted request (the header
// values together with the bytes of the dynamic ones; the request is not
// copied) and at most 2 for a refusal (those, and the error body's header
// values); the body itself comes from a pool. Legacy fields add the
// string of their values.
func TestHandlerAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -race and -cover")
	}
	tests := []struct {
		name     string
		policies []Policy
		legacy   bool
		want     int
		max      float64
	}{
		{"admitted", []Policy{{Name: "default", Limit: 1_000_000_000, Window: time.Hour}}, false, http.StatusOK, 1},
		{"refused", []Policy{{Name: "tiny", Limit: 1, Window: time.Hour}}, false, http.StatusTooManyRequests, 2},
		{"refused by one of two", []Policy{{Name: "tiny", Limit: 1, Window: time.Hour}, {Name: "big", Limit: 1000, Window: time.Hour}}, false, http.StatusTooManyRequests, 2},
		{"admitted, legacy fields", []Policy{{Name: "default", Limit: 1_000_000_000, Window: time.Hour}}, true, http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(Config{Policies: tt.policies, LegacyHeaders: tt.legacy})
			if err != nil {
				t.Fatal(err)
			}
			h := l.Handler(okHandler)
			r := benchRequest()
			r.RemoteAddr = "192.0.2.7:1234"
			w := &benchWriter{h: make(http.Header)}
			h.ServeHTTP(w, r) // spend the tiny quota
			serve := func() {
				clear(w.h)
				w.status = 0
				h.ServeHTTP(w, r)
			}
			serve()
			if got := max(w.status, http.StatusOK); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
			if n := testing.AllocsPerRun(200, serve); n > tt.max {
				t.Errorf("%v allocations per request, want at most %v", n, tt.max)
			}
		})
	}
}

// The refusal body names the violated policy as encoding/json would.
func TestRefusalBody(t *testing.T) {
	l, err := New(Config{Policies: []Policy{{Name: "tiny", Limit: 1, Window: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(okHandler)
	r := benchRequest()
	r.RemoteAddr = "192.0.2.8:1234"
	w := &bodyWriter{benchWriter: benchWriter{h: make(http.Header)}}
	h.ServeHTTP(w, r)
	w.body = nil
	h.ServeHTTP(w, r)
	var got struct {
		Error struct {
			Code     string   `json:"code"`
			Violated []string `json:"violated-policies"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.body, &got); err != nil {
		t.Fatalf("body %q: %v", w.body, err)
	}
	if got.Error.Code != "rate_limited" || len(got.Error.Violated) != 1 || got.Error.Violated[0] != "tiny" {
		t.Errorf("body %s: got code %q, violated %q; want rate_limited, [tiny]", w.body, got.Error.Code, got.Error.Violated)
	}
}

type bodyWriter struct {
	benchWriter
	body []byte
}

func (w *bodyWriter) Write(p []byte) (int, error) { w.body = append(w.body, p...); return len(p), nil }

// TestFieldValueLengths: values short enough to share the one allocation
// and values longer than its bytes come out the same, request after
// request.
func TestFieldValueLengths(t *testing.T) {
	for _, name := range []string{"d", "default", strings.Repeat("n", 20), strings.Repeat("long", 40)} {
		l, err := New(Config{Policies: []Policy{{Name: name, Limit: 1_000_000, Window: time.Hour}}})
		if err != nil {
			t.Fatal(err)
		}
		h := l.Handler(okHandler)
		for i := 0; i < 3; i++ {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			h.ServeHTTP(w, r)
			want := `"` + name + `";r=` + strconv.Itoa(999_999-i) + ";t=1"
			if got := w.Header().Get("RateLimit"); got != want {
				t.Errorf("name of %d bytes, request %d: RateLimit %q, want %q", len(name), i, got, want)
			}
		}
	}
}
