package convert

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/versioning"
)

// sameJSON reports whether a and b hold the same JSON value, numbers
// compared by their text.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	g, err1 := decodeJSON([]byte(got))
	w, err2 := decodeJSON([]byte(want))
	if err1 != nil || err2 != nil {
		t.Fatalf("not JSON: %q (%v) or %q (%v)", got, err1, want, err2)
	}
	return reflect.DeepEqual(g, w)
}

// priceChange is the change the example service makes: v2 turned the flat
// price and currency of v1 into an object.
var priceChange = Change{
	Version:     "2",
	Description: "price is an object with amount and currency",
	Edits:       []Edit{Nest("price", map[string]string{"amount": "price", "currency": "currency"})},
}

// itemAPI is a v2-only handler: it answers GET with body and records the
// body of other requests, answering with the v2 item it would create.
type itemAPI struct {
	body        string
	gotBody     string
	gotLen      int64
	contentType string
}

func (a *itemAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		b, _ := io.ReadAll(r.Body)
		a.gotBody, a.gotLen = string(b), r.ContentLength
	}
	ct := a.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	_, _ = io.WriteString(w, a.body)
}

func newPriceVersioner(t testing.TB, cfg testConfig) *api {
	t.Helper()
	cfg.Versions = []Version{{Name: "1"}, {Name: "2"}}
	cfg.PathTemplate = "/api/v{version}"
	cfg.PathMode = versioning.RewritePath
	if cfg.Changes == nil {
		cfg.Changes = []Change{priceChange}
	}
	return mustNew(t, cfg)
}

func TestPriceResponses(t *testing.T) {
	tests := []struct {
		name, v2, v1 string
	}{
		{"single object",
			`{"id":1,"name":"mug","price":{"amount":1200,"currency":"USD"},"tags":["a"],"extra":{"x":1}}`,
			`{"id":1,"name":"mug","price":1200,"currency":"USD","tags":["a"],"extra":{"x":1}}`},
		{"page",
			`{"items":[{"id":1,"price":{"amount":1200,"currency":"USD"}},{"id":2,"price":{"amount":99,"currency":"EUR"},"note":null}],` +
				`"meta":{"size":2,"has_next":true,"next_cursor":"abc"},"links":{"self":"/api/v2/items","next":"/api/v2/items?cursor=abc"}}`,
			`{"items":[{"id":1,"price":1200,"currency":"USD"},{"id":2,"price":99,"currency":"EUR","note":null}],` +
				`"meta":{"size":2,"has_next":true,"next_cursor":"abc"},"links":{"self":"/api/v2/items","next":"/api/v2/items?cursor=abc"}}`},
		{"empty page",
			`{"items":[],"meta":{"size":0,"has_next":false},"links":{}}`,
			`{"items":[],"meta":{"size":0,"has_next":false},"links":{}}`},
		{"array",
			`[{"id":1,"price":{"amount":1,"currency":"USD"}},5,"x",{"id":2}]`,
			`[{"id":1,"price":1,"currency":"USD"},5,"x",{"id":2}]`},
		{"exact numbers",
			`{"price":{"amount":12345678901234567890,"currency":"USD"},"rate":0.10}`,
			`{"price":12345678901234567890,"currency":"USD","rate":0.10}`},
		{"unknown member of price kept in place",
			`{"price":{"amount":5,"currency":"USD","tax":1}}`,
			`{"price":5,"currency":"USD"}`},
		{"already flat", `{"price":5}`, `{"price":5}`},
		{"trailing newline", "{\"price\":{\"amount\":5,\"currency\":\"USD\"}}\n", "{\"price\":5,\"currency\":\"USD\"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newPriceVersioner(t, testConfig{})
			api := &itemAPI{body: tt.v2}
			h := v.Handler(api)

			w := httptest.NewRecorder()
			h.ServeHTTP(w, request("GET", "/api/v1/items"))
			if w.Code != 200 || !sameJSON(t, w.Body.String(), tt.v1) {
				t.Errorf("v1 got %d %s\nwant %s", w.Code, w.Body, tt.v1)
			}
			if strings.HasSuffix(tt.v1, "\n") != strings.HasSuffix(w.Body.String(), "\n") {
				t.Errorf("trailing newline not kept: %q", w.Body)
			}
			if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(w.Body.Len()) {
				t.Errorf("Content-Length %s for %d bytes", cl, w.Body.Len())
			}
			if strings.Contains(tt.name, "exact") && !strings.Contains(w.Body.String(), "12345678901234567890") {
				t.Errorf("number changed: %s", w.Body)
			}

			w = httptest.NewRecorder()
			h.ServeHTTP(w, request("GET", "/api/v2/items"))
			if w.Body.String() != tt.v2 {
				t.Errorf("v2 body changed: %s", w.Body)
			}
		})
	}
}

func TestPriceRequests(t *testing.T) {
	tests := []struct {
		name, v1, v2 string
	}{
		{"flat to object",
			`{"name":"mug","price":1200,"currency":"USD","note":{"gift":true}}`,
			`{"name":"mug","price":{"amount":1200,"currency":"USD"},"note":{"gift":true}}`},
		{"price only", `{"name":"mug","price":1200}`, `{"name":"mug","price":{"amount":1200}}`},
		{"no price", `{"name":"mug"}`, `{"name":"mug"}`},
		{"already an object", `{"price":{"amount":1,"currency":"USD"}}`, `{"price":{"amount":1,"currency":"USD"}}`},
		{"bulk array", `[{"price":1,"currency":"USD"},{"price":2,"currency":"EUR"}]`,
			`[{"price":{"amount":1,"currency":"USD"}},{"price":{"amount":2,"currency":"EUR"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newPriceVersioner(t, testConfig{})
			api := &itemAPI{body: `{"id":7,"name":"mug","price":{"amount":1200,"currency":"USD"}}`}
			r := httptest.NewRequest("POST", "/api/v1/items", strings.NewReader(tt.v1))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			r.Header.Set("Content-Length", strconv.Itoa(len(tt.v1)))
			w := httptest.NewRecorder()
			v.Handler(api).ServeHTTP(w, r)
			if !sameJSON(t, api.gotBody, tt.v2) {
				t.Errorf("handler got %s\nwant %s", api.gotBody, tt.v2)
			}
			if api.gotLen != int64(len(api.gotBody)) {
				t.Errorf("ContentLength %d for %d bytes", api.gotLen, len(api.gotBody))
			}
			if r.Header.Get("Content-Length") != strconv.Itoa(len(tt.v1)) {
				t.Errorf("the caller's request header was changed")
			}
			if !sameJSON(t, w.Body.String(), `{"id":7,"name":"mug","price":1200,"currency":"USD"}`) {
				t.Errorf("response %s", w.Body)
			}
		})
	}
}

func TestRequestNotConverted(t *testing.T) {
	tests := []struct {
		name, ct, body string
		status         int
	}{
		{"not JSON", "text/plain", `{"price":1,"currency":"USD"}`, 200},
		{"invalid JSON", "application/json", `{"price":1,`, 200},
		{"two values", "application/json", `{"price":1} {}`, 200},
		{"no content type", "", `{"price":1}`, 200},
	}
	for _, tt := range tests {
		v := newPriceVersioner(t, testConfig{})
		api := &itemAPI{body: `{}`}
		r := httptest.NewRequest("PUT", "/api/v1/items/1", strings.NewReader(tt.body))
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		w := httptest.NewRecorder()
		v.Handler(api).ServeHTTP(w, r)
		if w.Code != tt.status || api.gotBody != tt.body {
			t.Errorf("%s: status %d, handler got %q", tt.name, w.Code, api.gotBody)
		}
	}
}

func TestRequestTooLarge(t *testing.T) {
	var gotErr error
	v := newPriceVersioner(t, testConfig{MaxRequestBytes: 10, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		gotErr = err
		apierrors.Write(w, r, err)
	}})
	api := &itemAPI{body: `{}`}
	r := httptest.NewRequest("POST", "/api/v1/items", strings.NewReader(`{"price":12345}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	v.Handler(api).ServeHTTP(w, r)
	if w.Code != 413 || api.gotBody != "" || !errors.Is(gotErr, ErrBodyTooLarge) {
		t.Errorf("status %d, handler got %q, error %v", w.Code, api.gotBody, gotErr)
	}
	if e := decodeError(t, w.Body.Bytes()); e["code"] != "content_too_large" {
		t.Errorf("body %s", w.Body)
	}

	// An outer http.MaxBytesReader is honoured too.
	r = httptest.NewRequest("POST", "/api/v1/items", nil)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(`{"price":1}`)), 4)
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/json")
	w = httptest.NewRecorder()
	v.Handler(api).ServeHTTP(w, r)
	if w.Code != 413 {
		t.Errorf("status %d", w.Code)
	}
}

func TestResponseNotConverted(t *testing.T) {
	item := `{"price":{"amount":5,"currency":"USD"}}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"error envelope", func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, apierrors.Validation("", apierrors.BodyField("/price/amount", "must be >= 0")))
		}, ""},
		{"problem json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, item)
		}, item},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, item)
		}, item},
		{"no content type", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, item)
		}, item},
		{"partial content", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(206)
			_, _ = io.WriteString(w, item)
		}, item},
		{"4xx JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(409)
			_, _ = io.WriteString(w, item)
		}, item},
		{"empty", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
		}, "-"},
		{"invalid JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"price":`)
		}, `{"price":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &testenv.Logs{}
			v := newPriceVersioner(t, testConfig{Logger: slog.New(logs)})
			w := httptest.NewRecorder()
			v.Handler(tt.handler).ServeHTTP(w, request("GET", "/api/v1/items/1"))
			wantLogs := 0
			if tt.name == "invalid JSON" {
				wantLogs = 1
			}
			if m := logs.Messages(); len(m) != wantLogs {
				t.Errorf("logs %q", m)
			}
			if tt.want == "" {
				e := decodeError(t, w.Body.Bytes())
				if d := e["details"].(map[string]any); d["price.amount"] == nil {
					t.Errorf("error body changed: %s", w.Body)
				}
				return
			}
			if tt.want == "-" {
				tt.want = ""
			}
			if w.Body.String() != tt.want {
				t.Errorf("body %q, want %q", w.Body, tt.want)
			}
		})
	}
}

func TestConvertedHeaders(t *testing.T) {
	v := newPriceVersioner(t, testConfig{})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Length", "39")
		if r.Method == http.MethodHead {
			w.WriteHeader(200)
			return
		}
		_, _ = io.WriteString(w, `{"price":{"amount":5,"currency":"USD"}}`)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/api/v1/items/1"))
	if got := w.Header().Get("ETag"); got != `"abc-v1"` {
		t.Errorf("ETag %q, want \"abc-v1\"", got)
	}
	if got := w.Header().Get("Content-Length"); got != strconv.Itoa(w.Body.Len()) {
		t.Errorf("Content-Length %s for %s", got, w.Body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request("HEAD", "/api/v1/items/1"))
	if got := w.Header().Get("Content-Length"); got != "" {
		t.Errorf("HEAD Content-Length %q: it is the newest version's length", got)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/api/v2/items/1"))
	if got := w.Header().Get("ETag"); got != `"abc"` {
		t.Errorf("newest version ETag %q", got)
	}
}

func TestResponseTooLargeOrFlushed(t *testing.T) {
	big := `{"price":{"amount":5,"currency":"USD"},"pad":"` + strings.Repeat("x", 100) + `"}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"outgrows the bound", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, big)
		}},
		{"flushed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, big[:10])
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, big[10:])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &testenv.Logs{}
			v := newPriceVersioner(t, testConfig{MaxResponseBytes: 64, Logger: slog.New(logs)})
			w := httptest.NewRecorder()
			v.Handler(tt.handler).ServeHTTP(w, request("GET", "/api/v1/items/1"))
			if w.Body.String() != big {
				t.Errorf("body %q", w.Body)
			}
			if m := logs.Messages(); len(m) != 1 || !strings.HasPrefix(m[0], "ERROR versioning: response sent unconverted") {
				t.Errorf("logs %q", m)
			}
		})
	}
}

func TestConversionErrors(t *testing.T) {
	boom := errors.New("secret internal detail")
	tests := []struct {
		name   string
		change Change
		method string
		status int
		code   string
	}{
		{"response function fails", Change{Version: "2", Description: "x", Response: func(any) (any, error) { return nil, boom }}, "GET", 500, "internal_error"},
		{"response edit fails", Change{Version: "2", Description: "x", Edits: []Edit{Reshape(nil, func(map[string]any) error { return boom })}}, "GET", 500, "internal_error"},
		{"request function refuses", Change{Version: "2", Description: "x", Request: func(any) (any, error) {
			return nil, apierrors.Validation("", apierrors.BodyField("/price", "must be a number"))
		}}, "POST", 422, "validation_failed"},
		{"request function fails", Change{Version: "2", Description: "x", Request: func(any) (any, error) { return nil, boom }}, "POST", 500, "internal_error"},
		{"request edit fails", Change{Version: "2", Description: "x", Edits: []Edit{Reshape(func(map[string]any) error { return boom }, nil)}}, "POST", 500, "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newPriceVersioner(t, testConfig{Changes: []Change{tt.change}})
			api := &itemAPI{body: `{"a":1}`}
			r := httptest.NewRequest(tt.method, "/api/v1/items", strings.NewReader(`{"a":1}`))
			r.Header.Set("Content-Type", "application/json")
			rd := &apierrors.Renderer{Logger: slog.New(slog.DiscardHandler)}
			w := httptest.NewRecorder()
			rd.Handler(v.Handler(api)).ServeHTTP(w, r)
			if w.Code != tt.status || decodeError(t, w.Body.Bytes())["code"] != tt.code {
				t.Errorf("status %d body %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("internal detail leaked: %s", w.Body)
			}
			if w.Header().Get("Api-Version") != "1" {
				t.Errorf("Api-Version %q", w.Header().Get("Api-Version"))
			}
		})
	}
}

func TestChangeChain(t *testing.T) {
	changes := []Change{
		// Declared out of order on purpose: they run by version.
		{Version: "3", Description: "price is an object", Edits: []Edit{Nest("price", map[string]string{"amount": "price", "currency": "currency"})}},
		{Version: "2", Description: "cost renamed to price", Edits: []Edit{Rename("cost", "price")}},
		{Version: "2", Description: "legacy flag removed", Edits: []Edit{Remove("legacy", false)}},
	}
	v := mustNew(t, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}, {Name: "3"}}, Changes: changes})
	v3 := `{"id":1,"price":{"amount":5,"currency":"USD"}}`
	tests := []struct {
		version, req, up, down string
	}{
		{"1", `{"cost":5,"currency":"USD","legacy":true}`, `{"price":{"amount":5,"currency":"USD"}}`, `{"id":1,"cost":5,"currency":"USD","legacy":false}`},
		{"2", `{"price":5,"currency":"USD"}`, `{"price":{"amount":5,"currency":"USD"}}`, `{"id":1,"price":5,"currency":"USD"}`},
		{"3", v3, v3, v3},
	}
	for _, tt := range tests {
		api := &itemAPI{body: v3}
		r := httptest.NewRequest("POST", "/items", strings.NewReader(tt.req))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Api-Version", tt.version)
		w := httptest.NewRecorder()
		v.Handler(api).ServeHTTP(w, r)
		if !sameJSON(t, api.gotBody, tt.up) {
			t.Errorf("v%s: handler got %s, want %s", tt.version, api.gotBody, tt.up)
		}
		if !sameJSON(t, w.Body.String(), tt.down) {
			t.Errorf("v%s: client got %s, want %s", tt.version, w.Body, tt.down)
		}
		up, err := v.ConvertRequest(nil, tt.version, []byte(tt.req))
		if err != nil || !sameJSON(t, string(up), tt.up) {
			t.Errorf("ConvertRequest v%s = %s, %v", tt.version, up, err)
		}
		down, err := v.ConvertResponse(nil, tt.version, []byte(v3))
		if err != nil || !sameJSON(t, string(down), tt.down) {
			t.Errorf("ConvertResponse v%s = %s, %v", tt.version, down, err)
		}
	}
	if _, err := v.ConvertResponse(nil, "9", []byte(v3)); !errors.Is(err, versioning.ErrUnsupportedVersion) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := v.ConvertResponse(nil, "1", []byte(`{`)); err == nil {
		t.Error("invalid JSON converted")
	}
}

func TestSelectors(t *testing.T) {
	tests := []struct {
		name       string
		at         []string
		edit       Edit
		old, newer string
	}{
		{"nested object", []string{"/customer"}, Rename("zip", "postal_code"),
			`{"id":1,"customer":{"name":"a","zip":"1"},"zip":"keep"}`,
			`{"id":1,"customer":{"name":"a","postal_code":"1"},"zip":"keep"}`},
		{"lists in lists", []string{"/orders/*/lines/*"}, Rename("qty", "quantity"),
			`{"orders":[{"lines":[{"qty":1},{"qty":2,"x":0}],"qty":9},{"lines":[]},{"id":3}]}`,
			`{"orders":[{"lines":[{"quantity":1},{"quantity":2,"x":0}],"qty":9},{"lines":[]},{"id":3}]}`},
		{"array reached is each element", []string{"/orders"}, Rename("qty", "quantity"),
			`{"orders":[{"qty":1},{"qty":2}]}`,
			`{"orders":[{"quantity":1},{"quantity":2}]}`},
		{"wildcard members", []string{"/by_id/*"}, Rename("qty", "quantity"),
			`{"by_id":{"a":{"qty":1},"b":{"qty":2},"c":3}}`,
			`{"by_id":{"a":{"quantity":1},"b":{"quantity":2},"c":3}}`},
		{"index", []string{"/items/1"}, Rename("qty", "quantity"),
			`{"items":[{"qty":1},{"qty":2}]}`,
			`{"items":[{"qty":1},{"quantity":2}]}`},
		{"escaped member", []string{"/a~1b/c~0d"}, Rename("x", "y"),
			`{"a/b":{"c~d":{"x":1}}}`, `{"a/b":{"c~d":{"y":1}}}`},
		{"root and items", []string{"", "/items"}, Rename("x", "y"),
			`{"x":1,"items":[{"x":2}]}`, `{"y":1,"items":[{"y":2}]}`},
		{"missing path", []string{"/nope/*/x"}, Rename("x", "y"), `{"x":1}`, `{"x":1}`},
		{"default: resource in a page", nil, Rename("x", "y"),
			`{"items":[{"x":1}],"meta":{"x":2},"x":3}`, `{"items":[{"y":1}],"meta":{"x":2},"x":3}`},
		{"default: items without meta is a resource", nil, Rename("x", "y"),
			`{"items":[{"x":1}],"x":3}`, `{"items":[{"x":1}],"y":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}},
				Changes: []Change{{Version: "2", Description: "d", At: tt.at, Edits: []Edit{tt.edit}}}})
			up, err := v.ConvertRequest(nil, "1", []byte(tt.old))
			if err != nil || !sameJSON(t, string(up), tt.newer) {
				t.Errorf("up %s, %v; want %s", up, err, tt.newer)
			}
			down, err := v.ConvertResponse(nil, "1", []byte(tt.newer))
			if err != nil || !sameJSON(t, string(down), tt.old) {
				t.Errorf("down %s, %v; want %s", down, err, tt.old)
			}
		})
	}
}

func TestEdits(t *testing.T) {
	tests := []struct {
		name       string
		edit       Edit
		old, newer string
		downOnly   string // when set, the down result differs from old
	}{
		{"rename", Rename("name", "title"), `{"name":"a","x":1}`, `{"title":"a","x":1}`, ""},
		{"rename absent", Rename("name", "title"), `{"x":1}`, `{"x":1}`, ""},
		{"remove", Remove("legacy", "on"), `{"legacy":"off","x":1}`, `{"x":1}`, `{"legacy":"on","x":1}`},
		{"remove without default", Remove("legacy", nil), `{"legacy":1}`, `{}`, `{}`},
		{"remove with null default", Remove("legacy", json.RawMessage("null")), `{"legacy":1}`, `{}`, `{"legacy":null}`},
		{"add", Add("tags", []string{}), `{"x":1}`, `{"x":1,"tags":[]}`, ""},
		{"add present", Add("tags", []string{"z"}), `{"tags":["a"]}`, `{"tags":["a"]}`, `{}`},
		{"move nest", Move("/zip", "/address/zip"), `{"zip":"1","address":{"city":"c"}}`, `{"address":{"city":"c","zip":"1"}}`, ""},
		{"move creates and removes objects", Move("/zip", "/address/postal/zip"), `{"zip":"1"}`, `{"address":{"postal":{"zip":"1"}}}`, ""},
		{"move into itself", Move("/price", "/price/amount"), `{"price":5}`, `{"price":{"amount":5}}`, ""},
		{"move blocked", Move("/zip", "/address/zip"), `{"zip":"1","address":"x"}`, `{"zip":"1","address":"x"}`, `{"zip":"1","address":"x"}`},
		{"nest", Nest("price", map[string]string{"amount": "price", "currency": "currency"}),
			`{"price":1,"currency":"USD","x":true}`, `{"price":{"amount":1,"currency":"USD"},"x":true}`, ""},
		{"nest other name keeps unknown members", Nest("money", map[string]string{"amount": "price"}),
			`{"price":1}`, `{"money":{"amount":1}}`, ""},
		{"reshape", Reshape(func(o map[string]any) error { o["v"] = "new"; return nil }, func(o map[string]any) error { o["v"] = "old"; return nil }),
			`{"v":"old"}`, `{"v":"new"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}},
				Changes: []Change{{Version: "2", Description: "d", Edits: []Edit{tt.edit}}}})
			up, err := v.ConvertRequest(nil, "1", []byte(tt.old))
			if err != nil || !sameJSON(t, string(up), tt.newer) {
				t.Errorf("up %s, %v; want %s", up, err, tt.newer)
			}
			want := tt.old
			if tt.downOnly != "" {
				want = tt.downOnly
			}
			down, err := v.ConvertResponse(nil, "1", []byte(tt.newer))
			if err != nil || !sameJSON(t, string(down), want) {
				t.Errorf("down %s, %v; want %s", down, err, want)
			}
		})
	}

	t.Run("nest keeps unknown members under a new name", func(t *testing.T) {
		v := mustNew(t, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}},
			Changes: []Change{{Version: "2", Description: "d", Edits: []Edit{Nest("money", map[string]string{"amount": "price"})}}}})
		down, err := v.ConvertResponse(nil, "1", []byte(`{"money":{"amount":1,"tax":2}}`))
		if err != nil || !sameJSON(t, string(down), `{"price":1,"money":{"tax":2}}`) {
			t.Errorf("down %s, %v", down, err)
		}
	})

	t.Run("defaults are not shared", func(t *testing.T) {
		v := mustNew(t, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}},
			Changes: []Change{{Version: "2", Description: "d", Edits: []Edit{
				Add("tags", []string{"a"}),
				Reshape(func(o map[string]any) error { o["tags"] = append(o["tags"].([]any), "b"); return nil }, nil),
			}}}})
		for range 2 {
			up, err := v.ConvertRequest(nil, "1", []byte(`[{},{}]`))
			if err != nil || !sameJSON(t, string(up), `[{"tags":["a","b"]},{"tags":["a","b"]}]`) {
				t.Errorf("up %s, %v", up, err)
			}
		}
	})
}

func TestChangeMatch(t *testing.T) {
	change := priceChange
	change.Match = func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v2/items") }
	v := newPriceVersioner(t, testConfig{Changes: []Change{change}})
	body := `{"price":{"amount":5,"currency":"USD"}}`
	for path, want := range map[string]string{
		"/api/v1/items/1":  `{"price":5,"currency":"USD"}`,
		"/api/v1/orders/1": body,
	} {
		w := httptest.NewRecorder()
		v.Handler(&itemAPI{body: body}).ServeHTTP(w, request("GET", path))
		if !sameJSON(t, w.Body.String(), want) {
			t.Errorf("%s: %s, want %s", path, w.Body, want)
		}
	}
}

func TestConcurrentConversion(t *testing.T) {
	v := newPriceVersioner(t, testConfig{})
	h := v.Handler(&itemAPI{body: `{"items":[{"price":{"amount":1,"currency":"USD"}}],"meta":{}}`})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				ver := "v1"
				want := `{"items":[{"price":1,"currency":"USD"}],"meta":{}}`
				if i%2 == 0 {
					ver = "v2"
					want = `{"items":[{"price":{"amount":1,"currency":"USD"}}],"meta":{}}`
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, request("GET", "/api/"+ver+"/items"))
				g, _ := decodeJSON(w.Body.Bytes())
				x, _ := decodeJSON([]byte(want))
				if !reflect.DeepEqual(g, x) {
					t.Errorf("%s: %s", ver, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestIsJSONType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                true,
		"Application/JSON; charset=utf-8": true,
		"application/vnd.acme.v1+json":    true,
		"application/problem+json":        false,
		"application/+json":               false,
		"text/json":                       false,
		"application/jsonx":               false,
		"":                                false,
	} {
		if got := isJSONType(ct, false); got != want {
			t.Errorf("isJSONType(%q) = %v", ct, got)
		}
	}
	if !isJSONType("application/problem+json", true) {
		t.Error("problem+json request body not JSON")
	}
}

// FuzzConvert checks that any request body a client sends is converted
// without a panic into JSON, or refused as not JSON, and that converting
// a v2 body down and up again gives it back when it has the v2 shape.
//
//	go test ./versioning -run '^$' -fuzz FuzzConvert -fuzztime 60s
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		`{"name":"mug","price":1200,"currency":"USD"}`, `[{"price":1},{"price":{"amount":2}}]`,
		`{"items":[{"price":1,"currency":"X"}],"meta":{}}`, `{"customer":{"zip":"1"},"orders":[{"lines":[{"qty":1}]}]}`,
		`1e400`, `"x"`, `{"price":{"price":{}}}`, `{"a":1}{}`, `{"zip":"1","address":"x"}`,
	} {
		f.Add([]byte(s))
	}
	v := mustNew(f, testConfig{Versions: []Version{{Name: "1"}, {Name: "2"}, {Name: "3"}}, Changes: []Change{
		priceChange,
		{Version: "3", Description: "d", At: []string{"/customer", "/orders/*/lines/*", ""}, Edits: []Edit{
			Rename("zip", "postal_code"), Move("/zip", "/address/zip"), Remove("qty", 1), Add("flag", true),
		}},
	}})
	f.Fuzz(func(t *testing.T, body []byte) {
		up, err := v.ConvertRequest(nil, "1", body)
		if err != nil {
			if !errors.Is(err, errNotJSON) {
				t.Fatalf("%q: error %v", body, err)
			}
			return
		}
		if !json.Valid(up) {
			t.Fatalf("%q: converted to invalid JSON %q", body, up)
		}
		down, err := v.ConvertResponse(nil, "1", up)
		if err != nil || !json.Valid(down) {
			t.Fatalf("%q: down %q, %v", body, down, err)
		}
	})
}
