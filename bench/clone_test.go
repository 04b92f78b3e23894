package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/requestid"
	"github.com/restwell/restwell/versioning"
)

// copies records the request each layer of a stack passes on.
type copies struct{ seen []*http.Request }

// probe returns a handler that records the request it gets and calls next.
func (c *copies) probe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.seen = append(c.seen, r)
		next.ServeHTTP(w, r)
	})
}

// distinct is the number of different requests the probes saw, other
// than in.
func (c *copies) distinct(in *http.Request) int {
	set := map[*http.Request]bool{}
	for _, r := range c.seen {
		if r != in {
			set[r] = true
		}
	}
	return len(set)
}

// TestRequestCopies checks that a request through every middleware of
// the module is copied once, and through each one alone at most once
// (ratelimit, which hands nothing to the handler, not at all), with
// every FromContext answering in the handler.
func TestRequestCopies(t *testing.T) {
	lim, err := ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "default", Limit: 1000, Window: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := versioning.New(versioning.Config{Versions: []versioning.Version{{Name: "1"}, {Name: "2"}}, PathTemplate: "/api/v{version}"})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := etag.New(etag.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rd := &errors.Renderer{}
	type mw = func(http.Handler) http.Handler
	tests := []struct {
		name    string
		layers  []mw // outermost first
		wantID  bool
		wantVer string
		copies  int
	}{
		{"requestid", []mw{requestid.Handler}, true, "", 1},
		{"renderer", []mw{rd.Handler}, false, "", 1},
		{"ratelimit", []mw{lim.Handler}, false, "", 0},
		{"versioning", []mw{ver.Handler}, false, "2", 1},
		{"full stack", []mw{requestid.Handler, rd.Handler, errors.Recover, lim.Handler, ver.Handler,
			func(h http.Handler) http.Handler { return newIdempotency(t, h) }, tag.Handler}, true, "2", 1},
		{"renderer outside requestid", []mw{rd.Handler, requestid.Handler, ver.Handler}, true, "2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c copies
			var gotID, gotVer string
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotID, gotVer = requestid.FromContext(r.Context()), versioning.FromContext(r.Context())
			})
			for i := len(tt.layers) - 1; i >= 0; i-- {
				h = tt.layers[i](c.probe(h))
			}
			r := httptest.NewRequest(http.MethodGet, "/api/v2/items", nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
			}
			if n := c.distinct(r); n != tt.copies {
				t.Errorf("the request was copied %d times, want %d", n, tt.copies)
			}
			if (gotID != "") != tt.wantID {
				t.Errorf("requestid.FromContext = %q, want an identifier: %v", gotID, tt.wantID)
			}
			if gotVer != tt.wantVer {
				t.Errorf("versioning.FromContext = %q, want %q", gotVer, tt.wantVer)
			}
		})
	}
}
