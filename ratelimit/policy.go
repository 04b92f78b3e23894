package ratelimit

import (
	stderrors "errors"
	"strconv"
	"time"

	"github.com/restwell/restwell/internal/sfv"
)

// MaxPolicies is the most policies one Limiter, and one Store call, may
// have.
const MaxPolicies = 8

// maxCapacity bounds Burst times the emission interval (about 146 years),
// so that no GCRA computation can overflow an int64 of nanoseconds.
const maxCapacity = int64(1) << 62

// A Policy is one named quota: Limit units per Window, of which Burst may
// be spent at once.
//
// Policies use GCRA (the generic cell rate algorithm): one unit of quota
// comes back every Window/Limit (the emission interval), continuously
// rather than at window boundaries, and a client that has been idle long
// enough may spend Burst units at once. Over any interval of length d a
// key is therefore admitted at most Burst + Limit*d/Window units, and
// never more than Limit*d/Window in the long run.
//
// A Policy is advertised to clients in the RateLimit-Policy field as
// "Name";q=Limit;w=Window-in-seconds.
type Policy struct {
	// Name identifies the policy in the RateLimit and RateLimit-Policy
	// fields, in the violated-policies member of a 429 body and in store
	// keys. Required; printable ASCII; unique within a Limiter.
	Name string
	// Limit is the number of units (requests, at the default cost of 1)
	// a key may spend per Window. Required, > 0.
	Limit int64
	// Window is the period Limit applies to. Required: a whole number of
	// seconds, at least one, because the RateLimit-Policy field has no
	// sub-second precision.
	Window time.Duration
	// Burst is the number of units a key that has been idle for at least
	// Window may spend at once. Zero means Limit.
	Burst int64
	// Unit is what Limit counts, advertised as the qu parameter of
	// RateLimit-Policy when it is not requests: UnitContentBytes (with a
	// Config.Cost that returns sizes), UnitConcurrentRequests (Limit
	// requests in progress at once, Window the lease of a slot; see
	// there) or another unit of the draft's registry. Printable ASCII.
	// Empty means UnitRequests, not advertised.
	Unit string
}

// Interval returns the emission interval Window/Limit, rounded up to the
// nanosecond: the time one unit of quota takes to come back. It is zero
// for a policy with no Limit.
func (p Policy) Interval() time.Duration {
	if p.Limit <= 0 || p.Window <= 0 {
		return 0
	}
	return time.Duration((int64(p.Window) + p.Limit - 1) / p.Limit)
}

// MaxBurst returns Burst, or Limit when Burst is zero.
func (p Policy) MaxBurst() int64 {
	if p.Burst == 0 {
		return p.Limit
	}
	return p.Burst
}

// errPolicy is wrapped by every policy validation error.
var errPolicy = stderrors.New("invalid policy")

// Validate reports whether p can be used: a printable ASCII name, a
// positive Limit, a Window of whole seconds and a Burst that is not
// negative and keeps Burst*Interval within about 146 years.
func (p Policy) Validate() error {
	switch {
	case p.Name == "" || !sfv.ValidString(p.Name):
		return policyError(p, "name must be non-empty printable ASCII")
	case p.Limit <= 0:
		return policyError(p, "limit must be positive")
	case p.Window < time.Second || p.Window%time.Second != 0:
		return policyError(p, "window must be a whole number of seconds, at least 1s")
	case p.Burst < 0:
		return policyError(p, "burst must not be negative")
	case p.Unit != "" && !sfv.ValidString(p.Unit):
		return policyError(p, "unit must be printable ASCII")
	case p.concurrent() && p.Burst != 0 && p.Burst != p.Limit:
		return policyError(p, "a concurrency limit has no burst: Burst must be 0 or Limit")
	}
	if t := int64(p.Interval()); p.MaxBurst() > maxCapacity/t {
		return policyError(p, "burst times window/limit is too large")
	}
	return nil
}

func policyError(p Policy, msg string) error {
	return &policyErr{name: p.Name, msg: msg}
}

type policyErr struct{ name, msg string }

func (e *policyErr) Error() string {
	return "ratelimit: policy " + strconv.Quote(e.name) + ": " + e.msg
}

func (e *policyErr) Unwrap() error { return errPolicy }

// checkPolicies validates a policy list as a Store receives it.
func checkPolicies(policies []Policy) error {
	if len(policies) == 0 || len(policies) > MaxPolicies {
		return stderrors.New("ratelimit: between 1 and " + strconv.Itoa(MaxPolicies) + " policies are required")
	}
	for i := range policies {
		if err := policies[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// advertisable reports whether p's quota and window fit the sf-integers
// of the RateLimit-Policy field, so that q and w are never understated.
func advertisable(p Policy) error {
	if p.Limit > sfv.MaxInteger || int64(p.Window/time.Second) > sfv.MaxInteger {
		return policyError(p, "limit and window in seconds must be at most "+strconv.FormatInt(sfv.MaxInteger, 10)+", the largest integer RateLimit-Policy can carry")
	}
	return nil
}
