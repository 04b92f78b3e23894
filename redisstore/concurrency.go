package redisstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
)

// Concurrency limits (policies of unit ratelimit.UnitConcurrentRequests)
// keep their slots in one sorted set per key and policy, at
// Prefix + "{" + K + "}#" + P (in the hash tag of the key's rate
// policies, so one script sees them all): each member is a lease, its
// score the time (Redis TIME, microseconds) at which the lease expires,
// the policy's Window after it was acquired. Every decision first drops
// the expired leases, so that the slots of a replica that died holding
// them come back after Window; the set itself carries a TTL of Window
// from its newest lease, so that it disappears once unused.

// slotAcquireScript decides a request under rate and concurrency policies at
// once and, when it admits the request with a lease, holds a slot of
// every concurrency policy. KEYS are the policies' keys; ARGV[1] is the
// cost, ARGV[2] the lease ("" to hold nothing), then for each policy its
// kind (0 rate, 1 concurrency) and two numbers: the emission interval
// (microseconds) and burst of a rate policy, the limit and the lease
// duration (microseconds) of a concurrency policy. The reply is that of
// rateLimitScript.
var slotAcquireScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
` + gcraLua + `
local cost = tonumber(ARGV[1])
local lease = ARGV[2]
local hold = lease ~= '' and cost > 0
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {1}
local nexts = {}
for i = 1, #KEYS do
  local kind = tonumber(ARGV[3 * i])
  local a = tonumber(ARGV[3 * i + 1])
  local b = tonumber(ARGV[3 * i + 2])
  local ok, rem, reset, wait = 0, 0, 0, -1
  if kind == 1 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    local n = redis.call('ZCARD', KEYS[i])
    ok, rem, wait = 1, a - n, 0
    if rem < 0 then rem = 0 end
    if n > 0 then reset = 1000000 end
    if cost > 0 and n >= a then
      ok, wait = 0, 1000000
    elseif hold then
      rem = rem - 1
      reset = 1000000
    end
  else
    ok, rem, reset, wait, nexts[i] = gcra(KEYS[i], a, b, cost, now)
  end
  if ok == 0 then out[1] = 0 end
  out[4 * i - 2] = ok
  out[4 * i - 1] = rem
  out[4 * i] = reset
  out[4 * i + 1] = wait
end
for i = 1, #KEYS do
  local kind = tonumber(ARGV[3 * i])
  local a = tonumber(ARGV[3 * i + 1])
  local b = tonumber(ARGV[3 * i + 2])
  if out[1] == 1 then
    if kind == 1 then
      if hold then
        redis.call('ZADD', KEYS[i], now + b, lease)
        redis.call('PEXPIRE', KEYS[i], math.ceil(b / 1000))
      end
    elseif nexts[i] and nexts[i] > now then
      redis.call('SET', KEYS[i], string.format('%d', nexts[i]), 'PX', math.ceil((nexts[i] - now) / 1000))
    end
  elseif out[4 * i - 2] == 1 then
    if kind == 1 then
      if hold then
        out[4 * i - 1] = out[4 * i - 1] + 1
        if out[4 * i - 1] >= a then out[4 * i] = 0 end
      end
    else
      out[4 * i - 1] = out[4 * i - 1] + cost
      if out[4 * i - 1] >= b then out[4 * i] = 0 end
    end
  end
end
return out
`)

// slotReleaseScript removes the lease ARGV[1] from the sorted sets KEYS.
var slotReleaseScript = redis.NewScript(`
local n = 0
for i = 1, #KEYS do
  n = n + redis.call('ZREM', KEYS[i], ARGV[1])
end
return {n}
`)

// Acquire implements ratelimit.Store: the rate decisions and the slots
// of the concurrency policies in one round trip (one EVALSHA).
func (s *RateLimitStore) Acquire(ctx context.Context, key string, policies []ratelimit.Policy, cost int64, lease uint64, res []ratelimit.Result) (bool, error) {
	return s.acquire(ctx, key, policies, cost, strconv.FormatUint(lease, 10), res)
}

// acquire runs slotAcquireScript; a lease of "" holds nothing (Take).
func (s *RateLimitStore) acquire(ctx context.Context, key string, policies []ratelimit.Policy, cost int64, lease string, res []ratelimit.Result) (bool, error) {
	if err := checkTake(policies, cost, res); err != nil {
		return false, err
	}
	keys := make([]string, len(policies))
	args := make([]any, 2+3*len(policies))
	args[0], args[1] = cost, lease
	tag := "{" + rateLimitTag(key) + "}"
	for i, p := range policies {
		if err := p.Validate(); err != nil {
			return false, err
		}
		a := args[2+3*i:]
		if p.Unit == ratelimit.UnitConcurrentRequests {
			keys[i] = s.prefix + tag + "#" + p.Name
			a[0], a[1], a[2] = 1, p.Limit, int64(p.Window)/1000
		} else {
			keys[i] = s.prefix + tag + ":" + p.Name
			a[0], a[1], a[2] = 0, (int64(p.Interval())+999)/1000, p.MaxBurst()
		}
	}
	return s.decide(ctx, slotAcquireScript, "concurrency", keys, args, res[:len(policies)])
}

// Release implements ratelimit.Store in one round trip (one EVALSHA).
func (s *RateLimitStore) Release(ctx context.Context, key string, policies []ratelimit.Policy, lease uint64) error {
	if len(policies) == 0 || len(policies) > ratelimit.MaxPolicies {
		return fmt.Errorf("redisstore: between 1 and %d policies are required", ratelimit.MaxPolicies)
	}
	var keys []string
	tag := "{" + rateLimitTag(key) + "}"
	for _, p := range policies {
		if p.Unit == ratelimit.UnitConcurrentRequests {
			keys = append(keys, s.prefix+tag+"#"+p.Name)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.run(ctx, slotReleaseScript, keys, []any{strconv.FormatUint(lease, 10)}); err != nil {
		return fmt.Errorf("redisstore: release script: %w", err)
	}
	return nil
}

func hasConcurrent(policies []ratelimit.Policy) bool {
	for _, p := range policies {
		if p.Unit == ratelimit.UnitConcurrentRequests {
			return true
		}
	}
	return false
}

var (
	_ ratelimit.Store          = (*RateLimitStore)(nil)
	_ ratelimit.ReplicaCounter = (*RateLimitStore)(nil)
)
