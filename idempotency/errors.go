package idempotency

import stderrors "errors"

// Sentinel errors. The middleware's refusals are *errors.Error values
// (package github.com/restwell/restwell/errors) whose Err is one of these,
// so errors.Is(err, idempotency.ErrKeyReused) works in an ErrorHandler.
var (
	// ErrKeyMissing: the route requires an Idempotency-Key and the request
	// has none (400, code "idempotency_key_missing").
	ErrKeyMissing = stderrors.New("idempotency: Idempotency-Key header missing")
	// ErrKeyInvalid: the Idempotency-Key is not an sf-string of 1 to 255
	// printable ASCII characters nor a bare value of 1 to 255 visible ASCII
	// characters (see ParseKey), or appears more than once (400, code
	// "idempotency_key_invalid").
	ErrKeyInvalid = stderrors.New("idempotency: invalid Idempotency-Key")
	// ErrKeyReused: the key was used before for a request with another
	// fingerprint (422, code "idempotency_key_reused").
	ErrKeyReused = stderrors.New("idempotency: key reused for a different request")
	// ErrInProgress: the first request with this key is still being
	// processed (409, code "idempotency_in_progress", with Retry-After).
	ErrInProgress = stderrors.New("idempotency: request with this key in progress")
	// ErrBodyTooLarge: the request body is over Config.MaxBodySize (413,
	// code "content_too_large").
	ErrBodyTooLarge = stderrors.New("idempotency: request body too large")
	// ErrUnavailable: the store failed, so the request cannot be made
	// idempotent (503, code "idempotency_unavailable", with Retry-After).
	ErrUnavailable = stderrors.New("idempotency: store unavailable")
	// ErrResponseUnavailable: the request was processed but its response
	// could not be recorded (it was too large, streamed or hijacked), so it
	// cannot be replayed (409, code "idempotency_response_unavailable").
	ErrResponseUnavailable = stderrors.New("idempotency: response of the original request unavailable")
	// ErrLeaseLost is returned by a Store when a fencing token no longer
	// holds: the lease expired and was taken over, was released, or the
	// record was completed under another token.
	ErrLeaseLost = stderrors.New("idempotency: lease lost")
	// ErrStoreFull is returned by a MemoryStore that has reached its bounds
	// with no expired record to evict.
	ErrStoreFull = stderrors.New("idempotency: memory store full")
)
