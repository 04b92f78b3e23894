// Package ratelimit limits how often each client may call an API, and
// tells the client where it stands with the IETF RateLimit and
// RateLimit-Policy header fields (draft-ietf-httpapi-ratelimit-headers-11,
// RFC 9651 syntax).
//
// # Use
//
//	lim, err := ratelimit.New(ratelimit.Config{
//		Policies: []ratelimit.Policy{
//			{Name: "burst", Limit: 10, Window: time.Second},
//			{Name: "default", Limit: 100, Window: time.Minute},
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.ListenAndServe(addr, lim.Handler(mux))
//
// Every request must satisfy every policy, all or nothing: a request one
// policy refuses consumes no quota from the others. Without a Key, each
// client is its socket address (IPv6 grouped by /64); behind proxies,
// give ClientIP their addresses:
//
//	ip, err := ratelimit.NewClientIP(ratelimit.ClientIPConfig{
//		TrustedProxies: []string{"10.0.0.0/8"}, // the load balancers
//	})
//	lim, err := ratelimit.New(ratelimit.Config{Policies: policies, Key: ip.Key})
//
// To share the limits between replicas, use the Redis store of
// github.com/restwell/restwell/redisstore:
//
//	store, err := redisstore.NewRateLimitStore(rdb, redisstore.RateLimitConfig{})
//	lim, err := ratelimit.New(ratelimit.Config{Policies: policies, Store: store})
//
// Limiter.Allow and Limiter.AllowN decide without HTTP (a queue consumer,
// a gRPC interceptor); a Store can also be used on its own.
//
// # Plans
//
// Limits that depend on who is calling are plans, chosen per request:
//
//	lim, err := ratelimit.New(ratelimit.Config{
//		Policies: []ratelimit.Policy{{Name: "anonymous", Limit: 10, Window: time.Minute}},
//		Plans: map[string][]ratelimit.Policy{
//			"free": {{Name: "free", Limit: 60, Window: time.Minute}},
//			"pro":  {{Name: "pro", Limit: 600, Window: time.Minute}},
//		},
//		Plan: func(r *http.Request) (string, error) { return planOf(r.Context()), nil },
//	})
//
// A request is counted under its plan's policies only, in one store call
// (one Redis round trip, whatever the plan), and its RateLimit-Policy
// lists that plan's policies alone. Limiter.AllowPlan decides without
// HTTP.
//
// # Policies and GCRA
//
// A Policy grants Limit units per Window; each request costs one unit, or
// what Config.Cost says. Quota comes back continuously, one unit every
// Window/Limit (GCRA, the generic cell rate algorithm: one timestamp per
// key and policy, and an exact time at which a refused request would be
// admitted). Burst, which defaults to Limit, is the number of units a key
// that has been idle for Window may spend at once. Over any interval of
// length d a key is admitted at most Burst + Limit*d/Window units: a
// policy of 100 per minute admits 100 requests at once from idle, then
// one every 0.6 seconds.
//
// # Response fields
//
// Every response the middleware lets through or refuses carries
//
//	RateLimit-Policy: "burst";q=10;w=1, "default";q=100;w=60
//	RateLimit: "default";r=42;t=1
//
// RateLimit-Policy lists every policy: q is Limit, w is Window in
// seconds. RateLimit describes the policy closest to exhaustion, the one
// with the fewest units left (for a refused request, the refusing policy
// with the longest wait): r is the units left and t the seconds, rounded
// up, until r next grows, 0 when the quota is full. With GCRA quota comes
// back a unit at a time, so t is short; it is not the time until the whole
// quota is back.
//
// Limiters nest: a stricter limiter around one route, inside a
// service-wide one, adds its items to the RateLimit-Policy and RateLimit
// lists the outer one set, so clients see both. Give the policies of
// nested limiters distinct names. While an admitted request is inside a
// limiter, the fields that limiter set carry a mark (in the value slice,
// invisible on the wire) that tells an inner limiter to join the lists;
// the limiter removes it when its handler returns. Without the mark the
// fields are replaced, whatever a handler, a proxied upstream or an
// earlier use of a reused ResponseWriter left there, so their values
// never grow.
//
// The middleware works alone around any handler and never copies the
// request. Used with the other middleware of this module it keeps its
// header values in the per-request value they share, which saves it an
// allocation.
//
// A refused request gets 429 Too Many Requests with Retry-After in
// seconds: the exact wait until every policy admits the request, rounded
// up, at least 1 and never earlier than t. The body is rendered by the
// errors package, in the envelope format
//
//	{"error": {"code": "rate_limited", "message": "...", "violated-policies": ["burst"]}}
//
// and in the RFC 9457 format with the problem type the draft defines,
// "https://iana.org/assignments/http-problem-types#quota-exceeded", title
// "Quota Exceeded" and the same "violated-policies" member.
//
// A policy whose Unit is not requests (UnitContentBytes, say, with a
// Config.Cost that returns sizes) is advertised with the qu parameter:
//
//	RateLimit-Policy: "upload";q=1000000;w=3600;qu="content-bytes"
//
// With Config.PartitionKey every RateLimit item also carries pk, the
// partition the client is counted in: an HMAC of its key, never the key.
//
// With Config.LegacyHeaders the response also carries X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset for the same policy; Reset
// is t, delay-seconds, not a Unix time.
//
// # Concurrency limits
//
// A policy of unit UnitConcurrentRequests limits the requests of one
// client in progress at once rather than per window:
//
//	{Name: "inflight", Limit: 5, Window: time.Minute, Unit: ratelimit.UnitConcurrentRequests}
//
// is advertised as "inflight";q=5;qu="concurrent-requests" (no w). An
// admitted request holds a slot from the decision until the handler
// returns or panics; a request that finds every slot held gets the 429 of
// the other units, with RateLimit "inflight";r=0;t=1, Retry-After 1 and
// the policy in violated-policies. Rate and concurrency policies of one
// Limiter are decided together, all or nothing, in one store call: with
// the Redis store, one round trip to decide and hold, one to release.
//
// A slot is a lease: the store frees it by itself once Window has passed
// since it was taken, so that a replica that dies holding slots, or
// cannot reach the store when a handler returns, loses them after
// Window. Window must therefore exceed the longest a handler may run
// (with its write timeout): a handler that runs longer loses its slot,
// and more than Limit requests may then run at once. Limiter.Acquire
// holds slots without HTTP, until Lease.Release; Allow and AllowN check
// the limit but hold nothing.
//
// # Shedding load
//
// Limiter.ReduceCapacity makes the middleware answer every request, for
// a while, with 503 and the draft's problem type ReducedCapacityType
// ("temporary-reduced-capacity") and a Retry-After, without touching the
// store: an operator's switch for an overloaded service.
//
// # The draft
//
// The fields follow draft-ietf-httpapi-ratelimit-headers-11 of 23 May
// 2026 (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/),
// the latest revision on 2 December 2026. The rules it follows: both
// fields are RFC 9651 lists whose items are policy names (sf-strings
// here); q and w in RateLimit-Policy, r and t in RateLimit, each an
// sf-integer (so New rejects a Limit above 999,999,999,999,999 rather
// than advertise a smaller one); qu for quota units other than requests,
// "content-bytes" and "concurrent-requests" among them; pk as an
// sf-binary that identifies the partition; the quota-exceeded and
// temporary-reduced-capacity problem types.
//
// Changes since -10, and what the package does about them: r is renamed
// from "remaining" to "available quota" and t from "reset" to "effective
// window", the time within which the client can use no more than r;
// their syntax is unchanged, and t, the time until r next grows, is such
// a window, so the fields need no change. The Retry-After rule (no
// earlier than the end of t) is the same. The quota units of -10
// (requests, content-bytes, concurrent-requests) are unchanged. The
// abnormal-usage-detected problem type, in both revisions, is not used:
// the package detects no abuse patterns.
//
// # Clients that cannot be identified
//
// A Key function that fails or returns "" (no usable peer address, a
// missing API key header) never lets a request through unlimited.
// Config.KeyFailure chooses between a 400 with code "client_key_invalid"
// (the default) and counting all such requests in one shared bucket.
//
// # Other refusals
//
// A request that costs more than a policy's burst could never be admitted
// and gets 400 with code "cost_too_high".
//
// # Store failures
//
// When the store fails (Redis down or slower than its timeout), the
// Limiter fails open by default: the request passes without rate fields,
// and the failure is logged with log/slog, at most once a second.
// FailClosed answers 503 with code "unavailable" and a Retry-After;
// FailLocal decides with a memory store in the process until the shared
// store is back, enforcing Limit/Config.Replicas of each policy, so that
// the replicas together stay within the quota (Config.Replicas gives the
// bound); without Config.Replicas, a Store that counts the replicas
// sharing it (a ReplicaCounter, as the Redis store is) supplies the
// divisor from its last count. After Config.FailAfter failures in a row
// (three), or when more than Config.FailRate (half) of at least 20 store
// calls of the last Config.FailWindow (ten seconds), counted from its
// first failure, failed, the store is
// left alone for Config.StoreRetry (one second), then asked again:
// recovery needs no action, a single slow round trip never switches a
// replica to its fallback, and a store that fails every other call or
// worse does. Nothing panics.
//
// # Observing decisions
//
// Config.Observer receives an observe.Event (Package "ratelimit") for
// every decision of Handler, Allow and AllowN:
//
//   - "allowed", Op "take": admitted; Policy is the reported one (see
//     Decision.Reported), Duration the time the decision took.
//   - "limited", Op "take", Status 429: refused; Policy is the violated
//     policy with the longest wait.
//   - "invalid_key", Status 400: Key could not identify the client.
//   - "cost_too_high", Status 400.
//   - "store_error", Op "take", Reason the StoreFailure mode: the store
//     failed (Err is its error with FailClosed, Status 503 then), or was
//     not asked because it failed within StoreRetry. With FailOpen and
//     FailLocal it is followed by the "allowed" or "limited" event of the
//     decision taken without the store, with the same Reason and no Op.
//
// Status is 0 outside Handler. No client key reaches an event. With no
// Observer nothing is measured or built: a decision still allocates
// nothing.
//
// # Memory
//
// The default store, MemoryStore, is sharded with a lock per shard, holds
// at most MaxKeys keys (32 to 64 bytes each with two policies, 21 to 43
// with one: 10^6 keys take at most 64 MB of heap) and starts no
// goroutine. A decision allocates nothing; the middleware allocates once
// per request, for the header values, and once more with a concurrency
// policy, for the context of the release. The Limiter reaches every
// store, this one included, through the Store interface alone, so what
// it costs with the memory store is what it adds to any store.
// Concurrency slots sit in a table of their own that holds only the keys
// with requests in progress (or leases not yet expired).
package ratelimit
