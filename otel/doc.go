// Package otel turns the events of the restwell middleware into
// OpenTelemetry metrics and span events.
//
// An Observer built by New is an observe.Observer: set it as the Observer
// of every middleware's Config.
//
//	obs, err := otel.New(otel.Config{MeterProvider: mp})
//	if err != nil { ... }
//	lim, err := ratelimit.New(ratelimit.Config{Policies: policies, Observer: obs})
//
// It records
//
//   - restwell.decisions, a counter ({decision}) of every event, with the
//     attributes restwell.package and restwell.outcome, and, when the
//     event has them, restwell.reason, restwell.policy, restwell.version,
//     restwell.route and http.response.status_code;
//   - restwell.store.duration, a histogram (s) of the store calls, with
//     restwell.package, restwell.op and restwell.outcome;
//   - on the span in the request's context, when it is recording, an
//     event "restwell.decision" with the same attributes, the store
//     call's duration in restwell.store.duration_ms, and error.type (the
//     Go type of a store's error, never its text).
//
// Every attribute value comes from the service's configuration or a fixed
// list: no client key, address, idempotency key or path reaches a metric.
// An Observer is safe for concurrent use.
package otel
