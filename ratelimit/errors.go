package ratelimit

import stderrors "errors"

var (
	// ErrRateLimited is the cause of every 429 the middleware writes: a
	// policy has no quota left for the request.
	ErrRateLimited = stderrors.New("ratelimit: rate limit exceeded")
	// ErrInvalidKey is the cause of the 400 (code "client_key_invalid")
	// the middleware writes when the key function fails or returns "" and
	// Config.KeyFailure is RejectRequest.
	ErrInvalidKey = stderrors.New("ratelimit: no client key")
	// ErrCostTooHigh is the cause of the 400 (code "cost_too_high") the
	// middleware writes when a request costs more than a policy's burst,
	// so that no wait would ever admit it.
	ErrCostTooHigh = stderrors.New("ratelimit: cost exceeds a policy's burst")
	// ErrStoreUnavailable wraps store errors when Config.StoreFailure is
	// FailClosed: the middleware answers 503 (code "unavailable").
	ErrStoreUnavailable = stderrors.New("ratelimit: store unavailable")
	// ErrNoClientIP is returned by ClientIP.Addr and ClientIP.Key when the
	// request carries no usable client address.
	ErrNoClientIP = stderrors.New("ratelimit: no client IP address")
)
