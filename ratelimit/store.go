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
	Take(ctx context.Context, key string, policies []Policy, cost int64, res []Result) (bool, error)
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
