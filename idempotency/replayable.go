package idempotency

import "net/http"

// Replayable decides, from the final status of a handler's response,
// whether the response is recorded and replayed to retries (true) or the
// key is released so that a retry runs the handler again (false). It is
// called once per request that holds a key, from the goroutine serving
// the request.
type Replayable func(status int) bool

// DefaultReplayable records every 2xx, 3xx and 4xx response except 408
// Request Timeout and 429 Too Many Requests, and releases the key on 5xx,
// 408 and 429: those say the request may succeed if tried again, so a
// retry with the same key runs it again. A handler that fails with a 5xx
// after a side effect it cannot roll back should answer with a status
// this function records (or the service should use ReplayAll).
func DefaultReplayable(status int) bool {
	return status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// ReplayAll records every response, 5xx included, as Stripe's v1 API
// does: a retry always gets the first answer, and a new key is needed to
// try again.
func ReplayAll(int) bool { return true }
