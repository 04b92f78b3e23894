package errors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restwell/restwell/requestid"
)

const testReqID = "0198c4d2-7b1a-7c3e-9a55-1f2e3d4c5b6a"

// render writes err through rd for a GET /items request carrying testReqID
// and returns the recorder and what was logged.
func render(t *testing.T, rd *Renderer, err error) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logs bytes.Buffer
	rd.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	req := httptest.NewRequest(http.MethodGet, "/items", nil)
	req = req.WithContext(requestid.NewContext(req.Context(), testReqID))
	rec := httptest.NewRecorder()
	rd.Write(rec, req, err)
	return rec, logs.String()
}

func TestWriteEnvelope(t *testing.T) {
	rid := `,"request_id":"` + testReqID + `"`
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
	}{
		{"400", BadRequest("limit must be a number"), 400, `{"error":{"code":"bad_request","message":"limit must be a number"` + rid + `}}`},
		{"401", Unauthorized(""), 401, `{"error":{"code":"unauthorized","message":"authentication is required"` + rid + `}}`},
		{"403", Forbidden(""), 403, `{"error":{"code":"forbidden","message":"this request is not allowed"` + rid + `}}`},
		{"404", NotFound(""), 404, `{"error":{"code":"not_found","message":"the resource does not exist"` + rid + `}}`},
		{"405", MethodNotAllowed(""), 405, `{"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource"` + rid + `}}`},
		{"409", Conflict(""), 409, `{"error":{"code":"conflict","message":"the request conflicts with the current state of the resource"` + rid + `}}`},
		{"412", PreconditionFailed(""), 412, `{"error":{"code":"precondition_failed","message":"a precondition of the request did not hold"` + rid + `}}`},
		{"413", ContentTooLarge(""), 413, `{"error":{"code":"content_too_large","message":"the request body is too large"` + rid + `}}`},
		{"415", UnsupportedMediaType(""), 415, `{"error":{"code":"unsupported_media_type","message":"the request body's media type is not supported"` + rid + `}}`},
		{"422", Validation("", BodyField("/price/amount", "must be >= 0"), BodyField("/items/0/name", "is required"),
			QueryParam("limit", "must be <= 100"), HeaderField("If-Match", "is malformed"), BodyField("/price/amount", "must be an integer")), 422,
			`{"error":{"code":"validation_failed","message":"the request did not pass validation","details":{"price.amount":["must be >= 0","must be an integer"],"items.0.name":["is required"],"limit":["must be <= 100"],"If-Match":["is malformed"]}` + rid + `}}`},
		{"428", PreconditionRequired("send If-Match"), 428, `{"error":{"code":"precondition_required","message":"send If-Match"` + rid + `}}`},
		{"429", TooManyRequests(""), 429, `{"error":{"code":"rate_limited","message":"too many requests"` + rid + `}}`},
		{"503", Unavailable("try later"), 503, `{"error":{"code":"unavailable","message":"try later"` + rid + `}}`},
		{"500 internal", Internal(io.EOF), 500, `{"error":{"code":"internal_error","message":"internal error"` + rid + `}}`},
		{"foreign error", fmt.Errorf("dial tcp 10.0.0.5:5432: password=hunter2"), 500, `{"error":{"code":"internal_error","message":"internal error"` + rid + `}}`},
		{"nil error", nil, 500, `{"error":{"code":"internal_error","message":"internal error"` + rid + `}}`},
		{"wrapped *Error", fmt.Errorf("loading: %w", NotFound("gone")), 404, `{"error":{"code":"not_found","message":"gone"` + rid + `}}`},
		{"status out of range", &Error{Status: 200, Code: "ok", Message: "fine"}, 500, `{"error":{"code":"internal_error","message":"internal error"` + rid + `}}`},
		{"max bytes", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, `{"error":{"code":"content_too_large","message":"the request body is larger than 10 bytes"` + rid + `}}`},
		{"extensions", TooManyRequests("").WithExtension("violated-policies", []string{"burst"}).WithExtension("code", "ignored"), 429,
			`{"error":{"code":"rate_limited","message":"too many requests"` + rid + `,"violated-policies":["burst"]}}`},
		{"escaping", BadRequest("a \"quote\" <b>&\\ \n\t\x01 \u2028 \xff ü"), 400,
			`{"error":{"code":"bad_request","message":"a \"quote\" <b>&\\ \n\t\u0001 \u2028 \ufffd ü"` + rid + `}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := render(t, &Renderer{}, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.wantBody)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Error("body is not valid JSON")
			}
			checkHeaders(t, rec.Header(), "application/json; charset=utf-8")
		})
	}
}

func checkHeaders(t *testing.T, h http.Header, wantCT string) {
	t.Helper()
	want := map[string]string{"Content-Type": wantCT, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
}

func TestWriteProblem(t *testing.T) {
	tests := []struct {
		name       string
		rd         Renderer
		err        error
		wantStatus int
		wantBody   string
	}{
		{"about:blank", Renderer{Format: Problem}, NotFound("no item 7"), 404,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"no item 7","code":"not_found","request_id":"` + testReqID + `"}`},
		{"type per code", Renderer{Format: Problem, TypeBase: "https://api.example.com/problems/"}, Conflict(""), 409,
			`{"type":"https://api.example.com/problems/conflict","title":"Conflict","status":409,"detail":"the request conflicts with the current state of the resource","code":"conflict","request_id":"` + testReqID + `"}`},
		{"explicit type and title", Renderer{Format: Problem, TypeBase: "https://x/"},
			&Error{Status: 429, Code: "rate_limited", Message: "slow down", Type: "https://iana.org/assignments/http-problem-types#quota-exceeded",
				Title: "Quota exceeded", Extensions: map[string]any{"violated-policies": []string{"default"}, "status": 1, "errors": 2}}, 429,
			`{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded","title":"Quota exceeded","status":429,"detail":"slow down","code":"rate_limited","request_id":"` + testReqID + `","violated-policies":["default"]}`},
		{"field errors", Renderer{Format: Problem}, Validation("", BodyField("/price/amount", "must be >= 0"),
			BodyField("/e mail", "is invalid"), BodyField("/a~1b", "is required"), BodyField("/ü", "bad"),
			QueryParam("limit", "must be <= 100"), HeaderField("If-Match", "is malformed")), 422,
			`{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request did not pass validation","code":"validation_failed","request_id":"` + testReqID + `",` +
				`"errors":[{"detail":"must be >= 0","pointer":"#/price/amount"},{"detail":"is invalid","pointer":"#/e%20mail"},{"detail":"is required","pointer":"#/a~1b"},{"detail":"bad","pointer":"#/%C3%BC"},` +
				`{"detail":"must be <= 100","parameter":"limit"},{"detail":"is malformed","header":"If-Match"}]}`},
		{"413 title", Renderer{Format: Problem}, ContentTooLarge(""), 413,
			`{"type":"about:blank","title":"Content Too Large","status":413,"detail":"the request body is too large","code":"content_too_large","request_id":"` + testReqID + `"}`},
		{"5xx has instance", Renderer{Format: Problem}, fmt.Errorf("secret detail"), 500,
			`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error","instance":"urn:uuid:` + testReqID + `","code":"internal_error","request_id":"` + testReqID + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := tt.rd
			rec, _ := render(t, &rd, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.wantBody)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("body is not valid JSON: %v", err)
			}
			if m["status"] != float64(rec.Code) {
				t.Errorf("status member %v differs from the response status %d", m["status"], rec.Code)
			}
			if _, nested := m["extensions"]; nested {
				t.Error("extension members nested under \"extensions\"")
			}
			checkHeaders(t, rec.Header(), "application/problem+json")
		})
	}
}

func TestWrite5xxLogsCauseNotBody(t *testing.T) {
	for _, f := range []Format{Envelope, Problem} {
		rec, logs := render(t, &Renderer{Format: f}, fmt.Errorf("db: password=hunter2"))
		if strings.Contains(rec.Body.String(), "hunter2") {
			t.Errorf("format %d: body leaks the cause: %s", f, rec.Body.String())
		}
		for _, want := range []string{"level=ERROR", "hunter2", "status=500", "request_id=" + testReqID, "instance=urn:uuid:" + testReqID, "method=GET", "path=/items"} {
			if !strings.Contains(logs, want) {
				t.Errorf("format %d: log %q lacks %q", f, logs, want)
			}
		}
	}
	// 4xx are the client's business and are not logged.
	if _, logs := render(t, &Renderer{}, NotFound("")); logs != "" {
		t.Errorf("4xx logged: %q", logs)
	}
}

func TestWriteInstanceWithoutUUIDRequestID(t *testing.T) {
	var logs bytes.Buffer
	rd := &Renderer{Format: Problem, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(requestid.NewContext(req.Context(), "client-chosen-id"))
	rec := httptest.NewRecorder()
	rd.Write(rec, req, io.EOF)
	var p struct {
		Instance string `json:"instance"`
	}
	json.Unmarshal(rec.Body.Bytes(), &p)
	if !strings.HasPrefix(p.Instance, "urn:uuid:") || len(p.Instance) != len("urn:uuid:")+36 {
		t.Fatalf("instance = %q, want a urn:uuid:", p.Instance)
	}
	if !strings.Contains(logs.String(), "instance="+p.Instance) {
		t.Errorf("log %q does not carry instance %s", logs.String(), p.Instance)
	}
}

func TestWriteWithoutRequestID(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), NotFound(""))
	if got, want := rec.Body.String(), `{"error":{"code":"not_found","message":"the resource does not exist"}}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestWriteClearsStaleHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	h := rec.Header()
	h.Set("ETag", `"v1"`)
	h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	h.Set("Content-Length", "9999")
	h.Set("Content-Type", "text/html")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Allow", "GET")
	Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), NotFound(""))
	for _, k := range []string{"Etag", "Last-Modified", "Content-Length"} {
		if v := rec.Header().Get(k); v != "" {
			t.Errorf("%s = %q, want removed", k, v)
		}
	}
	checkHeaders(t, rec.Header(), "application/json; charset=utf-8")
	if rec.Header().Get("Allow") != "GET" {
		t.Error("unrelated header Allow removed")
	}
}

func TestRendererHandlerChoosesFormat(t *testing.T) {
	rd := &Renderer{Format: Problem}
	h := rd.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Write(w, r, NotFound(""))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	// Without the renderer in the context, the default envelope.
	rec = httptest.NewRecorder()
	Write(rec, nil, NotFound(""))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type without renderer = %q", ct)
	}
}

// marshalNoHTML is encoding/json's string encoding without HTML escaping.
func marshalNoHTML(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\"\\/", "<script>&", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "日本語", "a\xc3"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("appendString(%q) = %s is not valid JSON: %v", s, got, err)
			continue
		}
		if want := marshalNoHTML(s); string(got) != want {
			t.Errorf("appendString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

// FuzzAppendString checks the hand-written JSON string encoder against
// encoding/json for any input.
//
//	go test ./errors -run '^$' -fuzz FuzzAppendString -fuzztime 60s
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\u2028", "\xff", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if want := marshalNoHTML(s); string(got) != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkWrite(b *testing.B) {
	cases := []struct {
		name string
		rd   *Renderer
		err  error
	}{
		{"envelope/404", &Renderer{}, NotFound("no item with that id")},
		{"problem/404", &Renderer{Format: Problem}, NotFound("no item with that id")},
		{"envelope/422", &Renderer{}, Validation("", BodyField("/price/amount", "must be >= 0"), QueryParam("limit", "must be <= 100"))},
		{"problem/422", &Renderer{Format: Problem}, Validation("", BodyField("/price/amount", "must be >= 0"), QueryParam("limit", "must be <= 100"))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
			req = req.WithContext(requestid.NewContext(req.Context(), testReqID))
			w := &discardWriter{h: make(http.Header, 4)}
			b.ReportAllocs()
			for b.Loop() {
				c.rd.Write(w, req, c.err)
			}
		})
	}
}

func TestWriteAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage or the race detector")
	}
	req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
	req = req.WithContext(requestid.NewContext(req.Context(), testReqID))
	w := &discardWriter{h: make(http.Header, 4)}
	err := NotFound("no item with that id")
	rd := &Renderer{}
	if n := testing.AllocsPerRun(200, func() { rd.Write(w, req, err) }); n > 4 {
		t.Errorf("Write of a 4xx envelope allocates %v times, want at most 4", n)
	}
}
