package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/restwell/restwell/internal/logsafe"
)

// Transport is an http.RoundTripper that retries what is safe to retry,
// waits as servers ask, paces requests by the rate limits they announce
// and reports deprecations. Use it as the Transport of any *http.Client.
//
// A call is retried on a connection error or timeout before the
// response, a connection lost while its body is read, and the statuses
// 408, 425, 429, 502, 503, 504 and 409 with code "idempotency_in_progress"
// (plus Config.RetryStatuses), up to Config.MaxAttempts attempts and
// never past the request context's deadline. GET, HEAD, OPTIONS, PUT,
// DELETE and TRACE are retried; POST and PATCH only with an
// Idempotency-Key, which the transport reuses on every retry. A request
// body is replayed through Request.GetBody (which http.NewRequest sets for
// the usual body types); a request whose body cannot be replayed is sent
// once. A failure that trying again cannot mend (a certificate that does
// not verify, a host name that does not exist, a URL that is not http or
// https) is returned at once.
//
// Before a retry the transport waits the larger of Retry-After and the
// t of every quota the RateLimit field reports spent (r=0), never less,
// or else an exponential backoff with full jitter. A wait longer than
// Config.MaxWait, or than the time left before the context's deadline,
// is not slept: RoundTrip returns a *WaitError. When the attempts run
// out, the last response is returned as it is.
//
// The zero Transport uses the zero Config. A Transport is safe for
// concurrent use by multiple goroutines; reuse one, as its pacing state
// is per origin.
type Transport struct {
	cfg     Config
	pacers  pacers
	warned  sync.Map // origin and version → struct{}, bounded by nWarned
	nWarned int64
	warnMu  sync.Mutex
}

// NewTransport returns a Transport for cfg, or an error naming an invalid
// field.
func NewTransport(cfg Config) (*Transport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.RetryStatuses = append([]int(nil), cfg.RetryStatuses...)
	return &Transport{cfg: cfg}, nil
}

func (t *Transport) base() http.RoundTripper {
	if t.cfg.Base != nil {
		return t.cfg.Base
	}
	return http.DefaultTransport
}

func (t *Transport) maxAttempts() int {
	if t.cfg.MaxAttempts > 0 {
		return t.cfg.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (t *Transport) maxWait() time.Duration {
	if t.cfg.MaxWait > 0 {
		return t.cfg.MaxWait
	}
	return DefaultMaxWait
}

func (t *Transport) bufferLimit() int64 {
	switch {
	case t.cfg.MaxBufferedBody > 0:
		return t.cfg.MaxBufferedBody
	case t.cfg.MaxBufferedBody < 0:
		return 0
	}
	return DefaultMaxBufferedBody
}

func (t *Transport) logger() *slog.Logger {
	if t.cfg.Logger != nil {
		return t.cfg.Logger
	}
	return slog.Default()
}

// backoff returns the wait before retrying after failed attempt n when
// the server announced none.
func (t *Transport) backoff(n int) time.Duration {
	lo, hi := t.cfg.MinBackoff, t.cfg.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	c := lo
	for i := 1; i < n && c < hi; i++ {
		c *= 2
	}
	c = min(c, hi)
	return time.Duration(rand.Int64N(int64(c) + 1))
}

// retryableMethod reports whether a request may be sent again: the
// methods RFC 9110 §9.2.2 makes idempotent, and POST and PATCH with an
// Idempotency-Key.
func retryableMethod(method string, keyed bool) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return keyed
}

const hdrKey = "Idempotency-Key"

// RoundTrip sends req, retrying and waiting as the Transport's doc says.
// It does not modify req: headers it adds go on a copy, whose Header is a
// new map holding req's field values as they are, not copies of them, so
// the request of the response (resp.Request) shares them with req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req, 1)
		return nil, errors.New("client: the request has no URL")
	}
	ctx := req.Context()
	out := req
	needKey := t.cfg.IdempotencyKeys && (req.Method == http.MethodPost || req.Method == http.MethodPatch) &&
		len(req.Header[hdrKey]) == 0
	var c *call
	if needKey || len(t.cfg.Header) > 0 {
		c = t.withHeaders(req, needKey)
		out = &c.req
	}
	keyed := len(out.Header[hdrKey]) > 0
	retryable := retryableMethod(out.Method, keyed)
	if out.Body != nil && out.Body != http.NoBody && out.GetBody == nil {
		retryable = false
	}
	attempts := 1
	if retryable {
		attempts = t.maxAttempts()
	}
	pk := pacerKey{scheme: out.URL.Scheme, host: out.URL.Host, method: out.Method}
	for attempt := 1; ; attempt++ {
		if err := t.pace(ctx, pk, out, attempt); err != nil {
			closeBody(out, attempt)
			return nil, err
		}
		send := out
		if attempt > 1 && out.GetBody != nil && out.Body != nil && out.Body != http.NoBody {
			body, err := out.GetBody()
			if err != nil {
				return nil, fmt.Errorf("client: replaying the request body: %w", err)
			}
			send = shallowCopy(out)
			send.Body = body
		}
		var cancel context.CancelFunc
		if t.cfg.AttemptTimeout > 0 {
			var actx context.Context
			actx, cancel = context.WithTimeout(ctx, t.cfg.AttemptTimeout)
			send = send.WithContext(actx)
		}
		resp, err := t.base().RoundTrip(send)
		if resp == nil && err == nil {
			err = errors.New("client: the base transport returned neither a response nor an error")
		}
		now := time.Now()
		if resp != nil {
			err = nil
			t.observe(pk, resp, now)
			if _, ok := resp.Header["Deprecation"]; ok {
				t.deprecated(out, resp)
			}
		}
		reason := t.classify(resp, err)
		if reason == "" {
			if retryable && attempt < attempts {
				if berr := t.buffer(resp, cancel, c); berr != nil {
					reason, err, resp = ReasonBody, berr, nil
				} else {
					return resp, nil
				}
			} else {
				attachCancel(resp, cancel)
				return resp, nil
			}
		}
		if ctx.Err() != nil {
			discard(resp)
			cancelIf(cancel)
			if err == nil {
				err = ctx.Err()
			}
			return nil, err
		}
		if !retryable || attempt >= attempts || isPermanent(out, err) {
			if resp != nil {
				attachCancel(resp, cancel)
				return resp, nil
			}
			cancelIf(cancel)
			if attempt > 1 {
				return nil, fmt.Errorf("client: %s %s: gave up after %d attempts: %w", out.Method, redacted(out), attempt, err)
			}
			return nil, err
		}

		announced, hasAnnounced := announcedWait(resp, now)
		wait := announced
		if !hasAnnounced {
			wait = t.backoff(attempt)
		} else if announced > 0 {
			// A little on top, never less, so that callers told the same
			// instant do not all come back at once.
			wait += time.Duration(rand.Int64N(int64(announced)/10 + 1))
		}
		if limit := t.maxWait(); announced > limit {
			werr := &WaitError{Wait: announced, Max: limit, Err: DecodeError(resp)}
			cancelIf(cancel)
			return nil, werr
		}
		if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
			werr := &WaitError{Wait: wait, Max: max(dl.Sub(now), 0), Deadline: true, Err: err}
			if resp != nil {
				werr.Err = DecodeError(resp)
			}
			cancelIf(cancel)
			return nil, werr
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		discard(resp)
		cancelIf(cancel)
		t.report(Retry{Request: out, Attempt: attempt, Reason: reason, Status: status, Err: err, Announced: announced, Wait: wait})
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// call is what a call that cannot send the caller's request as it is
// keeps, in one allocation: the copy of the request with the fields the
// transport adds, the Idempotency-Key it made, and room for the final
// response's buffered body. The response's Request and Body point into it,
// so it lives as long as the response does.
type call struct {
	req  http.Request
	key  [1]string // the Idempotency-Key field's value slice
	body bufferedBody
	kb   [keyLen]byte // the bytes of key[0]
	// small holds a buffered response body of up to smallBody bytes, and
	// the byte that tells whether there are more.
	small [smallBody + 1]byte
}

// smallBody is the longest response body read into a call's own
// allocation; a longer one gets an allocation of its own. It is what
// fills the call to 512 bytes, the largest allocation the runtime makes
// without a header of its own: about a hundred bytes, never under 64.
const smallBody = int(max(511, callHead+64) - callHead)

// callHead is the size of a call without its room for a body.
const callHead = unsafe.Sizeof(http.Request{}) + unsafe.Sizeof([1]string{}) + unsafe.Sizeof(bufferedBody{}) + keyLen

// withHeaders returns a call whose request is a copy of req with
// Config.Header and, when needKey, a new Idempotency-Key.
//
// The copy's Header is a new map holding the caller's value slices, not
// copies of them: the transport only adds fields, never changes a value,
// so the caller's request is left as it was, as a RoundTripper must.
func (t *Transport) withHeaders(req *http.Request, needKey bool) *call {
	c := &call{req: *req}
	h := make(http.Header, len(req.Header)+len(t.cfg.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	for k, v := range t.cfg.Header {
		if _, ok := h[k]; !ok {
			h[k] = v
		}
	}
	if needKey {
		formatKey(&c.kb, newV7())
		// c.kb is written once, above, and never again: a string may
		// share it without a copy.
		c.key[0] = unsafe.String(&c.kb[0], len(c.kb))
		h[hdrKey] = c.key[:]
	}
	c.req.Header = h
	return c
}

func shallowCopy(r *http.Request) *http.Request {
	c := new(http.Request)
	*c = *r
	return c
}

// NewKey returns a new Idempotency-Key field value: a UUIDv7 (RFC 9562)
// as a Structured Field string, such as
// "01890a5d-ac96-774b-bcce-b302099a8057" with the quotes. Keys made by one
// process sort by time, which keeps the server's index of them compact.
//
// The random bits come from crypto/rand through github.com/google/uuid,
// which reads them for each key into an allocation of its own. A program
// that prefers speed to keeping random bytes out of its heap may call
// uuid.EnableRandPool once at start, before any goroutine makes UUIDs:
// keys are then cut from a buffer refilled 256 bytes at a time. The
// transport never calls it, as it changes every UUID the program makes.
func NewKey() string {
	var b [keyLen]byte
	formatKey(&b, newV7())
	return string(b[:])
}

// keyLen is the length of a key made by NewKey: a UUID's 36 characters
// and the quotes.
const keyLen = 38

func newV7() uuid.UUID {
	u, err := uuid.NewV7()
	if err != nil {
		u = uuid.New() // only when crypto/rand fails, which it does not
	}
	return u
}

// formatKey writes u into b in the form NewKey documents.
func formatKey(b *[keyLen]byte, u uuid.UUID) {
	const digits = "0123456789abcdef"
	b[0], b[keyLen-1] = '"', '"'
	j := 1
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = digits[x>>4], digits[x&0xf]
		j += 2
	}
}

// classify says why an attempt should be retried, or "" when its
// response is final.
func (t *Transport) classify(resp *http.Response, err error) Reason {
	if resp == nil {
		return ReasonConnection
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ReasonStatus
	case http.StatusConflict:
		if inProgress(resp) {
			return ReasonInProgress
		}
	}
	for _, s := range t.cfg.RetryStatuses {
		if resp.StatusCode == s {
			return ReasonStatus
		}
	}
	return ""
}

// inProgress reports whether a 409 response has the code
// "idempotency_in_progress". It reads the body and puts it back.
func inProgress(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	rest := resp.Body
	if err != nil || len(b) == maxErrorBody {
		resp.Body = &bufferedBody{b: b, rest: rest}
		return false
	}
	rest.Close()
	resp.Body = &bufferedBody{b: b}
	if !bytes.Contains(b, []byte("idempotency_in_progress")) {
		return false
	}
	e := decodeErrorBody(resp.StatusCode, resp.Header.Get("Content-Type"), b)
	return e.Code == "idempotency_in_progress"
}

// isPermanent reports whether the failure err of an attempt to send req
// will not go away by trying again: a URL no attempt can reach (not http
// or https, or without a host), a certificate that does not verify, a
// server that does not speak TLS or HTTP as the URL says, a host name
// that does not exist, an address that is not one.
func isPermanent(req *http.Request, err error) bool {
	if err == nil {
		return false
	}
	if u := req.URL; u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return true
	}
	var (
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		roots     x509.SystemRootsError
		algorithm x509.InsecureAlgorithmError
		dns       *net.DNSError
		addr      *net.AddrError
		network   net.UnknownNetworkError
		host      url.InvalidHostError
	)
	switch {
	case errors.Is(err, http.ErrSchemeMismatch),
		errors.As(err, &verify), errors.As(err, &record),
		errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &roots), errors.As(err, &algorithm),
		errors.As(err, &addr), errors.As(err, &network), errors.As(err, &host):
		return true
	case errors.As(err, &dns):
		return dns.IsNotFound
	}
	return false
}

// announcedWait returns the larger of resp's Retry-After and the t of the
// quotas its RateLimit field reports spent; ok is false when resp asks
// for no wait.
func announcedWait(resp *http.Response, now time.Time) (wait time.Duration, ok bool) {
	if resp == nil {
		return 0, false
	}
	if v := resp.Header["Retry-After"]; len(v) > 0 {
		if d, valid := ParseRetryAfter(v[0], now); valid {
			wait, ok = d, true
		}
	}
	if v := resp.Header["Ratelimit"]; len(v) > 0 {
		for _, q := range ParseRateLimit(v) {
			if q.Remaining == 0 && q.Reset >= 0 {
				wait, ok = max(wait, q.Reset), true
			}
		}
	}
	return wait, ok
}

func (t *Transport) report(r Retry) {
	if t.cfg.OnRetry != nil {
		t.cfg.OnRetry(r)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Request.Method),
		slog.String("url", redacted(r.Request)),
		slog.Int("attempt", r.Attempt),
		slog.String("reason", string(r.Reason)),
		slog.Duration("wait", r.Wait),
	}
	if r.Status != 0 {
		attrs = append(attrs, slog.Int("status", r.Status))
	}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", logsafe.Clip(r.Err.Error())))
	}
	msg := "client: retrying"
	if r.Reason == ReasonPacing {
		msg = "client: pacing"
	}
	t.logger().LogAttrs(r.Request.Context(), slog.LevelInfo, msg, attrs...)
}

func redacted(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	u := *r.URL
	u.RawQuery = "" // queries may carry tokens
	return logsafe.Clip(u.Redacted())
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// discard drains a little of resp's body, so the connection may be
// reused, and closes it.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

func cancelIf(cancel context.CancelFunc) {
	if cancel != nil {
		cancel()
	}
}

// closeBody closes the request body when the call ends before an attempt
// handed it to the base transport, as RoundTrip must.
func closeBody(r *http.Request, attempt int) {
	if attempt == 1 && r.Body != nil {
		r.Body.Close()
	}
}

// attachCancel makes closing resp's body release the attempt's timeout.
func attachCancel(resp *http.Response, cancel context.CancelFunc) {
	if cancel == nil {
		return
	}
	if resp.Body == nil {
		cancel()
		return
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// buffer reads resp's body, up to the buffer limit, so that a connection
// lost while it is read can be retried. A body over the limit is returned
// as what was read followed by the rest, streaming. With a call, the body
// goes into the call's allocation where it fits.
func (t *Transport) buffer(resp *http.Response, cancel context.CancelFunc, c *call) error {
	limit := t.bufferLimit()
	if limit == 0 || resp.Body == nil || resp.Body == http.NoBody {
		attachCancel(resp, cancel)
		return nil
	}
	if bb, ok := resp.Body.(*bufferedBody); ok && bb.rest == nil {
		cancelIf(cancel) // read already, by inProgress
		return nil
	}
	var b []byte
	var err error
	complete := false
	if cl := resp.ContentLength; cl >= 0 && cl <= limit {
		// One byte more than announced, read into the same allocation,
		// tells a complete body from a longer one.
		if c != nil && cl <= int64(smallBody) {
			b = c.small[: cl : cl+1]
		} else {
			b = make([]byte, cl, cl+1)
		}
		_, err = io.ReadFull(resp.Body, b)
		if err == nil {
			var n int
			n, err = resp.Body.Read(b[cl : cl+1])
			switch {
			case n == 0 && err == io.EOF:
				err, complete = nil, true
			case n > 0:
				b = b[:cl+1]
				err = nil
			}
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, limit))
		complete = err == nil && int64(len(b)) < limit
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		resp.Body.Close()
		cancelIf(cancel)
		return err
	}
	var bb *bufferedBody
	if c != nil {
		bb = &c.body // the call's final response: no other takes it
	} else {
		bb = new(bufferedBody)
	}
	if complete {
		resp.Body.Close()
		cancelIf(cancel)
		*bb = bufferedBody{b: b}
	} else {
		*bb = bufferedBody{b: b, rest: resp.Body, cancel: cancel}
	}
	resp.Body = bb
	return nil
}

// bufferedBody is a response body read into memory, followed, for a body
// over the limit, by the rest of the original.
type bufferedBody struct {
	b      []byte
	off    int
	rest   io.ReadCloser
	cancel context.CancelFunc
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.off < len(b.b) {
		n := copy(p, b.b[b.off:])
		b.off += n
		return n, nil
	}
	if b.rest != nil {
		return b.rest.Read(p)
	}
	return 0, io.EOF
}

func (b *bufferedBody) Close() error {
	var err error
	if b.rest != nil {
		err = b.rest.Close()
	}
	if b.cancel != nil {
		b.cancel()
	}
	return err
}

// WriteTo lets io.Copy and io.ReadAll skip a copy buffer.
func (b *bufferedBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.b[b.off:])
	b.off += n
	total := int64(n)
	if err != nil || b.rest == nil {
		return total, err
	}
	m, err := io.Copy(w, b.rest)
	return total + m, err
}

// ErrWaitTooLong is wrapped by the *WaitError of a wait longer than
// Config.MaxWait.
var ErrWaitTooLong = errors.New("client: the wait asked for is longer than MaxWait")

// WaitError is the error of a call that would have to wait longer than it
// may: longer than Config.MaxWait, or past its context's deadline.
// errors.Is finds ErrWaitTooLong or context.DeadlineExceeded in it, and
// errors.As the *errors.Error of the server's last answer, when there was
// one.
type WaitError struct {
	// Wait is the wait the server asked for, or the pacing needs.
	Wait time.Duration
	// Max is what was allowed: Config.MaxWait, or the time left before
	// the deadline.
	Max time.Duration
	// Deadline is true when the context's deadline set Max.
	Deadline bool
	// Err is the last answer decoded (an *errors.Error), or the last
	// attempt's error; nil when no attempt was made.
	Err error
}

func (e *WaitError) Error() string {
	var s string
	if e.Deadline {
		s = fmt.Sprintf("client: giving up: a wait of %s would pass the context deadline (%s left)", e.Wait, e.Max)
	} else {
		s = fmt.Sprintf("client: the server asks to wait %s, longer than MaxWait %s", e.Wait, e.Max)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *WaitError) Unwrap() []error {
	cause := ErrWaitTooLong
	if e.Deadline {
		cause = context.DeadlineExceeded
	}
	if e.Err == nil {
		return []error{cause}
	}
	return []error{cause, e.Err}
}
