package convert

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/versioning"
)

// Version is short for versioning.Version in the tests' literals.
type Version = versioning.Version

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// testConfig holds what a test sets of a versioning.Config and a Config.
type testConfig struct {
	Versions         []Version
	PathTemplate     string
	PathMode         versioning.PathMode
	Changes          []Change
	MaxRequestBytes  int64
	MaxResponseBytes int
	Logger           *slog.Logger
	ErrorHandler     func(http.ResponseWriter, *http.Request, error)
}

// api is a Versioner with a Converter inside it, as a service wires them.
type api struct {
	v *versioning.Versioner
	c *Converter
}

func (a *api) Handler(next http.Handler) http.Handler { return a.v.Handler(a.c.Handler(next)) }

func (a *api) ConvertRequest(r *http.Request, version string, body []byte) ([]byte, error) {
	return a.c.Request(r, version, body)
}

func (a *api) ConvertResponse(r *http.Request, version string, body []byte) ([]byte, error) {
	return a.c.Response(r, version, body)
}

func (a *api) Changelog() []Entry { return a.c.Changelog() }

func (a *api) WriteChangelog(w io.Writer) error { return a.c.WriteChangelog(w) }

func newAPI(cfg testConfig) (*api, error) {
	if cfg.Versions == nil {
		cfg.Versions = []Version{{Name: "1"}, {Name: "2"}, {Name: "3"}}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := versioning.New(versioning.Config{Versions: cfg.Versions, PathTemplate: cfg.PathTemplate, PathMode: cfg.PathMode,
		Logger: cfg.Logger, ErrorHandler: cfg.ErrorHandler})
	if err != nil {
		return nil, err
	}
	c, err := New(Config{Versioner: v, Changes: cfg.Changes, MaxRequestBytes: cfg.MaxRequestBytes, MaxResponseBytes: cfg.MaxResponseBytes,
		Logger: cfg.Logger, ErrorHandler: cfg.ErrorHandler})
	if err != nil {
		return nil, err
	}
	return &api{v: v, c: c}, nil
}

func mustNew(t testing.TB, cfg testConfig) *api {
	t.Helper()
	a, err := newAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func request(method, target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
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

func TestNewErrors(t *testing.T) {
	two := []Version{{Name: "1"}, {Name: "2"}}
	tests := []struct {
		name string
		cfg  testConfig
	}{
		{"negative request bound", testConfig{Versions: two, MaxRequestBytes: -1}},
		{"negative response bound", testConfig{Versions: two, MaxResponseBytes: -1}},
		{"change unknown version", testConfig{Versions: two, Changes: []Change{{Version: "3", Description: "x", Edits: []Edit{Rename("a", "b")}}}}},
		{"change oldest version", testConfig{Versions: two, Changes: []Change{{Version: "1", Description: "x", Edits: []Edit{Rename("a", "b")}}}}},
		{"change without description", testConfig{Versions: two, Changes: []Change{{Version: "2", Edits: []Edit{Rename("a", "b")}}}}},
		{"change two-line description", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "a\nb", Edits: []Edit{Rename("a", "b")}}}}},
		{"change without edits", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x"}}}},
		{"empty edit", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{{}}}}}},
		{"bad rename", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Rename("a", "a")}}}}},
		{"bad move", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Move("a", "/b")}}}}},
		{"bad move escape", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Move("/a~2", "/b")}}}}},
		{"bad remove", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Remove("", 1)}}}}},
		{"bad add default", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Add("a", make(chan int))}}}}},
		{"bad add name", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Add("", 1)}}}}},
		{"bad nest", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Nest("p", map[string]string{"a": "x", "b": "x"})}}}}},
		{"empty nest", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", Edits: []Edit{Nest("p", nil)}}}}},
		{"bad At", testConfig{Versions: two, Changes: []Change{{Version: "2", Description: "x", At: []string{"items"}, Edits: []Edit{Rename("a", "b")}}}}},
	}
	for _, tt := range tests {
		v, err := newAPI(tt.cfg)
		if err == nil {
			t.Errorf("%s: New succeeded: %+v", tt.name, v)
			continue
		}
		if !strings.HasPrefix(err.Error(), "convert: ") {
			t.Errorf("%s: error %q lacks the prefix", tt.name, err)
		}
	}
	if _, err := New(Config{}); err == nil || !strings.HasPrefix(err.Error(), "convert: ") {
		t.Errorf("New without a Versioner: %v", err)
	}
}
