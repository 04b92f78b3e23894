package idempotency

import "strconv"

// StoreFailure says what the middleware and Do do when the Store fails
// (an error, a timeout, the server down). Whatever the mode, the failure
// is logged.
type StoreFailure uint8

const (
	// FailClosed answers 503 with code "idempotency_unavailable" and a
	// Retry-After of Config.RetryAfter (Do returns ErrUnavailable). It is
	// the default: without its record a retry would run the handler a
	// second time.
	FailClosed StoreFailure = iota
	// FailOpen runs the handler (or Do's function) without idempotency:
	// nothing is recorded, and a retry runs it again.
	FailOpen
)

func (m StoreFailure) String() string {
	switch m {
	case FailClosed:
		return "fail-closed"
	case FailOpen:
		return "fail-open"
	}
	return "StoreFailure(" + strconv.Itoa(int(m)) + ")"
}
