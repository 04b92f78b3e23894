package idempotency

import "net/http"

// A Policy decides, from the final status of a handler's response, whether
// the response is recorded and replayed to retries (true) or the key is
// released so that a retry runs the handler again (false).
type Policy func(status int) bool

// DefaultPolicy records every 2xx, 3xx and 4xx response except 408
// Request Timeout and 429 Too Many Requests, and releases the key on 5xx,
// 408 and 429: those say the request may succeed if tried again, so a
// retry with the same key runs it again. A handler that fails with a 5xx
// after a side effect it cannot roll back should answer with a status
// this policy records (or the service should use StoreAll).
func DefaultPolicy(status int) bool {
	return status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// StoreAll records every response, 5xx included, as Stripe's v1 API does:
// a retry always gets the first answer, and a new key is needed to try
// again.
func StoreAll(int) bool { return true }
