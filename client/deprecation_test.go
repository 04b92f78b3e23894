package client

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// recordHandler is a slog.Handler that keeps every record, safe for
// concurrent use.
type recordHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}

// records returns the records logged at level with message msg, each as
// its attributes.
func (h *recordHandler) records(level slog.Level, msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.recs {
		if r.Level != level || r.Message != msg {
			continue
		}
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// deprecatedServer answers as a deprecated version: the query's version
// parameter, or v1.
func deprecatedServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version := r.URL.Query().Get("version")
		if version == "" {
			version = "v1"
		}
		w.Header().Set("Api-Version", version)
		w.Header().Set("Deprecation", "@1688169599")
		w.Header().Set("Sunset", "Sat, 31 Dec 2033 23:59:59 GMT")
		w.Header().Add("Link", `</api/v2/items>; rel="successor-version"`)
		w.Header().Add("Link", `<https://docs.example.com/v1>; rel="deprecation", <https://docs.example.com/sunset>; rel="sunset"`)
		w.WriteHeader(200)
	}))
}

func TestDeprecationCallback(t *testing.T) {
	srv := deprecatedServer()
	defer srv.Close()
	var got []Deprecation
	var mu sync.Mutex
	cfg := fastConfig()
	cfg.OnDeprecation = func(d Deprecation) { mu.Lock(); got = append(got, d); mu.Unlock() }
	tr, _ := NewTransport(cfg)
	for range 2 {
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/v1/items")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(got) != 2 {
		t.Fatalf("%d callbacks, want one per response (2)", len(got))
	}
	d := got[0]
	for _, c := range []struct{ name, got, want string }{
		{"Version", d.Version, "v1"},
		{"Date", d.Date.Format(time.RFC3339), "2023-06-30T23:59:59Z"},
		{"Sunset", d.Sunset.Format(time.RFC3339), "2033-12-31T23:59:59Z"},
		{"Successor", d.Successor.String(), srv.URL + "/api/v2/items"},
		{"Doc", d.Doc.String(), "https://docs.example.com/v1"},
		{"Policy", d.Policy.String(), "https://docs.example.com/sunset"},
		{"Request", d.Request.URL.Path, "/api/v1/items"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestDeprecationWarnsOncePerOriginAndVersion makes many concurrent calls
// to two origins, one answering as two versions: one warning for each
// origin and version.
func TestDeprecationWarnsOncePerOriginAndVersion(t *testing.T) {
	a, b := deprecatedServer(), deprecatedServer()
	defer a.Close()
	defer b.Close()
	h := &recordHandler{}
	cfg := fastConfig()
	cfg.Logger = slog.New(h)
	tr, _ := NewTransport(cfg)
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				for _, u := range []string{a.URL + "/items?version=v1", a.URL + "/items?version=v0", b.URL + "/items"} {
					resp, err := hc.Get(u)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	warnings := h.records(slog.LevelWarn, "client: the API answering is deprecated")
	seen := map[string]int{}
	for _, w := range warnings {
		seen[w["origin"]+" "+w["version"]]++
		if w["successor"] == "" || w["sunset"] == "" || w["deprecated"] == "" {
			t.Errorf("warning %v lacks the successor, sunset or deprecation date", w)
		}
	}
	want := map[string]int{a.URL + " v1": 1, a.URL + " v0": 1, b.URL + " v1": 1}
	if len(seen) != len(want) || len(warnings) != 3 {
		t.Fatalf("warnings %v, want one for each of %v", seen, want)
	}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("%s: %d warnings, want %d", k, seen[k], n)
		}
	}
}
