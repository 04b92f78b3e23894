package idempotency

import (
	"context"
	stderrors "errors"
	"log/slog"
	"sync"
	"time"

	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/internal/reqstate"
)

// lease is the lease a request holds on its key while its handler runs:
// what its renewals need, the handler's context, and its place in the
// list of its Middleware's renewer.
type lease struct {
	m    *Middleware
	info Info
	// st is the handler's context: the shared request state, with info,
	// over a context.WithCancelCause of the request's context, which
	// cancel cancels. Its Req field is the request the handler gets.
	st     reqstate.State
	cancel context.CancelCauseFunc

	// Guarded by the renewer's mu.
	prev, next *lease
	gen        uint64 // the renewer's tick when the lease was queued
	state      leaseState
}

type leaseState uint8

const (
	leaseQueued   leaseState = iota // in the renewer's list, waiting for its next renewal
	leaseRenewing                   // out of the list, a renewal under way
	leaseStopped                    // the handler returned, or the lease was lost
)

// start makes l the lease of info, gives it the handler's context (parent
// with info, cancelled by l.cancel) and queues it for renewal.
func (l *lease) start(m *Middleware, parent context.Context, info Info) {
	l.m, l.info = m, info
	ctx, cancel := context.WithCancelCause(parent)
	l.cancel = cancel
	reqstate.Init(&l.st, ctx, reqstate.From(parent))
	l.st.Idempotency = &l.info
	m.renewer.add(l)
}

// stop ends the renewals. A renewal already under way may still finish;
// that is harmless, since the store refuses it once the lease is
// completed or released.
func (l *lease) stop() {
	r := &l.m.renewer
	r.mu.Lock()
	if l.state == leaseQueued {
		r.unlink(l)
	}
	l.state = leaseStopped
	r.mu.Unlock()
}

// renew renews l once, then queues it again unless the handler returned or
// the lease is lost. When the store says the lease is gone, it cancels
// the handler's context with cause ErrLeaseLost, so work that checks its
// context stops: another request now owns the key and this one's result
// will be refused.
func (l *lease) renew() {
	m := l.m
	ctx, cancel := context.WithTimeout(context.Background(), m.renewEvery)
	start := m.observeStart()
	err := m.store.Renew(ctx, l.info.Key, l.info.Token, m.lease)
	cancel()
	m.observeRenew(&l.st, start, err)
	lost := stderrors.Is(err, ErrLeaseLost)

	r := &m.renewer
	r.mu.Lock()
	if l.state == leaseStopped {
		r.mu.Unlock()
		return
	}
	if lost {
		l.state = leaseStopped
		l.cancel(ErrLeaseLost)
	} else {
		r.push(l)
	}
	r.mu.Unlock()
	// The records carry the request's context, and with it what a log
	// handler finds there (its request id, its trace).
	switch {
	case lost:
		m.logger.LogAttrs(&l.st, slog.LevelWarn, "idempotency: lease lost while the handler ran",
			slog.String("scope", logsafe.Clip(l.info.Scope)), slog.String("key", l.info.ID))
	case err != nil:
		m.logStore(&l.st, "renew", l.info.Key, err)
	}
}

// renewer renews the leases of a Middleware's requests whose handlers
// outlive most of a renewal period (Lease/3). A lease joins the tail of
// its list when taken and when renewed, so the list stays in order of
// age, counted in ticks of one timer that runs only while the list is
// not empty. The timer fires every quarter of a period and renews the
// leases that have waited four ticks: a renewal comes at most one period
// after the lease was taken or last renewed, and a handler that returns
// within three quarters of a period causes none. A request whose handler
// returns before that costs two short critical sections and no timer or
// goroutine of its own; each renewal runs in a goroutine of its own, so a
// slow store delays no other lease.
//
// The zero renewer is ready once every is set; it is safe for concurrent
// use.
type renewer struct {
	every time.Duration // the renewal period
	mu    sync.Mutex
	// head is the oldest lease queued, tail the newest.
	head, tail *lease
	t          *time.Timer
	gen        uint64    // ticks so far
	armed      bool      // t will fire
	armedAt    time.Time // when t was last armed from idle
	armedGen   uint64    // gen then
}

func (r *renewer) add(l *lease) {
	r.mu.Lock()
	r.push(l)
	r.mu.Unlock()
}

// push queues l at the tail and makes sure the timer runs. r.mu is held.
func (r *renewer) push(l *lease) {
	l.gen, l.state = r.gen, leaseQueued
	l.prev, l.next = r.tail, nil
	if r.tail != nil {
		r.tail.next = l
	} else {
		r.head = l
	}
	r.tail = l
	if !r.armed {
		r.armed, r.armedAt, r.armedGen = true, time.Now(), r.gen
		if r.t == nil {
			r.t = time.AfterFunc(r.every/4, r.fire)
		} else {
			r.t.Reset(r.every / 4)
		}
	}
}

// unlink takes l out of the list. r.mu is held.
func (r *renewer) unlink(l *lease) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		r.head = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		r.tail = l.prev
	}
	l.prev, l.next = nil, nil
}

// fire renews the leases that have waited four ticks, and arms the timer
// again while leases are left. Ticks are counted from the time the timer
// was armed, so that a timer firing late does not make the next ones
// late too.
func (r *renewer) fire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	tick := r.every / 4
	since := time.Since(r.armedAt)
	r.gen = max(r.gen+1, r.armedGen+uint64(since/tick))
	for l := r.head; l != nil && r.gen-l.gen >= 4; l = r.head {
		r.unlink(l)
		l.state = leaseRenewing
		go l.renew()
	}
	if r.head != nil {
		r.t.Reset(tick - since%tick)
	} else {
		r.armed = false
	}
}
