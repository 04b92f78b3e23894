package main

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
)

// caller names who sent r, for the idempotency scope and the ownership of
// orders: "auth:" and a SHA-256 of the Authorization header when there is
// one (the credential itself is never stored), else "addr:" and the client
// address as ratelimit.ClientIP finds it through the trusted proxies.
//
// This shop authenticates nobody, so a caller is only as stable as its
// credential or address. A real service returns the authenticated account
// here.
func (s *Server) caller(r *http.Request) (string, error) {
	if auth := r.Header.Values("Authorization"); len(auth) > 0 && auth[0] != "" {
		sum := sha256.Sum256([]byte(strings.Join(auth, "\n")))
		return "auth:" + base64.RawURLEncoding.EncodeToString(sum[:]), nil
	}
	addr, err := s.clientIP.Addr(r)
	if err != nil {
		return "", &apierrors.Error{
			Status:  http.StatusBadRequest,
			Code:    "client_key_invalid",
			Message: "the request does not identify its client",
			Err:     err,
		}
	}
	return "addr:" + addr.String(), nil
}

// limitOrders holds the requests to next to the orders policy as well as
// the default one the whole service applies. The orders limiter adds its
// items to the lists the service-wide one set, so the response shows both:
//
//	RateLimit-Policy: "default";q=100;w=60, "orders";q=10;w=60
//	RateLimit: "default";r=97;t=1, "orders";r=9;t=6
func (s *Server) limitOrders(next http.Handler) http.Handler {
	return s.orderLimiter.Handler(next)
}
