package main

import (
	"context"
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
// the default one the whole service applies. The response then lists
// both policies in RateLimit-Policy, and the state of both in RateLimit:
//
//	RateLimit-Policy: "default";q=100;w=60, "orders";q=10;w=60
//	RateLimit: "default";r=97;t=1, "orders";r=9;t=6
func (s *Server) limitOrders(next http.Handler) http.Handler {
	inner := s.orderLimiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mergeRateFields(w.Header(), r)
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		outer := &rateFields{policy: h.Get("RateLimit-Policy"), state: h.Get("RateLimit")}
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), rateFieldsKey{}, outer)))
	})
}

// rateFields are the RateLimit-Policy and RateLimit values the service-wide
// limiter set, kept while the orders limiter replaces them.
type rateFields struct{ policy, state string }

type rateFieldsKey struct{}

// mergeRateFields puts the service-wide limiter's fields, saved by
// limitOrders, in front of the orders limiter's in h. Both are RFC 9651
// lists, so the merged values are the two lists joined.
func mergeRateFields(h http.Header, r *http.Request) {
	outer, _ := r.Context().Value(rateFieldsKey{}).(*rateFields)
	if outer == nil {
		return
	}
	merge := func(name, saved string) {
		if saved == "" {
			return
		}
		if cur := h.Get(name); cur != "" {
			h.Set(name, saved+", "+cur)
		} else {
			h.Set(name, saved)
		}
	}
	merge("RateLimit-Policy", outer.policy)
	merge("RateLimit", outer.state)
}
