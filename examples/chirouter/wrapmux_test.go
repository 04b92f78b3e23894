package chirouter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
)

func TestWrapMuxOnChi(t *testing.T) {
	r := chi.NewRouter()
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":1}`) })
	r.Put("/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Delete("/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Post("/orders", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })

	tests := []struct {
		method, path string
		format       errors.Format
		wantStatus   int
		wantCT       string
		wantBody     string
		wantAllow    []string // the methods of the one Allow field, sorted
	}{
		{"GET", "/items/1", errors.Envelope, 200, "", `{"id":1}`, nil},
		{"PATCH", "/items/1", errors.Envelope, 405, "application/json; charset=utf-8",
			`{"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource"}}`,
			[]string{"DELETE", "GET", "PUT"}},
		{"GET", "/orders", errors.Problem, 405, "application/problem+json",
			`{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"the method is not allowed on this resource","code":"method_not_allowed"}`,
			[]string{"POST"}},
		{"GET", "/nothing", errors.Envelope, 404, "application/json; charset=utf-8",
			`{"error":{"code":"not_found","message":"the resource does not exist"}}`, nil},
		{"GET", "/nothing", errors.Problem, 404, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"the resource does not exist","code":"not_found"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rd := &errors.Renderer{Format: tt.format}
			srv := httptest.NewServer(rd.Handler(errors.WrapMux(r)))
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantCT != "" && resp.Header.Get("Content-Type") != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tt.wantCT)
			}
			allow := resp.Header.Values("Allow")
			if tt.wantAllow == nil {
				if len(allow) != 0 {
					t.Errorf("Allow = %q, want none", allow)
				}
				return
			}
			if len(allow) != 1 {
				t.Fatalf("Allow = %q, want one field", allow)
			}
			got := strings.Split(allow[0], ", ") // chi lists methods in map order
			slices.Sort(got)
			if !slices.Equal(got, tt.wantAllow) {
				t.Errorf("Allow = %q, want the methods %q", allow[0], tt.wantAllow)
			}
		})
	}
}

// TestPerRouteInstallation shows why the package doc says r.With: etag
// installed with r.Use in a sub-router (r.Route) evaluates a request chi
// will answer with 405, reading the resource's validators first; installed
// with r.With (or r.Use in r.Group, which chi applies per route) it never
// sees the request.
func TestPerRouteInstallation(t *testing.T) {
	tests := []struct {
		name           string
		install        func(r chi.Router, mw func(http.Handler) http.Handler, h http.HandlerFunc)
		wantStatus     int
		wantValidators int64
	}{
		{"r.Use in r.Route", func(r chi.Router, mw func(http.Handler) http.Handler, h http.HandlerFunc) {
			r.Route("/items/{id}", func(r chi.Router) {
				r.Use(mw)
				r.Get("/", h)
			})
		}, http.StatusPreconditionRequired, 1},
		{"r.Use in r.Group", func(r chi.Router, mw func(http.Handler) http.Handler, h http.HandlerFunc) {
			r.Group(func(r chi.Router) {
				r.Use(mw)
				r.Get("/items/{id}", h)
			})
		}, http.StatusMethodNotAllowed, 0},
		{"r.With per route", func(r chi.Router, mw func(http.Handler) http.Handler, h http.HandlerFunc) {
			r.With(mw).Get("/items/{id}", h)
		}, http.StatusMethodNotAllowed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookups atomic.Int64
			tags, err := etag.New(etag.Config{
				Validators: func(r *http.Request) (etag.Validators, error) {
					lookups.Add(1)
					return etag.Validators{ETag: etag.Strong(chi.URLParam(r, "id") + ".1")}, nil
				},
				RequireCondition: etag.RequireForUpdates,
			})
			if err != nil {
				t.Fatal(err)
			}
			r := chi.NewRouter()
			tt.install(r, tags.Handler, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
			h := errors.WrapMux(r)

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPatch, "/items/1", strings.NewReader("{}")))
			if rec.Code != tt.wantStatus || lookups.Load() != tt.wantValidators {
				t.Errorf("PATCH to a GET route: %d after %d lookups, want %d after %d",
					rec.Code, lookups.Load(), tt.wantStatus, tt.wantValidators)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items/7", nil))
			if got, want := rec.Header().Get("ETag"), `"7.1"`; rec.Code != 200 || got != want {
				t.Errorf("GET: %d ETag %q, want 200 ETag %q (Validators sees chi's URL parameter)", rec.Code, got, want)
			}
		})
	}
}
