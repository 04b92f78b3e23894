package main

import "net/http"

// limitOrders holds the requests to next to the orders policy as well as
// the default one the whole service applies. The orders limiter adds its
// items to the lists the service-wide one set, so the response shows both:
//
//	RateLimit-Policy: "default";q=100;w=60, "orders";q=10;w=60
//	RateLimit: "default";r=97;t=1, "orders";r=9;t=6
func (s *Server) limitOrders(next http.Handler) http.Handler {
	return s.orderLimiter.Handler(next)
}
