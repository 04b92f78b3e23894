// Package chirouter shows restwell on the chi router (github.com/go-chi/chi/v5)
// and tests that the two work together. It has no API of its own: read its
// examples and tests.
//
// Three things differ from the standard ServeMux.
//
// Route errors: chi writes its 404 with http.NotFound, as ServeMux does, but
// its 405 with no Content-Type, an empty body and one Allow field per
// method. errors.WrapMux recognises both and answers in the service's
// error format, with one Allow field:
//
//	r := chi.NewRouter()
//	...
//	handler := rd.Handler(requestid.Handler(errors.Recover(errors.WrapMux(r))))
//
// Per-route middleware: a middleware installed with r.Use inside a
// sub-router (r.Route, r.Mount) runs before that sub-router matches the
// method, so etag or idempotency installed that way evaluates a PATCH sent
// to a GET-only route (a database read for its validators, then 428 or
// 412) instead of letting chi answer 405. Install them per route with
// r.With, which runs only once chi has matched both path and method (r.Use
// inside r.Group is applied per route too):
//
//	r.Route("/items/{id}", func(r chi.Router) {
//		r.With(tags.Handler).Get("/", getItem)
//		r.With(tags.Handler).Put("/", putItem)
//	})
//	r.With(idem.Require).Post("/orders", createOrder)
//
// Path values: chi.URLParam(r, "id") is set as chi routes, like
// r.PathValue on ServeMux, so an etag Validators function that reads it
// must run inside the router, which per-route installation gives. The chi
// release this module uses also sets r.PathValue.
//
// Middleware that needs no route (requestid, the Renderer, Recover,
// ratelimit, versioning) goes around the router as on ServeMux; see the
// order in the README.
package chirouter
