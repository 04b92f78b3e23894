package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	stderrors "errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/restwell/restwell/idempotency"
)

// IdempotencyConfig configures an IdempotencyStore.
type IdempotencyConfig struct {
	// Prefix starts every key the store writes. Empty means
	// "restwell:idem:".
	Prefix string
	// Timeout bounds each call of the store (one round trip), within the
	// caller's context. The middleware records a response with a context
	// the client's disconnect does not cancel, so this is what ends a
	// completion when Redis does not answer. Zero means 5 seconds: a
	// request waits that long at most for its record before it gets 503,
	// and a slow completion holds its goroutine no longer.
	Timeout time.Duration
}

// defaultIdempotencyTimeout is IdempotencyConfig.Timeout's default.
const defaultIdempotencyTimeout = 5 * time.Second

// IdempotencyStore is an idempotency.Store in Redis, shared by every
// instance of a service that uses the same server (or Cluster).
//
// Each record is one hash, named Prefix + "{" + a SHA-256 of the scope and
// key + "}" (the braces make it a Cluster hash tag), that carries a TTL at
// all times: the Retention once complete, and the ttl given to Acquire
// while in progress. Taking a lease and completing a record are each one
// Lua script, so one round trip: a first request costs two (Acquire,
// Complete), a replay or a refusal one, and a renewal one per Lease/3 of
// handler time. Leases and fencing tokens use the Redis server's clock
// (TIME), never the instances' clocks; a token is the server time in
// microseconds, or one more than the previous token of the key, whichever
// is larger.
//
// Each call is bounded by IdempotencyConfig.Timeout and the caller's
// context. go-redis honours those deadlines on the socket only with
// ContextTimeoutEnabled set in its options; with any other client each
// call runs in a goroutine of its own that the caller stops waiting for
// at the deadline (it ends at the client's ReadTimeout at the latest).
//
// An IdempotencyStore is safe for concurrent use.
type IdempotencyStore struct {
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
	direct  bool // c itself honours context deadlines
}

// NewIdempotencyStore returns a store that keeps records through c.
func NewIdempotencyStore(c redis.UniversalClient, cfg IdempotencyConfig) (*IdempotencyStore, error) {
	if c == nil {
		return nil, fmt.Errorf("redisstore: nil Redis client")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("redisstore: IdempotencyConfig.Timeout must not be negative")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "restwell:idem:"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultIdempotencyTimeout
	}
	s := &IdempotencyStore{c: c, prefix: cfg.Prefix, timeout: cfg.Timeout}
	switch c := c.(type) {
	case *redis.Client:
		s.direct = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		s.direct = c.Options().ContextTimeoutEnabled
	}
	return s, nil
}

// run calls f with ctx bounded by the store's Timeout, and returns when f
// does or when that context ends, whichever comes first. A call abandoned
// at the deadline may still have been applied by the server.
func (s *IdempotencyStore) run(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.direct {
		return f(ctx)
	}
	done := make(chan error, 1) // buffered: an abandoned call never blocks
	go func() { done <- f(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// key returns the Redis key of k. Hashing keeps it short and free of
// characters ('{', '}') that would move the hash tag.
func (s *IdempotencyStore) key(k idempotency.Key) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(k.Scope))))
	h.Write([]byte{':'})
	h.Write([]byte(k.Scope))
	h.Write([]byte(k.ID))
	var sum [32]byte
	var enc [43]byte
	base64.RawURLEncoding.Encode(enc[:], h.Sum(sum[:0]))
	return s.prefix + "{" + string(enc[:]) + "}"
}

// Fields of a record hash: f fingerprint, t token, l lease expiry in Unix
// milliseconds (0 once complete), r the encoded response.

// Scripts that read TIME and then write ask for effects replication, which
// Redis 3.2 to 4 need and later versions always do.

var acquireScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tok = tonumber(t[1]) * 1000000 + tonumber(t[2])
local r = redis.call('HMGET', KEYS[1], 'f', 't', 'l', 'r')
if r[2] then
  if r[4] then
    return {0, r[1], r[2], '0', r[4]}
  end
  if tonumber(r[3]) > now or r[1] ~= ARGV[1] then
    return {0, r[1], r[2], r[3]}
  end
  tok = math.max(tonumber(r[2]) + 1, tok)
end
local ts = string.format('%d', tok)
local exp = string.format('%d', now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', ts, 'l', exp)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, ARGV[1], ts, exp}
`)

var renewScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 't', 'r')
if r[1] ~= ARGV[1] or r[2] then
  return 0
end
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'l', string.format('%d', now + tonumber(ARGV[2])))
return 1
`)

var completeScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 't', 'r')
if r[1] ~= ARGV[1] then
  return 0
end
if r[2] then
  return 1
end
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'l', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

var releaseScript = redis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 't', 'r')
if r[1] ~= ARGV[1] or r[2] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
`)

// ms converts a duration to whole milliseconds, at least 1.
func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Acquire implements idempotency.Store in one round trip.
func (s *IdempotencyStore) Acquire(ctx context.Context, k idempotency.Key, fingerprint string, lease, ttl time.Duration) (idempotency.Record, bool, error) {
	var v []any
	err := s.run(ctx, func(ctx context.Context) (err error) {
		v, err = acquireScript.Run(ctx, s.c, []string{s.key(k)}, fingerprint, ms(lease), ms(ttl)).Slice()
		return err
	})
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("redisstore: acquire: %w", err)
	}
	return acquireReply(v)
}

// acquireReply decodes the reply of acquireScript: whether the lease was
// taken, the record's fingerprint, token and lease expiry, and its
// response when it has one. Any other shape is errReply.
func acquireReply(v []any) (idempotency.Record, bool, error) {
	if len(v) < 4 {
		return idempotency.Record{}, false, errReply
	}
	acquired, _ := v[0].(int64)
	rec, err := record(v[1], v[2], v[3], nil)
	if err != nil {
		return idempotency.Record{}, false, err
	}
	if len(v) > 4 {
		if rec.Response, err = response(v[4]); err != nil {
			return idempotency.Record{}, false, err
		}
	}
	return rec, acquired == 1, nil
}

var errReply = stderrors.New("redisstore: unexpected reply from Redis")

func record(f, t, l, _ any) (idempotency.Record, error) {
	fs, ok1 := f.(string)
	ts, ok2 := t.(string)
	ls, ok3 := l.(string)
	if !ok1 || !ok2 || !ok3 {
		return idempotency.Record{}, errReply
	}
	tok, err1 := strconv.ParseUint(ts, 10, 64)
	lease, err2 := strconv.ParseInt(ls, 10, 64)
	if err1 != nil || err2 != nil {
		return idempotency.Record{}, errReply
	}
	rec := idempotency.Record{Fingerprint: fs, Token: tok}
	if lease > 0 {
		rec.LeaseExpires = time.UnixMilli(lease)
	}
	return rec, nil
}

func response(v any) (*idempotency.Response, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errReply
	}
	res := new(idempotency.Response)
	if err := res.UnmarshalBinary([]byte(s)); err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	return res, nil
}

// Renew implements idempotency.Store in one round trip.
func (s *IdempotencyStore) Renew(ctx context.Context, k idempotency.Key, token uint64, lease time.Duration) error {
	return s.checked(ctx, "renew", renewScript, k, strconv.FormatUint(token, 10), ms(lease))
}

// Complete implements idempotency.Store in one round trip.
func (s *IdempotencyStore) Complete(ctx context.Context, k idempotency.Key, token uint64, res *idempotency.Response, ttl time.Duration) error {
	b, err := res.MarshalBinary()
	if err != nil {
		return err
	}
	return s.checked(ctx, "complete", completeScript, k, strconv.FormatUint(token, 10), b, ms(ttl))
}

// Release implements idempotency.Store in one round trip.
func (s *IdempotencyStore) Release(ctx context.Context, k idempotency.Key, token uint64) error {
	return s.checked(ctx, "release", releaseScript, k, strconv.FormatUint(token, 10))
}

func (s *IdempotencyStore) checked(ctx context.Context, op string, sc *redis.Script, k idempotency.Key, args ...any) error {
	var n int64
	err := s.run(ctx, func(ctx context.Context) (err error) {
		n, err = sc.Run(ctx, s.c, []string{s.key(k)}, args...).Int64()
		return err
	})
	if err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if n != 1 {
		return idempotency.ErrLeaseLost
	}
	return nil
}

// Get implements idempotency.Store in one round trip.
func (s *IdempotencyStore) Get(ctx context.Context, k idempotency.Key) (idempotency.Record, bool, error) {
	var v []any
	err := s.run(ctx, func(ctx context.Context) (err error) {
		v, err = s.c.HMGet(ctx, s.key(k), "f", "t", "l", "r").Result()
		return err
	})
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("redisstore: get: %w", err)
	}
	return getReply(v)
}

// getReply decodes the reply of HMGET f t l r: no record when the token
// is absent, else the record and its response when it has one.
func getReply(v []any) (idempotency.Record, bool, error) {
	if len(v) != 4 || v[1] == nil {
		return idempotency.Record{}, false, nil
	}
	rec, err := record(v[0], v[1], v[2], nil)
	if err != nil {
		return idempotency.Record{}, false, err
	}
	if v[3] != nil {
		if rec.Response, err = response(v[3]); err != nil {
			return idempotency.Record{}, false, err
		}
	}
	return rec, true, nil
}
