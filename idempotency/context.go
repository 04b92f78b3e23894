package idempotency

import (
	"context"
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
