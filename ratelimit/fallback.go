package ratelimit

import (
	"context"
	stderrors "errors"
	"sync/atomic"
	"time"
)

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

// Defaults of Config.FailRate and Config.FailWindow, and the fewest store
// calls in the window for which a failure rate counts.
const (
	defaultFailRate   = 0.5
	defaultFailWindow = 10 * time.Second
	failMinCalls      = 20
	failBuckets       = 10
)

// A ReplicaCounter is a Store that learns how many processes share it,
// as the Redis store of github.com/restwell/restwell/redisstore does
// from heartbeats. With FailLocal and Config.Replicas zero, a Limiter on
// such a store divides each quota by the last count it reported while
// the store fails.
type ReplicaCounter interface {
	// Replicas returns the number of processes seen sharing the store,
	// this one included, from the last time the store could tell; 0 when
	// it never could. It must not block.
	Replicas() int
}

// localSet is the fallback's share of the policies for one number of
// replicas.
type localSet struct {
	replicas int
	policies []Policy
}

func newLocalSet(policies []Policy, replicas int) *localSet {
	return &localSet{replicas: replicas, policies: localPolicies(policies, replicas)}
}

// fallbackPolicies returns the policies the fallback enforces now: those
// of Config.Replicas, or of the store's last count of replicas.
func (l *Limiter) fallbackPolicies() []Policy {
	if l.learned == nil {
		return l.local
	}
	n := max(l.learned.Replicas(), 1)
	ls := l.learnedSet.Load()
	if ls == nil || ls.replicas != n {
		ls = newLocalSet(l.policies, n)
		l.learnedSet.Store(ls)
	}
	return ls.policies
}

// failed records one store failure and reports whether the Limiter
// should now leave the store alone for StoreRetry: after FailAfter
// failures in a row, or when more than FailRate of the calls of the last
// FailWindow failed.
func (l *Limiter) failed() bool {
	now := l.since()
	l.window.fail(now)
	return l.consecutive.Add(1) >= l.failAfter || l.window.exceeded(now)
}

// succeeded records one store success. While the store works it costs
// two loads that every core can keep in its cache: no clock reading and
// no shared write.
func (l *Limiter) succeeded() {
	if l.window.counting.Load() {
		l.window.succeed(l.since())
	}
	if l.consecutive.Load() != 0 {
		l.consecutive.Store(0)
	}
}

// failWindow counts store calls and failures over a sliding window of
// failBuckets buckets, without locks. A bucket is reset by the first call
// that finds it from an earlier round; calls racing with the reset may be
// lost, so the rate is approximate, which is all a switch needs.
//
// Successes are counted only from the first failure in the window on,
// while one lies within it: a store that works costs no bookkeeping, and
// a rate is only ever wanted once failures come.
type failWindow struct {
	span     int64        // nanoseconds per bucket
	rate     float64      // Config.FailRate
	counting atomic.Bool  // a failure lies within the window
	lastFail atomic.Int64 // the bucket round of the last failure
	buckets  [failBuckets]failBucket
}

// fail records a failed call at now.
func (w *failWindow) fail(now int64) {
	w.lastFail.Store(now / w.span)
	if !w.counting.Load() {
		w.counting.Store(true)
	}
	w.record(now, true)
}

// succeed records a successful call at now, or stops counting when the
// last failure has left the window.
func (w *failWindow) succeed(now int64) {
	if now/w.span-w.lastFail.Load() < failBuckets {
		w.record(now, false)
		return
	}
	if w.counting.CompareAndSwap(true, false) && now/w.span-w.lastFail.Load() < failBuckets {
		w.counting.Store(true) // a failure came meanwhile
	}
}

type failBucket struct {
	epoch atomic.Int64 // the bucket's round: time since base / span
	calls atomic.Int64
	fails atomic.Int64
}

func newFailWindow(cfg Config) (*failWindow, error) {
	if cfg.FailRate < 0 || cfg.FailWindow < 0 {
		return nil, stderrors.New("ratelimit: FailRate and FailWindow must not be negative")
	}
	w := &failWindow{rate: cfg.FailRate, span: int64(cfg.FailWindow) / failBuckets}
	if w.rate == 0 {
		w.rate = defaultFailRate
	}
	if cfg.FailWindow == 0 {
		w.span = int64(defaultFailWindow) / failBuckets
	}
	w.span = max(w.span, 1)
	for i := range w.buckets {
		w.buckets[i].epoch.Store(-1)
	}
	return w, nil
}

func (w *failWindow) record(now int64, failed bool) {
	e := now / w.span
	b := &w.buckets[e%failBuckets]
	if old := b.epoch.Load(); old != e && b.epoch.CompareAndSwap(old, e) {
		b.calls.Store(0)
		b.fails.Store(0)
	}
	b.calls.Add(1)
	if failed {
		b.fails.Add(1)
	}
}

// exceeded reports whether more than rate of at least failMinCalls calls
// in the window failed.
func (w *failWindow) exceeded(now int64) bool {
	e := now / w.span
	var calls, fails int64
	for i := range w.buckets {
		b := &w.buckets[i]
		if ep := b.epoch.Load(); ep <= e && ep > e-failBuckets {
			calls += b.calls.Load()
			fails += b.fails.Load()
		}
	}
	return calls >= failMinCalls && float64(fails) > w.rate*float64(calls)
}

// mirror spends cost units of key in the fallback after the shared store
// admitted them, so that the fallback starts where this replica stands:
// a replica that has spent its share through the shared store has nothing
// left to spend alone when the store fails. What the fallback refuses is
// not counted; nothing is reported.
func (l *Limiter) mirror(ctx context.Context, key string, cost int64) {
	var d Decision
	local := l.fallbackPolicies()
	_, _ = take(ctx, l.fallback, key, local, cost, &d)
}
