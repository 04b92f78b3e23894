package errors

import (
	"net/http"
	"strings"

	"github.com/restwell/restwell/internal/capture"
)

// WrapMux returns a handler that serves requests with mux, a router such as
// http.ServeMux, chi or gorilla/mux, and turns the plain-text 404 and 405
// responses routers write (with http.Error or http.NotFound) into error
// bodies in the service's format. The Allow header of a 405 is kept.
// Responses that are not plain text, such as errors rendered by Write,
// pass through untouched.
func WrapMux(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, rw := capture.Get(w, capture.Hold, routeErrorLimit)
		cw.HoldIf = isRouteError
		mux.ServeHTTP(rw, r)
		if cw.Held() {
			status := cw.Status()
			cw.Discard()
			if status == http.StatusMethodNotAllowed {
				Write(w, r, MethodNotAllowed(""))
			} else {
				Write(w, r, NotFound(""))
			}
		}
		capture.Put(cw)
	})
}

// routeErrorLimit bounds the plain-text body held back: a router's message
// is short; a longer body is a handler's own and is sent as it is.
const routeErrorLimit = 1024

func isRouteError(status int, h http.Header) bool {
	return (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(h.Get("Content-Type"), "text/plain")
}
