package errors

import (
	"net/http"
	"strconv"
	"strings"
)

// Error is an error meant for the client: an HTTP status, a stable machine
// code, a human message and, for validation failures, one entry per
// offending field. Write renders it; the wrapped cause is logged for 5xx
// and never sent.
//
// Build one with a constructor (NotFound, Validation, ...) or a literal.
// A literal's empty Code and Message are filled in from its Status when it
// is rendered, as the constructors fill them: &Error{Status: 409} renders
// as Conflict("") does. The With methods return modified copies, so an
// *Error kept in a variable can be shared safely, and the copies still
// match it with Is. An *Error must not be modified once it is shared
// between goroutines.
//
// A nil *Error returned as an error by a handler adapted with Handler
// counts as no error at all.
type Error struct {
	// Status is the HTTP status code, 400 to 599. Anything else is
	// rendered as 500.
	Status int
	// Code is a stable, machine-readable identifier such as "not_found" or
	// "validation_failed". Clients branch on it; never change one.
	Code string
	// Message is a human-readable explanation safe to show the client.
	Message string
	// Fields lists problems with individual fields, parameters or headers.
	Fields []FieldError
	// Type, when set, is the RFC 9457 problem type URI for this error,
	// overriding the one the Renderer derives from Code.
	Type string
	// Title, when set, is the RFC 9457 title; the default is the status
	// text. Only the problem format shows it.
	Title string
	// Extensions are extra members: in the problem format at the top level
	// of the object, in the envelope inside "error". Keys the format
	// already uses are skipped. Values are encoded with encoding/json.
	Extensions map[string]any
	// Header holds response header fields Write sends with the error,
	// such as Allow for a 405, WWW-Authenticate for a 401 or
	// Accept-Encoding for a 415 (WithHeader adds one). Content-Type,
	// Content-Length, Cache-Control and X-Content-Type-Options are Write's
	// own and are not taken from it. Nil means none. Keys must be in
	// canonical form, as http.Header.Set writes them.
	Header http.Header
	// Err is the underlying cause. It is returned by Unwrap and logged for
	// 5xx responses, and never written to a response body.
	Err error

	// parent is the *Error a With method copied this one from; Is follows
	// it to recognise copies of a sentinel.
	parent *Error
}

// Location says where a field error points.
type Location uint8

const (
	// InBody is a member of the JSON request body, named by a JSON Pointer.
	InBody Location = iota
	// InQuery is a query parameter.
	InQuery
	// InHeader is a request header.
	InHeader
)

// FieldError is one problem with one part of the request.
type FieldError struct {
	// In is where the offending value is.
	In Location
	// Path names it. For InBody, a JSON Pointer (RFC 6901) such as
	// "/price/amount" or "/items/0/name", "" for the whole body; for
	// InQuery and InHeader, the parameter or header name.
	Path string
	// Detail explains what is wrong, for a human.
	Detail string
}

// BodyField returns a FieldError for the body member at the JSON Pointer
// pointer (build one from names with Pointer).
func BodyField(pointer, detail string) FieldError {
	return FieldError{In: InBody, Path: pointer, Detail: detail}
}

// QueryParam returns a FieldError for the query parameter name.
func QueryParam(name, detail string) FieldError {
	return FieldError{In: InQuery, Path: name, Detail: detail}
}

// HeaderField returns a FieldError for the request header name.
func HeaderField(name, detail string) FieldError {
	return FieldError{In: InHeader, Path: name, Detail: detail}
}

// Pointer builds a JSON Pointer from unescaped reference tokens:
// Pointer("price", "amount") is "/price/amount" and Pointer("a/b") is
// "/a~1b".
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		for i := 0; i < len(t); i++ {
			switch t[i] {
			case '~':
				b.WriteString("~0")
			case '/':
				b.WriteString("~1")
			default:
				b.WriteByte(t[i])
			}
		}
	}
	return b.String()
}

// Key returns the name the envelope format uses for f: the dotted path of a
// body member ("price.amount", "items.0.name", "" for the whole body), or
// the parameter or header name.
func (f FieldError) Key() string {
	if f.In != InBody {
		return f.Path
	}
	p := strings.TrimPrefix(f.Path, "/")
	if !strings.ContainsAny(p, "/~") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '/':
			b.WriteByte('.')
		case p[i] == '~' && i+1 < len(p) && p[i+1] == '0':
			b.WriteByte('~')
			i++
		case p[i] == '~' && i+1 < len(p) && p[i+1] == '1':
			b.WriteByte('/')
			i++
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// Error returns "code: message" followed by the cause, if any. A literal
// without Code or Message shows the ones its Status gives.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	d := e.withDefaults()
	s := d.Code + ": " + d.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Is reports whether e is an instance of the sentinel target, so that the
// standard errors.Is (and this package's Is) finds a sentinel through the
// copies the With methods make:
//
//	var ErrNoTask = errors.NotFound("no such task").WithCode("no_task")
//	...
//	return ErrNoTask.WithCause(err) // errors.Is(err, ErrNoTask) is true
//
// target must be an *Error with the same Status and Code as e (an empty
// Code counting as the one its Status gives). That is enough when the code
// is the sentinel's own, such as "no_task": a code is the stable name of
// one kind of failure, so every error carrying it is that failure, also
// one decoded from a response or built again elsewhere. A code a
// constructor gives every error of its status, such as "not_found" or
// "conflict", names no particular failure, so then e must also be target
// itself or a copy made from it by the With methods (directly or through
// other copies): errors.NotFound("no task") and errors.NotFound("no user")
// are different sentinels, and neither matches a fresh errors.NotFound("").
// Give each sentinel its own code to make it recognisable everywhere.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || e == nil || t == nil || e.Status != t.Status {
		return false
	}
	code := e.Code
	if code == "" {
		code = defaultCode(e.Status)
	}
	tcode := t.Code
	if tcode == "" {
		tcode = defaultCode(t.Status)
	}
	if code != tcode {
		return false
	}
	if tcode != defaultCode(t.Status) {
		return true
	}
	for p := e; p != nil; p = p.parent {
		if p == t {
			return true
		}
	}
	return false
}

// Details returns the field errors keyed as the envelope shows them
// (FieldError.Key), each key with its messages in order. It returns nil
// when there are none.
func (e *Error) Details() map[string][]string {
	if len(e.Fields) == 0 {
		return nil
	}
	m := make(map[string][]string, len(e.Fields))
	for _, f := range e.Fields {
		k := f.Key()
		m[k] = append(m[k], f.Detail)
	}
	return m
}

// copy returns a shallow copy of e that remembers e as its parent.
func (e *Error) copy() *Error {
	c := *e
	c.parent = e
	return &c
}

// WithCode returns a copy of e with another code.
func (e *Error) WithCode(code string) *Error {
	c := e.copy()
	c.Code = code
	return c
}

// WithMessage returns a copy of e with another message.
func (e *Error) WithMessage(msg string) *Error {
	c := e.copy()
	c.Message = msg
	return c
}

// WithCause returns a copy of e wrapping err.
func (e *Error) WithCause(err error) *Error {
	c := e.copy()
	c.Err = err
	return c
}

// WithFields returns a copy of e with fields appended to its field errors.
func (e *Error) WithFields(fields ...FieldError) *Error {
	c := e.copy()
	c.Fields = append(append([]FieldError(nil), e.Fields...), fields...)
	return c
}

// WithHeader returns a copy of e whose response carries the header field
// key with value, replacing any value e had for key.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Header = make(http.Header, len(e.Header)+1)
	for k, v := range e.Header {
		c.Header[k] = v
	}
	c.Header.Set(key, value)
	return &c
}

// writeHeader sets e's Header fields on h, except those Write sets itself.
// The values are shared with e, capped so that an append through h
// cannot reach them.
func (e *Error) writeHeader(h http.Header) {
	for k, v := range e.Header {
		switch k {
		case "Content-Type", "Content-Length", "Cache-Control", "X-Content-Type-Options":
			continue
		}
		h[k] = v[:len(v):len(v)]
	}
}

// WithExtension returns a copy of e with one more extension member.
func (e *Error) WithExtension(key string, value any) *Error {
	c := e.copy()
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[key] = value
	return c
}

func newError(status int, msg string) *Error {
	code, def, _ := defaults(status)
	if msg == "" {
		msg = def
	}
	return &Error{Status: status, Code: code, Message: msg}
}

// defaults returns the code and message the constructors give status,
// and false for a status no constructor covers.
func defaults(status int) (code, msg string, ok bool) {
	switch status {
	case http.StatusBadRequest:
		return "bad_request", "the request is not valid", true
	case http.StatusUnauthorized:
		return "unauthorized", "authentication is required", true
	case http.StatusForbidden:
		return "forbidden", "this request is not allowed", true
	case http.StatusNotFound:
		return "not_found", "the resource does not exist", true
	case http.StatusMethodNotAllowed:
		return "method_not_allowed", "the method is not allowed on this resource", true
	case http.StatusConflict:
		return "conflict", "the request conflicts with the current state of the resource", true
	case http.StatusPreconditionFailed:
		return "precondition_failed", "a precondition of the request did not hold", true
	case http.StatusRequestEntityTooLarge:
		return "content_too_large", "the request body is too large", true
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type", "the request body's media type is not supported", true
	case http.StatusUnprocessableEntity:
		return "validation_failed", "the request did not pass validation", true
	case http.StatusPreconditionRequired:
		return "precondition_required", "this request must be conditional", true
	case http.StatusTooManyRequests:
		return "rate_limited", "too many requests", true
	case http.StatusInternalServerError:
		return "internal_error", "internal error", true
	case http.StatusServiceUnavailable:
		return "unavailable", "the service is temporarily unavailable", true
	}
	return "", "", false
}

// defaultCode returns the code an *Error with this status and no Code
// gets: the constructor's code, else the status text in snake case
// ("gone", "bad_gateway"), else "status_" and the number.
func defaultCode(status int) string {
	if code, _, ok := defaults(status); ok {
		return code
	}
	text := statusText(status)
	if text == "" {
		return "status_" + strconv.Itoa(status)
	}
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == ' ' || c == '-':
			b = append(b, '_')
		}
	}
	return string(b)
}

// defaultMessage returns the message an *Error with this status and no
// Message gets: the constructor's default, else the status text in lower
// case ("gone", "bad gateway").
func defaultMessage(status int) string {
	if _, msg, ok := defaults(status); ok {
		return msg
	}
	if text := statusText(status); text != "" {
		return strings.ToLower(text)
	}
	return "the request failed"
}

// withDefaults returns e, or a copy of e whose empty Code and Message are
// filled in from its Status as the constructors fill them.
func (e *Error) withDefaults() *Error {
	if e.Code != "" && e.Message != "" {
		return e
	}
	c := *e
	if c.Code == "" {
		c.Code = defaultCode(c.Status)
	}
	if c.Message == "" {
		c.Message = defaultMessage(c.Status)
	}
	return &c
}

// BadRequest returns a 400 error with code "bad_request". An empty msg
// means a generic message.
func BadRequest(msg string) *Error {
	return newError(http.StatusBadRequest, msg)
}

// Unauthorized returns a 401 error with code "unauthorized". The caller
// sets the WWW-Authenticate header the status requires.
func Unauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, msg)
}

// Forbidden returns a 403 error with code "forbidden".
func Forbidden(msg string) *Error {
	return newError(http.StatusForbidden, msg)
}

// NotFound returns a 404 error with code "not_found".
func NotFound(msg string) *Error {
	return newError(http.StatusNotFound, msg)
}

// MethodNotAllowed returns a 405 error with code "method_not_allowed". The
// caller sets the Allow header the status requires.
func MethodNotAllowed(msg string) *Error {
	return newError(http.StatusMethodNotAllowed, msg)
}

// Conflict returns a 409 error with code "conflict".
func Conflict(msg string) *Error {
	return newError(http.StatusConflict, msg)
}

// PreconditionFailed returns a 412 error with code "precondition_failed".
func PreconditionFailed(msg string) *Error {
	return newError(http.StatusPreconditionFailed, msg)
}

// ContentTooLarge returns a 413 error with code "content_too_large".
func ContentTooLarge(msg string) *Error {
	return newError(http.StatusRequestEntityTooLarge, msg)
}

// UnsupportedMediaType returns a 415 error with code
// "unsupported_media_type".
func UnsupportedMediaType(msg string) *Error {
	return newError(http.StatusUnsupportedMediaType, msg)
}

// Validation returns a 422 error with code "validation_failed" listing the
// offending fields.
func Validation(msg string, fields ...FieldError) *Error {
	e := newError(http.StatusUnprocessableEntity, msg)
	e.Fields = fields
	return e
}

// PreconditionRequired returns a 428 error with code
// "precondition_required"; msg should say which header to send.
func PreconditionRequired(msg string) *Error {
	return newError(http.StatusPreconditionRequired, msg)
}

// TooManyRequests returns a 429 error with code "rate_limited". The caller
// sets Retry-After.
func TooManyRequests(msg string) *Error {
	return newError(http.StatusTooManyRequests, msg)
}

// Internal returns a 500 error with code "internal_error" wrapping cause.
// Its message is always "internal error"; the cause is logged, not sent.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error", Err: cause}
}

// Unavailable returns a 503 error with code "unavailable". msg is sent to
// the client, so it must not contain internal detail. The caller may set
// Retry-After.
func Unavailable(msg string) *Error {
	return newError(http.StatusServiceUnavailable, msg)
}
