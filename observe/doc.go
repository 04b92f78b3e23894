// Package observe is the hook through which the restwell middleware
// report their decisions: a request limited, a response replayed, a
// precondition failed, a deprecated version served, a store call and how
// long it took. It has no dependencies; the otel module turns the events
// into OpenTelemetry metrics and span events, and an Observer of your own
// can feed any other system.
//
// Each middleware's Config has an Observer field. Nil, the default,
// reports nothing and costs nothing: no event is built and no clock is
// read. Set one Observer on every middleware of a service:
//
//	obs := observe.Func(func(ctx context.Context, e observe.Event) {
//		slog.InfoContext(ctx, "decision", "package", e.Package, "outcome", e.Outcome)
//	})
//	lim, err := ratelimit.New(ratelimit.Config{Policies: policies, Observer: obs})
//	idem, err := idempotency.New(idempotency.Config{Observer: obs})
//
// The middleware call Observe synchronously on the request's goroutine,
// with the request's context (which carries the current trace span), so an
// Observer must be fast, must not block and must be safe for concurrent
// use. It must not keep or modify anything the Event refers to after it
// returns.
//
// Every string of an Event other than Err's text comes from the service's
// configuration or from this package's constants, never from the client:
// no client key, address, idempotency key or path. They can be used as
// metric attributes without growing their cardinality.
package observe
