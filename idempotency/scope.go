package idempotency

import (
	"crypto/sha256"
	"encoding/base64"
	stderrors "errors"
	"fmt"
	"net"
	"net/http"

	apierrors "github.com/restwell/restwell/errors"
)

// DefaultScope returns a scope function for Config.Scope built on addr,
// which names a request's client address (nil means the host part of
// r.RemoteAddr). A request with an Authorization header is scoped by a
// SHA-256 hash of that header ("auth:" and 43 base64url characters; the
// credential itself is never stored); one without is scoped by its
// client address ("addr:192.0.2.1"). Behind proxies, pass the Key method
// of a ratelimit.ClientIP configured with the trusted proxies:
//
//	ip, _ := ratelimit.NewClientIP(ratelimit.ClientIPConfig{TrustedProxies: proxies})
//	idem, _ := idempotency.New(idempotency.Config{Scope: idempotency.DefaultScope(ip.Key)})
//
// When addr fails, the request gets 400 with code "client_key_invalid"
// (an *errors.Error that addr returns is passed on as it is). The function
// returned is safe for concurrent use if addr is. Config.Scope nil means
// DefaultScope(nil).
//
// Both scopes are fallbacks. An access token that is refreshed between a
// request and its retry changes the scope, and so does a client whose
// address changes, or a proxy in front of the service that addr does not
// see through (all its clients share one address). A service that
// authenticates its callers should set Config.Scope to the authenticated
// account or tenant instead.
func DefaultScope(addr func(*http.Request) (string, error)) func(*http.Request) (string, error) {
	if addr == nil {
		addr = remoteHost
	}
	return func(r *http.Request) (string, error) {
		if v := r.Header["Authorization"]; len(v) > 0 && v[0] != "" { // as Header.Get
			sum := sha256.Sum256([]byte(v[0]))
			var b [5 + 43]byte
			copy(b[:], "auth:")
			base64.RawURLEncoding.Encode(b[5:], sum[:])
			return string(b[:]), nil
		}
		a, err := addr(r)
		if err != nil {
			var e *apierrors.Error
			if stderrors.As(err, &e) {
				return "", err
			}
			return "", &apierrors.Error{
				Status:  http.StatusBadRequest,
				Code:    "client_key_invalid",
				Message: "the request does not identify its client",
				Err:     fmt.Errorf("idempotency: client address: %w", err),
			}
		}
		return "addr:" + a, nil
	}
}

// remoteHost returns the host part of r.RemoteAddr, or all of it when it
// has no port.
func remoteHost(r *http.Request) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host, nil
}

// Global puts every caller in one key space. Choose it only when keys
// cannot collide between callers, for example when the service itself
// issues them, or when a single trusted client calls the service: with
// client-chosen keys, one caller reusing another's key would be served
// the other's response (see the package documentation).
func Global(*http.Request) (string, error) { return "", nil }
