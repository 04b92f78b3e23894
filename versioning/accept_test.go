package versioning

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/httpsyntax"
)

func TestAccept(t *testing.T) {
	// want is a version name, or a status for a refusal; for strict mode
	// when it differs.
	tests := []struct {
		accept      []string
		want        string
		wantStrict  string
		target      string // default /items
		description string
	}{
		{[]string{"application/vnd.acme.v1+json;q=0.5, application/vnd.acme.v3+json"}, "3", "", "", "highest q wins"},
		{[]string{"application/vnd.acme.v1+json, application/vnd.acme.v3+json"}, "1", "", "", "first wins a tie"},
		{[]string{"application/vnd.acme.v3+json;q=0, application/json"}, "2", "", "", "q=0 excludes; default"},
		{[]string{"application/vnd.acme.v2+json;q=0, */*"}, "2", "406", "", "q=0 excludes the default: strict refuses"},
		{[]string{"application/vnd.acme.v9+json, application/vnd.acme.v1+json;q=0.1"}, "1", "", "", "unknown skipped for a known one"},
		{[]string{"application/vnd.acme.v9+json"}, "400", "", "", "only unknown"},
		{[]string{"application/json;version=9, application/json;version=0.1"}, "400", "", "", "only unknown params"},
		{[]string{"application/vnd.acme.v9+json;q=0"}, "2", "406", "", "unknown but excluded"},
		{[]string{"*/*"}, "2", "", "", "wildcard"},
		{[]string{"application/*;version=1"}, "1", "", "", "parameter on a subtype wildcard"},
		{[]string{"*/*; version=3"}, "3", "", "", "parameter on the full wildcard"},
		{[]string{"text/html;version=1, application/json"}, "2", "", "", "version of a non-JSON type ignored"},
		{[]string{"application/problem+json;version=1"}, "1", "", "", "+json suffix"},
		{[]string{"application/xml;version=1"}, "2", "406", "", "XML only"},
		{[]string{"text/html"}, "2", "406", "", "HTML only"},
		{[]string{"application/json;q=0"}, "2", "406", "", "JSON excluded"},
		{[]string{"application/json;q=0, */*;q=0.1"}, "2", "", "", "JSON excluded but wildcard allowed (the client's contradiction)"},
		{[]string{"garbage"}, "2", "", "", "malformed: as if absent"},
		{[]string{""}, "2", "", "", "empty"},
		{[]string{" , ,"}, "2", "", "", "empty elements"},
		{[]string{"application/json;version=1;q=0.9;version=3"}, "1", "", "", "parameters after q are extensions"},
		{[]string{"application/json;q=0.5;version=1"}, "2", "", "", "version after q is an extension"},
		{[]string{"application/vnd.acme.item+json"}, "2", "", "", "vendor resource type names no version"},
		{[]string{"application/vnd.acme+json; version=1"}, "1", "", "", "vendor type with parameter"},
		{[]string{"application/vnd.acme.v1+json; version=3"}, "2", "", "", "contradicting element skipped"},
		{[]string{"application/vnd.acme.v1+json; version=1"}, "1", "", "", "agreeing element"},
		{[]string{"application/json;q=0.1", "application/vnd.acme.v3+json"}, "3", "", "", "several field lines"},
		{[]string{`application/json;foo="a,b;version=3";version=1`}, "1", "", "", "quoted comma and semicolon"},
		{[]string{`application/json;version="1\"";x=1, application/vnd.acme.v3+json;q=0.5`}, "3", "", "", "escaped quote in version"},
		{[]string{`application/json;version="\1"`}, "400", "", "", "escaped version cannot be read"},
		{[]string{"application/json;q=1.0001"}, "2", "", "", "bad q skipped"},
		{[]string{"application/json;q=2, application/vnd.acme.v1+json;q=0.001"}, "1", "", "", "bad q skipped, tiny q kept"},
		{[]string{"*/json;version=1"}, "2", "", "", "invalid range skipped"},
		{[]string{"application/vnd.acme.V1+JSON"}, "1", "", "", "case"},
		{[]string{"application/vnd.acmex.v1+json"}, "2", "", "", "another vendor"},
		{[]string{"application/json, text/html;q=0.9"}, "2", "", "", "browser-like"},
		{[]string{"application/vnd.acme.v3+json"}, "1", "406", "/v1/items", "path wins; strict refuses the mismatch"},
		{[]string{"application/vnd.acme.v1+json"}, "1", "", "/v1/items", "path agrees"},
		{[]string{"application/vnd.acme.v3+json, */*;q=0.1"}, "1", "", "/v1/items", "path wins; wildcard allows it"},
		{[]string{"application/json;version=1;q=0"}, "1", "406", "/v1/items", "path version excluded"},
	}
	for _, strict := range []bool{false, true} {
		v := mustNew(t, Config{Vendor: "acme", Default: "2", StrictAccept: strict})
		for _, tt := range tests {
			want := tt.want
			if strict && tt.wantStrict != "" {
				want = tt.wantStrict
			}
			target := tt.target
			if target == "" {
				target = "/items"
			}
			r := request("GET", target)
			r.Header["Accept"] = tt.accept
			var s seen
			var gotErr error
			v.errh = func(w http.ResponseWriter, r *http.Request, err error) {
				gotErr = err
				apierrors.Write(w, r, err)
			}
			w := httptest.NewRecorder()
			v.Handler(recordingHandler(&s)).ServeHTTP(w, r)
			got := s.version
			if !s.called {
				got = strconv.Itoa(w.Code)
			}
			if got != want {
				t.Errorf("strict %v, %s: Accept %q gave %s, want %s; body %s", strict, tt.description, tt.accept, got, want, w.Body)
				continue
			}
			switch want {
			case "406":
				if !errors.Is(gotErr, ErrNotAcceptable) || decodeError(t, w.Body.Bytes())["code"] != "not_acceptable" {
					t.Errorf("%s: error %v, body %s", tt.description, gotErr, w.Body)
				}
			case "400":
				if !errors.Is(gotErr, ErrUnsupportedVersion) {
					t.Errorf("%s: error %v", tt.description, gotErr)
				}
			}
		}
	}
}

func TestAcceptDateVendor(t *testing.T) {
	v := mustNew(t, Config{Versions: []Version{{Name: "2024-01-01"}, {Name: "2025-06-01"}}, Vendor: "acme"})
	for accept, want := range map[string]string{
		"application/vnd.acme.2024-01-01+json":  "2024-01-01",
		"application/vnd.acme.v2024-01-01+json": "2024-01-01",
		"application/vnd.acme.2023-01-01+json":  "400",
		"application/vnd.acme.v2+json":          "2025-06-01", // not date-shaped: a vendor type naming no version
		"application/json; version=2024-01-01":  "2024-01-01",
	} {
		var s seen
		w := httptest.NewRecorder()
		v.Handler(recordingHandler(&s)).ServeHTTP(w, request("GET", "/x", "Accept", accept))
		got := s.version
		if !s.called {
			got = strconv.Itoa(w.Code)
		}
		if got != want {
			t.Errorf("Accept %q gave %s, want %s", accept, got, want)
		}
	}
}

func TestParseQ(t *testing.T) {
	good := map[string]int{"0": 0, "1": 1000, "0.5": 500, "0.25": 250, "0.125": 125, "1.0": 1000, "1.000": 1000, "0.": 0, "1.": 1000}
	for s, want := range good {
		if got, ok := parseQ(s); !ok || got != want {
			t.Errorf("parseQ(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "2", "1.001", "0.1234", "-0", ".5", "0,5", "1.0000", "01"} {
		if got, ok := parseQ(s); ok {
			t.Errorf("parseQ(%q) = %d, want failure", s, got)
		}
	}
}

// FuzzAccept checks that any Accept value is handled without a panic, and
// that a chosen version was named in the header.
//
//	go test ./versioning -run '^$' -fuzz FuzzAccept -fuzztime 60s
func FuzzAccept(f *testing.F) {
	for _, s := range []string{
		"application/vnd.acme.v1+json;q=0.5, application/vnd.acme.v3+json",
		`application/json;foo="a,b";version=1`, "*/*;q=0", "application/*;version=2",
		`application/json;version="\1"`, "text/html;q=0.1, application/json;version=2;q=0.9;x=y",
		"application/vnd.acme.2024-01-01+json", `a/b;c="`, "application/json;q=0.001",
	} {
		f.Add(s)
	}
	v := mustNew(f, Config{Vendor: "acme", StrictAccept: true, Versions: []Version{{Name: "1"}, {Name: "2"}, {Name: "2024-01-01"}}})
	f.Fuzz(func(t *testing.T, s string) {
		vals := []string{s}
		out, ver, requested := v.fromAccept(vals)
		switch out {
		case acceptVersion:
			if ver == nil || !strings.Contains(s, ver.Name) {
				t.Fatalf("Accept %q chose %v, a version it does not name", s, ver)
			}
			if !v.acceptable(vals, ver) {
				t.Fatalf("Accept %q chose version %s and then found it unacceptable", s, ver.Name)
			}
		case acceptUnsupported:
			if ver != nil || !strings.Contains(s, requested) {
				t.Fatalf("Accept %q: unsupported %q, version %v", s, requested, ver)
			}
		}
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header["Accept"] = vals
		res, err := v.Negotiate(r)
		var ae *apierrors.Error
		switch {
		case err == nil:
			if v.lookup(res.Version) == nil {
				t.Fatalf("Accept %q: negotiated unknown version %q", s, res.Version)
			}
		case errors.As(err, &ae):
			if ae.Status != 400 && ae.Status != 406 {
				t.Fatalf("Accept %q: status %d", s, ae.Status)
			}
			if strings.ContainsAny(ae.Message, "\x00\r\n\"<>") {
				t.Fatalf("Accept %q: message repeats unsafe input: %q", s, ae.Message)
			}
		default:
			t.Fatalf("Accept %q: error %v", s, err)
		}
	})
}

// FuzzHeaderVersion checks that any version header is handled without a
// panic, never echoed unless it is a registered name, and refused with 400
// unless it names a registered version.
//
//	go test ./versioning -run '^$' -fuzz FuzzHeaderVersion -fuzztime 60s
func FuzzHeaderVersion(f *testing.F) {
	for _, s := range []string{"1", " 2 ", "2025-06-01", "v2", "", "1, 2", "\t", "9999999999999999999", "1.0"} {
		f.Add(s, "/v1/items")
	}
	f.Add("2", "/v9/x")
	f.Add("", "/v2025-06-01")
	v := mustNew(f, Config{Versions: []Version{{Name: "1"}, {Name: "2"}, {Name: "2025-06-01"}}})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	f.Fuzz(func(t *testing.T, val, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = path
		r.Header["Api-Version"] = []string{val}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		echo := w.Header().Get("Api-Version")
		switch w.Code {
		case 204:
			if v.lookup(echo) == nil {
				t.Fatalf("header %q path %q: echoed %q", val, path, echo)
			}
		case 400, 404:
			if echo != "" {
				t.Fatalf("header %q path %q: refused but echoed %q", val, path, echo)
			}
			if w.Code == 400 && v.lookup(httpsyntax.TrimOWS(val)) != nil {
				t.Fatalf("header %q: a registered version refused", val)
			}
		default:
			t.Fatalf("header %q path %q: status %d", val, path, w.Code)
		}
		if name := httpsyntax.TrimOWS(val); name != "" && w.Code == 204 && echo != name && !strings.HasPrefix(path, "/v") {
			t.Fatalf("header %q path %q: served %q", val, path, echo)
		}
	})
}
