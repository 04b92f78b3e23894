package convert

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMarkETag(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"abc"`, `"abc-v1"`},
		{`W/"abc"`, `W/"abc-v1"`},
		{`""`, `"-v1"`},
		{`abc`, `abc`},   // not a tag: left alone
		{`"abc`, `"abc`}, // unterminated
	}
	for _, tt := range tests {
		h := http.Header{"Etag": {tt.in}}
		markETag(h, "1")
		if got := h.Get("Etag"); got != tt.want {
			t.Errorf("markETag(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestTranslateList(t *testing.T) {
	tests := []struct {
		in, want string
		changed  bool
	}{
		{`"abc-v1"`, `"abc"`, true},
		{`W/"abc-v1", "x", "y-v1"`, `W/"abc", "x-v2", "y"`, true},
		{`"abc-v1-gzip"`, `"abc-gzip"`, true},
		{`"abc-gzip"`, `"abc-v2-gzip"`, true},
		{`"abc-v2"`, `"abc-v2-v2"`, true},
		{`"abc"`, `"abc-v2"`, true},
		{`*`, `*`, false},
		{`Sat, 01 Jan 2000 00:00:00 GMT`, `Sat, 01 Jan 2000 00:00:00 GMT`, false},
		{`"-v1"`, `"-v1-v2"`, true}, // nothing would be left of the tag
		{`"abc-v1`, `"abc-v1`, true},
		{`"abc-v11"`, `"abc-v11-v2"`, true},
	}
	for _, tt := range tests {
		got, changed := translateList(tt.in, tagSuffix("1"), tagSuffix("2"))
		if got != tt.want || changed != tt.changed {
			t.Errorf("translateList(%s) = %s, %v; want %s, %v", tt.in, got, changed, tt.want, tt.changed)
		}
	}
}

// A client of a converted version gets its own strong tags and can use
// them in conditional requests, which the handler sees as its own tags.
func TestConditionalRequestsInOlderVersion(t *testing.T) {
	v := newPriceVersioner(t, testConfig{})
	const tag = `"rev7"`
	var seenIfMatch []string
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenIfMatch = r.Header.Values("If-Match")
		switch {
		case r.Method == http.MethodGet && r.Header.Get("If-None-Match") == tag:
			w.Header().Set("ETag", tag)
			w.WriteHeader(http.StatusNotModified)
		case r.Method == http.MethodPut && r.Header.Get("If-Match") != tag:
			w.WriteHeader(http.StatusPreconditionFailed)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", tag)
			io.WriteString(w, `{"id":1,"price":{"amount":5,"currency":"USD"}}`)
		}
	}))
	do := func(method, target string, hdr ...string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := request(method, target, hdr...)
		if method == http.MethodPut {
			r = httptest.NewRequest(method, target, strings.NewReader(`{"id":1,"price":5,"currency":"USD"}`))
			r.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(hdr); i += 2 {
				r.Header.Set(hdr[i], hdr[i+1])
			}
		}
		h.ServeHTTP(w, r)
		return w
	}

	get := do("GET", "/api/v1/items/1")
	v1tag := get.Header().Get("ETag")
	if v1tag != `"rev7-v1"` {
		t.Fatalf("v1 ETag = %s, want \"rev7-v1\"", v1tag)
	}
	if v2 := do("GET", "/api/v2/items/1").Header().Get("ETag"); v2 != tag {
		t.Errorf("v2 ETag = %s, want %s", v2, tag)
	}
	tests := []struct {
		name       string
		method     string
		hdr        []string
		wantStatus int
		wantETag   string
	}{
		{"revalidate with the v1 tag", "GET", []string{"If-None-Match", v1tag}, 304, `"rev7-v1"`},
		{"the newest version's tag names another representation", "GET", []string{"If-None-Match", tag}, 200, `"rev7-v1"`},
		{"a write with the newest version's tag fails", "PUT", []string{"If-Match", tag}, 412, ""},
		{"stale tag", "GET", []string{"If-None-Match", `"rev6-v1"`}, 200, `"rev7-v1"`},
		{"write with the v1 tag", "PUT", []string{"If-Match", v1tag}, 200, `"rev7-v1"`},
		{"write with a stale tag", "PUT", []string{"If-Match", `"rev6-v1"`}, 412, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.method, "/api/v1/items/1", tt.hdr...)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("ETag"); got != tt.wantETag {
				t.Errorf("ETag %s, want %s", got, tt.wantETag)
			}
		})
	}
	do("PUT", "/api/v1/items/1", "If-Match", v1tag)
	if len(seenIfMatch) != 1 || seenIfMatch[0] != tag {
		t.Errorf("handler saw If-Match %q, want [%s]", seenIfMatch, tag)
	}
}
