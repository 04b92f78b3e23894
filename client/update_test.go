package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
)

func TestUpdateOutcomes(t *testing.T) {
	errChange := errors.New("no change")
	type thing struct {
		N int `json:"n"`
	}
	for _, tt := range []struct {
		name        string
		opts        UpdateOptions
		getStatus   int
		noETag      bool
		writeStatus int // 0: answer with the value written
		changeErr   error
		wantN       int
		wantErr     error  // matched with errors.Is
		wantStatus  int    // of the *errors.Error, when not 0
		wantCalls   int    // of change
		wantMethod  string // of the write
		wantType    string
	}{
		{name: "PUT", wantN: 2, wantCalls: 1, wantMethod: "PUT", wantType: "application/json"},
		{name: "PATCH answered with 204", opts: UpdateOptions{Method: "PATCH"}, writeStatus: 204, wantN: 2, wantCalls: 1,
			wantMethod: "PATCH", wantType: "application/merge-patch+json"},
		{name: "always changed by others", opts: UpdateOptions{Tries: 2}, writeStatus: 412, wantStatus: 412, wantCalls: 2, wantMethod: "PUT"},
		{name: "the default tries", writeStatus: 412, wantStatus: 412, wantCalls: DefaultUpdateTries, wantMethod: "PUT"},
		{name: "write refused", writeStatus: 422, wantStatus: 422, wantCalls: 1, wantMethod: "PUT"},
		{name: "read fails", getStatus: 404, wantStatus: 404},
		{name: "no ETag", noETag: true, wantErr: ErrNoETag},
		{name: "change fails", changeErr: errChange, wantErr: errChange, wantCalls: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var method, ctype atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "GET" {
					if tt.getStatus != 0 {
						apierrors.Write(w, r, &apierrors.Error{Status: tt.getStatus, Code: "not_found", Message: "no"})
						return
					}
					if !tt.noETag {
						w.Header().Set("ETag", `"v1"`)
					}
					w.Write([]byte(`{"n":1}`))
					return
				}
				method.Store(r.Method)
				ctype.Store(r.Header.Get("Content-Type"))
				if r.Header.Get("If-Match") != `"v1"` {
					w.WriteHeader(500)
					return
				}
				switch tt.writeStatus {
				case 0:
					var v thing
					json.NewDecoder(r.Body).Decode(&v)
					json.NewEncoder(w).Encode(v)
				case 204:
					w.WriteHeader(204)
				default:
					apierrors.Write(w, r, &apierrors.Error{Status: tt.writeStatus, Code: "refused", Message: "no"})
				}
			}))
			defer srv.Close()
			c, _ := New(srv.URL, fastConfig())
			calls := 0
			got, err := Update(context.Background(), c, "/thing", tt.opts, func(v *thing) error {
				calls++
				v.N++
				return tt.changeErr
			})
			var ae *apierrors.Error
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("error %v, want %v", err, tt.wantErr)
			case tt.wantStatus != 0 && (!errors.As(err, &ae) || ae.Status != tt.wantStatus):
				t.Errorf("error %v, want an *errors.Error with status %d", err, tt.wantStatus)
			case tt.wantErr == nil && tt.wantStatus == 0 && (err != nil || got.N != tt.wantN):
				t.Errorf("got %+v, %v; want n=%d", got, err, tt.wantN)
			}
			if calls != tt.wantCalls {
				t.Errorf("change called %d times, want %d", calls, tt.wantCalls)
			}
			if m, _ := method.Load().(string); m != tt.wantMethod {
				t.Errorf("written with %q, want %q", m, tt.wantMethod)
			}
			if ct, _ := ctype.Load().(string); tt.wantType != "" && ct != tt.wantType {
				t.Errorf("written as %q, want %q", ct, tt.wantType)
			}
		})
	}
	c, _ := New("http://a.example", Config{})
	if _, err := Update(context.Background(), c, "/x", UpdateOptions{Method: "POST"}, func(*thing) error { return nil }); err == nil {
		t.Error("Update with POST: no error")
	}
}
