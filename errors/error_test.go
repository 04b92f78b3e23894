package errors

import (
	"bytes"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestConstructors(t *testing.T) {
	tests := []struct {
		name       string
		err        *Error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"BadRequest", BadRequest("x"), 400, "bad_request", "x"},
		{"Unauthorized", Unauthorized(""), 401, "unauthorized", "authentication is required"},
		{"Forbidden", Forbidden(""), 403, "forbidden", "this request is not allowed"},
		{"NotFound", NotFound(""), 404, "not_found", "the resource does not exist"},
		{"MethodNotAllowed", MethodNotAllowed(""), 405, "method_not_allowed", "the method is not allowed on this resource"},
		{"Conflict", Conflict(""), 409, "conflict", "the request conflicts with the current state of the resource"},
		{"PreconditionFailed", PreconditionFailed(""), 412, "precondition_failed", "a precondition of the request did not hold"},
		{"ContentTooLarge", ContentTooLarge(""), 413, "content_too_large", "the request body is too large"},
		{"UnsupportedMediaType", UnsupportedMediaType(""), 415, "unsupported_media_type", "the request body's media type is not supported"},
		{"Validation", Validation(""), 422, "validation_failed", "the request did not pass validation"},
		{"PreconditionRequired", PreconditionRequired("send If-Match"), 428, "precondition_required", "send If-Match"},
		{"TooManyRequests", TooManyRequests(""), 429, "rate_limited", "too many requests"},
		{"Internal", Internal(io.EOF), 500, "internal_error", "internal error"},
		{"Unavailable", Unavailable(""), 503, "unavailable", "the service is temporarily unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Status != tt.wantStatus || tt.err.Code != tt.wantCode || tt.err.Message != tt.wantMsg {
				t.Errorf("got (%d, %q, %q), want (%d, %q, %q)",
					tt.err.Status, tt.err.Code, tt.err.Message, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	if got, want := NotFound("no item").Error(), "not_found: no item"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := Internal(io.EOF).Error(), "internal_error: internal error: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestStdlibInterop(t *testing.T) {
	sentinel := New("store down")
	err := error(Unavailable("").WithCause(sentinel))
	wrapped := Join(io.ErrUnexpectedEOF, err)

	if !stderrors.Is(wrapped, sentinel) || !Is(wrapped, sentinel) {
		t.Error("Is does not find the cause through *Error")
	}
	var e *Error
	if !stderrors.As(wrapped, &e) || e.Status != 503 {
		t.Errorf("As = %v, want the 503", e)
	}
	if !As(wrapped, &e) {
		t.Error("re-exported As fails")
	}
	if Unwrap(err) != sentinel {
		t.Error("Unwrap does not return the cause")
	}
	if ErrUnsupported != stderrors.ErrUnsupported {
		t.Error("ErrUnsupported differs from the standard library's")
	}
}

func TestWithCopies(t *testing.T) {
	base := NotFound("a")
	base.Extensions = map[string]any{"x": 1}
	c := base.WithCode("item_missing").WithMessage("b").WithCause(io.EOF).
		WithFields(QueryParam("id", "bad")).WithExtension("y", 2)
	if base.Code != "not_found" || base.Message != "a" || base.Err != nil || base.Fields != nil || len(base.Extensions) != 1 {
		t.Errorf("original modified: %+v", base)
	}
	want := &Error{Status: 404, Code: "item_missing", Message: "b", Err: io.EOF,
		Fields: []FieldError{{In: InQuery, Path: "id", Detail: "bad"}}, Extensions: map[string]any{"x": 1, "y": 2}}
	got := *c
	got.parent = nil // the chain Is follows, tested in TestIs
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("got %+v, want %+v", &got, want)
	}
	// Appending to a copy's fields must not write into the original's array.
	v := Validation("", BodyField("/a", "1"))
	v.Fields = append(make([]FieldError, 0, 4), v.Fields...)
	w1 := v.WithFields(BodyField("/b", "2"))
	w2 := v.WithFields(BodyField("/c", "3"))
	if w1.Fields[1].Path != "/b" || w2.Fields[1].Path != "/c" || len(v.Fields) != 1 {
		t.Errorf("copies share field storage: %v %v %v", v.Fields, w1.Fields, w2.Fields)
	}
}

func TestFieldKeyAndPointer(t *testing.T) {
	tests := []struct {
		f       FieldError
		wantKey string
	}{
		{BodyField("/price/amount", ""), "price.amount"},
		{BodyField("/items/0/name", ""), "items.0.name"},
		{BodyField("/e mail", ""), "e mail"},
		{BodyField("/a~1b", ""), "a/b"},
		{BodyField("/t~0x/y", ""), "t~x.y"},
		{BodyField("/ünï", ""), "ünï"},
		{BodyField("", ""), ""},
		{QueryParam("limit", ""), "limit"},
		{HeaderField("If-Match", ""), "If-Match"},
	}
	for _, tt := range tests {
		if got := tt.f.Key(); got != tt.wantKey {
			t.Errorf("Key(%+v) = %q, want %q", tt.f, got, tt.wantKey)
		}
	}
	ptrs := []struct {
		tokens []string
		want   string
	}{
		{[]string{"price", "amount"}, "/price/amount"},
		{[]string{"a/b"}, "/a~1b"},
		{[]string{"t~x"}, "/t~0x"},
		{nil, ""},
		{[]string{""}, "/"},
	}
	for _, tt := range ptrs {
		if got := Pointer(tt.tokens...); got != tt.want {
			t.Errorf("Pointer(%q) = %q, want %q", tt.tokens, got, tt.want)
		}
	}
}

func TestDetails(t *testing.T) {
	e := Validation("", BodyField("/price/amount", "must be >= 0"), QueryParam("limit", "too big"),
		BodyField("/price/amount", "must be an integer"))
	want := map[string][]string{"price.amount": {"must be >= 0", "must be an integer"}, "limit": {"too big"}}
	if got := e.Details(); !reflect.DeepEqual(got, want) {
		t.Errorf("Details() = %v, want %v", got, want)
	}
	if got := NotFound("").Details(); got != nil {
		t.Errorf("Details() of no fields = %v, want nil", got)
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{413: "Content Too Large", 422: "Unprocessable Content", 404: http.StatusText(404)} {
		if got := statusText(code); got != want {
			t.Errorf("statusText(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestIs(t *testing.T) {
	errNoTask := NotFound("no such task").WithCode("no_task")
	errNoUser := NotFound("no such user").WithCode("no_user")
	errTaskGone := NotFound("no such task")    // a constructor's code only
	errUserGone := NotFound("no such user")    // the same status and code
	errRenamed := errTaskGone.WithMessage("x") // a sentinel made from one
	errLiteral := &Error{Status: 409}
	errCustomLiteral := &Error{Status: 409, Code: "stock_taken"}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"own code, through WithCause", errNoTask.WithCause(io.EOF), errNoTask, true},
		{"own code, through several copies", errNoTask.WithMessage("task 7").WithFields(QueryParam("id", "x")).WithExtension("id", 7), errNoTask, true},
		{"own code, wrapped again", fmt.Errorf("store: %w", errNoTask.WithCause(io.EOF)), errNoTask, true},
		{"own code, built again (a decoded response)", &Error{Status: 404, Code: "no_task", Message: "gone"}, errNoTask, true},
		{"other own code", errNoUser.WithCause(io.EOF), errNoTask, false},
		{"own code, other status", Conflict("").WithCode("no_task"), errNoTask, false},
		{"code changed by WithCode", errNoTask.WithCode("no_task_v2"), errNoTask, false},
		{"generic code, the sentinel itself", errTaskGone, errTaskGone, true},
		{"generic code, through WithCause", errTaskGone.WithCause(io.EOF), errTaskGone, true},
		{"generic code, unrelated sentinel", errUserGone.WithCause(io.EOF), errTaskGone, false},
		{"generic code, fresh constructor", NotFound(""), errTaskGone, false},
		{"generic code, sentinel made from a sentinel", errRenamed.WithCause(io.EOF), errRenamed, true},
		{"copy of a copy is still the original", errRenamed, errTaskGone, true},
		{"the original is not its copy", errTaskGone, errRenamed, false},
		{"literal without code through WithCause", errLiteral.WithCause(io.EOF), errLiteral, true},
		{"literal without code, fresh Conflict", Conflict(""), errLiteral, false},
		{"literal with own code, rebuilt", &Error{Status: 409, Code: "stock_taken"}, errCustomLiteral, true},
		{"not an *Error target", errNoTask, io.EOF, false},
		{"nil *Error target", errNoTask, (*Error)(nil), false},
		{"cause still found", errNoTask.WithCause(io.EOF), io.EOF, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stderrors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
			if got := Is(tt.err, tt.target); got != tt.want {
				t.Errorf("Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestLiteralDefaults(t *testing.T) {
	tests := []struct {
		name     string
		err      *Error
		format   Format
		wantBody string
		wantText string
	}{
		{"conflict", &Error{Status: 409}, Envelope,
			`{"error":{"code":"conflict","message":"the request conflicts with the current state of the resource"}}`,
			"conflict: the request conflicts with the current state of the resource"},
		{"code kept, message derived", &Error{Status: 404, Code: "no_task"}, Envelope,
			`{"error":{"code":"no_task","message":"the resource does not exist"}}`, "no_task: the resource does not exist"},
		{"message kept, code derived", &Error{Status: 422, Message: "bad"}, Envelope,
			`{"error":{"code":"validation_failed","message":"bad"}}`, "validation_failed: bad"},
		{"status without a constructor", &Error{Status: 410}, Envelope,
			`{"error":{"code":"gone","message":"gone"}}`, "gone: gone"},
		{"renamed status text", &Error{Status: 413}, Envelope,
			`{"error":{"code":"content_too_large","message":"the request body is too large"}}`, "content_too_large: the request body is too large"},
		{"punctuated status text", &Error{Status: 418}, Envelope,
			`{"error":{"code":"im_a_teapot","message":"i'm a teapot"}}`, "im_a_teapot: i'm a teapot"},
		{"unnamed status", &Error{Status: 499}, Envelope,
			`{"error":{"code":"status_499","message":"the request failed"}}`, "status_499: the request failed"},
		{"problem format", &Error{Status: 409}, Problem,
			`{"type":"about:blank","title":"Conflict","status":409,"detail":"the request conflicts with the current state of the resource","code":"conflict"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rd := &Renderer{Format: tt.format}
			rd.Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), tt.err)
			if rec.Code != tt.err.Status || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tt.err.Status, tt.wantBody)
			}
			if tt.wantText != "" && tt.err.Error() != tt.wantText {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.wantText)
			}
		})
	}
	// The literal itself is left as it was: it may be a shared sentinel.
	e := &Error{Status: 409}
	Write(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), e)
	if e.Code != "" || e.Message != "" {
		t.Errorf("Write modified the literal: %+v", e)
	}
}

func TestWriteTypedNil(t *testing.T) {
	var nilErr *Error
	tests := []struct {
		name string
		err  error
	}{
		{"typed nil", nilErr},
		{"wrapped typed nil", fmt.Errorf("lookup: %w", nilErr)},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			rd := &Renderer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			rec := httptest.NewRecorder()
			rd.Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), tt.err)
			want := `{"error":{"code":"internal_error","message":"internal error"}}`
			if rec.Code != 500 || rec.Body.String() != want {
				t.Errorf("got %d %s, want 500 %s", rec.Code, rec.Body.String(), want)
			}
			if !strings.Contains(logs.String(), "request failed") {
				t.Errorf("log %q lacks the failure", logs.String())
			}
		})
	}
	if got := nilErr.Error(); got != "<nil>" {
		t.Errorf("(*Error)(nil).Error() = %q, want <nil>", got)
	}
	if got := nilErr.Unwrap(); got != nil {
		t.Errorf("(*Error)(nil).Unwrap() = %v, want nil", got)
	}
}

func TestWithHeader(t *testing.T) {
	base := MethodNotAllowed("").WithHeader("allow", "GET")
	c := base.WithHeader("Allow", "GET, HEAD").WithHeader("Retry-After", "5")
	if got := base.Header; !reflect.DeepEqual(got, http.Header{"Allow": {"GET"}}) {
		t.Errorf("original header = %v, want Allow: GET", got)
	}
	if want := (http.Header{"Allow": {"GET, HEAD"}, "Retry-After": {"5"}}); !reflect.DeepEqual(c.Header, want) {
		t.Errorf("copy header = %v, want %v", c.Header, want)
	}
}

func TestWriteHeader(t *testing.T) {
	e := &Error{Status: 405, Code: "method_not_allowed", Message: "no", Header: http.Header{
		"Allow":                  {"GET", "HEAD"},
		"Content-Type":           {"text/html"},
		"Content-Length":         {"1"},
		"Cache-Control":          {"public"},
		"X-Content-Type-Options": {"none"},
	}}
	for _, rd := range []*Renderer{{}, {Format: Problem}} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Allow", "POST") // set earlier: the error's value wins
		rd.Write(rec, httptest.NewRequest(http.MethodDelete, "/", nil), Join(io.EOF, e))
		h := rec.Header()
		if rec.Code != 405 || !reflect.DeepEqual(h["Allow"], []string{"GET", "HEAD"}) {
			t.Errorf("format %d: %d Allow %q, want 405 GET, HEAD", rd.Format, rec.Code, h["Allow"])
		}
		if ct := h.Get("Content-Type"); ct == "text/html" || h.Get("Content-Length") != "" ||
			h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("format %d: the error's header replaced Write's own: %v", rd.Format, h)
		}
		// A later Add on the response must not write into the shared Error.
		h.Add("Allow", "PUT")
		if !reflect.DeepEqual(e.Header["Allow"], []string{"GET", "HEAD"}) {
			t.Fatalf("the response's header writes into the Error's: %v", e.Header["Allow"])
		}
	}
}
