package etag

import (
	"encoding/json"
	"net/http"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
)

func TestRequireIfMatch(t *testing.T) {
	exists := func(*http.Request) (Validators, error) { return Validators{ETag: `"v1"`, LastModified: T}, nil }
	missing := func(*http.Request) (Validators, error) { return Validators{Missing: true}, nil }
	gone := func(*http.Request) (Validators, error) {
		return Validators{}, apierrors.NotFound("no item with that id")
	}
	tests := []struct {
		name       string
		cfg        Config
		req        *http.Request
		want       int    // the status the middleware answers; 0 when the handler runs
		wantHeader string // the header the 428 names
	}{
		{"no condition", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("PUT"), 428, "If-Match"},
		{"If-Unmodified-Since only", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("PATCH", hdr{"If-Unmodified-Since", FormatDate(T)}), 428, "If-Match"},
		{"If-None-Match only", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("DELETE", hdr{"If-None-Match", `"v0"`}), 428, "If-Match"},
		{"empty If-Match", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("PUT", hdr{"If-Match", ""}), 428, "If-Match"},
		{"matching If-Match", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("PUT", hdr{"If-Match", `"v1"`}), 0, ""},
		{"stale If-Match", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("PUT", hdr{"If-Match", `"v0"`}), 412, ""},
		{"method not required", Config{Validators: exists, RequireIfMatch: RequireMethods("PUT", "PATCH")},
			request("DELETE"), 0, ""},
		{"POST not an update", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("POST"), 0, ""},
		{"reads untouched", Config{Validators: exists, RequireIfMatch: RequireForUpdates},
			request("GET"), 0, ""},
		{"missing, create-if-absent", Config{Validators: missing, RequireIfMatch: RequireForUpdates},
			request("PUT", hdr{"If-None-Match", "*"}), 0, ""},
		{"missing, no condition", Config{Validators: missing, RequireIfMatch: RequireForUpdates},
			request("PUT"), 428, "If-None-Match"},
		{"Validators' error first", Config{Validators: gone, RequireIfMatch: RequireForUpdates},
			request("PUT"), 404, ""},
		{"without Validators, none", Config{RequireIfMatch: RequireForUpdates},
			request("PATCH"), 428, "If-Match"},
		{"without Validators, present", Config{RequireIfMatch: RequireForUpdates},
			request("PATCH", hdr{"If-Match", `"anything"`}), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran int
			rec := serve(t, mustNew(t, tt.cfg).Handler(resource(fixture{}, &ran)), tt.req)
			if tt.want == 0 {
				if ran != 1 || rec.Code >= 300 {
					t.Errorf("handler ran %d times, status %d; want it to answer", ran, rec.Code)
				}
				return
			}
			if rec.Code != tt.want || ran != 0 {
				t.Fatalf("status %d, handler ran %d times; want %d from the middleware (body %s)", rec.Code, ran, tt.want, rec.Body)
			}
			if tt.want != 428 {
				return
			}
			var env struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
					Details map[string][]string
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatal(err)
			}
			wantMsg := "this request must be conditional: send the " + tt.wantHeader + " header"
			if env.Error.Code != "precondition_required" || env.Error.Message != wantMsg {
				t.Errorf("code %q message %q, want precondition_required %q", env.Error.Code, env.Error.Message, wantMsg)
			}
			if got := rec.Header().Get("Cache-Control"); got != NoStore {
				t.Errorf("Cache-Control %q, want %q", got, NoStore)
			}
			if len(env.Error.Details) != 1 || len(env.Error.Details[tt.wantHeader]) != 1 {
				t.Errorf("details %v, want one naming %s (body %s)", env.Error.Details, tt.wantHeader, rec.Body)
			}
		})
	}
}
