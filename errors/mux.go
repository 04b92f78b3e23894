package errors

import (
	"net/http"
	"slices"
	"strings"

	"github.com/restwell/restwell/internal/capture"
)

// WrapMux returns a handler that serves requests with mux, a router such as
// http.ServeMux, chi or gorilla/mux, and turns the 404 and 405 responses
// routers write into error bodies in the service's format. A router's
// response is one whose body is plain text (http.Error, http.NotFound, as
// ServeMux writes them) or one with no Content-Type and an empty body (as
// chi writes its 405). The Allow header of a 405 is kept, its values
// merged into one field ("GET, HEAD") when the router added one field per
// method. Every other response, such as an error rendered by Write, a 404
// with a JSON or HTML body, or a plain-text one longer than 1 KiB, passes
// through untouched.
func WrapMux(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, rw := capture.Get(w, capture.Hold, routeErrorLimit)
		cw.HoldIf = isRouteError
		cw.Logger = rendererFor(r).Logger
		mux.ServeHTTP(rw, r)
		cw.Detach()
		if cw.Held() {
			if _, typed := w.Header()["Content-Type"]; !typed && cw.Body().Len() > 0 {
				// An untyped body is the handler's own, not a router's.
				_ = cw.Release() // a failed write means the client is gone
				capture.Put(cw)
				return
			}
			status := cw.Status()
			cw.Discard()
			if status == http.StatusMethodNotAllowed {
				mergeAllow(w.Header())
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

// isRouteError reports whether a response may be a router's 404 or 405:
// plain text, or no Content-Type at all (the body decides, once written).
func isRouteError(status int, h http.Header) bool {
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		return false
	}
	ct, typed := h["Content-Type"]
	return !typed || len(ct) > 0 && strings.HasPrefix(ct[0], "text/plain")
}

// mergeAllow joins the values of several Allow fields into one, dropping
// empty and repeated methods.
func mergeAllow(h http.Header) {
	vals := h["Allow"]
	if len(vals) < 2 {
		return
	}
	methods := make([]string, 0, len(vals))
	for _, v := range vals {
		for m := range strings.SplitSeq(v, ",") {
			m = strings.TrimSpace(m)
			if m != "" && !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
	}
	h["Allow"] = []string{strings.Join(methods, ", ")}
}
