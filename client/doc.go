// Package client is the client half of the conventions the rest of this
// module serves: an http.RoundTripper that retries only what is safe to
// retry, reusing one Idempotency-Key across the retries of a call, waits
// as Retry-After and the RateLimit field say (never less, never longer
// than Config.MaxWait, never past the context's deadline), paces requests
// by the quotas servers announce, and reports deprecations; plus a small
// typed layer that decodes error answers into *errors.Error, walks
// paginated lists (Pages) and makes conditional updates (Update).
//
// It works with any server that follows the same standards, not only
// ones built with this module.
//
// Basic use, with any *http.Client:
//
//	tr, err := client.NewTransport(client.Config{IdempotencyKeys: true})
//	if err != nil { ... }
//	hc := &http.Client{Transport: tr}
//
// or with the typed layer:
//
//	c, err := client.New("https://api.example.com", client.Config{IdempotencyKeys: true})
//	if err != nil { ... }
//	var order Order
//	_, err = c.Do(ctx, "POST", "/orders", nil, newOrder, &order)
//	var apiErr *errors.Error
//	if errors.As(err, &apiErr) && apiErr.Code == "validation_failed" { ... }
//
// # Why the client paces with x/time/rate and servers limit with GCRA
//
// A server enforces limits per key, for many keys at once, often across
// replicas sharing a store: each key's state must be one number that a
// store can update atomically in one round trip, and nothing may run per
// key between requests. GCRA (the ratelimit package) keeps exactly one
// timestamp per key and decides with one compare-and-set, which is why
// keyed server-side limits stay on it.
//
// A client paces a handful of origins from one process. It needs to
// block a goroutine until a request may go, to reserve a slot and give it
// back when a request is abandoned, and to change the rate and burst as
// the server's RateLimit-Policy arrives; golang.org/x/time/rate's Limiter
// does all of that in memory, safely for concurrent use, without
// allocating on the path that finds a token. The transport keeps one per
// origin and method (a bounded map): its rate and burst follow the
// policy named by the tightest RateLimit item (q per w, capped by
// Config.Limit and Burst), its tokens are lowered to the r the server
// reports, and a spent quota (r=0) or a refusal's Retry-After holds
// further requests until the announced time, so a client that knows it
// has nothing left waits instead of collecting 429s.
//
// # Concurrency
//
// Transport and Client are safe for concurrent use; share one per
// process, since the pacing state lives in it.
package client
