// Package etag gives an HTTP API entity tags and conditional requests
// (RFC 9110 §8.8 and §13, RFC 6585 §3): cheap revalidation of reads with
// 304 Not Modified, and optimistic concurrency for writes with 412
// Precondition Failed and 428 Precondition Required.
//
// # Reads
//
// The middleware tags GET and HEAD responses automatically: it holds a 200
// response back (up to Config.MaxBody, 1 MiB by default), sets a strong
// ETag made of the first 128 bits of the SHA-256 of the body, and answers
// a matching If-None-Match (or If-Modified-Since, when the handler sets
// Last-Modified) with a 304 carrying no body. A handler that knows its
// validators cheaply sets ETag itself, or calls Respond to answer before
// doing any work; the middleware then only evaluates.
//
//	http.ListenAndServe(addr, etag.Handler(mux))
//
// # Writes
//
// Give the middleware a way to look up the current validators of the
// resource a write targets; it enforces If-Match, If-Unmodified-Since and
// If-None-Match: * before the handler runs, so a stale write is refused
// with 412 and changes nothing:
//
//	tags, err := etag.New(etag.Config{
//		Validators: func(r *http.Request) (etag.Validators, error) {
//			item, err := store.Get(r.Context(), r.PathValue("id"))
//			if errors.Is(err, store.ErrNotFound) {
//				if r.Method == http.MethodPut {
//					return etag.Validators{Missing: true}, nil // PUT may create it
//				}
//				return etag.Validators{}, errors.NotFound("no item with that id")
//			}
//			if err != nil {
//				return etag.Validators{}, err // a 500, the cause logged
//			}
//			return etag.Validators{ETag: etag.Strong(strconv.FormatInt(item.Version, 10))}, nil
//		},
//		RequireCondition: etag.RequireForUpdates, // unconditional PUT/PATCH/DELETE: 428
//		CacheControl:     etag.PrivateNoCache,
//	})
//	if err != nil { ... }
//	mux.Handle("GET /items/{id}", tags.Handler(getItem))
//	mux.Handle("PUT /items/{id}", tags.Handler(putItem))
//	mux.Handle("DELETE /items/{id}", tags.Handler(deleteItem))
//
// RequireCondition accepts any condition, If-Unmodified-Since included,
// whose dates have one-second granularity. To accept only an entity tag,
// set RequireIfMatch: a PUT, PATCH or DELETE without If-Match then gets
// the same 428, naming If-Match, whatever else it carries (a PUT creating
// a resource Validators reports Missing may send If-None-Match: *):
//
//	RequireIfMatch: etag.RequireForUpdates, // or etag.RequireMethods(http.MethodPut, http.MethodPatch)
//
// The resource Validators loads to compute the tags can go to the handler
// too, so the write works on the very state its precondition was checked
// against without a second read: return it in Validators.Resource, and
// read it in the handler with Resource, which keeps its type:
//
//	return etag.Validators{ETag: tagOf(item), Resource: item}, nil // in Validators
//	item, ok := etag.Resource[Item](r.Context())                    // in the handler
//
// Wrap the routes rather than the whole mux when Validators needs
// r.PathValue: the mux sets path values only as it routes the request.
//
// On chi, install the middleware per route with r.With, so it runs only
// once chi has matched the path and the method:
//
//	r.Route("/items/{id}", func(r chi.Router) {
//		r.With(tags.Handler).Get("/", getItem)
//		r.With(tags.Handler).Put("/", putItem)
//	})
//
// Installed with r.Use inside r.Route it runs before the sub-router's
// method check: a PATCH to a GET-only route would have its validators
// looked up and get 428 or 412 instead of chi's 405. Validators may read
// chi.URLParam there. The examples/chirouter directory of the repository
// has this as a runnable example.
//
// A client reads the item, keeps its ETag, and sends it back in If-Match
// with its change. If someone else changed the item in between, the tag no
// longer matches and the client gets 412 with code "precondition_failed";
// it reads again and retries. If-None-Match: * on a PUT creates a resource
// only if it does not exist yet.
//
// GET and HEAD requests through the same middleware call Validators too,
// and their responses carry the ETag and Last-Modified it returns instead
// of a digest of the body, so the tag a client reads is the tag it can
// write with. Their conditions are evaluated as the handler writes its
// header, so a 304 carries the handler's Cache-Control, Vary and the like.
//
// A response to a successful write carries no ETag from the middleware:
// RFC 9110 §8.8.3 lets a server send one only when the stored
// representation is exactly what the client sent.
//
// # Without the middleware
//
// Check is the pure evaluator: given a request and the validators of its
// target resource, it returns proceed, 304 or 412 following RFC 9110
// §13.2.2 exactly, and allocates nothing. Parse, Valid, StrongMatch,
// WeakMatch, Members and ParseDate are the parsing and comparison pieces
// it is made of.
//
// # Compression
//
// Place the etag middleware outside (wrapping) a compression middleware:
//
//	handler := tags.Handler(gzipMiddleware(mux))
//
// The tag is then computed over the bytes actually sent, so a gzip
// response and an identity response get different strong tags, as
// RFC 9110 §8.8.3 requires, and GET and HEAD agree as long as the
// compression middleware treats them alike. Vary: Accept-Encoding, set by
// the compression middleware, stays on the 304.
//
// If the etag middleware must sit inside, the compression middleware must
// change the tags of the responses it compresses: weaken them (W/"...",
// as nginx does) or suffix them ("...-gzip", as Apache does); it must not
// keep a strong tag on a transformed body. If-None-Match on GET and HEAD
// accepts both forms, so revalidation still gives 304. Writes compare
// exactly, as RFC 9110 §13.1.2 defines: If-None-Match: "v1-gzip" does not
// match "v1", so the write proceeds; and If-Match stays strict, so a write
// citing a transformed tag gets 412, unless Config.LenientIfMatch is set.
//
// # Caching
//
// PrivateNoCache, Public and NoStore are the usual Cache-Control values;
// Config.CacheControl sets one on every tagged response. SetLastModified
// and FormatDate write HTTP-dates.
//
// # Observing decisions
//
// Config.Observer receives an observe.Event (Package "etag") for each
// answer the middleware gives in place of the handler: "not_modified"
// (304), "precondition_failed" (412), both with Reason the header field
// that decided ("If-Match", "If-None-Match", "If-Unmodified-Since",
// "If-Modified-Since"), and "precondition_required" (428). The
// Middleware's Check and Respond methods report the 304 and 412 they
// decide in the same way, so a handler that answers its own conditional
// requests is counted like the middleware, and each decision once,
// whichever of them made it. The package-level Check and Respond report
// to no one. With no Observer nothing is built.
package etag
