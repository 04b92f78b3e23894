package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"unsafe"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/internal/sfv"
)

// QuotaExceededType is the RFC 9457 problem type of a 429 written by the
// middleware, as draft-ietf-httpapi-ratelimit-headers defines it. The
// problem also carries "violated-policies", the names of the policies
// that refused the request.
const QuotaExceededType = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// Canonical header names, as net/http stores them.
const (
	hdrPolicy     = "Ratelimit-Policy"
	hdrRateLimit  = "Ratelimit"
	hdrRetryAfter = "Retry-After"
	hdrLimit      = "X-Ratelimit-Limit"
	hdrRemaining  = "X-Ratelimit-Remaining"
	hdrReset      = "X-Ratelimit-Reset"
)

// Handler returns middleware that limits the requests reaching next.
//
// Each request is identified by Config.Key and costs Config.Cost units of
// every policy. An admitted request reaches next with the RateLimit-Policy
// and RateLimit fields set on the response, for example
//
//	RateLimit-Policy: "burst";q=10;w=1, "default";q=100;w=60
//	RateLimit: "default";r=42;t=1
//
// RateLimit-Policy lists every policy; RateLimit reports the one closest
// to exhaustion (see Decision.Reported): r is the units remaining and t
// the seconds, rounded up, until r next grows (0 when the quota is full).
//
// A refused request gets 429 with the same fields and Retry-After in
// seconds: the exact wait rounded up, at least 1, and never earlier than
// t. The body is written by Config.ErrorHandler from an *errors.Error
// with code "rate_limited", cause ErrRateLimited, problem type
// QuotaExceededType and a "violated-policies" member.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	if l.plans != nil {
		return l.planHandler(next)
	}
	if l.concurrent {
		return l.concurrentHandler(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, cost, ok := l.identify(w, r)
		if !ok {
			return
		}
		var d Decision
		start := l.observeStart()
		err := l.decide(r.Context(), key, cost, &d)
		l.observeDecision(r.Context(), &d, err, start, true)
		if err != nil {
			l.writeDecideError(w, r, err, cost)
			return
		}
		if d.Allowed {
			if d.index >= 0 {
				// Mark the fields as this request's, so that an inner
				// limiter joins its items to them, until next returns.
				v := l.setHeaders(w.Header(), &d, r)
				v[1] = nestMark
				defer unmark(v)
			}
			next.ServeHTTP(w, r)
			return
		}
		if d.index >= 0 {
			l.setHeaders(w.Header(), &d, r)
		}
		l.errorHandler(w, r, l.limited(&d))
	})
}

// identify finds what r asks of the limiter: its client key and its
// cost. It reports false when it has answered r itself: the limiter is
// shedding load, or Key cannot identify the client and KeyFailure
// rejects such requests.
func (l *Limiter) identify(w http.ResponseWriter, r *http.Request) (key string, cost int64, ok bool) {
	if l.shed(w, r) {
		return "", 0, false
	}
	key, err := l.key(r)
	if err != nil || key == "" {
		if l.keyFailure == RejectRequest {
			l.observeInvalidKey(r.Context(), true)
			l.errorHandler(w, r, keyError(err))
			return "", 0, false
		}
		key = SharedKey
	}
	cost = 1
	if l.cost != nil {
		cost = max(l.cost(r), 0)
	}
	return key, cost, true
}

// writeDecideError writes the 400 or 503 of a decision that failed.
func (l *Limiter) writeDecideError(w http.ResponseWriter, r *http.Request, err error, cost int64) {
	h := w.Header()
	if err == ErrCostTooHigh {
		if nested(h) {
			addField(h, hdrPolicy, l.policyHeader[0])
		} else {
			h[hdrPolicy] = []string{l.policyHeader[0]}
		}
		l.errorHandler(w, r, costError(cost, l.minBurst))
		return
	}
	h[hdrRetryAfter] = []string{l.retryHeader}
	l.errorHandler(w, r, &apierrors.Error{
		Status:  http.StatusServiceUnavailable,
		Code:    "unavailable",
		Message: "rate limiting is temporarily unavailable; retry later",
		Err:     err,
	})
}

// nestMark, in the slot after the RateLimit-Policy value a limiter set
// (within the value slice's capacity, beyond its length), says that the
// request is still inside that limiter: an inner limiter then joins its
// items to the lists. The limiter clears it when its next handler
// returns, so a reused writer's leftover field never carries it; a value
// read from the wire or set by a handler cannot, as it holds a NUL byte.
const nestMark = "\x00ratelimit: reported by an outer limiter"

// unmark clears the mark setHeaders' caller put in v, the values it
// returned, unless a handler's h.Add has filled that slot since.
func unmark(v []string) {
	if v[1] == nestMark {
		v[1] = ""
	}
}

// nested reports whether h carries the fields of a limiter that the
// request is still inside.
func nested(h http.Header) bool {
	v := h[hdrPolicy]
	return len(v) == 1 && cap(v) >= 2 && v[:2][1] == nestMark
}

// setHeaders sets the rate limit fields of d on h. When h carries the
// mark of an outer limiter (see nested), this limiter's items join the
// RateLimit and RateLimit-Policy lists; otherwise the fields are
// replaced, whatever a handler, an upstream or an earlier use of the
// writer left there.
//
// It returns the value slices it set, whose element 1 is the mark slot
// of the RateLimit-Policy value (empty). It allocates once: a string
// holding every dynamic value when the request's shared state has room for
// the value slices, else the slices and those bytes together (see fields).
func (l *Limiter) setHeaders(h http.Header, d *Decision, r *http.Request) []string {
	res := &d.results[d.index]
	reset := seconds(res.Reset)

	var buf [160]byte
	b := append(buf[:0], l.items[d.index]...) // the name and ";r="
	b = sfv.AppendInteger(b, res.Remaining)
	b = sfv.AppendParam(b, "t", reset)
	b = l.appendPartition(b, d)
	rl := len(b)
	if !d.Allowed {
		retry := reset
		if d.RetryAfter > 0 {
			retry = max(retry, seconds(d.RetryAfter))
		}
		b = strconv.AppendInt(b, max(retry, 1), 10)
	}
	ra := len(b)
	if l.legacy {
		b = strconv.AppendInt(b, res.Remaining, 10)
	}
	rem := len(b)
	if l.legacy {
		b = strconv.AppendInt(b, reset, 10)
	}

	// RateLimit-Policy, its mark slot, RateLimit, Retry-After and the
	// three legacy fields.
	size := 3
	if !d.Allowed {
		size = 4
	}
	if l.legacy {
		size = 7
	}
	var v []string
	var s string
	if st := reqstate.From(r.Context()); st != nil && st.LimitFields[0] == "" && size <= len(st.LimitFields) {
		v, s = st.LimitFields[:size], string(b)
	} else if f := (*fields)(nil); size <= len(f.v) && len(b) <= len(f.buf) {
		f = new(fields)
		v, s = f.v[:size], f.set(b)
	} else {
		v, s = make([]string, size), string(b)
	}
	v[0], v[2] = l.policyHeader[0], s[:rl]
	if nested(h) {
		// An outer limiter (service-wide, say) has reported its policies:
		// both fields are lists, so this limiter's items join them.
		v[0] = joinField(h[hdrPolicy], v[0])
		v[2] = joinField(h[hdrRateLimit], v[2])
	}
	h[hdrPolicy] = v[0:1:2]
	h[hdrRateLimit] = v[2:3:3]
	if !d.Allowed {
		v[3] = s[rl:ra]
		h[hdrRetryAfter] = v[3:4:4]
	}
	if l.legacy {
		v[4], v[5], v[6] = l.limits[d.index], s[ra:rem], s[rem:]
		h[hdrLimit] = v[4:5:5]
		h[hdrRemaining] = v[5:6:6]
		h[hdrReset] = v[6:7:7]
	}
	return v
}

// fields holds, in one allocation, the value slices a limiter used alone
// sets and the bytes of their dynamic values, for the usual fields: no
// legacy fields, values of at most 32 bytes.
type fields struct {
	v   [4]string
	buf [32]byte
}

// set copies b into f's bytes and returns them as a string. The bytes are
// written only here, before the string exists, and never again, so the
// string is as immutable as one from string(b); it shares f's allocation.
func (f *fields) set(b []byte) string {
	n := copy(f.buf[:], b)
	return unsafe.String(&f.buf[0], n)
}

// limited returns the 429 error for d.
func (l *Limiter) limited(d *Decision) error {
	var names []string
	single := -1
	for i, r := range d.results[:d.n] {
		if r.Allowed {
			continue
		}
		if single == -1 {
			single = i
			continue
		}
		if names == nil {
			names = append(names, l.policies[single].Name)
		}
		names = append(names, l.policies[i].Name)
	}
	if names == nil && single >= 0 {
		return l.denied[single]
	}
	return limitedError(names)
}

func limitedError(violated []string) error {
	return &apierrors.Error{
		Status:     http.StatusTooManyRequests,
		Code:       "rate_limited",
		Message:    "too many requests; retry after the number of seconds in Retry-After",
		Type:       QuotaExceededType,
		Title:      "Quota Exceeded",
		Extensions: map[string]any{"violated-policies": violated},
		Err:        ErrRateLimited,
	}
}

func keyError(cause error) error {
	err := ErrInvalidKey
	if cause != nil {
		err = &wrapped{ErrInvalidKey, cause}
	}
	return &apierrors.Error{
		Status:  http.StatusBadRequest,
		Code:    "client_key_invalid",
		Message: "the request does not identify its client",
		Err:     err,
	}
}

func costError(cost, burst int64) error {
	return &apierrors.Error{
		Status: http.StatusBadRequest,
		Code:   "cost_too_high",
		Message: "this request costs " + strconv.FormatInt(cost, 10) +
			" units; at most " + strconv.FormatInt(burst, 10) + " can be spent at once",
		Err: ErrCostTooHigh,
	}
}

// wrapped is an error that is both sentinel and cause, for errors.Is.
type wrapped struct{ sentinel, cause error }

func (e *wrapped) Error() string   { return e.sentinel.Error() + ": " + e.cause.Error() }
func (e *wrapped) Unwrap() []error { return []error{e.sentinel, e.cause} }

func writeError(w http.ResponseWriter, r *http.Request, err error) { apierrors.Write(w, r, err) }

// addField adds value to the list field key, joined with the members
// already there into one field line, since many clients read only the
// first line of a field.
func addField(h http.Header, key, value string) {
	h[key] = []string{joinField(h[key], value)}
}

// joinField returns the list field lines old with value added, as one
// line.
func joinField(old []string, value string) string {
	if len(old) == 0 {
		return value
	}
	return strings.Join(old, ", ") + ", " + value
}
