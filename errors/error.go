package errors

import (
	"net/http"
	"strings"
)

// Error is an error meant for the client: an HTTP status, a stable machine
// code, a human message and, for validation failures, one entry per
// offending field. Write renders it; the wrapped cause is logged for 5xx
// and never sent.
//
// Build one with a constructor (NotFound, Validation, ...) or a literal.
// The With methods return modified copies, so an *Error kept in a variable
// can be shared safely. An *Error must not be modified once it is shared
// between goroutines.
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

// Error returns "code: message" followed by the cause, if any.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

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

// WithCode returns a copy of e with another code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// WithMessage returns a copy of e with another message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// WithCause returns a copy of e wrapping err.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithFields returns a copy of e with fields appended to its field errors.
func (e *Error) WithFields(fields ...FieldError) *Error {
	c := *e
	c.Fields = append(append([]FieldError(nil), e.Fields...), fields...)
	return &c
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
	c := *e
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[key] = value
	return &c
}

func newError(status int, code, msg, def string) *Error {
	if msg == "" {
		msg = def
	}
	return &Error{Status: status, Code: code, Message: msg}
}

// BadRequest returns a 400 error with code "bad_request". An empty msg
// means a generic message.
func BadRequest(msg string) *Error {
	return newError(http.StatusBadRequest, "bad_request", msg, "the request is not valid")
}

// Unauthorized returns a 401 error with code "unauthorized". The caller
// sets the WWW-Authenticate header the status requires.
func Unauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, "unauthorized", msg, "authentication is required")
}

// Forbidden returns a 403 error with code "forbidden".
func Forbidden(msg string) *Error {
	return newError(http.StatusForbidden, "forbidden", msg, "this request is not allowed")
}

// NotFound returns a 404 error with code "not_found".
func NotFound(msg string) *Error {
	return newError(http.StatusNotFound, "not_found", msg, "the resource does not exist")
}

// MethodNotAllowed returns a 405 error with code "method_not_allowed". The
// caller sets the Allow header the status requires.
func MethodNotAllowed(msg string) *Error {
	return newError(http.StatusMethodNotAllowed, "method_not_allowed", msg, "the method is not allowed on this resource")
}

// Conflict returns a 409 error with code "conflict".
func Conflict(msg string) *Error {
	return newError(http.StatusConflict, "conflict", msg, "the request conflicts with the current state of the resource")
}

// PreconditionFailed returns a 412 error with code "precondition_failed".
func PreconditionFailed(msg string) *Error {
	return newError(http.StatusPreconditionFailed, "precondition_failed", msg, "a precondition of the request did not hold")
}

// ContentTooLarge returns a 413 error with code "content_too_large".
func ContentTooLarge(msg string) *Error {
	return newError(http.StatusRequestEntityTooLarge, "content_too_large", msg, "the request body is too large")
}

// UnsupportedMediaType returns a 415 error with code
// "unsupported_media_type".
func UnsupportedMediaType(msg string) *Error {
	return newError(http.StatusUnsupportedMediaType, "unsupported_media_type", msg, "the request body's media type is not supported")
}

// Validation returns a 422 error with code "validation_failed" listing the
// offending fields.
func Validation(msg string, fields ...FieldError) *Error {
	e := newError(http.StatusUnprocessableEntity, "validation_failed", msg, "the request did not pass validation")
	e.Fields = fields
	return e
}

// PreconditionRequired returns a 428 error with code
// "precondition_required"; msg should say which header to send.
func PreconditionRequired(msg string) *Error {
	return newError(http.StatusPreconditionRequired, "precondition_required", msg, "this request must be conditional")
}

// TooManyRequests returns a 429 error with code "rate_limited". The caller
// sets Retry-After.
func TooManyRequests(msg string) *Error {
	return newError(http.StatusTooManyRequests, "rate_limited", msg, "too many requests")
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
	return newError(http.StatusServiceUnavailable, "unavailable", msg, "the service is temporarily unavailable")
}
