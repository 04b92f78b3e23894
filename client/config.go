package client

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the Config fields left zero.
const (
	DefaultMaxAttempts     = 4
	DefaultMinBackoff      = 100 * time.Millisecond
	DefaultMaxBackoff      = 5 * time.Second
	DefaultMaxWait         = 30 * time.Second
	DefaultMaxBufferedBody = 1 << 20
	DefaultMaxOrigins      = 1024
)

// Config configures a Transport, and the Client built on one. The zero
// Config retries safely over http.DefaultTransport with the defaults
// above, paces by what servers announce, and adds no Idempotency-Key.
type Config struct {
	// Base sends each attempt. Nil means http.DefaultTransport.
	Base http.RoundTripper

	// MaxAttempts bounds the attempts of one call, the first included:
	// 1 never retries. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff used when
	// the server announces no wait: attempt n waits a random time in
	// [0, min(MaxBackoff, MinBackoff·2^(n-1))] ("full jitter"). Zero
	// means DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxWait is the longest wait a server may ask for (Retry-After, the
	// RateLimit field's t) that the transport honours. A longer one is not
	// slept on: the call returns a *WaitError saying how long. Zero means
	// DefaultMaxWait.
	MaxWait time.Duration
	// AttemptTimeout, when positive, bounds each attempt until its response
	// body is read; an attempt that times out before the response is
	// retried like a lost connection. Zero means only the request's context
	// bounds it.
	AttemptTimeout time.Duration

	// IdempotencyKeys makes the transport add an Idempotency-Key (a new
	// UUIDv7 as a Structured Field string) to every POST and PATCH that has
	// none, and send that same key on every retry of the call, so that
	// they may be retried. Without it, POST and PATCH are retried only
	// when the caller set a key. NewKey says how keys are made, and what
	// a program may do to make them faster.
	IdempotencyKeys bool
	// RetryStatuses adds statuses retried besides 408, 425, 429, 502, 503,
	// 504 and a 409 with code "idempotency_in_progress", for example 500
	// for a server known to roll a failed request back. The method rules
	// apply to them as to the others.
	RetryStatuses []int

	// Limit and Burst cap how fast requests go to each origin, whatever
	// the servers announce: at most Limit requests per second, Burst at
	// once. Zero Limit means no cap of the caller's own; zero Burst means
	// 1 when Limit is set.
	Limit rate.Limit
	Burst int
	// MaxOrigins bounds how many origins (scheme, host and method) the
	// transport keeps pacing state for; the state of others is dropped to
	// make room. Zero means DefaultMaxOrigins.
	MaxOrigins int

	// MaxBufferedBody is how much of the response to a retryable request
	// the transport reads before returning it, so that a connection lost
	// mid-body is retried rather than handed to the caller as a broken
	// body; a longer body is returned streaming after that much. Zero
	// means DefaultMaxBufferedBody; negative never buffers.
	MaxBufferedBody int64

	// Header fields are added to every request that lacks them (an
	// Authorization, a User-Agent). The map must not change once the
	// transport is in use.
	Header http.Header

	// OnRetry, when set, is called before every wait: a retry's, and a
	// pacing wait before a request is sent. It is called from the
	// goroutine making the request and must be safe for concurrent use.
	OnRetry func(Retry)
	// OnDeprecation, when set, is called for every response that carries
	// a Deprecation field. Nil means one slog warning per origin and
	// version.
	OnDeprecation func(Deprecation)
	// Logger receives a record for every retry and wait (level Info) and
	// the deprecation warnings. Nil means slog.Default().
	Logger *slog.Logger
}

// validate reports the first invalid field of c.
func (c *Config) validate() error {
	switch {
	case c.MaxAttempts < 0:
		return errors.New("client: MaxAttempts is negative")
	case c.MinBackoff < 0 || c.MaxBackoff < 0:
		return errors.New("client: MinBackoff or MaxBackoff is negative")
	case c.MaxWait < 0:
		return errors.New("client: MaxWait is negative")
	case c.AttemptTimeout < 0:
		return errors.New("client: AttemptTimeout is negative")
	case c.Limit < 0:
		return errors.New("client: Limit is negative")
	case c.Burst < 0:
		return errors.New("client: Burst is negative")
	case c.MaxOrigins < 0:
		return errors.New("client: MaxOrigins is negative")
	}
	for _, s := range c.RetryStatuses {
		if s < 100 || s > 599 {
			return errors.New("client: RetryStatuses holds a status outside 100-599")
		}
	}
	return nil
}

// Reason says why a call waits.
type Reason string

const (
	// ReasonConnection: the attempt failed before a response (a lost or
	// refused connection, a timeout).
	ReasonConnection Reason = "connection"
	// ReasonBody: the connection failed while the response body was read.
	ReasonBody Reason = "body"
	// ReasonStatus: the response had a status that asks for a retry
	// (429, 503, ...).
	ReasonStatus Reason = "status"
	// ReasonInProgress: a 409 said the first request with this
	// Idempotency-Key is still being processed.
	ReasonInProgress Reason = "in_progress"
	// ReasonPacing: the request waits before it is sent, because the
	// server said the quota is spent or Config.Limit holds it.
	ReasonPacing Reason = "pacing"
)

// Retry describes one wait of a call, for Config.OnRetry.
type Retry struct {
	// Request is the call's request, with the headers the transport added
	// (the Idempotency-Key among them). It must not be modified.
	Request *http.Request
	// Attempt is the attempt that failed (1 for the first), or, for
	// ReasonPacing, the attempt about to be sent.
	Attempt int
	// Reason says why.
	Reason Reason
	// Status is the failed attempt's status, 0 without a response.
	Status int
	// Err is the failed attempt's error, nil with a response.
	Err error
	// Announced is the wait the server asked for, 0 when it asked for none.
	Announced time.Duration
	// Wait is how long the call waits: never less than Announced.
	Wait time.Duration
}
