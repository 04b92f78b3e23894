package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
)

// RateLimitConfig configures a RateLimitStore.
type RateLimitConfig struct {
	// Prefix starts every key the store writes. It must not contain "{"
	// or "}", which would change the Redis Cluster hash tag. Empty means
	// "restwell:ratelimit:".
	Prefix string
	// Timeout bounds each decision, within the request's own context. A
	// rate limiter that waits longer than a few round trips hurts more
	// than it helps; on timeout the Limiter applies its StoreFailure mode
	// to that request (and leaves the store alone only after
	// ratelimit.Config.FailAfter failures in a row, or failures of more
	// than ratelimit.Config.FailRate of its calls). Zero means 100ms.
	//
	// The default comes from BenchmarkDecisionUnderLoad (in this
	// package's tests), run on a 2-core machine shared with other busy
	// processes (load average 12 to 16): one decision (EVALSHA, two
	// policies) against a local redis-server 7.0.15 while redis-benchmark
	// loads that server, 20,000 decisions a case, two runs. With 50
	// clients and pipelines of 4: p50 27-46µs, p99 2.4-6.9ms, p99.9
	// 9-29ms, worst 0.11-0.29s. With 200 clients and pipelines of 16: p50
	// 27µs, p99 22-25ms, p99.9 72-97ms, worst 0.21-0.58s. A decision with
	// a concurrency policy as well: p99 1.4-12ms, p99.9 10-44ms. 100ms is
	// above the p99.9 of the heaviest load: about one decision in a
	// thousand times out there, far from the three in a row
	// (ratelimit.Config.FailAfter) or the half of the calls
	// (ratelimit.Config.FailRate) that switch a replica to its fallback,
	// while a server that stops answering costs each request at most
	// 100ms until then. The worst cases, tenths of a second, are
	// scheduling stalls of the loaded machine, which no timeout should
	// wait for. Add the network round trip of a remote or managed Redis.
	Timeout time.Duration
	// Heartbeat is how often a store in use announces itself in Redis,
	// so that every store with this Prefix can count the replicas
	// sharing it (see RateLimitStore.Replicas): with
	// ratelimit.FailLocal and no ratelimit.Config.Replicas, a Limiter
	// divides its quotas by that count while Redis fails. Announcements
	// run in the background, at most one per Heartbeat and only while
	// the store makes decisions, and expire after three Heartbeats: the
	// count includes the replicas that decided a request within the last
	// three Heartbeats, so one that has been idle longer, or started
	// during an outage, is not counted until its next decision on a
	// reachable Redis. Zero means 5s; negative turns heartbeats off.
	Heartbeat time.Duration
}

// defaultRateLimitTimeout is RateLimitConfig.Timeout's default.
const defaultRateLimitTimeout = 100 * time.Millisecond

// RateLimitStore is a ratelimit.Store in Redis, so that every replica of
// a service enforces one limit per key.
//
// A decision is one round trip: EVALSHA of a Lua script (EVAL when the
// server does not have it cached, after a restart or a SCRIPT FLUSH) that
// reads the clock with Redis TIME, applies GCRA to every policy of the
// request, and writes the new TATs only if all of them admit it, each key
// with a TTL (PX) set in the same command that writes it, so that state
// disappears once its quota is full again. Redis runs the script
// atomically, so concurrent replicas never overspend. The key of policy P
// for key K is Prefix + "{" + K + "}:" + P; keys containing braces, or
// empty, are hex-encoded inside the braces ("{{" + hex), so the keys of
// one decision always share a hash tag and work on Redis Cluster.
//
// Each decision is bounded by RateLimitConfig.Timeout and the request's
// context. go-redis honours those deadlines on the socket only with
// ContextTimeoutEnabled set in its options; prefer such a client: with
// any other, each decision is handed to a worker goroutine, so that the
// caller can stop waiting at the deadline. Workers are reused from one
// decision to the next, as many as decisions run at once, and each one
// exits after a second without work.
//
// A RateLimitStore is safe for concurrent use by multiple goroutines.
type RateLimitStore struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	direct  bool       // the client itself honours context deadlines
	calls   chan *call // decisions for idle workers, when not direct

	id        string // this store's member in the replicas set
	heartbeat time.Duration
	lastBeat  atomic.Int64 // Unix nanoseconds of the last heartbeat's start
	beating   atomic.Bool
	replicas  atomic.Int64 // the last count
}

// workerIdle is how long a worker waits for another decision before it
// exits.
const workerIdle = time.Second

// A call is one decision handed to a worker. The worker sends on done
// once out and err are set and never touches the call again; the caller
// reuses the call only after receiving from done, and drops it when it
// stops waiting.
type call struct {
	ctx    context.Context
	script *redis.Script
	keys   []string
	args   []any
	out    []int64
	err    error
	done   chan struct{} // buffered, so that an abandoned call never blocks its worker
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// NewRateLimitStore returns a store on client, which may be a single
// node, a Sentinel failover client or a Cluster client. The caller keeps
// ownership of client and closes it.
func NewRateLimitStore(client redis.UniversalClient, cfg RateLimitConfig) (*RateLimitStore, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	if strings.ContainsAny(cfg.Prefix, "{}") {
		return nil, errors.New("redisstore: RateLimitConfig.Prefix must not contain braces")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("redisstore: RateLimitConfig.Timeout must not be negative")
	}
	s := &RateLimitStore{client: client, prefix: cfg.Prefix, timeout: cfg.Timeout, calls: make(chan *call),
		id: newReplicaID(), heartbeat: cfg.Heartbeat}
	if s.heartbeat == 0 {
		s.heartbeat = defaultHeartbeat
	}
	switch c := client.(type) {
	case *redis.Client:
		s.direct = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		s.direct = c.Options().ContextTimeoutEnabled
	}
	if s.prefix == "" {
		s.prefix = "restwell:ratelimit:"
	}
	if s.timeout == 0 {
		s.timeout = defaultRateLimitTimeout
	}
	return s, nil
}

// gcraLua defines gcra, the decision of one rate policy shared by the
// scripts: cost units for key under a policy of emission interval and
// burst, at now (microseconds). It returns whether it admits them, the
// remaining units, the microseconds until one more unit, the
// microseconds until it would admit cost (-1 never) and, when it admits
// them, the key's new value (nil otherwise). It writes nothing.
const gcraLua = `
local function gcra(key, interval, burst, cost, now)
  local capacity = burst * interval
  local level = 0
  local v = redis.call('GET', key)
  if v then
    level = tonumber(v) - now
    if level < 0 then level = 0 end
    if level > capacity then level = capacity end
  end
  local ok, after, wait, nxt = 0, level, -1, nil
  if cost <= burst then
    local n = level + cost * interval
    if n <= capacity then
      ok, after, wait, nxt = 1, n, 0, now + n
    else
      wait = n - capacity
    end
  end
  local rem = math.floor((capacity - after) / interval)
  local reset = 0
  if rem < burst then reset = after + (rem + 1) * interval - capacity end
  return ok, rem, reset, wait, nxt
end
`

// rateLimitScript decides one request. KEYS are the policies' keys; ARGV[1]
// is the cost, then each policy's emission interval (microseconds) and
// burst. It returns the verdict, then for each policy: admits (0/1),
// remaining units, microseconds until one more unit, microseconds until
// it would admit the cost (-1 never).
//
// It mirrors the memory store's arithmetic (ratelimit's gcra), in
// microseconds so that every value stays an exact integer in a Lua
// double.
var rateLimitScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
` + gcraLua + `
local cost = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {1}
local nexts = {}
for i = 1, #KEYS do
  local ok, rem, reset, wait, nxt = gcra(KEYS[i], tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1]), cost, now)
  nexts[i] = nxt
  if ok == 0 then out[1] = 0 end
  out[4 * i - 2] = ok
  out[4 * i - 1] = rem
  out[4 * i] = reset
  out[4 * i + 1] = wait
end
if out[1] == 1 then
  for i = 1, #KEYS do
    local ttl = nexts[i] - now
    if ttl > 0 then
      redis.call('SET', KEYS[i], string.format('%d', nexts[i]), 'PX', math.ceil(ttl / 1000))
    end
  end
else
  for i = 1, #KEYS do
    if out[4 * i - 2] == 1 then
      local burst = tonumber(ARGV[2 * i + 1])
      out[4 * i - 1] = out[4 * i - 1] + cost
      if out[4 * i - 1] >= burst then out[4 * i] = 0 end
    end
  end
end
return out
`)

// checkTake checks the arguments of a decision as ratelimit.Store
// requires: 1 to MaxPolicies policies, a cost of zero or more, and room
// in res for one Result per policy.
func checkTake(policies []ratelimit.Policy, cost int64, res []ratelimit.Result) error {
	switch {
	case len(policies) == 0 || len(policies) > ratelimit.MaxPolicies:
		return fmt.Errorf("redisstore: between 1 and %d policies are required", ratelimit.MaxPolicies)
	case cost < 0:
		return errors.New("redisstore: cost must not be negative")
	case len(res) < len(policies):
		return errors.New("redisstore: res is shorter than policies")
	}
	return nil
}

// Take implements ratelimit.Store in one round trip.
func (s *RateLimitStore) Take(ctx context.Context, key string, policies []ratelimit.Policy, cost int64, res []ratelimit.Result) (bool, error) {
	if err := checkTake(policies, cost, res); err != nil {
		return false, err
	}
	if hasConcurrent(policies) {
		return s.acquire(ctx, key, policies, cost, "", res)
	}
	keys := make([]string, len(policies))
	args := make([]any, 1+2*len(policies))
	args[0] = cost
	base := s.prefix + "{" + rateLimitTag(key) + "}:"
	for i, p := range policies {
		if err := p.Validate(); err != nil {
			return false, err
		}
		keys[i] = base + p.Name
		args[1+2*i] = (int64(p.Interval()) + 999) / 1000
		args[2+2*i] = p.MaxBurst()
	}
	return s.decide(ctx, rateLimitScript, "rate limit", keys, args, res[:len(policies)])
}

// decide runs a decision script (rateLimitScript or slotAcquireScript)
// and decodes its reply into res.
func (s *RateLimitStore) decide(ctx context.Context, script *redis.Script, name string, keys []string, args []any, res []ratelimit.Result) (bool, error) {
	s.beat()
	out, err := s.run(ctx, script, keys, args)
	if err != nil {
		return false, fmt.Errorf("redisstore: %s script: %w", name, err)
	}
	return decisions(out, res)
}

// decisions decodes the reply of rateLimitScript into res, one result per
// policy: the overall verdict, then for each policy whether it allowed
// the request, the remaining quota and the reset and retry-after times
// in microseconds (a negative retry-after: never). A reply of any other
// length is an error.
func decisions(out []int64, res []ratelimit.Result) (bool, error) {
	if len(out) != 1+4*len(res) {
		return false, errors.New("redisstore: rate limit script: unexpected reply of " + strconv.Itoa(len(out)) + " values")
	}
	all := true
	for i := range res {
		o := out[1+4*i:]
		// Durations beyond what time.Duration holds in microseconds, or a
		// negative quota, are no reply of this script.
		const maxMicros = math.MaxInt64 / int64(time.Microsecond)
		if o[0]&^1 != 0 || o[1] < 0 || o[2] < 0 || o[2] > maxMicros || o[3] > maxMicros {
			return false, errors.New("redisstore: rate limit script: unexpected reply values")
		}
		res[i] = ratelimit.Result{
			Allowed:    o[0] == 1,
			Remaining:  o[1],
			Reset:      time.Duration(o[2]) * time.Microsecond,
			RetryAfter: time.Duration(o[3]) * time.Microsecond,
		}
		if o[3] < 0 {
			res[i].RetryAfter = -1
		}
		all = all && res[i].Allowed
	}
	if out[0]&^1 != 0 || out[0] == 1 && !all {
		return false, errors.New("redisstore: rate limit script: unexpected reply values")
	}
	return out[0] == 1, nil
}

// run runs the script within ctx and the store's Timeout. go-redis leaves context deadlines out
// of socket reads unless the client has ContextTimeoutEnabled; without it
// the call runs in a worker that is abandoned, not waited for, when ctx
// ends (the call finishes at the client's ReadTimeout at the latest, and
// the worker then goes back to work). When a decision times out, whether
// the server applied it is unknown.
func (s *RateLimitStore) run(ctx context.Context, script *redis.Script, keys []string, args []any) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.direct {
		return script.Run(ctx, s.client, keys, args...).Int64Slice()
	}
	c := callPool.Get().(*call)
	c.ctx, c.script, c.keys, c.args = ctx, script, keys, args
	select {
	case s.calls <- c: // an idle worker took it
	default:
		go s.work(c)
	}
	select {
	case <-c.done:
		out, err := c.out, c.err
		*c = call{done: c.done}
		callPool.Put(c)
		return out, err
	case <-ctx.Done():
		return nil, ctx.Err() // c belongs to its worker now, then to nobody
	}
}

// work runs c, then every decision handed to it until none comes for
// workerIdle.
func (s *RateLimitStore) work(c *call) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		out, err := c.script.Run(c.ctx, s.client, c.keys, c.args...).Int64Slice()
		c.out, c.err = out, err
		c.done <- struct{}{}
		idle.Reset(workerIdle)
		select {
		case c = <-s.calls:
		case <-idle.C:
			return
		}
	}
}

// rateLimitTag returns what goes between the braces of a key: the key itself,
// or "{" and its hex encoding when it is empty or contains a brace, which
// would end the tag early or leave it empty. Plain keys never start with
// "{", so the two forms cannot collide.
func rateLimitTag(key string) string {
	if key != "" && !strings.ContainsAny(key, "{}") {
		return key
	}
	return "{" + hex.EncodeToString([]byte(key))
}
