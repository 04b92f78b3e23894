package idempotency_test

import (
	stderrors "errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/ratelimit"
)

func TestDefaultScope(t *testing.T) {
	ip, err := ratelimit.NewClientIP(ratelimit.ClientIPConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	failing := func(*http.Request) (string, error) { return "", stderrors.New("no address") }
	refusing := func(*http.Request) (string, error) {
		return "", &apierrors.Error{Status: http.StatusForbidden, Code: "forbidden"}
	}
	for _, tt := range []struct {
		name       string
		addr       func(*http.Request) (string, error)
		remote     string
		header     map[string]string
		want       string // the scope, or a prefix of it ending in ':'
		wantStatus int    // of the error, 0 for none
		wantCode   string
	}{
		{name: "remote address", remote: "192.0.2.1:1234", want: "addr:192.0.2.1"},
		{name: "remote address without port", remote: "192.0.2.1", want: "addr:192.0.2.1"},
		{name: "authorization", remote: "192.0.2.1:1234", header: map[string]string{"Authorization": "Bearer x"}, want: "auth:"},
		{name: "ClientIP behind a trusted proxy", addr: ip.Key, remote: "10.0.0.1:1234",
			header: map[string]string{"X-Forwarded-For": "198.51.100.7"}, want: "addr:198.51.100.7"},
		{name: "ClientIP from an untrusted peer", addr: ip.Key, remote: "192.0.2.9:1234",
			header: map[string]string{"X-Forwarded-For": "198.51.100.7"}, want: "addr:192.0.2.9"},
		{name: "ClientIP with authorization", addr: ip.Key, remote: "10.0.0.1:1234",
			header: map[string]string{"Authorization": "Bearer x"}, want: "auth:"},
		{name: "failing address", addr: failing, remote: "192.0.2.1:1234", wantStatus: 400, wantCode: "client_key_invalid"},
		{name: "address refusing with an API error", addr: refusing, remote: "192.0.2.1:1234", wantStatus: 403, wantCode: "forbidden"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			got, err := idempotency.DefaultScope(tt.addr)(r)
			if tt.wantStatus != 0 {
				var e *apierrors.Error
				if !stderrors.As(err, &e) || e.Status != tt.wantStatus || e.Code != tt.wantCode {
					t.Fatalf("error %v, want an *errors.Error %d %s", err, tt.wantStatus, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if strings.HasSuffix(tt.want, ":") {
				if !strings.HasPrefix(got, tt.want) || len(got) != len(tt.want)+43 || strings.Contains(got, "Bearer") {
					t.Fatalf("scope %q, want %s and 43 base64url characters of a hash", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("scope %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDefaultScopeSeparatesCredentials: two credentials get two scopes.
func TestDefaultScopeSeparatesCredentials(t *testing.T) {
	scope := idempotency.DefaultScope(nil)
	var got []string
	for _, auth := range []string{"Bearer a", "Bearer b"} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", auth)
		s, err := scope(r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if got[0] == got[1] {
		t.Fatalf("both credentials scoped as %q", got[0])
	}
}
