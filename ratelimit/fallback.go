package ratelimit

import "context"

// This file holds what a Limiter does while its shared store fails: when
// it stops asking the store (FailAfter), and the share of each quota a
// replica enforces on its own (Replicas).

// defaultFailAfter is the number of consecutive store failures after
// which a Limiter stops asking the store for StoreRetry.
const defaultFailAfter = 3

// localPolicies returns the policies a replica enforces with FailLocal:
// each Limit and Burst divided by replicas, rounded down, at least 1, so
// that replicas deciding alone admit together no more than the shared
// quota (see Config.Replicas).
func localPolicies(policies []Policy, replicas int) []Policy {
	out := append([]Policy(nil), policies...)
	if replicas <= 1 {
		return out
	}
	r := int64(replicas)
	for i := range out {
		p := &out[i]
		burst := p.MaxBurst()
		p.Limit = max(p.Limit/r, 1)
		p.Burst = max(burst/r, 1)
	}
	return out
}

// failed records one store failure and reports whether the Limiter
// should now leave the store alone for StoreRetry: after FailAfter
// failures in a row.
func (l *Limiter) failed() bool {
	return l.consecutive.Add(1) >= l.failAfter
}

// mirror spends cost units of key in the fallback after the shared store
// admitted them, so that the fallback starts where this replica stands:
// a replica that has spent its share through the shared store has nothing
// left to spend alone when the store fails. What the fallback refuses is
// not counted; nothing is reported.
func (l *Limiter) mirror(ctx context.Context, key string, cost int64) {
	if m, ok := l.fallback.(*MemoryStore); ok {
		var res [MaxPolicies]Result
		m.take(key, l.local, l.localIntervals, cost, res[:len(l.local)])
		return
	}
	var d Decision
	_, _ = take(ctx, l.fallback, key, l.local, cost, &d)
}

// succeeded records one store success.
func (l *Limiter) succeeded() {
	if l.consecutive.Load() != 0 {
		l.consecutive.Store(0)
	}
}
