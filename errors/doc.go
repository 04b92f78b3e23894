// Package errors gives an HTTP API one consistent way to fail: an error
// type that carries a status, a stable code, a message and per-field
// details, and a renderer that writes it as a JSON envelope or as RFC 9457
// Problem Details.
//
// The package shares the standard library's name on purpose and is a
// superset of it: Is, As, New, Join, Unwrap and ErrUnsupported are
// re-exported, so a handler file imports this package instead of the
// standard one.
//
// # Returning errors
//
// Write handlers as functions that return an error and adapt them with
// Handler; whatever they return is rendered by Write:
//
//	mux.Handle("GET /items/{id}", errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
//		item, ok := items[r.PathValue("id")]
//		if !ok {
//			return errors.NotFound("no item with that id")
//		}
//		return json.NewEncoder(w).Encode(item)
//	}))
//
// An *Error is sent as it is. Any other error becomes a 500 that says only
// "internal error": the cause goes to the log with the request id, never to
// the client.
//
// # Wire formats
//
// The default envelope, application/json:
//
//	{"error": {"code": "validation_failed", "message": "the request did not pass validation",
//	  "details": {"price.amount": ["must be >= 0"]}, "request_id": "0198c4d2-..."}}
//
// RFC 9457, application/problem+json, with code, request_id and the field
// errors as top-level extension members:
//
//	{"type": "about:blank", "title": "Unprocessable Content", "status": 422,
//	  "detail": "the request did not pass validation", "code": "validation_failed",
//	  "request_id": "0198c4d2-...", "errors": [{"detail": "must be >= 0", "pointer": "#/price/amount"}]}
//
// A service picks its format once, with a Renderer installed around
// everything else:
//
//	rd := &errors.Renderer{Format: errors.Problem, TypeBase: "https://api.example.com/problems/"}
//	handler := rd.Handler(requestid.Handler(errors.Recover(errors.WrapMux(mux))))
//
// Recover turns panics into logged 500s, and WrapMux turns the router's
// own 404 and 405 (plain text, or empty as chi writes its 405) into error
// bodies. Every middleware of this
// module renders its refusals (429, 412, 409, ...) through Write, so they
// come out in the same format.
//
// # Decoding requests
//
// DecodeJSON reads a JSON body with a size limit, a Content-Type check and
// a UTF-8 check (ReplaceInvalidUTF8 relaxes it), and optionally validates
// it with a Validator: a JSON Schema compiled once with package
// github.com/restwell/restwell/schema, or one of your own. Every failure
// is an *Error with the right status (400, 413, 415 or 422) and, for
// validation, one FieldError per offending field.
//
//	var orderSchema = schema.MustCompile(orderSchemaJSON)
//
//	func createOrder(w http.ResponseWriter, r *http.Request) error {
//		var o Order
//		if err := errors.DecodeJSON(r, &o, errors.WithValidator(orderSchema)); err != nil {
//			return err // rendered by Handler with its status and field errors
//		}
//		...
//	}
//
// Renderer.Handler works alone around any handler. Used with the other
// middleware of this module it shares one per-request value with them,
// so that the whole stack copies each request once.
package errors
