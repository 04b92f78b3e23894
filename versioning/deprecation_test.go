package versioning

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/sfv"
)

// link is one parsed RFC 8288 link-value.
type link struct {
	uri    string
	params map[string]string
}

// parseLinks parses Link field values strictly per RFC 8288 §3:
// link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), with
// link-param = token BWS [ "=" BWS ( token / quoted-string ) ]; a
// parameter may not repeat (rel must appear exactly once).
func parseLinks(t *testing.T, vals []string) []link {
	t.Helper()
	var out []link
	for _, v := range vals {
		s := v
		for {
			s = strings.TrimLeft(s, " \t")
			if s == "" {
				break
			}
			if s[0] != '<' {
				t.Fatalf("Link %q: want '<' at %q", v, s)
			}
			end := strings.IndexByte(s, '>')
			if end < 0 {
				t.Fatalf("Link %q: no '>'", v)
			}
			l := link{uri: s[1:end], params: map[string]string{}}
			if _, err := url.Parse(l.uri); err != nil || strings.ContainsAny(l.uri, " <>\"") {
				t.Fatalf("Link %q: bad URI-Reference %q", v, l.uri)
			}
			s = s[end+1:]
			for {
				s = strings.TrimLeft(s, " \t")
				if s == "" || s[0] == ',' {
					if s != "" {
						s = s[1:]
					}
					break
				}
				if s[0] != ';' {
					t.Fatalf("Link %q: want ';' at %q", v, s)
				}
				s = strings.TrimLeft(s[1:], " \t")
				name, rest := token(s)
				if name == "" {
					t.Fatalf("Link %q: want a parameter name at %q", v, s)
				}
				s = strings.TrimLeft(rest, " \t")
				val := ""
				if s != "" && s[0] == '=' {
					s = strings.TrimLeft(s[1:], " \t")
					if s != "" && s[0] == '"' {
						q, escaped, rest, ok := quotedString(s)
						if !ok || escaped {
							t.Fatalf("Link %q: bad quoted-string at %q", v, s)
						}
						val, s = q, rest
					} else {
						val, s = token(s)
						if val == "" {
							t.Fatalf("Link %q: empty parameter value", v)
						}
					}
				}
				name = strings.ToLower(name)
				if _, dup := l.params[name]; dup {
					t.Fatalf("Link %q: parameter %s repeated", v, name)
				}
				l.params[name] = val
			}
			if _, ok := l.params["rel"]; !ok {
				t.Fatalf("Link %q: no rel", v)
			}
			out = append(out, l)
		}
	}
	return out
}

func linkByRel(links []link, rel string) []link {
	var out []link
	for _, l := range links {
		if l.params["rel"] == rel {
			out = append(out, l)
		}
	}
	return out
}

func TestDeprecationHeaders(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	dep := time.Date(2025, 6, 30, 19, 0, 0, 0, est)       // 2025-07-01T00:00:00Z
	sunset := time.Date(2026, 12, 31, 18, 59, 59, 0, est) // 2026-12-31T23:59:59Z
	v := mustNew(t, Config{
		Versions: []Version{
			{Name: "1", Deprecated: dep, Sunset: sunset, Successor: "2",
				Doc: "https://api.example.com/docs/migrate-v2", SunsetPolicy: "https://api.example.com/policy#sunset"},
			{Name: "2"},
			{Name: "3", Sunset: sunset.Add(time.Hour * 24 * 365)},
		},
		PathTemplate: "/api/v{version}",
	})
	page := `<https://api.example.com/api/v1/items?cursor=abc>; rel="next"`
	tests := []struct {
		name      string
		target    string
		hdr       []string
		handler   func(w http.ResponseWriter, r *http.Request)
		outerLink string
		wantLinks []string // rel of each link, in order
		successor string
	}{
		{"path version", "/api/v1/items/7?x=1&y=%22q%22", nil, nil, "", []string{"deprecation", "sunset", "successor-version"}, "/api/v2/items/7?x=1&y=%22q%22"},
		{"header version", "/items/7", []string{"Api-Version", "1"}, nil, "", []string{"deprecation", "sunset"}, ""},
		{"pagination link kept", "/api/v1/items", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Link", page)
			w.WriteHeader(200)
		}, "", []string{"next", "deprecation", "sunset", "successor-version"}, "/api/v2/items"},
		{"link set by the handler", "/api/v1/items", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", page)
			_, _ = w.Write([]byte("{}"))
		}, "", []string{"next", "deprecation", "sunset", "successor-version"}, "/api/v2/items"},
		{"link set outside", "/api/v1/items", nil, nil, page, []string{"next", "deprecation", "sunset", "successor-version"}, "/api/v2/items"},
		{"handler writes nothing", "/api/v1/items", nil, func(w http.ResponseWriter, r *http.Request) {}, "", []string{"deprecation", "sunset", "successor-version"}, "/api/v2/items"},
		{"handler error", "/api/v1/items", nil, func(w http.ResponseWriter, r *http.Request) {
			apierrors.Write(w, r, apierrors.NotFound(""))
		}, "", []string{"deprecation", "sunset", "successor-version"}, "/api/v2/items"},
		{"escaped path", "/api/v1/a%20b/%3C", nil, nil, "", []string{"deprecation", "sunset", "successor-version"}, "/api/v2/a%20b/%3C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }
			}
			w := httptest.NewRecorder()
			if tt.outerLink != "" {
				w.Header().Add("Link", tt.outerLink)
			}
			v.Handler(http.HandlerFunc(h)).ServeHTTP(w, request("GET", tt.target, tt.hdr...))
			res := w.Result()

			dv := res.Header.Values("Deprecation")
			if len(dv) != 1 || dv[0] != "@1751328000" {
				t.Errorf("Deprecation = %q, want [@1751328000]", dv)
			}
			it, err := sfv.ParseItem(res.Header.Get("Deprecation"))
			if d, ok := it.Value.(sfv.Date); err != nil || !ok || int64(d) != dep.Unix() || len(it.Params) != 0 {
				t.Errorf("Deprecation %q does not parse as the sf-date %d: %v %#v", res.Header.Get("Deprecation"), dep.Unix(), err, it)
			}
			sv := res.Header.Values("Sunset")
			if len(sv) != 1 || sv[0] != "Thu, 31 Dec 2026 23:59:59 GMT" {
				t.Errorf("Sunset = %q", sv)
			}
			if got, err := http.ParseTime(res.Header.Get("Sunset")); err != nil || !got.Equal(sunset) {
				t.Errorf("Sunset parses to %v, %v; want %v", got, err, sunset.UTC())
			}
			links := parseLinks(t, res.Header.Values("Link"))
			var rels []string
			for _, l := range links {
				rels = append(rels, l.params["rel"])
			}
			if !reflect.DeepEqual(rels, tt.wantLinks) {
				t.Fatalf("link rels %q, want %q (Link %q)", rels, tt.wantLinks, res.Header.Values("Link"))
			}
			if d := linkByRel(links, "deprecation")[0]; d.uri != "https://api.example.com/docs/migrate-v2" || d.params["type"] != "text/html" {
				t.Errorf("deprecation link %+v", d)
			}
			if s := linkByRel(links, "sunset")[0]; s.uri != "https://api.example.com/policy#sunset" {
				t.Errorf("sunset link %+v", s)
			}
			if tt.successor != "" {
				if s := linkByRel(links, "successor-version")[0]; s.uri != tt.successor {
					t.Errorf("successor link %q, want %q", s.uri, tt.successor)
				}
			}
			if n := len(linkByRel(links, "next")); tt.wantLinks[0] == "next" && n != 1 {
				t.Errorf("%d next links", n)
			}
		})
	}

	t.Run("not deprecated", func(t *testing.T) {
		w := httptest.NewRecorder()
		v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, request("GET", "/api/v2/x"))
		for _, name := range []string{"Deprecation", "Sunset", "Link"} {
			if got := w.Result().Header.Values(name); got != nil {
				t.Errorf("%s = %q on a current version", name, got)
			}
		}
	})
	t.Run("sunset only", func(t *testing.T) {
		w := httptest.NewRecorder()
		v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, request("GET", "/api/v3/x"))
		h := w.Result().Header
		if h.Get("Deprecation") != "" || h.Get("Sunset") != "Fri, 31 Dec 2027 23:59:59 GMT" || h.Get("Link") != "" {
			t.Errorf("headers %v", h)
		}
	})
}

func TestAfterSunset(t *testing.T) {
	sunset := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	versions := []Version{
		{Name: "1", Deprecated: t0, Sunset: sunset, Successor: "2", Doc: "https://x.example/d"},
		{Name: "2"},
	}
	tests := []struct {
		name   string
		mode   AfterSunset
		now    time.Time
		target string
		hdr    []string
		status int
	}{
		{"gone after sunset", Gone, sunset, "/v1/items/3?a=b", nil, 410},
		{"gone by header", Gone, sunset.Add(time.Hour), "/items/3", []string{"Api-Version", "1"}, 410},
		{"served before sunset", Gone, sunset.Add(-time.Second), "/v1/items/3", nil, 200},
		{"kept serving", KeepServing, sunset.Add(time.Hour), "/v1/items/3", nil, 200},
		{"current version", Gone, sunset.Add(time.Hour), "/v2/items/3", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotErr error
			v := mustNew(t, Config{Versions: versions, AfterSunset: tt.mode, Now: func() time.Time { return tt.now },
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { gotErr = err; apierrors.Write(w, r, err) }})
			var s seen
			w := httptest.NewRecorder()
			v.Handler(recordingHandler(&s)).ServeHTTP(w, request("GET", tt.target, tt.hdr...))
			if w.Code != tt.status || s.called != (tt.status == 200) {
				t.Fatalf("status %d, handler called %v; want %d", w.Code, s.called, tt.status)
			}
			if strings.HasPrefix(tt.target, "/v2") {
				return
			}
			if w.Header().Get("Deprecation") != "@1735689600" || w.Header().Get("Sunset") == "" {
				t.Errorf("deprecation headers missing: %v", w.Header())
			}
			if tt.status != 410 {
				return
			}
			if !errors.Is(gotErr, ErrSunset) {
				t.Errorf("error %v is not ErrSunset", gotErr)
			}
			e := decodeError(t, w.Body.Bytes())
			if e["code"] != "sunset" || e["successor_version"] != "2" || e["sunset"] != "Thu, 31 Dec 2026 23:59:59 GMT" {
				t.Errorf("body %s", w.Body)
			}
			if !reflect.DeepEqual(e["supported_versions"], []any{"2"}) {
				t.Errorf("supported_versions = %v, want only the live version", e["supported_versions"])
			}
			succ := linkByRel(parseLinks(t, w.Header().Values("Link")), "successor-version")
			if tt.hdr == nil {
				if e["successor"] != "/v2/items/3?a=b" || len(succ) != 1 || succ[0].uri != "/v2/items/3?a=b" {
					t.Errorf("successor %v, links %v", e["successor"], succ)
				}
			} else if e["successor"] != nil || len(succ) != 0 {
				t.Errorf("header version: successor %v, links %v", e["successor"], succ)
			}
			if !strings.Contains(e["message"].(string), "use version 2") {
				t.Errorf("message %q", e["message"])
			}
		})
	}

	t.Run("retired version not listed as supported", func(t *testing.T) {
		v := mustNew(t, Config{Versions: versions, AfterSunset: Gone, Now: func() time.Time { return sunset }})
		w := httptest.NewRecorder()
		v.Handler(recordingHandler(&seen{})).ServeHTTP(w, request("GET", "/x", "Api-Version", "7"))
		if e := decodeError(t, w.Body.Bytes()); !reflect.DeepEqual(e["supported_versions"], []any{"2"}) {
			t.Errorf("supported_versions = %v", e["supported_versions"])
		}
	})
}

func TestRouteDeprecation(t *testing.T) {
	sunset := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	versionDep := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	versions := []Version{
		{Name: "1", Deprecated: versionDep, Sunset: sunset.Add(-time.Hour), Doc: "https://x.example/v1"},
		{Name: "2"},
	}
	route := Route{Deprecated: t0, Sunset: sunset, Doc: "https://x.example/find", SuccessorURL: "/v2/orders/search", Versions: []string{"1", "2"}}
	tests := []struct {
		name     string
		route    Route
		mode     AfterSunset
		now      time.Time
		hdr      []string
		status   int
		dep      string
		sunset   string
		rels     []string
		headless bool // no deprecation headers at all
	}{
		{"current version", route, KeepServing, t0, []string{"Api-Version", "2"}, 200, "@1735689600", "Tue, 30 Jun 2026 00:00:00 GMT", []string{"deprecation", "successor-version"}, false},
		{"deprecated version: earlier times win", route, KeepServing, t0, []string{"Api-Version", "1"}, 200, "@1704067200", "Mon, 29 Jun 2026 23:00:00 GMT", []string{"deprecation", "successor-version", "deprecation"}, false},
		{"other version", Route{Deprecated: t0, Versions: []string{"1"}}, KeepServing, t0, []string{"Api-Version", "2"}, 200, "", "", nil, true},
		{"gone", route, Gone, sunset, []string{"Api-Version", "2"}, 410, "@1735689600", "Tue, 30 Jun 2026 00:00:00 GMT", []string{"deprecation", "successor-version"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, Config{Versions: versions, AfterSunset: tt.mode, Now: func() time.Time { return tt.now }})
			mw, err := v.Deprecate(tt.route)
			if err != nil {
				t.Fatal(err)
			}
			var s seen
			w := httptest.NewRecorder()
			v.Handler(mw.Handler(recordingHandler(&s))).ServeHTTP(w, request("GET", "/orders/find", tt.hdr...))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			h := w.Result().Header
			if tt.headless {
				if h.Get("Deprecation") != "" || h.Get("Link") != "" {
					t.Errorf("headers on a version the route is not deprecated in: %v", h)
				}
				return
			}
			if h.Get("Deprecation") != tt.dep || h.Get("Sunset") != tt.sunset {
				t.Errorf("Deprecation %q Sunset %q, want %q %q", h.Get("Deprecation"), h.Get("Sunset"), tt.dep, tt.sunset)
			}
			links := parseLinks(t, h.Values("Link"))
			var rels []string
			for _, l := range links {
				rels = append(rels, l.params["rel"])
			}
			if !reflect.DeepEqual(rels, tt.rels) {
				t.Errorf("rels %q, want %q", rels, tt.rels)
			}
			if s := linkByRel(links, "successor-version"); len(s) != 1 || s[0].uri != "/v2/orders/search" {
				t.Errorf("successor links %+v", s)
			}
			if tt.status == 410 {
				e := decodeError(t, w.Body.Bytes())
				if e["code"] != "sunset" || e["successor"] != "/v2/orders/search" {
					t.Errorf("body %s", w.Body)
				}
			}
		})
	}

	t.Run("without a Versioner in front", func(t *testing.T) {
		v := mustNew(t, Config{Versions: versions})
		mw, err := v.Deprecate(Route{Deprecated: t0})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, request("GET", "/x"))
		if w.Header().Get("Deprecation") != "@1735689600" {
			t.Errorf("Deprecation %q", w.Header().Get("Deprecation"))
		}
	})

	t.Run("invalid", func(t *testing.T) {
		v := mustNew(t, Config{Versions: versions})
		for _, rt := range []Route{
			{},
			{Deprecated: t0, Sunset: t0.Add(-time.Second)},
			{Deprecated: t0, SuccessorURL: "/a b"},
			{Deprecated: t0, Doc: "\x00"},
			{Deprecated: t0, Versions: []string{"9"}},
		} {
			if _, err := v.Deprecate(rt); err == nil || !strings.HasPrefix(err.Error(), "versioning: ") {
				t.Errorf("Deprecate(%+v) error %v", rt, err)
			}
		}
	})
}

func TestContainsLink(t *testing.T) {
	l := `<https://x/d>; rel="deprecation"`
	for v, want := range map[string]bool{
		l:                                   true,
		`<a>; rel="next", ` + l:             true,
		l + ` , <a>; rel="next"`:            true,
		`<a>; rel="next"`:                   false,
		l + `; type="text/html"`:            false,
		`x` + l:                             false,
		`<a>; title="` + l + `"`:            false,
		`<a>; rel="next",` + l + `,<b>;a=1`: true,
	} {
		if got := containsLink(v, l); got != want {
			t.Errorf("containsLink(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestEscapedURI(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b?c=d":  "/a/b?c=d",
		"/a b":      "/a%20b",
		`/"<>\^{}|`: "/%22%3C%3E%5C%5E%7B%7D%7C",
		"/%41%zz%":  "/%41%25zz%25",
		"/é":        "/%C3%A9",
		"/\x00\x7f": "/%00%7F",
	} {
		if got := string(appendEscapedURI(nil, in)); got != want {
			t.Errorf("appendEscapedURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSunsetUsesUTC(t *testing.T) {
	loc := time.FixedZone("UTC+14", 14*3600)
	at := time.Date(2027, 1, 1, 5, 0, 0, 0, loc) // 2026-12-31T15:00:00Z
	d, err := newDeprecation(time.Time{}, at, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.sunsetVal != "Thu, 31 Dec 2026 15:00:00 GMT" {
		t.Errorf("Sunset %q", d.sunsetVal)
	}
	if got := strconv.FormatInt(at.Unix(), 10); got != "1798729200" {
		t.Errorf("unix %s", got)
	}
}

func TestExistingDeprecationFields(t *testing.T) {
	d, err := newDeprecation(t0, t0.Add(time.Hour), "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name               string
		dep, sunset        []string
		wantDep, wantSunst string
	}{
		{"none", nil, nil, "@1735689600", "Wed, 01 Jan 2025 01:00:00 GMT"},
		{"legacy true replaced", []string{"true"}, []string{"soon"}, "@1735689600", "Wed, 01 Jan 2025 01:00:00 GMT"},
		{"earlier kept", []string{"@1700000000"}, []string{"Tue, 31 Dec 2024 00:00:00 GMT"}, "@1700000000", "Tue, 31 Dec 2024 00:00:00 GMT"},
		{"later replaced", []string{"@1800000000"}, []string{"Fri, 01 Jan 2100 00:00:00 GMT"}, "@1735689600", "Wed, 01 Jan 2025 01:00:00 GMT"},
		{"several replaced", []string{"@1", "@2"}, []string{"a", "b"}, "@1735689600", "Wed, 01 Jan 2025 01:00:00 GMT"},
		{"date with parameters is still a date", []string{"@1;x=1"}, nil, "@1;x=1", "Wed, 01 Jan 2025 01:00:00 GMT"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.dep != nil {
			h["Deprecation"] = tt.dep
		}
		if tt.sunset != nil {
			h["Sunset"] = tt.sunset
		}
		d.apply(h, "")
		if h.Get("Deprecation") != tt.wantDep || h.Get("Sunset") != tt.wantSunst || len(h["Deprecation"]) != 1 {
			t.Errorf("%s: Deprecation %q Sunset %q", tt.name, h["Deprecation"], h["Sunset"])
		}
	}
}
