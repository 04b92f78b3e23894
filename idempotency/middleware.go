package idempotency

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/observe"
)

// Config configures a Middleware. The zero Config is usable: an optional
// Idempotency-Key on POST and PATCH, a MemoryStore, scopes from
// DefaultScope(nil), and the defaults listed below.
type Config struct {
	// Store keeps the records. Nil means a new MemoryStore with its
	// default bounds, which only works for a single instance: give every
	// instance of a service the same shared Store (redisstore, sqlstore).
	Store Store
	// Methods the middleware applies to; other requests pass through
	// untouched. Nil means POST and PATCH.
	Methods []string
	// Required makes a request without Idempotency-Key fail with 400
	// (code "idempotency_key_missing"). False lets it through without
	// idempotency. Middleware.Require applies it to one route.
	Required bool
	// Scope names the key space of a request's caller; records are kept
	// per (scope, key). Nil means DefaultScope(nil). A service that knows
	// its authenticated caller should return the account or tenant id
	// here.
	// Global is the single key space, for when keys cannot collide
	// between callers. An error is passed to ErrorHandler (return an
	// *errors.Error for a 4xx).
	Scope func(*http.Request) (string, error)
	// Fingerprint summarises the request, so that a key reused for another
	// request is refused (422). Nil means DefaultFingerprint. body is the
	// whole request body; the function must not keep or modify it.
	Fingerprint func(r *http.Request, body []byte) string
	// MaxBodySize bounds the request body, which is read before the
	// handler runs (and given to it again). Zero means 1 MiB. A larger
	// body gets 413.
	MaxBodySize int64
	// MaxResponseSize bounds the recorded response body. Zero means 1 MiB.
	// A larger response is sent in full but recorded as a tombstone: a
	// retry gets 409 (code "idempotency_response_unavailable").
	MaxResponseSize int
	// Retention is how long a completed record is kept and replayed. Zero
	// means 24 hours.
	Retention time.Duration
	// Lease is how long a request holds its key without renewal. The
	// lease is renewed while the handler runs, at most Lease/3 apart, so
	// it only runs out when the instance dies or loses the store; another
	// request may then take the key over. A handler that returns within
	// about Lease/4 causes no renewal. Zero means 10 seconds.
	Lease time.Duration
	// Wait, when positive, makes a request that finds its key in progress
	// wait up to this long for the first request to complete, then replay
	// its response. Zero answers 409 (code "idempotency_in_progress") at
	// once.
	Wait time.Duration
	// RetryAfter is the Retry-After sent with 409 in-progress and 503
	// responses, rounded up to whole seconds. Zero means 1 second.
	RetryAfter time.Duration
	// Replayable decides which handler responses are recorded and
	// replayed, from their status. Nil means DefaultReplayable;
	// ReplayAll records every response.
	Replayable Replayable
	// ReplayHeaders lists the response header fields recorded and
	// replayed. Nil means DefaultReplayHeaders. Set-Cookie, Authorization
	// and hop-by-hop fields are refused by New.
	ReplayHeaders []string
	// StoreFailure says what happens when Store fails. The zero value is
	// FailClosed: 503 (code "idempotency_unavailable"). FailOpen runs the
	// handler without idempotency instead. Either way the failure is
	// logged.
	StoreFailure StoreFailure
	// ErrorHandler writes the middleware's refusals, each an
	// *errors.Error whose Err is one of this package's sentinels. Nil
	// means errors.Write.
	ErrorHandler func(http.ResponseWriter, *http.Request, error)
	// Logger receives store failures and refused completions. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Observer receives an event for every decision and store call of
	// Handler, Require and Do (see the package documentation for the
	// outcomes). Nil means none are reported, at no cost.
	Observer observe.Observer
}

// DefaultReplayHeaders returns the response header fields recorded and
// replayed when Config.ReplayHeaders is nil: those that describe the
// content or the created resource. Fields such as Date, rate-limit or
// request-id fields are left out because the middlewares around the
// handler set them afresh on the replay.
func DefaultReplayHeaders() []string {
	return []string{
		"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language",
		"Content-Location", "Content-Type", "Etag", "Expires", "Last-Modified", "Link",
		"Location", "Preference-Applied", "Vary",
	}
}

// neverReplayed are fields that must not reach another response: session
// cookies, credentials and the hop-by-hop fields of RFC 9110 §7.6.1.
var neverReplayed = map[string]bool{
	"Set-Cookie": true, "Set-Cookie2": true, "Authorization": true, "Proxy-Authorization": true,
	"Proxy-Authenticate": true, "Www-Authenticate": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Idempotent-Replayed": true,
}

// Middleware makes POST and PATCH requests (or the methods configured)
// that carry an Idempotency-Key run at most once per key and caller, and
// replays the first response to retries. It is safe for concurrent use by
// multiple goroutines; several Middlewares, in one process or many, may
// share one Store.
type Middleware struct {
	store        Store
	methods      []string
	required     bool
	scope        func(*http.Request) (string, error)
	fingerprint  func(*http.Request, []byte) string
	maxBody      int64
	maxResponse  int
	retention    time.Duration
	lease        time.Duration
	renewEvery   time.Duration
	wait         time.Duration
	retryAfter   string
	replayable   Replayable
	replay       map[string]bool
	failOpen     bool
	errorHandler func(http.ResponseWriter, *http.Request, error)
	logger       *slog.Logger
	observer     observe.Observer
	renewer      renewer
}

// New returns a Middleware for cfg, or an error naming the first invalid
// field.
func New(cfg Config) (*Middleware, error) {
	m := &Middleware{
		store: cfg.Store, methods: cfg.Methods, required: cfg.Required, scope: cfg.Scope,
		fingerprint: cfg.Fingerprint, maxBody: cfg.MaxBodySize, maxResponse: cfg.MaxResponseSize,
		retention: cfg.Retention, lease: cfg.Lease, wait: cfg.Wait, replayable: cfg.Replayable,
		failOpen: cfg.StoreFailure == FailOpen, errorHandler: cfg.ErrorHandler,
		logger: cfg.Logger, observer: cfg.Observer,
	}
	switch {
	case cfg.StoreFailure > FailOpen:
		return nil, fmt.Errorf("idempotency: unknown StoreFailure %v", cfg.StoreFailure)
	case cfg.MaxBodySize < 0:
		return nil, fmt.Errorf("idempotency: MaxBodySize must not be negative")
	case cfg.MaxResponseSize < 0:
		return nil, fmt.Errorf("idempotency: MaxResponseSize must not be negative")
	case cfg.Retention < 0, cfg.Lease < 0, cfg.Wait < 0, cfg.RetryAfter < 0:
		return nil, fmt.Errorf("idempotency: durations must not be negative")
	}
	if m.store == nil {
		ms, err := NewMemoryStore(MemoryConfig{})
		if err != nil {
			return nil, err
		}
		m.store = ms
	}
	if m.methods == nil {
		m.methods = []string{http.MethodPost, http.MethodPatch}
	}
	for _, meth := range m.methods {
		if meth == "" {
			return nil, fmt.Errorf("idempotency: empty method in Methods")
		}
	}
	if m.scope == nil {
		m.scope = DefaultScope(nil)
	}
	if m.fingerprint == nil {
		m.fingerprint = DefaultFingerprint
	}
	if m.maxBody == 0 {
		m.maxBody = 1 << 20
	}
	if m.maxResponse == 0 {
		m.maxResponse = 1 << 20
	}
	if m.retention == 0 {
		m.retention = 24 * time.Hour
	}
	if m.lease == 0 {
		m.lease = 10 * time.Second
	}
	if m.lease < 3*time.Millisecond {
		return nil, fmt.Errorf("idempotency: Lease must be at least 3ms")
	}
	if m.retention < m.lease {
		return nil, fmt.Errorf("idempotency: Retention must not be shorter than Lease")
	}
	m.renewEvery = m.lease / 3
	m.renewer.every = m.renewEvery
	ra := cfg.RetryAfter
	if ra == 0 {
		ra = time.Second
	}
	m.retryAfter = strconv.FormatInt(int64((ra+time.Second-1)/time.Second), 10)
	if m.replayable == nil {
		m.replayable = DefaultReplayable
	}
	names := cfg.ReplayHeaders
	if names == nil {
		names = DefaultReplayHeaders()
	}
	m.replay = make(map[string]bool, len(names))
	for _, n := range names {
		c := http.CanonicalHeaderKey(n)
		if neverReplayed[c] {
			return nil, fmt.Errorf("idempotency: header %q must not be replayed", n)
		}
		if c == "" {
			return nil, fmt.Errorf("idempotency: empty name in ReplayHeaders")
		}
		m.replay[c] = true
	}
	if m.errorHandler == nil {
		m.errorHandler = apierrors.Write
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	return m, nil
}

// Handler returns next wrapped by the middleware.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, next, m.required) })
}

// Require is Handler with Config.Required set: requests to next without
// an Idempotency-Key get 400. Use it to require keys on some routes only.
func (m *Middleware) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, next, true) })
}

// The refusals the middleware writes. They are never modified.
var (
	errMissing = &apierrors.Error{Status: http.StatusBadRequest, Code: "idempotency_key_missing",
		Message: "this request requires an Idempotency-Key header", Err: ErrKeyMissing,
		Fields: []apierrors.FieldError{apierrors.HeaderField("Idempotency-Key", "required")}}
	errInvalid = &apierrors.Error{Status: http.StatusBadRequest, Code: "idempotency_key_invalid",
		Message: "the Idempotency-Key header must be one sf-string of 1 to 255 printable ASCII characters, such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\"", Err: ErrKeyInvalid,
		Fields: []apierrors.FieldError{apierrors.HeaderField("Idempotency-Key", "must be 1 to 255 printable ASCII characters, quoted when they include spaces")}}
	errReused = &apierrors.Error{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
		Message: "this Idempotency-Key was already used for a different request", Err: ErrKeyReused}
	errInProgress = &apierrors.Error{Status: http.StatusConflict, Code: "idempotency_in_progress",
		Message: "a request with this Idempotency-Key is still being processed; retry later", Err: ErrInProgress}
	errUnavailable = &apierrors.Error{Status: http.StatusServiceUnavailable, Code: "idempotency_unavailable",
		Message: "idempotency records are unavailable; retry later with the same Idempotency-Key", Err: ErrUnavailable}
	errTooLarge = &apierrors.Error{Status: http.StatusRequestEntityTooLarge, Code: "content_too_large",
		Err: ErrBodyTooLarge}
	errUnreadable = &apierrors.Error{Status: http.StatusBadRequest, Code: "bad_request",
		Message: "the request body could not be read"}
)

// tombstoneError returns the refusal a retry of a request gets when the
// request's response could not be recorded.
func tombstoneError(reason string) *apierrors.Error {
	why := "could not be recorded"
	switch reason {
	case TombstoneTooLarge:
		why = "was too large to record"
	case TombstoneStreamed:
		why = "was streamed"
	case TombstoneHijacked:
		why = "took over the connection"
	}
	return &apierrors.Error{Status: http.StatusConflict, Code: "idempotency_response_unavailable",
		Message: "the request with this Idempotency-Key was processed, but its response " + why +
			" and cannot be replayed; do not retry it with this key",
		Err: ErrResponseUnavailable}
}

func (m *Middleware) applies(method string) bool {
	for _, x := range m.methods {
		if x == method {
			return true
		}
	}
	return false
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler, required bool) {
	if !m.applies(r.Method) {
		next.ServeHTTP(w, r)
		return
	}
	vals := r.Header["Idempotency-Key"]
	if len(vals) == 0 {
		if required {
			m.observe(r.Context(), observe.MissingKey, http.StatusBadRequest)
			m.errorHandler(w, r, errMissing)
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	if len(vals) > 1 {
		m.observe(r.Context(), observe.InvalidKey, http.StatusBadRequest)
		m.errorHandler(w, r, errInvalid)
		return
	}
	id, err := ParseKey(vals[0])
	if err != nil {
		m.observe(r.Context(), observe.InvalidKey, http.StatusBadRequest)
		m.errorHandler(w, r, errInvalid)
		return
	}
	scope, err := m.scope(r)
	if err != nil {
		m.errorHandler(w, r, err)
		return
	}
	bb, err := m.readBody(r)
	if err != nil {
		m.errorHandler(w, r, err)
		return
	}
	var body []byte
	if bb != nil {
		body = bb.b
	}
	k := Key{Scope: scope, ID: id}
	fp := m.fingerprint(r, body)
	start := m.observeStart()
	rec, acquired, err := m.acquire(r.Context(), k, fp)
	m.observeAcquire(r.Context(), start, acquired, &rec, fp, err, true)
	if err != nil {
		m.logStore(r.Context(), "acquire", k, err)
		if m.failOpen {
			if bb != nil {
				r = r.WithContext(r.Context())
				br := &bodyReader{b: body}
				r.Body = br
				next.ServeHTTP(w, r)
				br.detach()
				putBody(bb)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		putBody(bb)
		w.Header().Set("Retry-After", m.retryAfter)
		m.errorHandler(w, r, errUnavailable.WithCause(fmt.Errorf("%w: %w", ErrUnavailable, err)))
		return
	}
	if !acquired {
		putBody(bb)
		m.answer(w, r, &rec, fp)
		return
	}
	c := &call{}
	c.run(m, w, r, next, Info{Key: k, Fingerprint: fp, Token: rec.Token, Retention: m.retention}, bb)
}

// answer responds to a request whose key is held or done: a replay, or the
// reason there is none.
func (m *Middleware) answer(w http.ResponseWriter, r *http.Request, rec *Record, fingerprint string) {
	switch {
	case rec.Fingerprint != fingerprint:
		m.errorHandler(w, r, errReused)
	case rec.Response == nil:
		w.Header().Set("Retry-After", m.retryAfter)
		m.errorHandler(w, r, errInProgress)
	case rec.Response.Tombstone != "":
		m.errorHandler(w, r, tombstoneError(rec.Response.Tombstone))
	default:
		res := rec.Response
		h := w.Header()
		// The recorded values are shared with other replays: copy them.
		for k, v := range res.Header {
			h[k] = slices.Clone(v)
		}
		h["Idempotent-Replayed"] = []string{"true"}
		status := replayStatus(res.Status)
		if bodyAllowed(status) {
			h["Content-Length"] = []string{strconv.Itoa(len(res.Body))}
		}
		w.WriteHeader(status)
		if len(res.Body) > 0 {
			_, _ = w.Write(res.Body) // a failed write means the client left; it will retry
		}
	}
}

// acquire takes the lease or reports the record, waiting for an in-progress
// one up to Config.Wait.
func (m *Middleware) acquire(ctx context.Context, k Key, fp string) (Record, bool, error) {
	rec, ok, err := m.store.Acquire(ctx, k, fp, m.lease, m.retention)
	if err != nil || ok || m.wait <= 0 || rec.Response != nil || rec.Fingerprint != fp {
		return rec, ok, err
	}
	deadline := time.Now().Add(m.wait)
	delay := 10 * time.Millisecond
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return rec, false, nil
		}
		t.Reset(min(delay, left))
		select {
		case <-ctx.Done():
			return rec, false, nil
		case <-t.C:
		}
		rec, ok, err = m.store.Acquire(ctx, k, fp, m.lease, m.retention)
		if err != nil || ok || rec.Response != nil || rec.Fingerprint != fp {
			return rec, ok, err
		}
		delay = min(2*delay, 250*time.Millisecond)
	}
}

// storeCtx returns the context of a completion or release: parent's
// values, but not cancelled when the client goes away, since the client
// that goes away is the one that will retry. The Store bounds each call
// with a timeout of its own.
func storeCtx(parent context.Context) context.Context {
	return context.WithoutCancel(parent)
}

func (m *Middleware) logStore(ctx context.Context, op string, k Key, err error) {
	m.logger.LogAttrs(ctx, slog.LevelError, "idempotency: store failed",
		slog.String("op", op), slog.String("scope", logsafe.Clip(k.Scope)), slog.String("key", k.ID),
		slog.String("error", err.Error()))
}

// call is the state of one request that holds a lease, allocated once:
// the lease (with the request the handler gets) and the body it reads.
type call struct {
	lease
	body bodyReader
}

// run executes the handler under the lease and records its outcome. bb
// holds the request body, given back to its pool once the handler
// returns and the body it read is detached.
func (c *call) run(m *Middleware, w http.ResponseWriter, r *http.Request, next http.Handler, info Info, bb *bodyBuf) {
	c.start(m, r.Context(), info)
	defer c.cancel(nil)
	c.st.Req = *r.WithContext(&c.st)
	r2 := &c.st.Req
	if bb != nil {
		c.body.b = bb.b
		r2.Body = &c.body
		r2.ContentLength = int64(len(bb.b))
	}

	cw, rw := capture.Get(w, capture.Tee, m.maxResponse)
	defer capture.Put(cw)
	panicked := true
	defer func() {
		if panicked {
			c.stop()
			c.release(r)
		}
	}()
	defer func() {
		c.body.detach()
		putBody(bb)
	}()
	cw.Logger = m.logger
	next.ServeHTTP(rw, r2)
	cw.Detach()
	panicked = false
	c.stop()

	if cw.Hijacked() {
		c.complete(r, &Response{Tombstone: TombstoneHijacked})
		return
	}
	status := cw.Status()
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case !m.replayable(status):
		c.release(r)
	case cw.Flushed():
		c.complete(r, &Response{Status: status, Tombstone: TombstoneStreamed})
	case cw.Overflowed():
		c.complete(r, &Response{Status: status, Tombstone: TombstoneTooLarge})
	default:
		res := m.response(status, w.Header())
		if cw.Body().Len() > 0 {
			res.Body = cw.Body().Bytes()
		}
		c.complete(r, res)
	}
}

// response returns the Response to record for a handler's status and
// header: the replayable fields of h, copied. A handler sets few fields,
// so it walks h rather than the allowlist.
func (m *Middleware) response(status int, h http.Header) *Response {
	res := &Response{Status: status}
	for k, vs := range h {
		if len(vs) == 0 || !m.replay[k] {
			continue
		}
		if res.Header == nil {
			res.Header = make(http.Header, 4)
		}
		res.Header[k] = slices.Clone(vs)
	}
	return res
}

func (c *call) complete(r *http.Request, res *Response) {
	m := c.m
	start := m.observeStart()
	err := m.store.Complete(storeCtx(r.Context()), c.info.Key, c.info.Token, res, m.retention)
	m.observeEnd(r.Context(), "complete", start, res, err)
	switch {
	case stderrors.Is(err, ErrLeaseLost):
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "idempotency: completion refused, the lease was lost",
			slog.String("scope", logsafe.Clip(c.info.Scope)), slog.String("key", c.info.ID))
	case err != nil:
		m.logStore(r.Context(), "complete", c.info.Key, err)
	}
}

func (c *call) release(r *http.Request) {
	m := c.m
	start := m.observeStart()
	err := m.store.Release(storeCtx(r.Context()), c.info.Key, c.info.Token)
	m.observeEnd(r.Context(), "release", start, nil, err)
	if err != nil && !stderrors.Is(err, ErrLeaseLost) {
		m.logStore(r.Context(), "release", c.info.Key, err)
	}
}
