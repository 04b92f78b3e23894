package versioning

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

func itoa(i int) string { return strconv.Itoa(i) }

func mustNew(t testing.TB, cfg Config) *Versioner {
	t.Helper()
	if cfg.Versions == nil {
		cfg.Versions = []Version{{Name: "1"}, {Name: "2"}, {Name: "3"}}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// seen records what the next handler saw.
type seen struct {
	called  bool
	version string
	source  Source
	path    string
	rawPath string
}

func recordingHandler(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.version = FromContext(r.Context())
		s.source = SourceFromContext(r.Context())
		s.path = r.URL.Path
		s.rawPath = r.URL.RawPath
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

func request(method, target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestNegotiationSources(t *testing.T) {
	all := Config{PathTemplate: "/api/v{version}", Vendor: "acme", Default: "2"}
	tests := []struct {
		name       string
		cfg        Config
		target     string
		hdr        []string
		wantVer    string
		wantSource Source
		wantPath   string
	}{
		{"default", all, "/items", nil, "2", SourceDefault, "/items"},
		{"path", all, "/api/v1/items", nil, "1", SourcePath, "/api/v1/items"},
		{"path only segment", all, "/api/v3", nil, "3", SourcePath, "/api/v3"},
		{"header number", all, "/items", []string{"Api-Version", "3"}, "3", SourceHeader, "/items"},
		{"header trimmed", all, "/items", []string{"Api-Version", " 1\t"}, "1", SourceHeader, "/items"},
		{"empty header ignored", all, "/items", []string{"Api-Version", " "}, "2", SourceDefault, "/items"},
		{"vendor media type", all, "/items", []string{"Accept", "application/vnd.acme.v1+json"}, "1", SourceMediaType, "/items"},
		{"vendor without v", all, "/items", []string{"Accept", "application/vnd.acme.3+json"}, "3", SourceMediaType, "/items"},
		{"vendor case-insensitive", all, "/items", []string{"Accept", "Application/VND.Acme.V1+JSON"}, "1", SourceMediaType, "/items"},
		{"media type parameter", all, "/items", []string{"Accept", "application/json; version=3"}, "3", SourceMediaType, "/items"},
		{"quoted parameter", all, "/items", []string{"Accept", `application/json;version="1"`}, "1", SourceMediaType, "/items"},
		{"plain json", all, "/items", []string{"Accept", "application/json"}, "2", SourceDefault, "/items"},
		{"path before header", all, "/api/v1/x", []string{"Api-Version", "3"}, "1", SourcePath, "/api/v1/x"},
		{"header before accept", all, "/x", []string{"Api-Version", "3", "Accept", "application/vnd.acme.v1+json"}, "3", SourceHeader, "/x"},
		{"accept first", Config{Sources: []Source{SourceMediaType, SourceHeader, SourcePath}, PathTemplate: "/api/v{version}", Vendor: "acme"},
			"/api/v1/x", []string{"Api-Version", "2", "Accept", "application/vnd.acme.v3+json"}, "3", SourceMediaType, "/api/v1/x"},
		{"header first, none sent", Config{Sources: []Source{SourceHeader, SourcePath}, PathTemplate: "/api/v{version}"},
			"/api/v1/x", nil, "1", SourcePath, "/api/v1/x"},
		{"source not configured", Config{Sources: []Source{SourcePath}}, "/x", []string{"Api-Version", "1"}, "3", SourceDefault, "/x"},
		{"not a version segment", all, "/api/vendors", nil, "2", SourceDefault, "/api/vendors"},
		{"letters after digit", all, "/api/v2fa/x", nil, "2", SourceDefault, "/api/v2fa/x"},
		{"no segment", all, "/api/v", nil, "2", SourceDefault, "/api/v"},
		{"strip", Config{PathTemplate: "/api/v{version}", PathMode: StripPath}, "/api/v1/items/7?x=1", nil, "1", SourcePath, "/items/7"},
		{"strip to root", Config{PathTemplate: "/api/v{version}", PathMode: StripPath}, "/api/v1", nil, "1", SourcePath, "/"},
		{"strip header request", Config{PathMode: StripPath}, "/items", []string{"Api-Version", "1"}, "1", SourceHeader, "/items"},
		{"rewrite", Config{PathTemplate: "/api/v{version}", PathMode: RewritePath}, "/api/v1/items/7", nil, "1", SourcePath, "/api/v3/items/7"},
		{"rewrite newest", Config{PathTemplate: "/api/v{version}", PathMode: RewritePath}, "/api/v3/items/7", nil, "3", SourcePath, "/api/v3/items/7"},
		{"custom header", Config{Header: "x-api-version"}, "/x", []string{"X-Api-Version", "1"}, "1", SourceHeader, "/x"},
		{"custom param", Config{MediaTypeParam: "v"}, "/x", []string{"Accept", "application/json;v=1"}, "1", SourceMediaType, "/x"},
		{"date template", Config{Versions: []Version{{Name: "2024-01-01"}, {Name: "2025-06-01"}}, PathTemplate: "/{version}"},
			"/2024-01-01/items", nil, "2024-01-01", SourcePath, "/2024-01-01/items"},
		{"date header", Config{Versions: []Version{{Name: "2024-01-01"}, {Name: "2025-06-01"}}},
			"/items", []string{"Api-Version", "2024-01-01"}, "2024-01-01", SourceHeader, "/items"},
		{"date path not a date", Config{Versions: []Version{{Name: "2024-01-01"}, {Name: "2025-06-01"}}, PathTemplate: "/{version}"},
			"/2fa/setup", nil, "2025-06-01", SourceDefault, "/2fa/setup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, tt.cfg)
			var s seen
			w := httptest.NewRecorder()
			v.Handler(recordingHandler(&s)).ServeHTTP(w, request("GET", tt.target, tt.hdr...))
			if w.Code != http.StatusOK || !s.called {
				t.Fatalf("status %d, handler called %v; body %s", w.Code, s.called, w.Body)
			}
			if s.version != tt.wantVer || s.source != tt.wantSource {
				t.Errorf("version %q from %v, want %q from %v", s.version, s.source, tt.wantVer, tt.wantSource)
			}
			if s.path != tt.wantPath {
				t.Errorf("handler saw path %q, want %q", s.path, tt.wantPath)
			}
			hdr := tt.cfg.Header
			if hdr == "" {
				hdr = DefaultHeader
			}
			if got := w.Header().Values(hdr); !reflect.DeepEqual(got, []string{tt.wantVer}) {
				t.Errorf("response %s = %q, want [%q]", hdr, got, tt.wantVer)
			}
			res, err := v.Negotiate(request("GET", tt.target, tt.hdr...))
			if err != nil || res.Version != tt.wantVer || res.Source != tt.wantSource {
				t.Errorf("Negotiate = %+v, %v; want %s from %v", res, err, tt.wantVer, tt.wantSource)
			}
		})
	}
}

func TestStripKeepsRawPath(t *testing.T) {
	tests := []struct {
		mode             PathMode
		target           string
		wantPath, wantRP string
	}{
		{StripPath, "/v1/a%2Fb/c", "/a/b/c", "/a%2Fb/c"},
		{RewritePath, "/v1/a%2Fb/c", "/v3/a/b/c", "/v3/a%2Fb/c"},
		{StripPath, "/v1/plain", "/plain", ""},
	}
	for _, tt := range tests {
		v := mustNew(t, Config{PathMode: tt.mode})
		var s seen
		r := request("GET", tt.target)
		orig := *r.URL
		v.Handler(recordingHandler(&s)).ServeHTTP(httptest.NewRecorder(), r)
		if s.path != tt.wantPath || s.rawPath != tt.wantRP {
			t.Errorf("%v %s: handler saw %q raw %q, want %q raw %q", tt.mode, tt.target, s.path, s.rawPath, tt.wantPath, tt.wantRP)
		}
		if *r.URL != orig {
			t.Errorf("the caller's URL was changed: %+v", r.URL)
		}
	}
}

// decodeError decodes an error body in either format into a flat map.
func decodeError(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if inner, ok := m["error"].(map[string]any); ok {
		return inner
	}
	return m
}

func TestUnsupportedVersion(t *testing.T) {
	cfg := Config{PathTemplate: "/api/v{version}", Vendor: "acme"}
	tests := []struct {
		name      string
		target    string
		hdr       []string
		status    int
		source    Source
		requested string
		field     string // the header the field error names, "" for none
	}{
		{"path", "/api/v9/items", nil, 404, SourcePath, "9", ""},
		{"path date-like", "/api/v1.5", nil, 404, SourcePath, "1.5", ""},
		{"header", "/items", []string{"Api-Version", "9"}, 400, SourceHeader, "9", "Api-Version"},
		{"header garbage", "/items", []string{"Api-Version", "v2\x7f<script>"}, 400, SourceHeader, "", "Api-Version"},
		{"header twice", "/items", []string{"Api-Version", "1", "Api-Version", "2"}, 400, SourceHeader, "", "Api-Version"},
		{"header list", "/items", []string{"Api-Version", "1, 2"}, 400, SourceHeader, "", "Api-Version"},
		{"vendor", "/items", []string{"Accept", "application/vnd.acme.v9+json"}, 400, SourceMediaType, "9", "Accept"},
		{"param", "/items", []string{"Accept", "application/json;version=9"}, 400, SourceMediaType, "9", "Accept"},
		{"named beats wildcard", "/items", []string{"Accept", "application/vnd.acme.v9+json, */*;q=0.1"}, 400, SourceMediaType, "9", "Accept"},
		{"path wins over good header", "/api/v9/x", []string{"Api-Version", "1"}, 404, SourcePath, "9", ""},
	}
	for _, format := range []apierrors.Format{apierrors.Envelope, apierrors.Problem} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var gotErr error
				cfg := cfg
				cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
					gotErr = err
					apierrors.Write(w, r, err)
				}
				v := mustNew(t, cfg)
				var s seen
				rd := &apierrors.Renderer{Format: format}
				w := httptest.NewRecorder()
				rd.Handler(v.Handler(recordingHandler(&s))).ServeHTTP(w, request("GET", tt.target, tt.hdr...))
				if s.called {
					t.Fatal("the handler was called")
				}
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d", w.Code, tt.status)
				}
				var ue *UnsupportedError
				if !errors.Is(gotErr, ErrUnsupportedVersion) || !errors.As(gotErr, &ue) {
					t.Fatalf("error %v is not an *UnsupportedError matching ErrUnsupportedVersion", gotErr)
				}
				if ue.Source != tt.source || ue.Requested != tt.requested || !slices.Equal(ue.Supported, []string{"1", "2", "3"}) {
					t.Errorf("UnsupportedError = %+v", ue)
				}
				e := decodeError(t, w.Body.Bytes())
				if e["code"] != "unsupported_version" {
					t.Errorf("code = %v", e["code"])
				}
				if got := e["supported_versions"]; !reflect.DeepEqual(got, []any{"1", "2", "3"}) {
					t.Errorf("supported_versions = %v", got)
				}
				if strings.Contains(w.Body.String(), "script") {
					t.Errorf("the body repeats an invalid version: %s", w.Body)
				}
				if tt.field != "" {
					want := "supported versions: 1, 2, 3"
					if format == apierrors.Envelope {
						d, _ := e["details"].(map[string]any)
						if !reflect.DeepEqual(d[tt.field], []any{want}) {
							t.Errorf("details = %v, want %s: [%s]", e["details"], tt.field, want)
						}
					} else {
						errs, _ := e["errors"].([]any)
						if len(errs) != 1 || !reflect.DeepEqual(errs[0], map[string]any{"detail": want, "header": tt.field}) {
							t.Errorf("errors = %v", e["errors"])
						}
					}
				}
				if tt.status == 404 {
					if msg, _ := e["message"].(string); format == apierrors.Envelope && !strings.Contains(msg, "supported versions: 1, 2, 3") {
						t.Errorf("message %q does not list the versions", msg)
					}
				}
			})
		}
	}
}

func TestVary(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		outer   []string // Vary set before the middleware
		handler func(w http.ResponseWriter, r *http.Request)
		hdr     []string
		want    []string
	}{
		{"added", Config{}, nil, nil, nil, []string{"Api-Version, Accept"}},
		{"header only", Config{Sources: []Source{SourceHeader}}, nil, nil, nil, []string{"Api-Version"}},
		{"path only", Config{Sources: []Source{SourcePath}}, nil, nil, nil, nil},
		{"merged with outer", Config{}, []string{"Accept-Encoding"}, nil, nil, []string{"Accept-Encoding", "Api-Version, Accept"}},
		{"outer has some", Config{}, []string{"accept"}, nil, nil, []string{"accept", "Api-Version"}},
		{"outer has star", Config{}, []string{"*"}, nil, nil, []string{"*"}},
		{"handler adds", Config{}, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Origin")
			w.WriteHeader(204)
		}, nil, []string{"Api-Version, Accept", "Origin"}},
		{"handler replaces", Config{}, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin")
			w.WriteHeader(200)
		}, nil, []string{"Origin", "Api-Version, Accept"}},
		{"handler replaces, writes nothing", Config{}, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin, API-VERSION")
		}, nil, []string{"Origin, API-VERSION", "Accept"}},
		{"handler error", Config{}, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Del("Vary")
			apierrors.Write(w, r, apierrors.NotFound(""))
		}, nil, []string{"Api-Version, Accept"}},
		{"unsupported version", Config{}, nil, nil, []string{"Api-Version", "9"}, []string{"Api-Version, Accept"}},
		{"unsupported merged", Config{}, []string{"Accept-Encoding"}, nil, []string{"Api-Version", "9"}, []string{"Accept-Encoding", "Api-Version, Accept"}},
		{"deprecated version", Config{Versions: []Version{{Name: "1", Deprecated: t0}, {Name: "2"}}}, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Vary", "Origin")
			w.WriteHeader(200)
		}, []string{"Api-Version", "1"}, []string{"Origin", "Api-Version, Accept"}},
		{"strict 406", Config{StrictAccept: true}, nil, nil, []string{"Accept", "text/html"}, []string{"Api-Version, Accept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustNew(t, tt.cfg)
			h := tt.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }
			}
			w := httptest.NewRecorder()
			for _, val := range tt.outer {
				w.Header().Add("Vary", val)
			}
			v.Handler(http.HandlerFunc(h)).ServeHTTP(w, request("GET", "/x", tt.hdr...))
			if got := w.Result().Header["Vary"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Vary = %q, want %q (status %d)", got, tt.want, w.Code)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	two := []Version{{Name: "1"}, {Name: "2"}}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no versions", Config{}},
		{"empty name", Config{Versions: []Version{{Name: ""}}}},
		{"slash in name", Config{Versions: []Version{{Name: "1/2"}}}},
		{"long name", Config{Versions: []Version{{Name: strings.Repeat("1", 65)}}}},
		{"repeated name", Config{Versions: []Version{{Name: "1"}, {Name: "1"}}}},
		{"sunset before deprecation", Config{Versions: []Version{{Name: "1", Deprecated: t0, Sunset: t0.Add(-1)}, {Name: "2"}}}},
		{"bad doc URL", Config{Versions: []Version{{Name: "1", Deprecated: t0, Doc: "https://x/a b"}}}},
		{"doc URL with >", Config{Versions: []Version{{Name: "1", Deprecated: t0, Doc: "https://x/>"}}}},
		{"bad policy URL", Config{Versions: []Version{{Name: "1", Sunset: t0, SunsetPolicy: "%zz"}}}},
		{"unknown successor", Config{Versions: []Version{{Name: "1", Successor: "3"}, {Name: "2"}}}},
		{"self successor", Config{Versions: []Version{{Name: "1", Successor: "1"}, {Name: "2"}}}},
		{"unknown default", Config{Versions: two, Default: "3"}},
		{"zero source", Config{Versions: two, Sources: []Source{SourceDefault}}},
		{"unknown source", Config{Versions: two, Sources: []Source{9}}},
		{"repeated source", Config{Versions: two, Sources: []Source{SourcePath, SourcePath}}},
		{"template without placeholder", Config{Versions: two, PathTemplate: "/api/v"}},
		{"template not at end", Config{Versions: two, PathTemplate: "/api/{version}/x"}},
		{"template relative", Config{Versions: two, PathTemplate: "v{version}"}},
		{"bad header", Config{Versions: two, Header: "Api Version"}},
		{"reserved header", Config{Versions: two, Header: "accept"}},
		{"bad vendor", Config{Versions: two, Vendor: "Acme"}},
		{"bad param", Config{Versions: two, MediaTypeParam: "Q"}},
		{"strict without media type", Config{Versions: two, StrictAccept: true, Sources: []Source{SourcePath}}},
		{"bad AfterSunset", Config{Versions: two, AfterSunset: 7}},
		{"bad PathMode", Config{Versions: two, PathMode: 7}},
		{"negative MaxTracked", Config{Versions: two, MaxTracked: -1}},
	}
	for _, tt := range tests {
		v, err := New(tt.cfg)
		if err == nil {
			t.Errorf("%s: New succeeded: %+v", tt.name, v)
			continue
		}
		if !strings.HasPrefix(err.Error(), "versioning: ") {
			t.Errorf("%s: error %q lacks the prefix", tt.name, err)
		}
	}
}

func TestZeroishConfig(t *testing.T) {
	v, err := New(Config{Versions: []Version{{Name: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	w := httptest.NewRecorder()
	v.Handler(recordingHandler(&s)).ServeHTTP(w, request("GET", "/v1/x"))
	if s.version != "1" || s.path != "/v1/x" || w.Header().Get("Api-Version") != "1" {
		t.Errorf("saw %+v, header %q", s, w.Header().Get("Api-Version"))
	}
}

func TestLargeRegistry(t *testing.T) {
	var vs []Version
	for i := 1; i <= 20; i++ {
		vs = append(vs, Version{Name: itoa(i)})
	}
	v := mustNew(t, Config{Versions: vs})
	for _, tc := range []struct {
		hdr  string
		want int
	}{{"17", 200}, {"1", 200}, {"21", 400}} {
		var s seen
		w := httptest.NewRecorder()
		v.Handler(recordingHandler(&s)).ServeHTTP(w, request("GET", "/x", "Api-Version", tc.hdr))
		if w.Code != tc.want || tc.want == 200 && s.version != tc.hdr {
			t.Errorf("Api-Version %s: status %d version %q", tc.hdr, w.Code, s.version)
		}
	}
}

func TestVersions(t *testing.T) {
	vs := []Version{{Name: "1", Deprecated: t0, Successor: "2"}, {Name: "2"}}
	v := mustNew(t, Config{Versions: vs})
	got := v.Versions()
	if !reflect.DeepEqual(got, vs) {
		t.Errorf("Versions() = %+v", got)
	}
	got[0].Name = "x"
	if v.Versions()[0].Name != "1" {
		t.Error("Versions() shares its slice")
	}
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{SourceDefault: "default", SourcePath: "path", SourceHeader: "header", SourceMediaType: "media-type", 9: "unknown"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSharedHeaderSlicesNotWritten(t *testing.T) {
	v := mustNew(t, Config{Versions: []Version{{Name: "1", Deprecated: t0, Doc: "https://x.example/d"}, {Name: "2"}}})
	vary := make([]string, 1, 4)
	vary[0] = "Origin"
	link := make([]string, 1, 4)
	link[0] = `</a>; rel="next"`
	w := httptest.NewRecorder()
	w.Header()["Vary"] = vary
	v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Link"] = link
		w.WriteHeader(200)
	})).ServeHTTP(w, request("GET", "/v1/x"))
	if got := w.Header()["Vary"]; len(got) != 2 || vary[:2][1] != "" {
		t.Errorf("Vary %q; shared array %q", got, vary[:2])
	}
	if got := w.Header()["Link"]; len(got) != 2 || link[:2][1] != "" {
		t.Errorf("Link %q; shared array %q", got, link[:2])
	}
}
