package ratelimit_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/ratelimit"
)

// TestErrorHandlerSeesEveryFailure checks that every refusal the Limiter
// answers goes through Config.ErrorHandler, once, and nothing else is
// written: the response is the custom handler's own. (Store failures
// with fail-closed handling are checked in TestStoreFailure.)
func TestErrorHandlerSeesEveryFailure(t *testing.T) {
	policies := []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Minute}}
	tests := []struct {
		name     string
		cfg      ratelimit.Config
		requests int // the last one is refused
		prepare  func(*ratelimit.Limiter)
		want     error
		status   int
	}{
		{"rate limited", ratelimit.Config{Policies: policies}, 2, nil, ratelimit.ErrRateLimited, 429},
		{"no key", ratelimit.Config{Policies: policies,
			Key: func(*http.Request) (string, error) { return "", errors.New("no address") }},
			1, nil, ratelimit.ErrInvalidKey, 400},
		{"cost above burst", ratelimit.Config{Policies: policies, Cost: func(*http.Request) int64 { return 5 }},
			1, nil, ratelimit.ErrCostTooHigh, 0},
		{"unknown plan", ratelimit.Config{Policies: policies, Plans: map[string][]ratelimit.Policy{"gold": policies},
			Plan: func(*http.Request) (string, error) { return "tin", nil }},
			1, nil, ratelimit.ErrUnknownPlan, 0},
		{"reduced capacity", ratelimit.Config{Policies: policies}, 1,
			func(l *ratelimit.Limiter) { l.ReduceCapacity(time.Minute) }, ratelimit.ErrReducedCapacity, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []error
			cfg := tt.cfg
			cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				got = append(got, err)
				w.WriteHeader(499)
			}
			l := newLimiter(t, cfg)
			if tt.prepare != nil {
				tt.prepare(l)
			}
			h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
			var rec *httptest.ResponseRecorder
			for range tt.requests {
				rec = httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/", nil)
				req.RemoteAddr = "192.0.2.7:1234"
				h.ServeHTTP(rec, req)
			}
			if len(got) != 1 {
				t.Fatalf("ErrorHandler called %d times (%v), want once", len(got), got)
			}
			if rec.Code != 499 || rec.Body.Len() != 0 {
				t.Errorf("response %d %q, want the ErrorHandler's 499 and nothing else", rec.Code, rec.Body.String())
			}
			if !apierrors.Is(got[0], tt.want) {
				t.Errorf("ErrorHandler got %v, want %v", got[0], tt.want)
			}
			if tt.status != 0 {
				var e *apierrors.Error
				if !apierrors.As(got[0], &e) || e.Status != tt.status {
					t.Errorf("ErrorHandler got %#v, want an *errors.Error with status %d", got[0], tt.status)
				}
			}
		})
	}
}
