package etag

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/observe"
)

// Config configures a Middleware. The zero Config tags GET and HEAD
// responses of up to 1 MiB automatically and answers their conditional
// requests; writes are checked only once Validators is set, and then
// reads take their tags from it too.
type Config struct {
	// Validators returns the current validators of the target resource.
	//
	// For a write (a method other than GET, HEAD, OPTIONS, CONNECT and
	// TRACE) the middleware calls it before the handler, only when the
	// request carries If-Match, If-None-Match or If-Unmodified-Since (or
	// must carry one, see RequireCondition), and answers 412 itself when a
	// condition fails: the handler, and its side effects, never run.
	//
	// For GET and HEAD it is called before every request, and what it
	// returns is set as the response's ETag and Last-Modified, so clients
	// read the very tags writes are checked against; the conditions are
	// evaluated when the handler writes its header, as for a tag the
	// handler sets itself, and an error response loses them. Automatic
	// tags are off: a digest of the body would never match a write.
	// Return Validators{Missing: true} when the resource does not exist
	// yet and the write may create it. Set Validators.Resource to the
	// resource it loaded, and the handler reads it with Resource instead
	// of loading it again. An error is given to ErrorHandler
	// instead of running the handler, as it is: errors.Write renders an
	// *errors.Error with its status (return errors.NotFound when the
	// method cannot succeed on a missing resource, so the client gets 404
	// rather than 412) and any other error as a 500. Nil means writes are
	// passed on unchecked; a handler can still call Check itself.
	// r.PathValue is set only when the middleware wraps a route of a
	// ServeMux, not the mux.
	Validators func(r *http.Request) (Validators, error)
	// RequireCondition reports whether the write r must be conditional.
	// One that carries none of If-Match, If-None-Match and
	// If-Unmodified-Since then gets 428 Precondition Required, code
	// "precondition_required", naming the header to send: If-Match for an
	// existing resource with an ETag, If-Unmodified-Since for one with
	// only a modification date, If-None-Match: * for a missing one. The
	// 428 is marked Cache-Control: no-store. It is consulted only for
	// writes, and needs Validators. Nil means no write must be
	// conditional; RequireForUpdates requires it for PUT, PATCH and
	// DELETE.
	RequireCondition func(r *http.Request) bool
	// RequireIfMatch reports whether the write r must carry If-Match,
	// the one condition that protects an update reliably (a date has
	// one-second granularity, and If-None-Match only guards creation).
	// One without it gets the same 428 as RequireCondition gives, naming
	// If-Match, whatever other conditions it carries. With Validators
	// set, they are looked up first, so a request for a resource that
	// does not exist gets the error they return (a 404, say), and one
	// for a resource they report Missing may carry If-None-Match: *
	// instead, to create it. It is consulted only for writes. Nil means
	// If-Match is never required; RequireForUpdates requires it for PUT,
	// PATCH and DELETE, RequireMethods for the methods it is given.
	RequireIfMatch func(r *http.Request) bool
	// MaxBody is the largest body, in bytes, the middleware holds to tag
	// automatically. A longer body is sent on as it comes, untagged, with
	// no more than MaxBody held at any time. Zero means 1 MiB; it must not
	// be negative.
	MaxBody int
	// DisableAuto turns automatic tags off: GET and HEAD responses are
	// only evaluated against an ETag or Last-Modified the handler sets.
	// Setting Validators turns them off too.
	DisableAuto bool
	// Weak makes automatic tags weak (W/"..."): a promise that the bytes
	// are equivalent, not identical. The default is strong tags, which
	// If-Match and If-Range accept.
	Weak bool
	// Format is how the digest of an automatic tag is written. The zero
	// value is Base64URL.
	Format Format
	// LenientIfMatch makes If-Match compare weakly and ignore a "-gzip",
	// "-br" or "-zstd" suffix, so a tag a compression middleware weakened
	// or suffixed still allows the write. It gives up what strong
	// comparison guarantees (byte-identical representations) and is only
	// sound when every representation of a resource derives from one
	// stored state. The default compares strongly, as RFC 9110 requires.
	LenientIfMatch bool
	// CacheControl, when not empty, is set on the GET and HEAD responses
	// the middleware tags or evaluates (and on their 304s) when the
	// handler set no Cache-Control: PrivateNoCache or Public(d), say.
	// Empty means the middleware sets none.
	CacheControl string
	// ErrorHandler writes every failure the middleware answers: the 412
	// and 428 refusals, given an *errors.Error wrapping
	// ErrPreconditionFailed or ErrPreconditionRequired; any error a
	// Validators function returns, as it is; and the 500, an
	// *errors.Error, for a Validators result that is not an entity tag.
	// (A 304 is not a failure and is written by the middleware.) Nil means
	// errors.Write.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Observer receives an event for every 304, 412 and 428 the
	// middleware answers (see the package documentation). Nil means none
	// are reported, at no cost.
	Observer observe.Observer
}

// DefaultMaxBody is the MaxBody a zero Config uses: 1 MiB.
const DefaultMaxBody = 1 << 20

// Middleware tags responses and enforces conditional requests. Build one
// with New. A Middleware is safe for concurrent use by multiple
// goroutines.
type Middleware struct {
	validators   func(*http.Request) (Validators, error)
	require      func(*http.Request) bool
	requireMatch func(*http.Request) bool
	maxBody      int
	auto         bool
	weak         bool
	format       Format
	lenient      bool
	cacheControl string
	errorHandler func(http.ResponseWriter, *http.Request, error)
	observer     observe.Observer
}

// New returns a Middleware configured by cfg, or an error when cfg is
// invalid.
func New(cfg Config) (*Middleware, error) {
	switch {
	case cfg.MaxBody < 0:
		return nil, errors.New("etag: MaxBody must not be negative")
	case cfg.Format != Base64URL && cfg.Format != Hex:
		return nil, fmt.Errorf("etag: unknown Format %d", cfg.Format)
	case cfg.RequireCondition != nil && cfg.Validators == nil:
		return nil, errors.New("etag: RequireCondition needs Validators to name the header a client must send")
	case !validHeaderValue(cfg.CacheControl):
		return nil, errors.New("etag: CacheControl is not a valid header value")
	}
	m := &Middleware{
		validators:   cfg.Validators,
		require:      cfg.RequireCondition,
		requireMatch: cfg.RequireIfMatch,
		maxBody:      cfg.MaxBody,
		auto:         !cfg.DisableAuto && cfg.Validators == nil,
		weak:         cfg.Weak,
		format:       cfg.Format,
		lenient:      cfg.LenientIfMatch,
		cacheControl: cfg.CacheControl,
		errorHandler: cfg.ErrorHandler,
		observer:     cfg.Observer,
	}
	if m.maxBody == 0 {
		m.maxBody = DefaultMaxBody
	}
	if m.errorHandler == nil {
		m.errorHandler = apierrors.Write
	}
	return m, nil
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7F {
			return false
		}
	}
	return true
}

// Handler wraps next with a Middleware built from the zero Config:
// automatic tags and conditional GET and HEAD.
func Handler(next http.Handler) http.Handler {
	m, _ := New(Config{})
	return m.Handler(next)
}

// RequireForUpdates reports whether r is a PUT, PATCH or DELETE: the
// writes that change an existing resource, for Config.RequireCondition
// and Config.RequireIfMatch.
func RequireForUpdates(r *http.Request) bool {
	switch r.Method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// RequireMethods returns a function for Config.RequireCondition or
// Config.RequireIfMatch that reports whether a request's method is one of
// methods (compared exactly, as net/http does). The function is safe for
// concurrent use.
func RequireMethods(methods ...string) func(*http.Request) bool {
	methods = append([]string(nil), methods...)
	return func(r *http.Request) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		return false
	}
}

// Check evaluates r's preconditions like the package-level Check, with
// the middleware's LenientIfMatch setting. A 304 or 412 result is
// reported to Config.Observer, once per call and with r's context, as
// the middleware reports its own answers; a handler behind m that
// answers from the result is observed once, since m then has nothing
// left to answer. Check allocates nothing unless the Observer does.
func (m *Middleware) Check(r *http.Request, v Validators) Result {
	res := check(r, v, m.lenient)
	if !res.Proceed() {
		m.observeResult(r.Context(), res)
	}
	return res
}

// Respond is the package-level Respond with the middleware's settings:
// If-Match compares as Config.LenientIfMatch says, a 412 is written by
// Config.ErrorHandler, and the 304 or 412 is reported to Config.Observer,
// once, like Check. Use it in a handler that answers its own
// conditional requests, with or without m around it, to have them
// observed like the middleware's. Observing adds no allocation.
func (m *Middleware) Respond(w http.ResponseWriter, r *http.Request, v Validators) bool {
	return respond(w, r, v, m)
}

// Handler returns next wrapped by m.
//
// GET and HEAD: a 2xx response that carries an ETag (set by the handler
// or from Config.Validators) or, without automatic tags, a Last-Modified,
// is evaluated as its header is written: when a condition fails the
// handler's output is dropped and a 304 or 412 sent instead. Otherwise,
// with automatic tags, a 200 is held, up to MaxBody bytes, then tagged
// with a SHA-256 digest of its body, given a Content-Length, and
// evaluated. It passes through untouched and untagged when it is not a
// 200, carries Cache-Control: no-store, is text/event-stream, is flushed,
// hijacked, or outgrows MaxBody, and for HEAD when the handler wrote no
// body (the tag of its GET cannot be known then).
//
// Writes: see Config.Validators, Config.RequireCondition and
// Config.RequireIfMatch.
//
// OPTIONS, CONNECT and TRACE pass through untouched.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			m.serveRead(w, r, next)
		case http.MethodOptions, http.MethodConnect, http.MethodTrace:
			next.ServeHTTP(w, r)
		default:
			m.serveWrite(w, r, next)
		}
	})
}

// serveWrite enforces the preconditions of a write before the handler.
func (m *Middleware) serveWrite(w http.ResponseWriter, r *http.Request, next http.Handler) {
	h := r.Header
	ifMatch := present(h["If-Match"])
	conditional := ifMatch || present(h["If-None-Match"]) || present(h["If-Unmodified-Since"])
	required := !conditional && m.require != nil && m.require(r)
	needMatch := !ifMatch && m.requireMatch != nil && m.requireMatch(r)
	if !needMatch && (m.validators == nil || !conditional && !required) {
		next.ServeHTTP(w, r)
		return
	}
	var v Validators
	if m.validators != nil {
		var ok bool
		if v, ok = m.lookup(w, r); !ok {
			return
		}
	}
	if needMatch && (!v.Missing || !present(h["If-None-Match"])) {
		m.refuseUnconditional(w, r, requiredError(v, true))
		return
	}
	if required {
		m.refuseUnconditional(w, r, requiredError(v, false))
		return
	}
	if m.validators == nil {
		next.ServeHTTP(w, r) // If-Match is present, and there is nothing to check it against
		return
	}
	if res := check(r, v, m.lenient); !res.Proceed() {
		// A write never gets 304: If-None-Match fails with 412.
		m.observeResult(r.Context(), res)
		w.Header().Set("Cache-Control", NoStore)
		m.errorHandler(w, r, res.Err())
		return
	}
	next.ServeHTTP(w, withResource(r, v))
}

// lookup calls the Validators function. When it fails, lookup renders
// the failure and returns false.
func (m *Middleware) lookup(w http.ResponseWriter, r *http.Request) (Validators, bool) {
	v, err := m.validators(r)
	if err != nil {
		m.errorHandler(w, r, err)
		return v, false
	}
	if v.ETag != "" && !Valid(v.ETag) {
		m.errorHandler(w, r, apierrors.Internal(fmt.Errorf("etag: Validators returned %q, which is not an entity tag", v.ETag)))
		return v, false
	}
	return v, true
}

// refuseUnconditional answers a write that lacks a required condition.
func (m *Middleware) refuseUnconditional(w http.ResponseWriter, r *http.Request, err error) {
	m.observe(r.Context(), observe.PreconditionRequired, "", http.StatusPreconditionRequired)
	w.Header().Set("Cache-Control", NoStore)
	m.errorHandler(w, r, err)
}

// requiredError is the 428 for an unconditional write, naming the header
// that would make it conditional for this resource: If-Match when
// ifMatch demands it, unless the resource is missing.
func requiredError(v Validators, ifMatch bool) error {
	header := "If-Match"
	detail := "send the entity tag (ETag) of the representation the change is based on"
	switch {
	case v.Missing:
		header = "If-None-Match"
		detail = `send "*" to create the resource only if it does not exist yet`
	case ifMatch:
	case v.ETag == "" && !v.LastModified.IsZero():
		header = "If-Unmodified-Since"
		detail = "send the Last-Modified date of the representation the change is based on"
	}
	return &apierrors.Error{
		Status:  http.StatusPreconditionRequired,
		Code:    "precondition_required",
		Message: "this request must be conditional: send the " + header + " header",
		Fields:  []apierrors.FieldError{apierrors.HeaderField(header, detail)},
		Err:     ErrPreconditionRequired,
	}
}

// state is the per-request state of a read. It is pooled with its
// HoldIf function value and hash, so a request allocates neither. What
// the response keeps (the capture Writer, the header values) lives in
// the request's reqstate.Slot instead, which is never reused.
type state struct {
	m      *Middleware
	r      *http.Request
	cw     *capture.Writer
	res    Result // the failed result decided from the handler's own validators
	preset bool   // ETag or Last-Modified were set from Config.Validators
	holdIf func(int, http.Header) bool
	hash   hash.Hash
	sum    [sha256.Size]byte
}

var statePool = sync.Pool{New: func() any {
	st := &state{hash: sha256.New()}
	st.holdIf = st.decide
	return st
}}

func (m *Middleware) serveRead(w http.ResponseWriter, r *http.Request, next http.Handler) {
	preset := false
	if m.validators != nil {
		v, ok := m.lookup(w, r)
		if !ok {
			return
		}
		if !v.Missing {
			// The response carries the validators writes are checked
			// against; they are evaluated as the handler's own.
			h := w.Header()
			if v.ETag != "" {
				h["Etag"] = []string{v.ETag}
				preset = true
			}
			if !v.LastModified.IsZero() {
				SetLastModified(h, v.LastModified)
				preset = true
			}
		}
		r = withResource(r, v)
	}
	st := statePool.Get().(*state)
	st.preset = preset
	cw, rw := reqstate.Capture(r, w, capture.Hold, m.maxBody)
	st.m, st.r, st.cw = m, r, cw
	cw.HoldIf = st.holdIf

	next.ServeHTTP(rw, r)
	cw.Detach() // a goroutine the handler leaked can no longer write

	if !cw.Started() {
		// Nothing written: net/http would send an empty 200.
		cw.WriteHeader(http.StatusOK)
	}
	switch {
	case cw.Hijacked():
	case cw.Suppressed():
		st.answer(w, st.res)
	case cw.Held():
		st.tag(w)
	}
	capture.Put(cw)
	st.m, st.r, st.cw, st.res, st.preset = nil, nil, nil, Result{}, false
	statePool.Put(st)
}

// decide runs as the handler commits its header and says whether to hold
// the response back.
func (st *state) decide(status int, h http.Header) bool {
	if status < 200 || status > 299 {
		if st.preset && status != http.StatusNotModified {
			// Validators describe the representation, which an error
			// or a redirect does not carry; a 304 keeps them.
			delete(h, "Etag")
			delete(h, "Last-Modified")
		}
		return false // preconditions apply only to a 2xx (RFC 9110 §13.2.1)
	}
	m := st.m
	tags := h["Etag"]
	if len(tags) > 0 || !m.auto && len(h["Last-Modified"]) > 0 {
		// The handler's own validators: evaluate now, without holding.
		if m.cacheControl != "" && len(h["Cache-Control"]) == 0 {
			h["Cache-Control"] = []string{m.cacheControl}
		}
		v := Validators{LastModified: lastModified(h)}
		if len(tags) > 0 {
			v.ETag = tags[0]
		}
		if res := check(st.r, v, m.lenient); !res.Proceed() {
			st.res = res
			st.cw.Suppress()
			return true
		}
		return false
	}
	return m.auto && status == http.StatusOK &&
		!hasDirective(h["Cache-Control"], "no-store") && !isEventStream(h["Content-Type"])
}

// tag computes the tag of a fully held 200, then evaluates and answers.
func (st *state) tag(w http.ResponseWriter) {
	cw, m := st.cw, st.m
	h := w.Header()
	body := cw.Body()
	n := body.Len()
	cl := h["Content-Length"]
	if len(cl) > 0 && parseLength(cl[0]) != int64(n) || n == 0 && st.r.Method == http.MethodHead {
		// The body is not the whole representation (a HEAD handler that
		// writes none, or a declared length that differs): its tag
		// would be wrong.
		_ = cw.Release()
		return
	}
	st.hash.Reset()
	_, _ = body.WriteTo(st.hash)
	st.hash.Sum(st.sum[:0])

	// One string holds the tag and the length, one array their header
	// values: two allocations.
	var buf [maxTagLen + 20]byte
	b := appendTag(buf[:0], st.sum[:digestLen], m.format, m.weak)
	tagLen := len(b)
	if len(cl) == 0 {
		b = strconv.AppendInt(b, int64(n), 10)
	}
	s := string(b)
	vals := new([3]string)
	vals[0] = s[:tagLen]
	h["Etag"] = vals[0:1:1]
	if m.cacheControl != "" && len(h["Cache-Control"]) == 0 {
		vals[2] = m.cacheControl
		h["Cache-Control"] = vals[2:3:3]
	}

	res := check(st.r, Validators{ETag: vals[0], LastModified: lastModified(h)}, m.lenient)
	if res.Proceed() {
		if len(cl) == 0 {
			vals[1] = s[tagLen:]
			h["Content-Length"] = vals[1:2:2]
		}
		_ = cw.Release() // a failed write means the client is gone
		return
	}
	// A 304 or 412 carries no Content-Length of the body it replaces.
	cw.Discard()
	st.answer(w, res)
}

// answer sends the 304 or 412 that replaces the handler's response.
func (st *state) answer(w http.ResponseWriter, res Result) {
	st.m.observeResult(st.r.Context(), res)
	h := w.Header()
	if res.Status == http.StatusNotModified {
		notModifiedHeader(h)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// The handler described a representation the 412 does not carry.
	for _, k := range [...]string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Range",
		"Content-Language", "Content-Location", "Content-Disposition", "Content-Digest", "Repr-Digest",
		"Etag", "Last-Modified", "Expires", "Accept-Ranges"} {
		delete(h, k)
	}
	h.Set("Cache-Control", NoStore)
	st.m.errorHandler(w, st.r, res.Err())
}

// lastModified returns the handler's Last-Modified, or the zero time.
func lastModified(h http.Header) time.Time {
	if v := h["Last-Modified"]; len(v) == 1 {
		if t, ok := ParseDate(httpsyntax.TrimOWS(v[0])); ok {
			return t
		}
	}
	return time.Time{}
}

// parseLength parses a Content-Length value; -1 when it is not one.
func parseLength(s string) int64 {
	s = httpsyntax.TrimOWS(s)
	if s == "" || len(s) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// hasDirective reports whether a Cache-Control field lists the directive
// name (compared case-insensitively, arguments ignored). It allocates
// nothing.
func hasDirective(lines []string, name string) bool {
	for _, l := range lines {
		for len(l) > 0 {
			var d string
			if i := strings.IndexByte(l, ','); i >= 0 {
				d, l = l[:i], l[i+1:]
			} else {
				d, l = l, ""
			}
			if i := strings.IndexByte(d, '='); i >= 0 {
				d = d[:i]
			}
			if strings.EqualFold(httpsyntax.TrimOWS(d), name) {
				return true
			}
		}
	}
	return false
}

// isEventStream reports whether the Content-Type is text/event-stream.
func isEventStream(ct []string) bool {
	if len(ct) == 0 {
		return false
	}
	t := ct[0]
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return strings.EqualFold(httpsyntax.TrimOWS(t), "text/event-stream")
}
