package observe

import (
	"context"
	"time"
)

// An Event is one decision of a middleware. Fields that do not apply to
// an outcome are empty.
type Event struct {
	// Package is the middleware that decided: "ratelimit",
	// "idempotency", "etag" or "versioning".
	Package string
	// Outcome is what it decided, one of the constants of this package.
	// Each package's documentation lists the outcomes it reports.
	Outcome string
	// Reason qualifies the outcome with a value from a short fixed list:
	// the store failure mode for StoreError ("fail-open",
	// "fail-closed", "fail-local"), the header field that decided a
	// conditional request ("If-Match", ...), the kind of a tombstone.
	Reason string
	// Policy is the rate limit policy the outcome concerns, by its
	// configured name.
	Policy string
	// Version is the API version the request was served as, by its
	// configured name.
	Version string
	// Route is the configured name (or ServeMux pattern) of a deprecated
	// route.
	Route string
	// Op names the store call the outcome followed ("take", "acquire",
	// "complete", "release"); empty when no store was called.
	Op string
	// Duration is how long the store call Op took; zero without one.
	Duration time.Duration
	// Status is the HTTP status code the middleware answered with, or
	// the handler's status for outcomes reported after it ran; zero when
	// the middleware passed the request on, or outside HTTP.
	Status int
	// Err is the store's error for StoreError, when the middleware has
	// it. Its text is not bounded and may quote request data: log it or
	// record it on a span, never use it as a metric attribute.
	Err error
}

// An Observer receives the events of the middleware it is configured on.
// Observe is called synchronously on the request's goroutine, with the
// request's context; it must be fast and safe for concurrent use.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// Func adapts an ordinary function to the Observer interface, as
// http.HandlerFunc does for handlers.
type Func func(ctx context.Context, e Event)

// Observe calls f(ctx, e).
func (f Func) Observe(ctx context.Context, e Event) { f(ctx, e) }

// Outcomes reported by the middleware.
const (
	// Allowed: ratelimit admitted the request.
	Allowed = "allowed"
	// Limited: ratelimit refused the request with 429; Policy is the
	// violated policy with the longest wait.
	Limited = "limited"
	// InvalidKey: the client could not be identified (ratelimit) or
	// sent an invalid Idempotency-Key (idempotency); 400.
	InvalidKey = "invalid_key"
	// CostTooHigh: ratelimit refused a request costing more than a
	// policy's burst; 400.
	CostTooHigh = "cost_too_high"
	// StoreError: a store call failed, or was skipped because the store
	// failed moments ago; Reason is the failure mode.
	StoreError = "store_error"

	// MissingKey: idempotency refused a request without the required
	// Idempotency-Key; 400.
	MissingKey = "missing_key"
	// Acquired: idempotency took the lease of a new key; the handler
	// runs.
	Acquired = "acquired"
	// Stored: idempotency recorded the handler's response for replay.
	Stored = "stored"
	// Released: idempotency recorded nothing (Config.Replayable refused the
	// status, or the handler failed) and released the key.
	Released = "released"
	// LeaseLost: idempotency could not record a response because
	// another request took over the key.
	LeaseLost = "lease_lost"
	// Replayed: idempotency answered a retry with the recorded response.
	Replayed = "replayed"
	// InProgress: idempotency answered 409, the key's first request
	// still running.
	InProgress = "in_progress"
	// KeyReused: idempotency answered 422, the key used before for
	// another request.
	KeyReused = "key_reused"
	// ResponseUnavailable: idempotency answered 409, the key's response
	// not recorded (Reason is the tombstone: "too_large", "streamed",
	// "hijacked").
	ResponseUnavailable = "response_unavailable"

	// NotModified: etag answered a conditional GET or HEAD with 304.
	NotModified = "not_modified"
	// PreconditionFailed: etag answered 412; Reason is the header field
	// that failed.
	PreconditionFailed = "precondition_failed"
	// PreconditionRequired: etag answered 428 to an unconditional write.
	PreconditionRequired = "precondition_required"

	// DeprecatedVersion: versioning served a request of a deprecated
	// version (Version).
	DeprecatedVersion = "deprecated_version"
	// DeprecatedRoute: a request reached a route marked by
	// Versioner.Deprecate (Route, and Version when it has one).
	DeprecatedRoute = "deprecated_route"
	// Sunset: a request reached a version or route past its sunset;
	// Status is 410 when it was refused, 0 when it was still served.
	Sunset = "sunset"
	// UnsupportedVersion: versioning refused a request naming a version
	// it does not serve (400, 404) or an Accept it cannot satisfy (406).
	// Version is empty: the requested name came from the client.
	UnsupportedVersion = "unsupported_version"
)
