package client

import (
	"context"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// pacerKey names the requests that share pacing state: one origin, one
// method. Servers commonly hold writes to stricter policies than reads
// (the RateLimit field of a POST reports the orders quota, that of a GET
// the general one), so a spent write quota does not hold reads back.
type pacerKey struct{ scheme, host, method string }

// pacer is the pacing state of one pacerKey: a token bucket whose rate
// and burst follow the server's RateLimit-Policy (capped by Config.Limit
// and Burst), and the earliest time the next request may go, from a
// spent quota's t or a refusal's Retry-After.
type pacer struct {
	lim       *rate.Limiter
	notBefore atomic.Int64 // Unix nanoseconds
	mu        sync.Mutex   // serialises updates of lim from responses
}

type pacers struct {
	mu sync.RWMutex
	m  map[pacerKey]*pacer
}

func (t *Transport) get(k pacerKey) *pacer {
	t.pacers.mu.RLock()
	p := t.pacers.m[k]
	t.pacers.mu.RUnlock()
	return p
}

func (t *Transport) getOrCreate(k pacerKey) *pacer {
	if p := t.get(k); p != nil {
		return p
	}
	t.pacers.mu.Lock()
	defer t.pacers.mu.Unlock()
	if p := t.pacers.m[k]; p != nil {
		return p
	}
	if t.pacers.m == nil {
		t.pacers.m = make(map[pacerKey]*pacer)
	}
	limit := t.cfg.MaxOrigins
	if limit == 0 {
		limit = DefaultMaxOrigins
	}
	for len(t.pacers.m) >= limit {
		for old := range t.pacers.m { // an arbitrary one
			delete(t.pacers.m, old)
			break
		}
	}
	p := &pacer{lim: rate.NewLimiter(rate.Inf, 1)}
	if t.cfg.Limit > 0 {
		p.lim = rate.NewLimiter(t.cfg.Limit, t.callerBurst())
	}
	t.pacers.m[k] = p
	return p
}

func (t *Transport) callerBurst() int {
	if t.cfg.Burst > 0 {
		return t.cfg.Burst
	}
	return 1
}

// pace waits until a request to k may be sent. Without a wait it
// allocates nothing.
func (t *Transport) pace(ctx context.Context, k pacerKey, req *http.Request, attempt int) error {
	p := t.get(k)
	if p == nil {
		if t.cfg.Limit <= 0 {
			return nil
		}
		p = t.getOrCreate(k)
	}
	now := time.Now()
	var wait time.Duration
	if nb := p.notBefore.Load(); nb > now.UnixNano() {
		wait = time.Duration(nb - now.UnixNano())
	}
	if wait == 0 && p.lim.AllowN(now, 1) {
		return nil
	}
	r := p.lim.ReserveN(now.Add(wait), 1)
	if !r.OK() {
		return &WaitError{Wait: time.Duration(math.MaxInt64), Max: t.maxWait()}
	}
	wait = max(wait, r.DelayFrom(now))
	if wait > t.maxWait() {
		r.CancelAt(now)
		return &WaitError{Wait: wait, Max: t.maxWait()}
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
		r.CancelAt(now)
		return &WaitError{Wait: wait, Max: max(dl.Sub(now), 0), Deadline: true}
	}
	t.report(Retry{Request: req, Attempt: attempt, Reason: ReasonPacing, Wait: wait})
	if err := sleep(ctx, wait); err != nil {
		r.CancelAt(time.Now())
		return err
	}
	return nil
}

// observe updates the pacing state of k from resp's rate limit fields.
func (t *Transport) observe(k pacerKey, resp *http.Response, now time.Time) {
	h := resp.Header
	rl, hasRL := h["Ratelimit"]
	ra, hasRA := h["Retry-After"]
	refused := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
	if !hasRL && !(hasRA && refused) {
		return
	}
	p := t.getOrCreate(k)
	var notBefore time.Time
	if hasRA && refused {
		if d, ok := ParseRetryAfter(ra[0], now); ok {
			notBefore = now.Add(d)
		}
	}
	if hasRL {
		quotas := ParseRateLimit(rl)
		// The quota closest to exhaustion paces the requests.
		tight := -1
		for i, q := range quotas {
			if q.Remaining < 0 {
				continue
			}
			if tight < 0 || q.Remaining < quotas[tight].Remaining ||
				q.Remaining == quotas[tight].Remaining && q.Reset > quotas[tight].Reset {
				tight = i
			}
		}
		if tight >= 0 {
			q := quotas[tight]
			if q.Remaining == 0 && q.Reset > 0 {
				if nb := now.Add(q.Reset); nb.After(notBefore) {
					notBefore = nb
				}
			}
			var pol Policy
			for _, c := range ParseRateLimitPolicy(h["Ratelimit-Policy"]) {
				if c.Name == q.Policy {
					pol = c
					break
				}
			}
			t.follow(p, now, pol, q.Remaining)
		}
	}
	if !notBefore.IsZero() {
		nb := notBefore.UnixNano()
		for {
			old := p.notBefore.Load()
			if old >= nb || p.notBefore.CompareAndSwap(old, nb) {
				break
			}
		}
	}
}

// follow sets p's bucket to the policy's rate (capped by Config.Limit)
// and takes tokens out until no more are left than the server says
// remain. Tokens are only ever taken, never added: answers arrive out of
// order, and an old one must not hand out a quota already spent.
func (t *Transport) follow(p *pacer, now time.Time, pol Policy, remaining int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pol.Quota > 0 && pol.Window > 0 {
		limit := rate.Limit(float64(pol.Quota) / pol.Window.Seconds())
		burst := int(min(pol.Quota, math.MaxInt32))
		if t.cfg.Limit > 0 {
			limit = min(limit, t.cfg.Limit)
			burst = min(burst, t.callerBurst())
		}
		if p.lim.Limit() != limit {
			p.lim.SetLimitAt(now, limit)
		}
		if p.lim.Burst() != burst {
			p.lim.SetBurstAt(now, burst)
		}
	}
	if p.lim.Limit() == rate.Inf {
		return
	}
	if excess := p.lim.TokensAt(now) - float64(remaining); excess >= 1 {
		n := int(min(excess, float64(p.lim.Burst())))
		p.lim.AllowN(now, n)
	}
}
