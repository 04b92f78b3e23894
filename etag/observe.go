package etag

import (
	"context"

	"github.com/restwell/restwell/observe"
)

// observe reports a conditional request the middleware answered itself;
// header is the field that decided.
func (m *Middleware) observe(ctx context.Context, outcome, header string, status int) {
	if m.observer != nil {
		m.observer.Observe(ctx, observe.Event{Package: "etag", Outcome: outcome, Reason: header, Status: status})
	}
}

// observeResult reports the 304 or 412 of res.
func (m *Middleware) observeResult(ctx context.Context, res Result) {
	if res.Status == 304 {
		m.observe(ctx, observe.NotModified, res.Header, res.Status)
		return
	}
	m.observe(ctx, observe.PreconditionFailed, res.Header, res.Status)
}
