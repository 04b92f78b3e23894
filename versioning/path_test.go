package versioning_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/restwell/restwell/versioning"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name    string
		mode    versioning.PathMode
		target  string            // the request
		header  map[string]string // its headers
		p, want string
	}{
		{"rewrite, old version", versioning.RewritePath, "/api/v1/items", nil, "/api/v3/items/7", "/api/v1/items/7"},
		{"rewrite, middle version", versioning.RewritePath, "/api/v2/items", nil, "/api/v3/items/7", "/api/v2/items/7"},
		{"rewrite, newest version", versioning.RewritePath, "/api/v3/items", nil, "/api/v3/items/7", "/api/v3/items/7"},
		{"rewrite, with a query", versioning.RewritePath, "/api/v1/items", nil, "/api/v3/items?cursor=abc", "/api/v1/items?cursor=abc"},
		{"rewrite, the bare prefix with a query", versioning.RewritePath, "/api/v1/items", nil, "/api/v3?x=1", "/api/v1?x=1"},
		{"rewrite, with a fragment", versioning.RewritePath, "/api/v1/items", nil, "/api/v3/items#top", "/api/v1/items#top"},
		{"rewrite, unversioned path", versioning.RewritePath, "/api/v1/items", nil, "/health", "/health"},
		{"rewrite, unknown version left alone", versioning.RewritePath, "/api/v1/items", nil, "/api/v9/items", "/api/v9/items"},
		{"keep, other version named", versioning.KeepPath, "/api/v1/items", nil, "/api/v3/items/7", "/api/v1/items/7"},
		{"keep, unversioned path", versioning.KeepPath, "/api/v1/items", nil, "/items/7", "/items/7"},
		{"strip, unversioned path", versioning.StripPath, "/api/v1/items", nil, "/items/7", "/api/v1/items/7"},
		{"strip, versioned path", versioning.StripPath, "/api/v1/items", nil, "/api/v3/items/7", "/api/v1/items/7"},
		{"strip, look-alike prefix is a path", versioning.StripPath, "/api/v1/items", nil, "/api/vendors", "/api/v1/api/vendors"},
		{"relative reference left alone", versioning.RewritePath, "/api/v1/items", nil, "items/7", "items/7"},
		{"absolute URL left alone", versioning.RewritePath, "/api/v1/items", nil, "https://example.com/api/v3/items", "https://example.com/api/v3/items"},
		{"version from a header", versioning.RewritePath, "/items", map[string]string{"Api-Version": "1"}, "/api/v3/items/7", "/api/v3/items/7"},
		{"default version", versioning.StripPath, "/items", nil, "/items/7", "/items/7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := versioning.New(versioning.Config{
				Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}, {Name: "3"}},
				PathTemplate: "/api/v{version}",
				PathMode:     tt.mode,
				Logger:       slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = versioning.Path(r.Context(), tt.p)
			}))
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for k, val := range tt.header {
				req.Header.Set(k, val)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d %s", rec.Code, rec.Body)
			}
			if got != tt.want {
				t.Errorf("Path(%q) for %s = %q, want %q", tt.p, tt.target, got, tt.want)
			}
		})
	}
	for _, ctx := range []context.Context{context.Background(), versioning.NewContext(context.Background(), "1")} {
		if got := versioning.Path(ctx, "/api/v3/items"); got != "/api/v3/items" {
			t.Errorf("Path without the middleware = %q, want it unchanged", got)
		}
	}
}

func BenchmarkPathURL(b *testing.B) {
	v, err := versioning.New(versioning.Config{
		Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.RewritePath,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, target := range []string{"/api/v1/items", "/api/v2/items"} {
		var ctx context.Context
		v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() })).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, target, nil))
		b.Run(target, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = versioning.Path(ctx, "/api/v2/items/7")
			}
		})
	}
}

func FuzzPath(f *testing.F) {
	for _, p := range []string{"/api/v2/items/7", "/api/v1", "/api/v2?x=1", "/api/v9/x", "/items", "", "x", "/api/v#", "/api/v2/%2F"} {
		f.Add(p, "/api/v1/items")
	}
	v, err := versioning.New(versioning.Config{
		Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.StripPath,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p, target string) {
		if _, err := url.ParseRequestURI(target); err != nil || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " ?#%") {
			return // not a request target httptest takes
		}
		var got string
		var served bool
		v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served = true
			got = versioning.Path(r.Context(), p)
		})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		if !served {
			return // an unsupported version
		}
		// Path only ever changes the version prefix: what follows it stays.
		switch {
		case got == p:
		case strings.HasPrefix(got, "/api/v1") || strings.HasPrefix(got, "/api/v2"):
			if rest := strings.TrimPrefix(strings.TrimPrefix(p, "/api/v1"), "/api/v2"); !strings.HasSuffix(got, rest) {
				t.Errorf("Path(%q) for %s = %q: lost %q", p, target, got, rest)
			}
		default:
			t.Errorf("Path(%q) for %s = %q: neither p nor versioned", p, target, got)
		}
	})
}
