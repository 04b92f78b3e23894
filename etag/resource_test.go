package etag

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

type stored struct {
	ID  string
	Rev int
}

func TestResource(t *testing.T) {
	validators := func(r *http.Request) (Validators, error) {
		it := stored{ID: r.URL.Query().Get("id"), Rev: 7}
		return Validators{ETag: `"7"`, Resource: it}, nil
	}
	tests := []struct {
		name   string
		cfg    Config
		req    *http.Request
		wantOK bool
	}{
		{"checked write", Config{Validators: validators}, request("PUT", hdr{"If-Match", `"7"`}), true},
		{"required write", Config{Validators: validators, RequireIfMatch: RequireForUpdates}, request("PATCH", hdr{"If-Match", "*"}), true},
		{"read", Config{Validators: validators}, request("GET"), true},
		{"head", Config{Validators: validators}, request("HEAD"), true},
		{"unchecked write: Validators not called", Config{Validators: validators}, request("DELETE"), false},
		{"no Validators", Config{RequireIfMatch: RequireForUpdates}, request("PUT", hdr{"If-Match", `"7"`}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.URL.RawQuery = "id=42"
			ran := false
			h := mustNew(t, tt.cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				got, ok := Resource[stored](r.Context())
				if ok != tt.wantOK || ok && got != (stored{ID: "42", Rev: 7}) {
					t.Errorf("Resource = %+v, %v, want the loaded item: %v", got, ok, tt.wantOK)
				}
				if _, ok := Resource[*stored](r.Context()); ok {
					t.Error("Resource of another type reported ok")
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			rec := serve(t, h, tt.req)
			if !ran || rec.Code != http.StatusNoContent {
				t.Errorf("handler ran %v, status %d, want 204 from it", ran, rec.Code)
			}
		})
	}
	if _, ok := Resource[stored](context.Background()); ok {
		t.Error("Resource outside the middleware reported ok")
	}
}

// TestResourceConcurrent serves many requests at once through one
// middleware: each handler sees the resource loaded for its own request.
func TestResourceConcurrent(t *testing.T) {
	m := mustNew(t, Config{
		Validators: func(r *http.Request) (Validators, error) {
			return Validators{ETag: `"1"`, Resource: stored{ID: r.URL.Query().Get("id")}}, nil
		},
		RequireIfMatch: RequireForUpdates,
	})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		it, _ := Resource[stored](r.Context())
		fmt.Fprint(w, it.ID)
	}))
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method := [...]string{"GET", "PUT", "PATCH", "DELETE"}[i%4]
			req := httptest.NewRequest(method, fmt.Sprintf("/?id=%d", i), nil)
			req.Header.Set("If-Match", `"1"`)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got, want := rec.Body.String(), fmt.Sprint(i); got != want {
				t.Errorf("%s request %d: handler saw resource %q", method, i, got)
			}
		}()
	}
	wg.Wait()
}
