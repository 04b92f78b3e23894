package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// This file holds concurrency limits: policies whose unit is
// UnitConcurrentRequests, the slots a request holds while its handler
// runs, and how the memory store keeps them.

// UnitConcurrentRequests is the quota unit of a concurrency limit: a
// policy with this Unit allows Limit requests of one key in progress at
// once, rather than Limit requests per Window. The middleware holds a
// slot from the decision until the handler returns (or panics): one slot
// for each request of positive cost, whatever Config.Cost says; a free
// request (cost 0) holds none.
//
// Window is then the lease of a slot: the longest a slot stays held when
// its release never comes (the process died, the store was unreachable
// when the handler returned). Set it above the longest a handler may run:
// a handler that runs longer than Window loses its slot to another
// request, so more than Limit requests may run at once. Burst must be
// zero or Limit. The policy is advertised without w, as
// "name";q=Limit;qu="concurrent-requests".
const UnitConcurrentRequests = "concurrent-requests"

// concurrent reports whether p limits requests in progress.
func (p *Policy) concurrent() bool { return p.Unit == UnitConcurrentRequests }

// hasConcurrent reports whether any of policies limits requests in
// progress.
func hasConcurrent(policies []Policy) bool {
	for i := range policies {
		if policies[i].concurrent() {
			return true
		}
	}
	return false
}

// slotRetry is the Reset and RetryAfter of a concurrency policy: a slot
// comes back when a request ends, which no store can foresee, and one
// second is the least the RateLimit and Retry-After fields can say.
const slotRetry = time.Second

// A Lease is the slots one admitted request holds under the concurrency
// policies of a Limiter. The zero Lease holds nothing. Release it once,
// when the work the slots stand for is done.
type Lease struct {
	lim      *Limiter
	store    Store
	key      string
	policies []Policy
	id       uint64
}

// Held reports whether l holds slots: whether Release has work to do.
func (l Lease) Held() bool { return l.lim != nil }

// Release gives the slots back. It is a no-op on a zero Lease. An error
// (the store is unreachable) is logged and returned; the store frees the
// slots by itself once the policies' Window has passed.
func (l Lease) Release(ctx context.Context) (err error) {
	if l.lim == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ratelimit: store panicked: %v", p)
		}
		if err != nil {
			l.lim.logFailure(ctx, err)
		}
	}()
	return l.store.Release(ctx, l.key, l.policies, l.id)
}

// Acquire decides one request of n units for key, like AllowN, and when
// it is admitted also holds one slot of every concurrency policy until
// the returned Lease is released. A Limiter without concurrency policies
// returns a zero Lease. With FailOpen a request admitted because the
// store failed holds no slot; with FailLocal it holds one in the
// fallback.
func (l *Limiter) Acquire(ctx context.Context, key string, n int64) (Decision, Lease, error) {
	d := Decision{index: -1}
	if key == "" {
		if l.keyFailure == RejectRequest {
			l.observeInvalidKey(ctx, false)
			return d, Lease{}, ErrInvalidKey
		}
		key = SharedKey
	}
	if !l.concurrent {
		start := l.observeStart()
		err := l.decide(ctx, key, max(n, 0), &d)
		l.observeDecision(ctx, &d, err, start, false)
		return d, Lease{}, err
	}
	start := l.observeStart()
	lease, err := l.acquire(ctx, key, max(n, 0), &d)
	l.observeDecision(ctx, &d, err, start, false)
	return d, lease, err
}

// AcquirePlan is Acquire under the policies of plan, a key of
// Config.Plans or "" for Config.Policies, as AllowPlan is AllowN. An
// unknown plan returns ErrUnknownPlan.
func (l *Limiter) AcquirePlan(ctx context.Context, plan, key string, n int64) (Decision, Lease, error) {
	p := l
	if plan != "" || l.plans != nil {
		var ok bool
		if p, ok = l.plans[plan]; !ok {
			return Decision{index: -1}, Lease{}, ErrUnknownPlan
		}
	}
	if key != "" {
		key = p.planPrefix + key
	}
	return p.Acquire(ctx, key, n)
}

// acquire is decide for a Limiter with concurrency policies.
func (l *Limiter) acquire(ctx context.Context, key string, cost int64, d *Decision) (Lease, error) {
	d.index, d.key = -1, key
	if cost > l.minBurst {
		return Lease{}, ErrCostTooHigh
	}
	id := rand.Uint64() | 1
	store, policies := l.store, l.policies
	allowed, err := l.storeAcquire(ctx, key, cost, id, d)
	if err != nil {
		l.logFailure(ctx, err)
		d.StoreFailed = true
		switch l.mode {
		case FailClosed:
			return Lease{}, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
		case FailLocal:
			store = l.fallback
			policies = l.fallbackPolicies()
			allowed, err = acquireWith(ctx, store, key, policies, cost, id, d)
			if err != nil {
				l.logFailure(ctx, err)
			}
		}
		if err != nil { // FailOpen, or a failing fallback
			d.Allowed = true
			return Lease{}, nil
		}
	} else if allowed && l.mode == FailLocal && cost > 0 {
		var m Decision
		local := l.fallbackPolicies()
		_, _ = take(ctx, l.fallback, key, local, cost, &m)
	}
	d.Allowed = allowed
	d.n = len(l.policies)
	l.summarize(d)
	if !allowed || cost == 0 {
		return Lease{}, nil
	}
	return Lease{lim: l, store: store, key: key, policies: policies, id: id}, nil
}

// storeAcquire is storeTake for Acquire.
func (l *Limiter) storeAcquire(ctx context.Context, key string, cost int64, id uint64, d *Decision) (bool, error) {
	if until := l.downUntil.Load(); until != 0 && l.retry > 0 && l.since() < until {
		return false, errStoreDown
	}
	allowed, err := acquireWith(ctx, l.store, key, l.policies, cost, id, d)
	l.storeDone(ctx, err)
	return allowed, err
}

// storeDone records the outcome of one call of the shared store: it
// counts failures towards FailAfter and notes a recovery.
func (l *Limiter) storeDone(ctx context.Context, err error) {
	if err != nil {
		l.failing.Store(true)
		if l.failed() && l.retry > 0 {
			l.downUntil.Store(max(l.since()+int64(l.retry), 1))
		}
		return
	}
	l.succeeded()
	if l.failing.Load() && l.failing.Swap(false) {
		l.downUntil.Store(0)
		l.logger.LogAttrs(ctx, slog.LevelInfo, "ratelimit: store recovered")
	}
}

// acquireWith calls s.Acquire with a pooled result buffer, as take does.
func acquireWith(ctx context.Context, s Store, key string, policies []Policy, cost int64, id uint64, d *Decision) (allowed bool, err error) {
	buf := resultPool.Get().(*[MaxPolicies]Result)
	defer func() {
		if p := recover(); p != nil {
			allowed, err = false, fmt.Errorf("ratelimit: store panicked: %v", p)
		}
		*buf = [MaxPolicies]Result{}
		resultPool.Put(buf)
	}()
	allowed, err = s.Acquire(ctx, key, policies, cost, id, buf[:len(policies)])
	if err == nil {
		copy(d.results[:], buf[:len(policies)])
	}
	return allowed, err
}

// concurrentHandler is Handler for a Limiter with concurrency policies:
// an admitted request holds its slots until next returns or panics.
func (l *Limiter) concurrentHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, cost, ok := l.identify(w, r)
		if !ok {
			return
		}
		var d Decision
		start := l.observeStart()
		lease, err := l.acquire(r.Context(), key, cost, &d)
		l.observeDecision(r.Context(), &d, err, start, true)
		if err != nil {
			l.writeDecideError(w, r, err, cost)
			return
		}
		if !d.Allowed {
			if d.index >= 0 {
				l.setHeaders(w.Header(), &d, r)
			}
			l.errorHandler(w, r, l.limited(&d))
			return
		}
		// The release runs when next returns and when it panics; it
		// outlives a client that went away.
		defer lease.Release(context.WithoutCancel(r.Context())) //nolint:errcheck // logged by Release
		if d.index >= 0 {
			// Mark the fields as this request's until next returns.
			v := l.setHeaders(w.Header(), &d, r)
			v[1] = nestMark
			defer unmark(v)
		}
		next.ServeHTTP(w, r)
	})
}

// Concurrency slots in a MemoryStore: a table apart from the GCRA state,
// holding only keys with slots held, each slot a lease and its expiry.

const leaseShards = 64

type leaseShard struct {
	mu   sync.Mutex
	keys map[string]*leaseEntry
	_    [40]byte // keep shards on separate cache lines
}

// leaseEntry holds the slots of one key, by policy position. Entries of
// keys that hold no slot are dropped, back into leaseEntries with their
// slices' room, so that the table holds only keys with requests in
// progress and a request allocates nothing in steady state.
type leaseEntry struct {
	held [MaxPolicies][]heldSlot
}

var leaseEntries = sync.Pool{New: func() any { return new(leaseEntry) }}

// drop removes the entry of key, which holds no slot.
func (sh *leaseShard) drop(key string, e *leaseEntry) {
	delete(sh.keys, key)
	for i := range e.held {
		e.held[i] = e.held[i][:0]
	}
	leaseEntries.Put(e)
}

type heldSlot struct {
	lease uint64
	exp   int64 // in the store's clock
}

func (s *MemoryStore) leaseShard(key string) *leaseShard {
	s.leasesOnce.Do(func() {
		s.leases = make([]leaseShard, leaseShards)
		for i := range s.leases {
			s.leases[i].keys = make(map[string]*leaseEntry)
		}
	})
	return &s.leases[maphash.String(s.seed, key)%leaseShards]
}

// Acquire implements Store. It blocks on nothing but locks, so it ignores
// ctx.
func (s *MemoryStore) Acquire(_ context.Context, key string, policies []Policy, cost int64, lease uint64, res []Result) (bool, error) {
	var intervals [MaxPolicies]int64
	if _, err := s.check(policies, &intervals); err != nil {
		return false, err
	}
	if cost < 0 {
		return false, errCost
	}
	if len(res) < len(policies) {
		return false, errRes
	}
	return s.acquire(key, policies, intervals[:len(policies)], cost, lease, true, res), nil
}

// Release implements Store.
func (s *MemoryStore) Release(_ context.Context, key string, policies []Policy, lease uint64) error {
	var intervals [MaxPolicies]int64
	if _, err := s.check(policies, &intervals); err != nil {
		return err
	}
	sh := s.leaseShard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.keys[key]
	if e == nil {
		return nil
	}
	empty := true
	for i := range policies {
		h := e.held[i]
		for j := range h {
			if h[j].lease == lease {
				h[j] = h[len(h)-1]
				h = h[:len(h)-1]
				break
			}
		}
		e.held[i] = h
		empty = empty && len(h) == 0
	}
	if empty {
		sh.drop(key, e)
	}
	return nil
}

// acquire decides a request under rate and concurrency policies at once,
// holding the lease's slots when hold is set and the request is admitted
// with a positive cost. The lease shard's lock is held throughout, the
// GCRA shard's inside it, so that no other decision on key interleaves.
// intervals[i] is policies[i].Interval().
func (s *MemoryStore) acquire(key string, policies []Policy, intervals []int64, cost int64, lease uint64, hold bool, res []Result) bool {
	var rate [MaxPolicies]Policy
	var at [MaxPolicies]int // position in policies of rate[i]
	var rateIntervals [MaxPolicies]int64
	nr := 0
	for i := range policies {
		if !policies[i].concurrent() {
			rate[nr], at[nr], rateIntervals[nr] = policies[i], i, intervals[i]
			nr++
		}
	}
	takes := hold && cost > 0

	sh := s.leaseShard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := s.now()
	e := sh.keys[key]
	free := true
	for i := range policies {
		p := &policies[i]
		if !p.concurrent() {
			continue
		}
		n := int64(0)
		if e != nil {
			e.held[i] = unexpired(e.held[i], now)
			n = int64(len(e.held[i]))
		}
		r := Result{Allowed: true, Remaining: max(p.Limit-n, 0)}
		if n > 0 {
			r.Reset = slotRetry
		}
		if cost > 0 && n >= p.Limit {
			r.Allowed, r.RetryAfter = false, slotRetry
			free = false
		} else if takes {
			r.Remaining--
			r.Reset = slotRetry
		}
		res[i] = r
	}
	allowed := free
	var rres [MaxPolicies]Result
	if nr > 0 {
		if free {
			allowed = s.take(key, rate[:nr], rateIntervals[:nr], cost, rres[:nr])
		} else {
			s.peek(key, rate[:nr], rateIntervals[:nr], cost, rres[:nr])
		}
		for i := 0; i < nr; i++ {
			res[at[i]] = rres[i]
		}
	}
	if !allowed {
		for i := range policies {
			if r := &res[i]; policies[i].concurrent() && r.Allowed && takes {
				r.Remaining++ // nothing was held
				if r.Remaining >= policies[i].Limit {
					r.Reset = 0
				}
			}
		}
		if e != nil && e.empty() {
			sh.drop(key, e)
		}
		return false
	}
	if takes {
		if e == nil {
			e = leaseEntries.Get().(*leaseEntry)
			sh.keys[key] = e
		}
		for i := range policies {
			if p := &policies[i]; p.concurrent() {
				e.held[i] = append(e.held[i], heldSlot{lease: lease, exp: now + int64(p.Window)})
			}
		}
	} else if e != nil && e.empty() {
		sh.drop(key, e)
	}
	return true
}

func (e *leaseEntry) empty() bool {
	for i := range e.held {
		if len(e.held[i]) > 0 {
			return false
		}
	}
	return true
}

// unexpired drops the slots of h whose lease has expired at now.
func unexpired(h []heldSlot, now int64) []heldSlot {
	out := h[:0]
	for _, s := range h {
		if s.exp > now {
			out = append(out, s)
		}
	}
	clear(h[len(out):])
	return out
}

// peek fills res with where key stands under the rate policies now, as
// take does for a refused request, and changes nothing.
func (s *MemoryStore) peek(key string, policies []Policy, intervals []int64, cost int64, res []Result) {
	now := s.now()
	hash := maphash.String(s.seed, key)
	sh := &s.shards[hash&s.mask]
	h := int64(hash &^ 1)
	if h == 0 {
		h = 2
	}
	sh.mu.Lock()
	var slot []int64
	if j, found := sh.find(h); found {
		slot = sh.slots[j*sh.stride : (j+1)*sh.stride]
	}
	for i := range policies {
		tat := int64(never)
		if wTAT+i < len(slot) {
			tat = slot[wTAT+i]
		}
		_, res[i] = gcra(tat, now, intervals[i], policies[i].MaxBurst(), cost)
	}
	sh.mu.Unlock()
	unconsume(policies, cost, res)
}
