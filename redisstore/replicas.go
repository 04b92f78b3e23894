package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counting replicas: every RateLimitStore in use announces itself, at
// most once per RateLimitConfig.Heartbeat and from a goroutine of its
// own, never from a decision's round trip, in a sorted set at
// Prefix + "replicas" (the store's random id, scored with the time its
// announcement expires, three heartbeats later). The same script drops
// expired members and returns how many are left: the replicas that used
// the store within the last three heartbeats. ratelimit.Limiter reads the
// count (Replicas) to divide its quotas while Redis fails.

// defaultHeartbeat is RateLimitConfig.Heartbeat's default.
const defaultHeartbeat = 5 * time.Second

// heartbeatScript adds ARGV[1] to the set KEYS[1] until ARGV[2]
// microseconds from now, drops the members that have expired and
// returns how many remain.
var heartbeatScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))
return redis.call('ZCARD', KEYS[1])
`)

func newReplicaID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// beat starts a heartbeat in the background if the last one started a
// Heartbeat ago or more and none is running. It costs a decision a clock
// reading and an atomic load.
func (s *RateLimitStore) beat() {
	if s.heartbeat <= 0 {
		return
	}
	now := time.Now().UnixNano()
	if now-s.lastBeat.Load() < int64(s.heartbeat) || !s.beating.CompareAndSwap(false, true) {
		return
	}
	s.lastBeat.Store(now)
	go func() {
		defer s.beating.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), max(s.timeout, time.Second))
		defer cancel()
		ttl := 3 * s.heartbeat
		n, err := heartbeatScript.Run(ctx, s.client, []string{s.prefix + "replicas"}, s.id, int64(ttl/time.Microsecond)).Int64()
		if err == nil && n > 0 {
			s.replicas.Store(n)
		}
	}()
}

// Replicas implements ratelimit.ReplicaCounter: the number of stores
// with this Prefix, in this process and others, that made a decision
// within the last three heartbeats, as last counted; 0 before the first
// count, or with heartbeats off. While Redis is unreachable it keeps the
// last count, which is what a ratelimit.Limiter with FailLocal divides
// its quotas by.
func (s *RateLimitStore) Replicas() int { return int(s.replicas.Load()) }
