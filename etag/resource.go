package etag

import (
	"context"
	"net/http"
)

// resourceKey is the context key under which the middleware stores
// Validators.Resource for the handler.
type resourceKey struct{}

// Resource returns the resource the middleware's Validators function
// loaded for the request with context ctx (Validators.Resource), and
// whether there is one of type T. A handler behind the middleware uses it
// to work on exactly the state its preconditions were checked against,
// without loading it again:
//
//	item, ok := etag.Resource[Item](r.Context())
//
// There is none when the middleware did not call Validators: a write
// without conditions that none of RequireCondition and RequireIfMatch
// demands, or a request outside the middleware. Resource is safe for
// concurrent use; the value is shared, not copied, so a T holding
// pointers must not be changed by the handler while others may read it.
func Resource[T any](ctx context.Context) (T, bool) {
	v, ok := ctx.Value(resourceKey{}).(T)
	return v, ok
}

// withResource returns r with v.Resource in its context, or r itself when
// there is none. The context value is set once, here, before the handler
// runs, and never changed.
func withResource(r *http.Request, v Validators) *http.Request {
	if v.Resource == nil {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), resourceKey{}, v.Resource))
}
