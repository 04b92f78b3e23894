// Package idempotency makes retried POST and PATCH requests safe: a client
// that sends an Idempotency-Key header (IETF httpapi draft "The
// Idempotency-Key HTTP Header Field", -07) and retries after a timeout gets
// the first attempt's response, and the handler runs once, across any
// number of instances that share a Store.
//
// # Use
//
//	store, err := redisstore.NewIdempotencyStore(rdb, redisstore.IdempotencyConfig{}) // shared by all instances
//	if err != nil { ... }
//	idem, err := idempotency.New(idempotency.Config{
//		Store: store,
//		Scope: func(r *http.Request) (string, error) { return accountID(r), nil },
//	})
//	if err != nil { ... }
//	mux.Handle("POST /orders", idem.Require(createOrder)) // the key is mandatory here
//	mux.Handle("POST /carts", idem.Handler(addToCart))     // optional: without a key, no idempotency
//
// Installed per route, inside the router, the route pattern is part of
// the fingerprint (r.Pattern); installed around the router, the path is.
//
// On chi, install it per route with r.With, so it runs only once chi has
// matched the path and the method, and only on the routes that need it:
//
//	r.With(idem.Require).Post("/orders", createOrder)
//	r.With(idem.Handler).Post("/carts", addToCart)
//
// Installed with r.Use inside r.Route it runs before the sub-router's
// method check, so a request chi would refuse with 405 is first held to
// the key rules (and a missing key answered with 400). The
// examples/chirouter directory of the repository has this as a runnable
// example.
//
// # What a client sees
//
//	first request            the handler's response
//	retry, same request      the same status, body and replayable headers,
//	                         byte for byte, plus Idempotent-Replayed: true
//	retry while in progress  409, code idempotency_in_progress, Retry-After
//	                         (or, with Config.Wait, the replay once ready)
//	same key, other request  422, code idempotency_key_reused
//	key missing (Require)    400, code idempotency_key_missing
//	key malformed            400, code idempotency_key_invalid
//	body over MaxBodySize    413, code content_too_large
//	store unavailable        503, code idempotency_unavailable, Retry-After
//	response not recorded    409, code idempotency_response_unavailable
//
// A key is any sf-string of 1 to 255 characters, as the draft allows:
// printable ASCII, spaces included ("a1b2...", "order 42", with quotes).
// A key without spaces may also be sent bare (a1b2...), and is then the
// same key as its quoted form; see ParseKey. The middleware's own refusals are never recorded, and go through
// Config.ErrorHandler (errors.Write by default) as *errors.Error values
// whose Err is one of this package's sentinels.
//
// A request is the same request when its fingerprint matches:
// DefaultFingerprint covers the method, route pattern, path, canonical
// query, media type and body. The body is read once, up to MaxBodySize,
// and given to the handler again. That body is the handler's only while
// it runs: once the handler returns, a goroutine it left behind reading
// the request body gets http.ErrBodyReadAfterClose, as from net/http's
// own body, and never the bytes of another request.
//
// # Scopes
//
// Records are kept per (scope, key), never per key alone. Keys are chosen
// by clients, and the draft's security considerations warn that a key
// space shared between clients lets one client, by guess or by reuse, be
// served a response meant for another: another tenant's order, with its
// customer's data. The default scope, DefaultScope(nil), is a hash of
// the Authorization header, or else the client address. Behind proxies,
// DefaultScope takes the address from a ratelimit.ClientIP that knows
// them (DefaultScope(ip.Key)). Both are fallbacks (a refreshed access
// token or a new address starts a new scope); set Config.Scope to the
// authenticated account or tenant. A single key space for all callers
// must be chosen explicitly, with Global.
//
// # What is recorded
//
// Config.Replayable decides from the final status. DefaultReplayable
// records 2xx, 3xx and 4xx responses except 408 and 429; on 5xx, 408 and
// 429 it releases the key, so a retry runs the handler again. ReplayAll
// records everything, as Stripe's API does. Only fields named in ReplayHeaders
// are recorded; Set-Cookie, Authorization and hop-by-hop fields never are.
//
// A response the middleware cannot replay faithfully is recorded as a
// tombstone: one over MaxResponseSize, one the handler flushed while
// writing (streamed), one whose connection it hijacked. A retry then gets
// 409 with code idempotency_response_unavailable and no Retry-After,
// never a second execution. 409 says the key's state conflicts with the
// request, as it does for a request still in progress, and a client that
// retries it with the same key stays safe; 422 is the draft's answer to a
// different payload, and a 5xx would invite a retry with a new key.
// A panicking handler releases the key and the panic goes on.
//
// # Leases and fencing
//
// The first request takes a lease on its key, renewed at most Lease/3
// apart while the handler runs, so a slow handler keeps it and a crashed
// instance's lease runs out after Lease; a retry of the same request may
// then take the key over and run the handler. Every lease has a fencing token, and
// a Store records a result only under the token that still holds, so an
// instance that was frozen past its lease (a "zombie") cannot overwrite
// the result of the request that took over. When a renewal finds the
// lease lost, the handler's context is cancelled with cause ErrLeaseLost.
//
// The result is written with a context detached from the request's: the
// client that disconnects is the one that will retry, and must find the
// result. Each store call is bounded by the store's own timeout
// (redisstore.IdempotencyConfig.Timeout, sqlstore.Config.Timeout; the
// memory store never waits).
//
// When the store fails, the request gets 503 and the failure is logged;
// Config.StoreFailure set to FailOpen runs the handler without protection
// instead.
//
// # The crash window
//
// A store outside the application's database records the response after
// the handler's work committed. An instance that dies between the two
// leaves a side effect and no record, and after the lease runs out the
// retry runs the handler again. Two ways close the window:
//
//   - Guard the write itself: FromContext gives the handler the request's
//     Info (scope, key, fingerprint, fencing token); store the scope and
//     key in a unique column of the rows the request creates, so a second
//     execution fails on the constraint instead of creating a duplicate.
//   - Keep the records in the application's database with
//     github.com/restwell/restwell/sqlstore, and record the response in
//     the handler's own transaction with its CompleteTx: the response is
//     recorded if and only if the work committed.
//
// # Stores
//
// MemoryStore serves one instance. github.com/restwell/restwell/redisstore
// (Redis, one round trip per step, two for a first request) and
// github.com/restwell/restwell/sqlstore (PostgreSQL, SQLite) serve many.
// Any other Store should pass the suite in package storetest.
//
// # Without HTTP
//
// Middleware.Do gives the same guarantee to any function, such as a
// queue consumer keyed by message id.
//
// # Observing decisions
//
// Config.Observer receives an observe.Event (Package "idempotency") for
// each decision and store call of Handler, Require and Do:
//
//   - "missing_key", "invalid_key": 400 (Do: an invalid key, Status 0).
//   - Op "acquire", Duration the acquire call (waits under Config.Wait
//     included): "acquired" (the handler runs), "replayed" (Status the
//     replayed one), "in_progress" (409), "key_reused" (422),
//     "response_unavailable" (409, Reason the tombstone), or
//     "store_error" (Reason "fail-open", or "fail-closed" with Status 503).
//   - Op "complete": "stored" (Status the handler's, Reason the tombstone
//     when only one was kept), "lease_lost" or "store_error".
//   - Op "release": "released", "lease_lost" or "store_error".
//   - Op "renew", only when a renewal fails: "lease_lost" or
//     "store_error".
//
// Status is 0 outside HTTP; Err is the store's error for "store_error".
// No scope or key reaches an event. With no Observer nothing is measured.
package idempotency
