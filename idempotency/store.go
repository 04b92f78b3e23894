package idempotency

import (
	"context"
	"time"
)

// Store keeps idempotency records: one per Key, shared by every instance
// of a service that should see the same keys. MemoryStore is the one in
// this package; github.com/restwell/restwell/redisstore and
// github.com/restwell/restwell/sqlstore hold the Redis and SQL ones. The
// conformance suite in package idempotency/storetest checks the contract
// below; run it from the tests of any Store you write.
//
// A record is in progress while a lease is held on it, and complete once a
// Response (or a tombstone) is recorded. A lease carries a fencing token,
// unique among the tokens ever issued for its key, that every later call
// presents: a call with a token that no longer holds returns ErrLeaseLost
// and changes nothing. Keys are compared byte for byte, scope and ID
// apart: a key may hold spaces, quotes and backslashes, and a store must
// not trim, pad or fold it (a CHAR column or a PAD SPACE collation would
// merge "a" and "a "), nor splice it into a query or a composite key
// without escaping. Implementations must be safe for concurrent use,
// and each method must be atomic with respect to every other call on the
// same key, from any process.
type Store interface {
	// Acquire takes a lease on k for a request with this fingerprint, or
	// reports why it cannot. It returns acquired true and a Record with the
	// new lease's Token when k has no record, when its record expired, when
	// its record was released, or when its lease expired and the record
	// has the same fingerprint (a takeover from a crashed holder). The
	// record then expires ttl from now unless completed, and the lease
	// lease from now unless renewed. Otherwise it returns acquired false
	// and the record as it stands: complete, or in progress under another
	// live lease, or under an expired lease with another fingerprint.
	Acquire(ctx context.Context, k Key, fingerprint string, lease, ttl time.Duration) (rec Record, acquired bool, err error)

	// Renew extends the lease held with token to lease from now. It
	// returns ErrLeaseLost when token is not the current token of an
	// in-progress record. A lease that expired but was not taken over can
	// still be renewed.
	Renew(ctx context.Context, k Key, token uint64, lease time.Duration) error

	// Complete records res as the outcome of the request holding token,
	// ends the lease and makes the record expire ttl from now. It returns
	// ErrLeaseLost, recording nothing, unless token is the record's
	// current token. Completing a record already completed under the same
	// token returns nil and keeps the first response, so that a response
	// recorded inside an application's transaction is not overwritten.
	// The Store may keep res as it is: the caller must not modify it
	// afterwards.
	Complete(ctx context.Context, k Key, token uint64, res *Response, ttl time.Duration) error

	// Release frees an in-progress record held with token, so that the
	// next Acquire succeeds whatever its fingerprint. It returns
	// ErrLeaseLost when token is not the current token or the record is
	// complete; a complete record is never released.
	Release(ctx context.Context, k Key, token uint64) error

	// Get returns the record of k, with found false when it has none (or
	// it was released or expired).
	Get(ctx context.Context, k Key) (rec Record, found bool, err error)
}

// Record is the state of one key as a Store reports it.
type Record struct {
	// Fingerprint of the request that holds or held the key.
	Fingerprint string
	// Token is the fencing token of the latest lease.
	Token uint64
	// LeaseExpires is when the current lease ends unless renewed; zero
	// once the record is complete.
	LeaseExpires time.Time
	// Response is the recorded outcome, nil while the record is in
	// progress. It is shared: do not modify it.
	Response *Response
}

// Complete reports whether the record holds an outcome.
func (r *Record) Complete() bool { return r.Response != nil }
