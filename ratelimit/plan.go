package ratelimit

import (
	"context"
	stderrors "errors"
	"net/http"
	"sort"

	apierrors "github.com/restwell/restwell/errors"
)

// ErrUnknownPlan is the cause of the 500 the middleware writes when
// Config.Plan fails or names a plan that Config.Plans does not have: a
// server-side fault, never the client's.
var ErrUnknownPlan = stderrors.New("ratelimit: unknown plan")

// A PlanFunc returns the plan of a request: a key of Config.Plans, or ""
// for Config.Policies. It typically looks at what an authentication
// middleware put in the request's context.
type PlanFunc func(*http.Request) (string, error)

// planKeySep separates a plan's name from the client key in store keys,
// so that each plan counts a client on its own and two plans never share
// state. No plan name contains it (names are printable ASCII).
const planKeySep = "\x00"

// newPlans builds one Limiter per plan, sharing l's store, fallback and
// logger, and the Limiter of the default plan, Config.Policies.
func (l *Limiter) newPlans(cfg Config) error {
	if cfg.Plan == nil {
		return stderrors.New("ratelimit: Plans requires a Plan function")
	}
	names := make([]string, 0, len(cfg.Plans))
	for name := range cfg.Plans {
		if name == "" || !validPlanName(name) {
			return stderrors.New("ratelimit: plan names must be non-empty printable ASCII")
		}
		names = append(names, name)
	}
	sort.Strings(names) // deterministic errors
	sub := cfg
	sub.Plans, sub.Plan = nil, nil
	sub.Store, sub.Fallback, sub.Logger = l.store, l.fallback, l.logger
	sub.ErrorHandler, sub.Key = l.errorHandler, l.key
	def, err := New(sub)
	if err != nil {
		return err
	}
	def.reduced = l.reduced
	l.plans = map[string]*Limiter{"": def}
	for _, name := range names {
		sub.Policies = cfg.Plans[name]
		prefix := name + planKeySep
		key := l.key
		sub.Key = func(r *http.Request) (string, error) {
			k, err := key(r)
			if err != nil || k == "" {
				return k, err
			}
			return prefix + k, nil
		}
		p, err := New(sub)
		if err != nil {
			return err
		}
		p.planPrefix, p.reduced = prefix, l.reduced
		l.plans[name] = p
	}
	l.plan = cfg.Plan
	return nil
}

func validPlanName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// planHandler dispatches each request to the Limiter of its plan.
func (l *Limiter) planHandler(next http.Handler) http.Handler {
	handlers := make(map[string]http.Handler, len(l.plans))
	for name, p := range l.plans {
		handlers[name] = p.Handler(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, err := l.plan(r)
		h, ok := handlers[name]
		if err != nil || !ok {
			l.errorHandler(w, r, planError(err))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func planError(cause error) error {
	err := ErrUnknownPlan
	if cause != nil {
		err = &wrapped{ErrUnknownPlan, cause}
	}
	return &apierrors.Error{
		Status:  http.StatusInternalServerError,
		Code:    "internal",
		Message: "internal error",
		Err:     err,
	}
}

// AllowPlan decides one request of n units for key under the policies of
// plan, a key of Config.Plans or "" for Config.Policies; see AllowN. The
// Decision's Results follow the order of that plan's policies. An unknown
// plan returns ErrUnknownPlan.
func (l *Limiter) AllowPlan(ctx context.Context, plan, key string, n int64) (Decision, error) {
	p := l
	if plan != "" || l.plans != nil {
		var ok bool
		if p, ok = l.plans[plan]; !ok {
			return Decision{index: -1}, ErrUnknownPlan
		}
	}
	if key != "" {
		key = p.planPrefix + key
	}
	return p.AllowN(ctx, key, n)
}

// PlanPolicies returns a copy of the policies of plan ("" for
// Config.Policies), or nil for an unknown plan.
func (l *Limiter) PlanPolicies(plan string) []Policy {
	if plan == "" && l.plans == nil {
		return l.Policies()
	}
	if p, ok := l.plans[plan]; ok {
		return p.Policies()
	}
	return nil
}
