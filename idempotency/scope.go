package idempotency

import (
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
)

// DefaultScope is the scope used when Config.Scope is nil. A request with
// an Authorization header is scoped by a SHA-256 hash of that header
// ("auth:" and 43 base64url characters; the credential itself is never
// stored); one without is scoped by its client address, the host part of
// r.RemoteAddr ("addr:192.0.2.1").
//
// Both are fallbacks. An access token that is refreshed between a request
// and its retry changes the scope, and so does a client whose address
// changes, or a proxy in front of the service (all its clients share one
// address). A service that authenticates its callers should set
// Config.Scope to the authenticated account or tenant instead.
func DefaultScope(r *http.Request) (string, error) {
	if v := r.Header["Authorization"]; len(v) > 0 && v[0] != "" { // as Header.Get
		a := v[0]
		sum := sha256.Sum256([]byte(a))
		var b [5 + 43]byte
		copy(b[:], "auth:")
		base64.RawURLEncoding.Encode(b[5:], sum[:])
		return string(b[:]), nil
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host, nil
}

// Global puts every caller in one key space. Choose it only when keys
// cannot collide between callers, for example when the service itself
// issues them, or when a single trusted client calls the service: with
// client-chosen keys, one caller reusing another's key would be served
// the other's response (see the package documentation).
func Global(*http.Request) (string, error) { return "", nil }
