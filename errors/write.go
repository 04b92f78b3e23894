package errors

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/google/uuid"

	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/requestid"
)

// Format is a wire format for errors.
type Format uint8

const (
	// Envelope is the default format, application/json:
	//
	//	{"error": {"code": "validation_failed", "message": "...",
	//	  "details": {"price.amount": ["must be >= 0"]}, "request_id": "..."}}
	Envelope Format = iota
	// Problem is RFC 9457 Problem Details, application/problem+json, with
	// "code", "request_id" and "errors" as extension members:
	//
	//	{"type": "about:blank", "title": "Unprocessable Content", "status": 422,
	//	  "detail": "...", "code": "validation_failed", "request_id": "...",
	//	  "errors": [{"detail": "must be >= 0", "pointer": "#/price/amount"}]}
	Problem
)

// A Renderer writes errors in the format a service has chosen. Configure
// one per service and install it with Handler, so that Write, Handler,
// Recover and WrapMux, and every middleware of this module, answer in that
// format. The zero value writes the Envelope format and logs to
// slog.Default(). A Renderer must not be changed once in use; it is then
// safe for concurrent use.
type Renderer struct {
	// Format is the wire format. The zero value is Envelope.
	Format Format
	// TypeBase, in the Problem format, makes each error's "type" the URI
	// TypeBase+Code, for example "https://api.example.com/problems/" gives
	// "https://api.example.com/problems/not_found". Empty means every
	// type is "about:blank", whose title is the status text. Error.Type
	// overrides both.
	TypeBase string
	// Logger receives one record per 5xx response, with the cause, the
	// request id and the problem instance. Nil means slog.Default().
	Logger *slog.Logger
}

var defaultRenderer = &Renderer{}

// Handler returns a handler that makes rd the renderer for every request
// that reaches next: Write and the middlewares of this module then use
// rd's format. Put it outside every middleware that writes errors
// (Recover, WrapMux, ratelimit, ...); requestid, which writes none, may
// sit on either side of it.
func (rd *Renderer) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, r2 := reqstate.Attach(r)
		if st.Renderer != nil {
			st, r2 = reqstate.Fork(r, st) // nested: the outer renderer stays outside
		}
		st.Renderer = rd
		next.ServeHTTP(w, r2)
	})
}

func rendererFor(r *http.Request) *Renderer {
	if r != nil {
		if st := reqstate.From(r.Context()); st != nil {
			if rd, ok := st.Renderer.(*Renderer); ok {
				return rd
			}
		}
	}
	return defaultRenderer
}

func (rd *Renderer) logger() *slog.Logger {
	if rd.Logger != nil {
		return rd.Logger
	}
	return slog.Default()
}

// Write renders err as the response to r, in the format of the Renderer
// installed with Renderer.Handler (the Envelope format without one).
// It is the default ErrorHandler of every middleware in this module.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	rendererFor(r).Write(w, r, err)
}

// Write renders err as the response to r.
//
// An *Error anywhere in err's chain gives the status, code, message and
// fields. An *http.MaxBytesError becomes a 413. Any other error becomes a
// 500 whose body says only "internal error". Every 5xx is logged with its
// cause and the request id; in the Problem format its "instance" is a
// urn:uuid: that appears in the log record too. The response carries
// the *Error's Header fields (see Error.Header),
// Cache-Control: no-store and X-Content-Type-Options: nosniff, and any
// ETag, Last-Modified or Content-Length set earlier is removed.
//
// The caller must not have written the response yet; Handler and Recover
// take care of that for handlers.
func (rd *Renderer) Write(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := err.(*Error); ok && e == nil {
		err = nil // a typed nil is no error: rendered as a nil err is
	}
	e := asError(err)
	if e == nil || e.Status < 400 || e.Status > 599 {
		var mbe *http.MaxBytesError
		if As(err, &mbe) {
			e = ContentTooLarge("the request body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes")
		} else {
			e = Internal(err)
		}
	}
	e = e.withDefaults()
	var reqID, instance string
	if r != nil {
		reqID = requestid.FromContext(r.Context())
	}
	if e.Status >= 500 {
		instance = "urn:uuid:" + instanceID(reqID)
		rd.logFailure(r, e, err, reqID, instance)
	}

	bp := bufPool.Get().(*[]byte)
	var b []byte
	var contentType string
	if rd.Format == Problem {
		b = rd.appendProblem((*bp)[:0], e, reqID, instance)
		contentType = "application/problem+json"
	} else {
		b = appendEnvelope((*bp)[:0], e, reqID)
		contentType = "application/json; charset=utf-8"
	}

	h := w.Header()
	delete(h, "Content-Length")
	delete(h, "Etag")
	delete(h, "Last-Modified")
	e.writeHeader(h)
	v := new([3]string) // one allocation for the three header values
	v[0], v[1], v[2] = contentType, "nosniff", "no-store"
	h["Content-Type"] = v[0:1:1]
	h["X-Content-Type-Options"] = v[1:2:2]
	h["Cache-Control"] = v[2:3:3]
	w.WriteHeader(e.Status)
	_, _ = w.Write(b) // a failed write means the client is gone; nothing to tell it

	if cap(b) <= maxPooledBuffer {
		*bp = b
		bufPool.Put(bp)
	}
}

// asError returns the *Error in err's chain, or nil. An *Error itself,
// what the kit's middleware pass, is found without a search.
func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	var e *Error
	if As(err, &e) {
		return e
	}
	return nil
}

// instanceID returns the request id when it is a UUID, so the instance,
// the log record and the X-Request-ID header agree, else a new UUID.
func instanceID(reqID string) string {
	if len(reqID) == 36 {
		if _, err := uuid.Parse(reqID); err == nil {
			return reqID
		}
	}
	return requestid.NewID()
}

func (rd *Renderer) logFailure(r *http.Request, e *Error, err error, reqID, instance string) {
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.Int("status", e.Status), slog.String("code", e.Code))
	if e.Err != nil {
		err = e.Err
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	var pe *PanicError
	if As(err, &pe) {
		attrs = append(attrs, slog.String("stack", string(pe.Stack)))
	}
	if reqID != "" {
		attrs = append(attrs, slog.String("request_id", reqID))
	}
	attrs = append(attrs, slog.String("instance", instance))
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
		attrs = append(attrs, slog.String("method", r.Method), slog.String("path", logsafe.Clip(r.URL.Path)))
	}
	rd.logger().LogAttrs(ctx, slog.LevelError, "request failed", attrs...)
}

const maxPooledBuffer = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// reserved are members the formats define; extensions never replace them.
var reserved = []string{"type", "title", "status", "detail", "instance", "code", "message", "details", "request_id", "errors"}

func appendEnvelope(b []byte, e *Error, reqID string) []byte {
	b = append(b, `{"error":{"code":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	if len(e.Fields) > 0 {
		b = append(b, `,"details":{`...)
		first := true
		for i, f := range e.Fields {
			k := f.Key()
			if seenKey(e.Fields[:i], k) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ":["...)
			b = appendString(b, f.Detail)
			for _, g := range e.Fields[i+1:] {
				if g.Key() == k {
					b = append(b, ',')
					b = appendString(b, g.Detail)
				}
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if reqID != "" {
		b = append(b, `,"request_id":`...)
		b = appendString(b, reqID)
	}
	b = appendExtensions(b, e.Extensions)
	return append(b, "}}"...)
}

func seenKey(fields []FieldError, k string) bool {
	for _, f := range fields {
		if f.Key() == k {
			return true
		}
	}
	return false
}

func (rd *Renderer) appendProblem(b []byte, e *Error, reqID, instance string) []byte {
	b = append(b, `{"type":`...)
	switch {
	case e.Type != "":
		b = appendString(b, e.Type)
	case rd.TypeBase != "" && e.Code != "":
		b = append(b, '"')
		b = appendStringBody(b, rd.TypeBase)
		b = appendStringBody(b, e.Code)
		b = append(b, '"')
	default:
		b = append(b, `"about:blank"`...)
	}
	b = append(b, `,"title":`...)
	if e.Title != "" {
		b = appendString(b, e.Title)
	} else {
		b = appendString(b, statusText(e.Status))
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"detail":`...)
	b = appendString(b, e.Message)
	if instance != "" {
		b = append(b, `,"instance":`...)
		b = appendString(b, instance)
	}
	b = append(b, `,"code":`...)
	b = appendString(b, e.Code)
	if reqID != "" {
		b = append(b, `,"request_id":`...)
		b = appendString(b, reqID)
	}
	if len(e.Fields) > 0 {
		b = append(b, `,"errors":[`...)
		for i, f := range e.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"detail":`...)
			b = appendString(b, f.Detail)
			switch f.In {
			case InQuery:
				b = append(b, `,"parameter":`...)
				b = appendString(b, f.Path)
			case InHeader:
				b = append(b, `,"header":`...)
				b = appendString(b, f.Path)
			default:
				b = append(b, `,"pointer":"#`...)
				b = appendPointerFragment(b, f.Path)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendExtensions(b, e.Extensions)
	return append(b, '}')
}

// statusText is http.StatusText with the reason phrases RFC 9110 renamed.
func statusText(code int) string {
	switch code {
	case http.StatusRequestEntityTooLarge:
		return "Content Too Large"
	case http.StatusUnprocessableEntity:
		return "Unprocessable Content"
	}
	return http.StatusText(code)
}

// appendPointerFragment appends a JSON Pointer in URI fragment form (RFC
// 6901 §6): characters outside the fragment set are percent-encoded.
func appendPointerFragment(b []byte, p string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isFragmentChar(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// isFragmentChar reports whether c may appear unencoded in a URI fragment
// (RFC 3986 pchar / "/" / "?"), leaving out characters JSON would escape.
func isFragmentChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/', '?':
		return true
	}
	return false
}

// appendExtensions appends the members of ext that the formats do not
// reserve, in key order. Strings and lists of strings, what the kit's own
// errors carry, are written directly; other values go through
// encoding/json.
func appendExtensions(b []byte, ext map[string]any) []byte {
	if len(ext) == 0 {
		return b
	}
	if len(ext) == 1 {
		for k, v := range ext {
			if !slices.Contains(reserved, k) {
				b = appendMember(b, k, v)
			}
		}
		return b
	}
	var small [8]string
	keys := small[:0]
	for k := range ext {
		if !slices.Contains(reserved, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendMember(b, k, ext[k])
	}
	return b
}

// appendMember appends ,"k":v, with v as encoding/json writes it; a value
// it cannot encode is left out.
func appendMember(b []byte, k string, v any) []byte {
	switch v := v.(type) {
	case string:
		if plainJSON(v) {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			return appendString(b, v)
		}
	case []string:
		if v != nil && allPlainJSON(v) {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ":["...)
			for i, s := range v {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, s)
			}
			return append(b, ']')
		}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b
	}
	b = append(b, ',')
	b = appendString(b, k)
	b = append(b, ':')
	return append(b, j...)
}

// plainJSON reports whether appendString writes s as encoding/json does
// by default, that is whether s has none of the characters it escapes
// for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&':
			return false
		}
	}
	return true
}

func allPlainJSON(v []string) bool {
	for _, s := range v {
		if !plainJSON(s) {
			return false
		}
	}
	return true
}
