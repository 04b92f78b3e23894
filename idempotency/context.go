package idempotency

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restwell/restwell/internal/reqstate"
)

// Info describes the idempotency record a request runs under. The
// middleware puts it in the context of every request it lets through to
// the handler; FromContext gets it back.
//
// An application can use it to close the crash window (see the package
// documentation): store Scope and ID in a unique column next to the rows
// the request creates, so a second execution fails on the constraint, or
// record the response inside its own transaction with
// sqlstore.Store.CompleteTx, which takes the whole Info.
type Info struct {
	Key
	// Fingerprint of the request.
	Fingerprint string
	// Token is the fencing token of the request's lease.
	Token uint64
	// Retention is how long the record is kept once complete.
	Retention time.Duration
}

// FromContext returns the Info of the request whose context is ctx, and
// false when the request did not go through the middleware with a key.
// It works the same whether the middleware is used alone or with the
// other restwell middleware, which share one per-request state.
func FromContext(ctx context.Context) (Info, bool) {
	if s := reqstate.From(ctx); s != nil {
		if p, ok := s.Idempotency.(*Info); ok {
			return *p, true
		}
	}
	return Info{}, false
}

// leaseCtx is the context a handler runs under, below the State that
// carries the request's Info: the request's context, cancelled with cause
// ErrLeaseLost when the lease is lost and cancelled when the handler
// returns, like a context from context.WithCancelCause.
//
// The cancelable context behind it is made only when it is needed: when
// someone waits on Done, or looks at Err, Value or context.Cause after a
// cancellation. A handler that never waits on its context, and whose
// lease is never lost, costs no cancelable context, and no registration
// with the request's context.
type leaseCtx struct {
	parent context.Context

	ready     atomic.Bool // inner and cancelFn are set
	cancelled atomic.Bool // cancel was called
	mu        sync.Mutex
	inner     context.Context
	cancelFn  context.CancelCauseFunc
	cause     error // of a cancel before inner existed
}

func (c *leaseCtx) Deadline() (time.Time, bool) { return c.parent.Deadline() }

func (c *leaseCtx) Done() <-chan struct{} { return c.get().Done() }

func (c *leaseCtx) Err() error {
	if c.ready.Load() || c.cancelled.Load() {
		return c.get().Err()
	}
	return c.parent.Err()
}

func (c *leaseCtx) Value(key any) any {
	if c.ready.Load() || c.cancelled.Load() {
		// The cancelable context answers context.Cause.
		return c.get().Value(key)
	}
	return c.parent.Value(key)
}

func (c *leaseCtx) String() string { return "idempotency lease context" }

// get returns the cancelable context, making it on first use.
func (c *leaseCtx) get() context.Context {
	if c.ready.Load() {
		return c.inner
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready.Load() {
		if c.cancelled.Load() {
			// Cancelled while the parent was not: the cause is ours even
			// if the parent has been cancelled since.
			c.inner, c.cancelFn = context.WithCancelCause(context.WithoutCancel(c.parent))
			c.cancelFn(c.cause)
		} else {
			c.inner, c.cancelFn = context.WithCancelCause(c.parent)
		}
		c.ready.Store(true)
	}
	return c.inner
}

// cancel cancels the context with cause, as a CancelCauseFunc does: only
// the first call counts, and a nil cause means context.Canceled.
func (c *leaseCtx) cancel(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ready.Load():
		c.cancelFn(cause)
	case c.cancelled.Load(), c.parent.Err() != nil:
		// Cancelled already, by an earlier call or with the parent.
	default:
		c.cause = cause
		c.cancelled.Store(true)
	}
}
