package etag

import (
	"net/http"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// TestErrorHandlerSeesEveryFailure checks that every failure the
// middleware answers, of every kind, goes through Config.ErrorHandler
// once and nothing else is written: the response is the custom handler's
// own.
func TestErrorHandlerSeesEveryFailure(t *testing.T) {
	errBoom := apierrors.New("store down")
	notFound := apierrors.NotFound("no item with that id")
	tagged := func(v Validators, err error) func(*http.Request) (Validators, error) {
		return func(*http.Request) (Validators, error) { return v, err }
	}
	v1 := Validators{ETag: `"v1"`}
	tests := []struct {
		name string
		cfg  Config
		req  *http.Request
		// want is the error the ErrorHandler must get (errors.Is), and
		// status the status of the *errors.Error it must be.
		want   error
		status int
	}{
		{"428 unconditional write", Config{Validators: tagged(v1, nil), RequireCondition: RequireForUpdates},
			request("PUT"), ErrPreconditionRequired, 428},
		{"428 write without If-Match", Config{Validators: tagged(v1, nil), RequireIfMatch: RequireMethods("PUT")},
			request("PUT", hdr{"If-Unmodified-Since", FormatDate(T)}), ErrPreconditionRequired, 428},
		{"412 write", Config{Validators: tagged(v1, nil)},
			request("PUT", hdr{"If-Match", `"v0"`}), ErrPreconditionFailed, 412},
		{"412 read, validators", Config{Validators: tagged(v1, nil)},
			request("GET", hdr{"If-Match", `"v0"`}), ErrPreconditionFailed, 412},
		{"412 read, automatic tag", Config{},
			request("GET", hdr{"If-Match", `"v0"`}), ErrPreconditionFailed, 412},
		{"Validators *errors.Error on a write", Config{Validators: tagged(Validators{}, notFound)},
			request("DELETE", hdr{"If-Match", `"v1"`}), notFound, 404},
		{"Validators *errors.Error on a read", Config{Validators: tagged(Validators{}, notFound)},
			request("GET"), notFound, 404},
		{"Validators plain error on a write", Config{Validators: tagged(Validators{}, errBoom)},
			request("PATCH", hdr{"If-Match", `"v1"`}), errBoom, 0},
		{"Validators plain error on a read", Config{Validators: tagged(Validators{}, errBoom)},
			request("HEAD"), errBoom, 0},
		{"Validators invalid tag on a write", Config{Validators: tagged(Validators{ETag: "v1"}, nil)},
			request("PUT", hdr{"If-Match", `"v1"`}), nil, 500},
		{"Validators invalid tag on a read", Config{Validators: tagged(Validators{ETag: "v1"}, nil)},
			request("GET"), nil, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []error
			cfg := tt.cfg
			cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				got = append(got, err)
				w.WriteHeader(499)
			}
			rec := serve(t, mustNew(t, cfg).Handler(writeBody(0, jsonBody, hdr{"Content-Type", "application/json"})), tt.req)
			if len(got) != 1 {
				t.Fatalf("ErrorHandler called %d times (%v), want once", len(got), got)
			}
			if rec.Code != 499 || rec.Body.Len() != 0 {
				t.Errorf("response %d %q, want the ErrorHandler's 499 and nothing else", rec.Code, rec.Body.String())
			}
			if tt.want != nil && !apierrors.Is(got[0], tt.want) {
				t.Errorf("ErrorHandler got %v, want %v", got[0], tt.want)
			}
			if tt.status != 0 {
				var e *apierrors.Error
				if !apierrors.As(got[0], &e) || e.Status != tt.status {
					t.Errorf("ErrorHandler got %#v, want an *errors.Error with status %d", got[0], tt.status)
				}
			}
		})
	}
}

// TestRespondUsesErrorHandler checks that the 412 Middleware.Respond
// answers goes through Config.ErrorHandler once, and nothing else is
// written.
func TestRespondUsesErrorHandler(t *testing.T) {
	v := Validators{ETag: `"v1"`, LastModified: T}
	for _, tt := range []struct {
		name string
		req  *http.Request
	}{
		{"write If-Match", request("PATCH", hdr{"If-Match", `"v0"`})},
		{"read If-Unmodified-Since", request("GET", hdr{"If-Unmodified-Since", FormatDate(T.Add(-time.Hour))})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []error
			m := mustNew(t, Config{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				got = append(got, err)
				w.WriteHeader(499)
			}})
			rec := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !m.Respond(w, r, v) {
					_, _ = w.Write([]byte("x"))
				}
			}), tt.req)
			if len(got) != 1 || !apierrors.Is(got[0], ErrPreconditionFailed) {
				t.Fatalf("ErrorHandler got %v, want one error wrapping ErrPreconditionFailed", got)
			}
			if rec.Code != 499 || rec.Body.Len() != 0 {
				t.Errorf("response %d %q, want the ErrorHandler's 499 and nothing else", rec.Code, rec.Body.String())
			}
		})
	}
}
