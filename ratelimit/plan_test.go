package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

func planLimiter(t *testing.T) *ratelimit.Limiter {
	t.Helper()
	return newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "anon", Limit: 2, Window: time.Minute}},
		Plans: map[string][]ratelimit.Policy{
			"free": {{Name: "free", Limit: 3, Window: time.Minute}},
			"pro":  {{Name: "pro-burst", Limit: 5, Window: time.Second}, {Name: "pro", Limit: 600, Window: time.Minute}},
		},
		Plan: func(r *http.Request) (string, error) {
			if p := r.Header.Get("X-Plan"); p != "broken" {
				return p, nil
			}
			return "", errors.New("plan lookup failed")
		},
		ErrorHandler: quiet.Write,
	})
}

func planGet(h http.Handler, plan string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.9:1"
	if plan != "" {
		r.Header.Set("X-Plan", plan)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestPlans: each request is limited by its plan's policies, which are the
// only ones RateLimit-Policy lists, and each plan counts a client alone.
func TestPlans(t *testing.T) {
	h := planLimiter(t).Handler(ok200)
	steps := []struct {
		plan       string
		code       int
		policy, rl string
	}{
		{"free", 200, `"free";q=3;w=60`, `"free";r=2;t=20`},
		{"free", 200, `"free";q=3;w=60`, `"free";r=1;t=20`},
		{"pro", 200, `"pro-burst";q=5;w=1, "pro";q=600;w=60`, `"pro-burst";r=4;t=1`},
		{"free", 200, `"free";q=3;w=60`, `"free";r=0;t=20`},
		{"free", 429, `"free";q=3;w=60`, `"free";r=0;t=20`},
		{"", 200, `"anon";q=2;w=60`, `"anon";r=1;t=30`},
		{"pro", 200, `"pro-burst";q=5;w=1, "pro";q=600;w=60`, `"pro-burst";r=3;t=1`},
	}
	for i, s := range steps {
		w := planGet(h, s.plan)
		if w.Code != s.code || w.Header().Get("RateLimit-Policy") != s.policy || w.Header().Get("RateLimit") != s.rl {
			t.Errorf("step %d (plan %q): %d %q %q; want %d %q %q", i, s.plan, w.Code,
				w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"), s.code, s.policy, s.rl)
		}
	}
	for _, plan := range []string{"gold", "broken"} {
		w := planGet(h, plan)
		if w.Code != 500 || w.Header().Get("RateLimit-Policy") != "" || strings.Contains(w.Body.String(), "lookup") {
			t.Errorf("plan %q: %d %v %s; want a 500 without rate fields or the cause", plan, w.Code, w.Header(), w.Body)
		}
	}
}

func TestAllowPlan(t *testing.T) {
	l := planLimiter(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if d, err := l.AllowPlan(ctx, "free", "k", 1); err != nil || !d.Allowed {
			t.Fatalf("free request %d: %+v %v", i, d, err)
		}
	}
	if d, err := l.AllowPlan(ctx, "free", "k", 1); err != nil || d.Allowed {
		t.Errorf("free request 4: %+v %v; want refused", d, err)
	}
	d, err := l.AllowPlan(ctx, "pro", "k", 1)
	if err != nil || !d.Allowed || len(d.Results()) != 2 || d.Results()[0].Remaining != 4 {
		t.Errorf("pro: %+v %v; want admitted with two results", d, err)
	}
	if _, err := l.AllowPlan(ctx, "gold", "k", 1); !errors.Is(err, ratelimit.ErrUnknownPlan) {
		t.Errorf("unknown plan: %v, want ErrUnknownPlan", err)
	}
	if got := l.PlanPolicies("pro"); len(got) != 2 || got[1].Name != "pro" {
		t.Errorf("PlanPolicies(pro) = %+v", got)
	}
	if got := l.PlanPolicies("gold"); got != nil {
		t.Errorf("PlanPolicies(gold) = %+v, want nil", got)
	}
}

func TestPlansConfigErrors(t *testing.T) {
	p := []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Second}}
	plan := func(*http.Request) (string, error) { return "", nil }
	cases := []struct {
		name string
		cfg  ratelimit.Config
	}{
		{"no Plan", ratelimit.Config{Policies: p, Plans: map[string][]ratelimit.Policy{"a": p}}},
		{"empty plan name", ratelimit.Config{Policies: p, Plan: plan, Plans: map[string][]ratelimit.Policy{"": p}}},
		{"plan without policies", ratelimit.Config{Policies: p, Plan: plan, Plans: map[string][]ratelimit.Policy{"a": nil}}},
		{"bad plan policy", ratelimit.Config{Policies: p, Plan: plan, Plans: map[string][]ratelimit.Policy{"a": {{Name: "x"}}}}},
	}
	for _, c := range cases {
		if _, err := ratelimit.New(c.cfg); err == nil || !strings.HasPrefix(err.Error(), "ratelimit: ") {
			t.Errorf("%s: error %v, want one prefixed ratelimit: ", c.name, err)
		}
	}
}
