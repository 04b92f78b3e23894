package etag

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// T is the Last-Modified of the fixture resource, whose ETag is "v1".
var T = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func httpDate(t time.Time) string { return FormatDate(t) }

// fixture describes the resource a table row runs against.
type fixture struct {
	missing bool // no current representation
	noTag   bool // exists without an ETag
	noLM    bool // exists without a Last-Modified
}

func (f fixture) validators() Validators {
	if f.missing {
		return Validators{Missing: true}
	}
	var v Validators
	if !f.noTag {
		v.ETag = `"v1"`
	}
	if !f.noLM {
		v.LastModified = T.Add(400 * time.Millisecond) // sub-second part must not count
	}
	return v
}

const fixtureBody = "0123456789"

// resource is a handler for the fixture: GET and HEAD send its own ETag
// and Last-Modified and honour Range as Check says; writes succeed with
// 204, or 201 when they create. ran counts handler runs.
func resource(f fixture, ran *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*ran++
		h := w.Header()
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if f.missing {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			v := f.validators()
			if v.ETag != "" {
				h.Set("ETag", v.ETag)
			}
			SetLastModified(h, v.LastModified)
			h.Set("Cache-Control", PrivateNoCache)
			h.Set("Content-Location", "/items/1")
			h.Set("Date", httpDate(T.Add(time.Hour)))
			h.Set("Expires", httpDate(T.Add(2*time.Hour)))
			h.Set("Vary", "Accept-Encoding")
			h.Set("Content-Type", "text/plain")
			h.Set("Content-Language", "en")
			h.Set("X-Request-Id", "req-1")
			if Check(r, v).Range && r.Header.Get("Range") == "bytes=0-3" {
				h.Set("Content-Range", "bytes 0-3/10")
				h.Set("Content-Length", "4")
				w.WriteHeader(http.StatusPartialContent)
				io.WriteString(w, fixtureBody[:4])
				return
			}
			h.Set("Content-Length", "10")
			io.WriteString(w, fixtureBody)
		case http.MethodPut:
			if f.missing {
				w.WriteHeader(http.StatusCreated)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPost:
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

// hdr is a request header line; a name may repeat.
type hdr struct{ name, value string }

func request(method string, headers ...hdr) *http.Request {
	r := httptest.NewRequest(method, "/items/1", nil)
	for _, h := range headers {
		r.Header.Add(h.name, h.value)
	}
	return r
}

// TestRFCTable has one row per rule of RFC 9110 §13 and §15.4.5 and
// RFC 6585 §3 (the numbers refer to the conditional-request table of the
// project's standards notes). Each row runs twice: through the middleware
// around the fixture handler (status, and whether the handler ran), and
// through Check alone.
func TestRFCTable(t *testing.T) {
	before, after := httpDate(T.Add(-time.Hour)), httpDate(T.Add(time.Hour))
	tests := []struct {
		name      string
		f         fixture
		method    string
		headers   []hdr
		require   bool // RequireCondition: RequireForUpdates
		want      int  // status through the middleware
		ran       bool // the handler ran
		wantCheck int  // Check's Result.Status
		wantRange bool // Check's Result.Range
	}{
		{name: "1 PUT If-Match other tag", method: "PUT", headers: []hdr{{"If-Match", `"v0"`}},
			want: 412, wantCheck: 412},
		{name: "1 PUT If-Match list without the tag", method: "PUT", headers: []hdr{{"If-Match", `"v0", "v2"`}},
			want: 412, wantCheck: 412},
		{name: "1 PUT If-Match current tag", method: "PUT", headers: []hdr{{"If-Match", `"v1"`}},
			want: 204, ran: true},
		{name: "2 PUT If-Match weak form of the tag (strong comparison)", method: "PUT", headers: []hdr{{"If-Match", `W/"v1"`}},
			want: 412, wantCheck: 412},
		{name: "2 PUT If-Match against a weak current tag", f: fixture{noTag: true}, method: "PUT", headers: []hdr{{"If-Match", `"v1"`}},
			want: 412, wantCheck: 412},
		{name: "3 PUT If-Match * on an existing resource", method: "PUT", headers: []hdr{{"If-Match", "*"}},
			want: 204, ran: true},
		{name: "3 PUT If-Match * on a missing resource", f: fixture{missing: true}, method: "PUT", headers: []hdr{{"If-Match", "*"}},
			want: 412, wantCheck: 412},
		{name: "3 PUT If-Match tag on a missing resource", f: fixture{missing: true}, method: "PUT", headers: []hdr{{"If-Match", `"v1"`}},
			want: 412, wantCheck: 412},
		{name: "4 PUT If-Match current + If-Unmodified-Since before T (IUS ignored)", method: "PUT",
			headers: []hdr{{"If-Match", `"v1"`}, {"If-Unmodified-Since", before}}, want: 204, ran: true},
		{name: "4 PUT If-Match * + If-Unmodified-Since before T", method: "PUT",
			headers: []hdr{{"If-Match", `*`}, {"If-Unmodified-Since", before}}, want: 204, ran: true},
		{name: "5 PUT If-Unmodified-Since before T", method: "PUT", headers: []hdr{{"If-Unmodified-Since", before}},
			want: 412, wantCheck: 412},
		{name: "5 PUT If-Unmodified-Since at T (whole seconds)", method: "PUT", headers: []hdr{{"If-Unmodified-Since", httpDate(T)}},
			want: 204, ran: true},
		{name: "5 PUT If-Unmodified-Since invalid date", method: "PUT", headers: []hdr{{"If-Unmodified-Since", "yesterday"}},
			want: 204, ran: true},
		{name: "5 PUT If-Unmodified-Since as a list of dates", method: "PUT",
			headers: []hdr{{"If-Unmodified-Since", before}, {"If-Unmodified-Since", before}}, want: 204, ran: true},
		{name: "5 PUT If-Unmodified-Since without Last-Modified", f: fixture{noLM: true}, method: "PUT",
			headers: []hdr{{"If-Unmodified-Since", before}}, want: 204, ran: true},
		{name: "5 PUT If-Unmodified-Since on a missing resource", f: fixture{missing: true}, method: "PUT",
			headers: []hdr{{"If-Unmodified-Since", before}}, want: 201, ran: true},
		{name: "6 GET If-None-Match list with the weak form", method: "GET", headers: []hdr{{"If-None-Match", `"x", W/"v1"`}},
			want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match over repeated lines", method: "GET",
			headers: []hdr{{"If-None-Match", `"x"`}, {"If-None-Match", `"y", "v1"`}}, want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match with an invalid member skipped", method: "GET",
			headers: []hdr{{"If-None-Match", `junk, w/"v1", "v1"`}}, want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match other tags", method: "GET", headers: []hdr{{"If-None-Match", `"x", W/"v0"`}},
			want: 200, ran: true},
		{name: "6 HEAD If-None-Match", method: "HEAD", headers: []hdr{{"If-None-Match", `"v1"`}},
			want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match * on an existing resource", method: "GET", headers: []hdr{{"If-None-Match", `*`}},
			want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match -gzip suffixed tag", method: "GET", headers: []hdr{{"If-None-Match", `"v1-gzip"`}},
			want: 304, ran: true, wantCheck: 304},
		{name: "6 GET If-None-Match W/ -br suffixed tag", method: "GET", headers: []hdr{{"If-None-Match", `W/"v1-br"`}},
			want: 304, ran: true, wantCheck: 304},
		{name: "6 PUT If-None-Match -gzip suffixed tag is another tag", method: "PUT", headers: []hdr{{"If-None-Match", `"v1-gzip"`}},
			want: 204, ran: true},
		{name: "6 POST If-None-Match -gzip suffixed tag is another tag", method: "POST", headers: []hdr{{"If-None-Match", `"v1-gzip"`}},
			want: 201, ran: true},
		{name: "6 DELETE If-None-Match W/ -br suffixed tag is another tag", method: "DELETE", headers: []hdr{{"If-None-Match", `W/"v1-br"`}},
			want: 204, ran: true},
		{name: "6 PUT If-None-Match list with a suffixed and the current tag", method: "PUT",
			headers: []hdr{{"If-None-Match", `"v1-zstd", "v1"`}}, want: 412, wantCheck: 412},
		{name: "7 PUT If-None-Match * on an existing resource", method: "PUT", headers: []hdr{{"If-None-Match", "*"}},
			want: 412, wantCheck: 412},
		{name: "7 PUT If-None-Match * on a missing resource (create)", f: fixture{missing: true}, method: "PUT",
			headers: []hdr{{"If-None-Match", "*"}}, want: 201, ran: true},
		{name: "7 POST If-None-Match * on an existing resource", method: "POST", headers: []hdr{{"If-None-Match", "*"}},
			want: 412, wantCheck: 412},
		{name: "7 POST If-None-Match * on a missing resource", f: fixture{missing: true}, method: "POST",
			headers: []hdr{{"If-None-Match", "*"}}, want: 201, ran: true},
		{name: "7 DELETE If-None-Match * on an existing resource", method: "DELETE", headers: []hdr{{"If-None-Match", "*"}},
			want: 412, wantCheck: 412},
		{name: "7 PUT If-None-Match current tag", method: "PUT", headers: []hdr{{"If-None-Match", `W/"v1"`}},
			want: 412, wantCheck: 412},
		{name: "8 GET If-None-Match other + If-Modified-Since after T (IMS ignored)", method: "GET",
			headers: []hdr{{"If-None-Match", `"v0"`}, {"If-Modified-Since", after}}, want: 200, ran: true},
		{name: "9 GET If-Modified-Since at T", method: "GET", headers: []hdr{{"If-Modified-Since", httpDate(T)}},
			want: 304, ran: true, wantCheck: 304},
		{name: "9 GET If-Modified-Since after T", method: "GET", headers: []hdr{{"If-Modified-Since", after}},
			want: 304, ran: true, wantCheck: 304},
		{name: "9 GET If-Modified-Since before T", method: "GET", headers: []hdr{{"If-Modified-Since", before}},
			want: 200, ran: true},
		{name: "9 GET If-Modified-Since in RFC 850 form", method: "GET", headers: []hdr{{"If-Modified-Since", "Wednesday, 01-May-24 12:00:00 GMT"}},
			want: 304, ran: true, wantCheck: 304},
		{name: "9 GET If-Modified-Since in asctime form", method: "GET", headers: []hdr{{"If-Modified-Since", "Wed May  1 12:00:00 2024"}},
			want: 304, ran: true, wantCheck: 304},
		{name: "9 POST If-Modified-Since after T (ignored)", method: "POST", headers: []hdr{{"If-Modified-Since", after}},
			want: 201, ran: true},
		{name: "9 GET If-Modified-Since invalid date", method: "GET", headers: []hdr{{"If-Modified-Since", "2024-05-01T12:00:00Z"}},
			want: 200, ran: true},
		{name: "9 GET If-Modified-Since without Last-Modified", f: fixture{noLM: true}, method: "GET",
			headers: []hdr{{"If-Modified-Since", after}}, want: 200, ran: true},
		{name: "10 GET Range + If-Range current tag", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", `"v1"`}},
			want: 206, ran: true, wantRange: true},
		{name: "10 GET Range + If-Range weak tag", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", `W/"v1"`}},
			want: 200, ran: true},
		{name: "10 GET Range + If-Range other tag", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", `"v0"`}},
			want: 200, ran: true},
		{name: "10 GET Range + If-Range exact Last-Modified", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", httpDate(T)}},
			want: 206, ran: true, wantRange: true},
		{name: "10 GET Range + If-Range other date", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", after}},
			want: 200, ran: true},
		{name: "10 GET Range + If-Range date without Last-Modified", f: fixture{noLM: true}, method: "GET",
			headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", httpDate(T)}}, want: 200, ran: true},
		{name: "10 GET Range without If-Range", method: "GET", headers: []hdr{{"Range", "bytes=0-3"}},
			want: 206, ran: true, wantRange: true},
		{name: "10 HEAD Range is ignored", method: "HEAD", headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", `"v1"`}},
			want: 200, ran: true},
		{name: "10 GET Range + If-Range then If-None-Match decides first", method: "GET",
			headers: []hdr{{"Range", "bytes=0-3"}, {"If-Range", `"v1"`}, {"If-None-Match", `"v1"`}}, want: 304, ran: true, wantCheck: 304},
		{name: "11 GET missing + If-Match * (404, not 412)", f: fixture{missing: true}, method: "GET",
			headers: []hdr{{"If-Match", "*"}}, want: 404, ran: true},
		{name: "11 GET missing + If-None-Match *", f: fixture{missing: true}, method: "GET",
			headers: []hdr{{"If-None-Match", "*"}}, want: 404, ran: true},
		{name: "12 OPTIONS ignores conditions", method: "OPTIONS", headers: []hdr{{"If-Match", `"v0"`}, {"If-None-Match", "*"}},
			want: 204, ran: true},
		{name: "12 CONNECT ignores conditions", method: "CONNECT", headers: []hdr{{"If-Match", `"v0"`}},
			want: 204, ran: true},
		{name: "12 TRACE ignores conditions", method: "TRACE", headers: []hdr{{"If-Unmodified-Since", before}},
			want: 204, ran: true},
		{name: "15 If-Match with lower-case w/ is not a tag", method: "PUT", headers: []hdr{{"If-Match", `w/"v1"`}},
			want: 412, wantCheck: 412},
		{name: "15 If-Match with an invalid member skipped", method: "PUT", headers: []hdr{{"If-Match", `v1, "a b", "v1"`}},
			want: 204, ran: true},
		{name: "15 If-Match -gzip suffixed tag stays strict", method: "PUT", headers: []hdr{{"If-Match", `"v1-gzip"`}},
			want: 412, wantCheck: 412},
		{name: "15 If-Match empty field counts as absent", method: "PUT", headers: []hdr{{"If-Match", ` `}},
			want: 204, ran: true},
		{name: "15 If-Match with no valid member fails", method: "PUT", headers: []hdr{{"If-Match", `,`}},
			want: 412, wantCheck: 412},
		{name: "17 PUT without a condition where one is required", method: "PUT", require: true,
			want: 428},
		{name: "17 DELETE without a condition where one is required", method: "DELETE", require: true,
			want: 428},
		{name: "17 POST needs no condition under RequireForUpdates", method: "POST", require: true,
			want: 201, ran: true},
		{name: "17 conditional PUT where one is required", method: "PUT", require: true, headers: []hdr{{"If-Match", `"v1"`}},
			want: 204, ran: true},
		{name: "17 create with If-None-Match * where one is required", f: fixture{missing: true}, method: "PUT", require: true,
			headers: []hdr{{"If-None-Match", "*"}}, want: 201, ran: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Validators: func(*http.Request) (Validators, error) { return tt.f.validators(), nil }}
			if tt.require {
				cfg.RequireCondition = RequireForUpdates
			}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var ran int
			rec := httptest.NewRecorder()
			m.Handler(resource(tt.f, &ran)).ServeHTTP(rec, request(tt.method, tt.headers...))
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.want, rec.Body.String())
			}
			if (ran > 0) != tt.ran {
				t.Errorf("handler ran = %v, want %v", ran > 0, tt.ran)
			}
			if tt.method != http.MethodGet && tt.method != http.MethodHead && rec.Code < 300 {
				// 16: a successful write gets no validators from the middleware.
				if h := rec.Header(); h.Get("ETag") != "" || h.Get("Last-Modified") != "" {
					t.Errorf("write response carries ETag %q Last-Modified %q", h.Get("ETag"), h.Get("Last-Modified"))
				}
			}
			if tt.want == 412 || tt.want == 428 {
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			}
			if tt.require && tt.want == 428 {
				return // Check knows nothing about requirements
			}
			res := Check(request(tt.method, tt.headers...), tt.f.validators())
			if res.Status != tt.wantCheck || res.Range != tt.wantRange {
				t.Errorf("Check = %+v, want Status %d Range %v", res, tt.wantCheck, tt.wantRange)
			}
		})
	}
}

// TestNotModifiedHeaders is row 13: a 304 carries what the 200 would for
// caches (Cache-Control, Content-Location, Date, ETag, Expires, Vary),
// drops content metadata, keeps Last-Modified only without an ETag, and
// has no body.
func TestNotModifiedHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       fixture
		headers []hdr
		wantLM  bool
	}{
		{"with ETag", fixture{}, []hdr{{"If-None-Match", `"v1"`}}, false},
		{"with only Last-Modified", fixture{noTag: true}, []hdr{{"If-Modified-Since", httpDate(T)}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := New(Config{DisableAuto: true})
			var ran int
			rec := httptest.NewRecorder()
			m.Handler(resource(tc.f, &ran)).ServeHTTP(rec, request("GET", tc.headers...))
			if rec.Code != 304 {
				t.Fatalf("status = %d, want 304", rec.Code)
			}
			h := rec.Header()
			want := map[string]string{
				"Cache-Control":    PrivateNoCache,
				"Content-Location": "/items/1",
				"Date":             httpDate(T.Add(time.Hour)),
				"Expires":          httpDate(T.Add(2 * time.Hour)),
				"Vary":             "Accept-Encoding",
				"X-Request-Id":     "req-1",
			}
			if !tc.f.noTag {
				want["Etag"] = `"v1"`
			}
			if tc.wantLM {
				want["Last-Modified"] = httpDate(T)
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for k := range h {
				if _, ok := want[k]; !ok {
					t.Errorf("304 carries %s: %q", k, h[k])
				}
			}
			if rec.Body.Len() != 0 {
				t.Errorf("304 has a body: %q", rec.Body.String())
			}
		})
	}
}

// TestHeadTagEqualsGet is row 14, for automatic tags: HEAD gets the tag
// of GET, a Content-Length, and revalidates.
func TestHeadTagEqualsGet(t *testing.T) {
	body := strings.Repeat(`{"id":1,"name":"mug"}`, 100)
	srv := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	})))
	defer srv.Close()
	do := func(method string, headers ...hdr) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL, nil)
		for _, h := range headers {
			req.Header.Add(h.name, h.value)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	get, head := do("GET"), do("HEAD")
	want := Of([]byte(body))
	if get.Header.Get("ETag") != want || head.Header.Get("ETag") != want {
		t.Errorf("GET ETag %q, HEAD ETag %q, want both %q", get.Header.Get("ETag"), head.Header.Get("ETag"), want)
	}
	if get.ContentLength != int64(len(body)) || head.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length GET %d HEAD %d, want %d", get.ContentLength, head.ContentLength, len(body))
	}
	if resp := do("HEAD", hdr{"If-None-Match", want}); resp.StatusCode != 304 {
		t.Errorf("HEAD revalidation: status %d, want 304", resp.StatusCode)
	}
	if !Valid(want) || len(want) != 24 || want[0] != '"' {
		t.Errorf("automatic tag %q is not a quoted 22-character strong tag", want)
	}
}

// TestRequiredMessage is row 17 in detail: the 428 names the header to
// send, in the envelope, and is not cacheable.
func TestRequiredMessage(t *testing.T) {
	for _, tc := range []struct {
		f          fixture
		wantHeader string
	}{
		{fixture{}, "If-Match"},
		{fixture{noTag: true}, "If-Unmodified-Since"},
		{fixture{missing: true}, "If-None-Match"},
	} {
		m, _ := New(Config{
			Validators:       func(*http.Request) (Validators, error) { return tc.f.validators(), nil },
			RequireCondition: RequireForUpdates,
		})
		var ran int
		rec := httptest.NewRecorder()
		m.Handler(resource(tc.f, &ran)).ServeHTTP(rec, request("PUT"))
		body := rec.Body.String()
		if rec.Code != 428 || !strings.Contains(body, `"code":"precondition_required"`) ||
			!strings.Contains(body, "send the "+tc.wantHeader+" header") || !strings.Contains(body, `"`+tc.wantHeader+`":[`) {
			t.Errorf("%+v: %d %s, want 428 naming %s", tc.f, rec.Code, body, tc.wantHeader)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		if ran != 0 {
			t.Error("handler ran")
		}
	}
}

func TestCheckInvalidCurrentTag(t *testing.T) {
	v := Validators{ETag: "v1"} // not quoted: no entity tag at all
	if res := Check(request("PUT", hdr{"If-Match", `"v1"`}), v); res.Status != 412 {
		t.Errorf("If-Match against an invalid current tag: %+v, want 412", res)
	}
	if res := Check(request("GET", hdr{"If-None-Match", `"v1"`}), v); res.Status != 0 {
		t.Errorf("If-None-Match against an invalid current tag: %+v, want proceed", res)
	}
	if res := Check(request("GET", hdr{"If-None-Match", `*`}), v); res.Status != 304 {
		t.Errorf("If-None-Match * on an existing resource: %+v, want 304", res)
	}
}

func TestResultErr(t *testing.T) {
	if err := (Result{}).Err(); err != nil {
		t.Errorf("proceed Err = %v", err)
	}
	if err := (Result{Status: 304, Header: "If-None-Match"}).Err(); err != nil {
		t.Errorf("304 Err = %v", err)
	}
	for _, h := range []string{"If-Match", "If-Unmodified-Since", "If-None-Match"} {
		err := Result{Status: 412, Header: h}.Err()
		var e *apierrors.Error
		if !apierrors.As(err, &e) || !apierrors.Is(err, ErrPreconditionFailed) || e.Status != 412 ||
			e.Code != "precondition_failed" || len(e.Fields) != 1 || e.Fields[0].Path != h || !strings.Contains(e.Message, h) {
			t.Errorf("412 for %s: %#v", h, err)
		}
	}
}
