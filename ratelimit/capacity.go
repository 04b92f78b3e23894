package ratelimit

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// ReducedCapacityType is the RFC 9457 problem type of the 503 the
// middleware writes while capacity is reduced (see ReduceCapacity), as
// draft-ietf-httpapi-ratelimit-headers defines it.
const ReducedCapacityType = "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity"

// ErrReducedCapacity is the cause of the 503 the middleware writes while
// capacity is reduced.
var ErrReducedCapacity = errReducedCapacity{}

type errReducedCapacity struct{}

func (errReducedCapacity) Error() string { return "ratelimit: temporarily reduced capacity" }

// reduced is shared by a Limiter and the Limiters of its plans.
type reduced struct {
	until atomic.Int64 // Unix nanoseconds; 0 when capacity is normal
}

// ReduceCapacity makes the middleware refuse every request for d with
// 503 Service Unavailable, problem type ReducedCapacityType (code
// "temporary_reduced_capacity" in the envelope) and a Retry-After of the
// seconds left, without asking the store: the draft's way of telling
// clients that the service sheds load, not that they overspent. An
// operator calls it from an admin endpoint, or a health check when the
// store or a backend reports overload. A d of zero or less restores
// normal service at once. It applies to every plan of the Limiter and is
// safe to call concurrently with requests.
func (l *Limiter) ReduceCapacity(d time.Duration) {
	if d <= 0 {
		l.reduced.until.Store(0)
		return
	}
	l.reduced.until.Store(time.Now().Add(d).UnixNano())
}

// shed writes the reduced-capacity 503 and reports true while capacity
// is reduced.
func (l *Limiter) shed(w http.ResponseWriter, r *http.Request) bool {
	until := l.reduced.until.Load()
	if until == 0 {
		return false
	}
	left := time.Duration(until - time.Now().UnixNano())
	if left <= 0 {
		l.reduced.until.CompareAndSwap(until, 0)
		return false
	}
	w.Header()[hdrRetryAfter] = []string{strconv.FormatInt(max(seconds(left), 1), 10)}
	l.errorHandler(w, r, &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Code:    "temporary_reduced_capacity",
		Message: "the service is temporarily reducing its capacity; retry after the number of seconds in Retry-After",
		Type:    ReducedCapacityType,
		Title:   "Temporary Reduced Capacity",
		Err:     ErrReducedCapacity,
	})
	return true
}
