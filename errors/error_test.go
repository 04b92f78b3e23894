package errors

import (
	stderrors "errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
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
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
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
