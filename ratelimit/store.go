package ratelimit

import (
	"context"
	"time"
)

// A Store keeps the GCRA state of every key and makes the decisions.
//
// The memory store of this package (NewMemoryStore) serves one process;
// github.com/restwell/restwell/redisstore shares limits between replicas.
// Any implementation must pass the conformance suite in
// github.com/restwell/restwell/ratelimit/storetest, and must be safe for
// concurrent use by multiple goroutines.
type Store interface {
	// Take decides one request of cost units for key under all the
	// policies at once, atomically: the request is admitted only if every
	// policy admits it, and only then does it consume cost units of each.
	// A denied request consumes nothing.
	//
	// It writes one Result per policy into res, which has at least
	// len(policies) elements, and reports whether the request is
	// admitted. A cost of zero is always admitted and consumes nothing.
	// A cost larger than a policy's burst is never admitted: that
	// policy's Result has a negative RetryAfter.
	//
	// State is per key and policy. A store may tell policies apart by
	// name (as the Redis store does) or by position in policies (as the
	// memory store does), so a caller passes the same policy list every
	// time it uses a key.
	//
	// An error means no decision was made and nothing was consumed; the
	// Limiter then applies its store failure mode. Take must honour ctx's
	// deadline and must not retain res.
	//
	// A policy whose Unit is UnitConcurrentRequests counts the requests
	// of key in progress: Take checks it (a request of positive cost is
	// refused while all Limit slots are held) but never holds a slot;
	// Acquire does.
	Take(ctx context.Context, key string, policies []Policy, cost int64, res []Result) (bool, error)

	// Acquire is Take that also holds, when it admits a request of
	// positive cost, one slot of every concurrency policy (Unit
	// UnitConcurrentRequests) among policies for lease, in the same
	// atomic step: the request is admitted only if every rate policy
	// admits it and every concurrency policy has a free slot. The slot is
	// held until Release with the same lease, or until the policy's
	// Window has passed since Acquire, so that a process that dies
	// holding slots loses them after Window. lease is chosen by the
	// caller, unique among the leases of key (a random non-zero number).
	//
	// A concurrency policy's Result has Remaining the free slots (after
	// this request when admitted), Reset zero when no slot is held and
	// one second otherwise, and RetryAfter one second when it refused.
	Acquire(ctx context.Context, key string, policies []Policy, cost int64, lease uint64, res []Result) (bool, error)

	// Release gives back the slots that Acquire holds for lease under
	// key and policies (the same list). Releasing a lease that holds no
	// slot (released already, expired, never admitted) does nothing and
	// is no error. Release must honour ctx's deadline.
	Release(ctx context.Context, key string, policies []Policy, lease uint64) error
}

// Result is where one key stands under one policy after a decision.
type Result struct {
	// Allowed reports whether this policy alone would admit the request.
	Allowed bool
	// Remaining is the number of units the key may still spend at once:
	// after this request when the whole request was admitted, otherwise
	// now (nothing was consumed).
	Remaining int64
	// Reset is the time until Remaining grows by one unit; zero when the
	// key has its full burst.
	Reset time.Duration
	// RetryAfter, for a policy that refused the request, is the exact time
	// until it would admit a request of the same cost; negative when it
	// never would (the cost exceeds the burst). Zero when Allowed.
	RetryAfter time.Duration
}
