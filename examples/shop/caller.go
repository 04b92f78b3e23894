package main

import (
	"net/http"

	"github.com/restwell/restwell/idempotency"
)

// caller names who sent r, for the idempotency scope and the ownership of
// orders: idempotency.DefaultScope on the client address as
// ratelimit.ClientIP finds it through the trusted proxies, so "auth:" and
// a SHA-256 of the Authorization header when there is one (the credential
// itself is never stored), else "addr:" and the client address.
//
// This shop authenticates nobody, so a caller is only as stable as its
// credential or address. A real service returns the authenticated account
// here.
func (s *Server) caller(r *http.Request) (string, error) {
	return idempotency.DefaultScope(s.clientIP.Key)(r)
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
