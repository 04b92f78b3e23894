package ratelimit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/sfv"
	"github.com/restwell/restwell/ratelimit"
)

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

func newLimiter(t testing.TB, cfg ratelimit.Config) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func get(h http.Handler, remote string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/items", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// checkFields parses every RateLimit* field of a response with the RFC
// 9651 parser and checks the draft's shape: lists of string items with
// integer parameters (q, w > 0 for policies; r, t >= 0 for limits), and a
// Retry-After in delay-seconds no earlier than t.
func checkFields(t *testing.T, h http.Header) {
	t.Helper()
	for _, name := range []string{"RateLimit-Policy", "RateLimit"} {
		vals := h.Values(name)
		if len(vals) == 0 {
			continue
		}
		list, err := sfv.ParseList(vals[0])
		if err != nil || len(list) == 0 {
			t.Errorf("%s: %q is not a non-empty sf-list: %v", name, vals[0], err)
			continue
		}
		for _, m := range list {
			if _, ok := m.Value.(string); !ok || m.Inner != nil {
				t.Errorf("%s: member %v is not an sf-string item", name, m.Value)
			}
			for _, p := range m.Params {
				if p.Key == "qu" {
					if _, ok := p.Value.(string); !ok {
						t.Errorf("%s: parameter qu=%v is not an sf-string", name, p.Value)
					}
					continue
				}
				n, ok := p.Value.(int64)
				if !ok || n < 0 {
					t.Errorf("%s: parameter %s=%v is not a non-negative integer", name, p.Key, p.Value)
				}
			}
			want := []string{"q", "w"}
			if qu, _ := m.Param("qu"); qu == ratelimit.UnitConcurrentRequests {
				want = []string{"q"} // no window applies to requests in progress
			}
			if name == "RateLimit" {
				want = []string{"r", "t"}
			}
			for _, k := range want {
				if _, ok := m.Param(k); !ok {
					t.Errorf("%s: %q lacks parameter %s", name, vals[0], k)
				}
			}
		}
	}
	if ra := h.Get("Retry-After"); ra != "" {
		n, err := strconv.ParseInt(ra, 10, 64)
		if err != nil || n < 1 {
			t.Errorf("Retry-After %q is not delay-seconds >= 1", ra)
		}
		if rl := h.Get("RateLimit"); rl != "" {
			list, _ := sfv.ParseList(rl)
			if len(list) > 0 {
				if tv, _ := list[0].Param("t"); tv.(int64) > n {
					t.Errorf("Retry-After %d is earlier than t=%d", n, tv)
				}
			}
		}
	}
}

func TestHeadersScripted(t *testing.T) {
	clock := newFakeClock()
	store := newStore(t, ratelimit.MemoryConfig{Now: clock.Now})
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{
			{Name: "burst", Limit: 2, Window: time.Second},
			{Name: "default", Limit: 5, Window: time.Minute},
		},
		Store: store,
	})
	h := l.Handler(ok200)
	const policy = `"burst";q=2;w=1, "default";q=5;w=60`
	steps := []struct {
		advance   time.Duration
		status    int
		rateLimit string
		retry     string
	}{
		{0, 200, `"burst";r=1;t=1`, ""},
		{0, 200, `"burst";r=0;t=1`, ""},
		{0, 429, `"burst";r=0;t=1`, "1"},
		{time.Second, 200, `"burst";r=1;t=1`, ""},
		{0, 200, `"burst";r=0;t=1`, ""},
		{time.Second, 200, `"default";r=0;t=10`, ""},
		{0, 429, `"default";r=0;t=10`, "10"},
		{9500 * time.Millisecond, 429, `"default";r=0;t=1`, "1"},
		{500 * time.Millisecond, 200, `"default";r=0;t=12`, ""},
		{0, 429, `"default";r=0;t=12`, "12"},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		w := get(h, "192.0.2.1:1234")
		checkFields(t, w.Header())
		if w.Code != s.status {
			t.Errorf("step %d: status %d, want %d", i, w.Code, s.status)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != policy {
			t.Errorf("step %d: RateLimit-Policy %q, want %q", i, got, policy)
		}
		if got := w.Header().Get("RateLimit"); got != s.rateLimit {
			t.Errorf("step %d: RateLimit %q, want %q", i, got, s.rateLimit)
		}
		if got := w.Header().Get("Retry-After"); got != s.retry {
			t.Errorf("step %d: Retry-After %q, want %q", i, got, s.retry)
		}
		if w.Header().Get("X-RateLimit-Limit") != "" {
			t.Errorf("step %d: legacy headers without LegacyHeaders", i)
		}
	}
}

func TestDeniedBody(t *testing.T) {
	policies := []ratelimit.Policy{{Name: "burst", Limit: 1, Window: time.Second}, {Name: "daily", Limit: 1, Window: 24 * time.Hour}}
	for _, format := range []apierrors.Format{apierrors.Envelope, apierrors.Problem} {
		var got error
		l := newLimiter(t, ratelimit.Config{Policies: policies})
		h := (&apierrors.Renderer{Format: format}).Handler(l.Handler(ok200))
		get(h, "192.0.2.1:1")
		w := get(h, "192.0.2.1:1")
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("format %d: status %d, want 429", format, w.Code)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("format %d: body %s: %v", format, w.Body, err)
		}
		m := body
		if format == apierrors.Envelope {
			m, _ = body["error"].(map[string]any)
		} else {
			if body["type"] != ratelimit.QuotaExceededType || body["status"] != float64(429) || body["title"] != "Quota Exceeded" {
				t.Errorf("problem: type %v status %v title %v", body["type"], body["status"], body["title"])
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("problem: Content-Type %q", ct)
			}
		}
		if m["code"] != "rate_limited" {
			t.Errorf("format %d: code %v, want rate_limited", format, m["code"])
		}
		v, _ := json.Marshal(m["violated-policies"])
		if string(v) != `["burst","daily"]` {
			t.Errorf("format %d: violated-policies %s, want [\"burst\",\"daily\"]", format, v)
		}
		// The error handler sees ErrRateLimited.
		l2 := newLimiter(t, ratelimit.Config{Policies: policies, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			apierrors.Write(w, r, err)
		}})
		h2 := l2.Handler(ok200)
		get(h2, "192.0.2.1:1")
		get(h2, "192.0.2.1:1")
		if !apierrors.Is(got, ratelimit.ErrRateLimited) {
			t.Errorf("ErrorHandler got %v, want ErrRateLimited", got)
		}
	}
}

func TestLegacyHeaders(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, ratelimit.Config{
		Policies:      []ratelimit.Policy{{Name: "default", Limit: 3, Window: time.Minute}},
		Store:         newStore(t, ratelimit.MemoryConfig{Now: clock.Now}),
		LegacyHeaders: true,
	})
	h := l.Handler(ok200)
	want := [][3]string{{"3", "2", "20"}, {"3", "1", "20"}, {"3", "0", "20"}, {"3", "0", "20"}}
	for i, wv := range want {
		w := get(h, "192.0.2.1:1")
		got := [3]string{w.Header().Get("X-RateLimit-Limit"), w.Header().Get("X-RateLimit-Remaining"), w.Header().Get("X-RateLimit-Reset")}
		if got != wv {
			t.Errorf("request %d: legacy %v, want %v", i+1, got, wv)
		}
	}
}

func TestKeyFailure(t *testing.T) {
	policies := []ratelimit.Policy{{Name: "p", Limit: 2, Window: time.Hour}}
	failing := func(r *http.Request) (string, error) {
		if k := r.Header.Get("Key"); k != "" {
			return k, nil
		}
		if r.Header.Get("Fail") != "" {
			return "", apierrors.New("no key")
		}
		return "", nil
	}
	t.Run("reject", func(t *testing.T) {
		var got error
		l := newLimiter(t, ratelimit.Config{Policies: policies, Key: failing, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			apierrors.Write(w, r, err)
		}})
		h := l.Handler(ok200)
		for _, hdr := range [][]string{{"Fail", "1"}, {}} {
			w := get(h, "192.0.2.1:1", hdr...)
			if w.Code != http.StatusBadRequest {
				t.Errorf("%v: status %d, want 400", hdr, w.Code)
			}
			var body struct{ Error struct{ Code string } }
			json.Unmarshal(w.Body.Bytes(), &body)
			if body.Error.Code != "client_key_invalid" {
				t.Errorf("%v: code %q, want client_key_invalid", hdr, body.Error.Code)
			}
			if !apierrors.Is(got, ratelimit.ErrInvalidKey) {
				t.Errorf("%v: error %v, want ErrInvalidKey", hdr, got)
			}
		}
		if _, err := l.Allow(context.Background(), ""); !apierrors.Is(err, ratelimit.ErrInvalidKey) {
			t.Errorf("Allow(\"\"): %v, want ErrInvalidKey", err)
		}
	})
	t.Run("shared", func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Policies: policies, Key: failing, KeyFailure: ratelimit.SharedBucket})
		h := l.Handler(ok200)
		codes := []int{
			get(h, "192.0.2.1:1", "Fail", "1").Code,
			get(h, "192.0.2.2:1").Code,
			get(h, "192.0.2.3:1", "Fail", "1").Code,
			get(h, "192.0.2.4:1", "Key", "someone").Code,
		}
		if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 || codes[3] != 200 {
			t.Errorf("statuses %v, want [200 200 429 200]: unidentified requests share one bucket", codes)
		}
		if d, err := l.Allow(context.Background(), ""); err != nil || d.Allowed {
			t.Errorf("Allow(\"\"): %+v, %v; want the shared bucket, exhausted", d, err)
		}
	})
}
