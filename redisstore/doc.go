// Package redisstore keeps rate-limit counters and idempotency records in
// Redis, so that every replica of a service shares one limit and one
// record of each request. It works with any redis.UniversalClient from
// github.com/redis/go-redis/v9: every key of one decision shares a hash
// tag, and every decision is a single atomic Lua script.
//
// # Tested topologies
//
// The tests run both stores against a single node and against a Redis
// Cluster of three masters (redis.NewClusterClient) that they start on
// loopback ports: the ratelimit and idempotency conformance suites, the
// atomicity of one budget spent by 100 goroutines over 20 clients, the
// keys of one decision in one slot, a `redis-cli --cluster reshard` of
// slots in use while requests run (the client follows MOVED and ASK; no
// decision and no record is lost), and a master killed mid-run (each
// ratelimit.StoreFailure mode answers as documented). They also run both
// conformance suites through a Sentinel failover client
// (redis.NewFailoverClient, one master, one replica, one Sentinel), and
// kill the master: once the Sentinel has promoted the replica, decisions
// resume on it with the budget spent before the failover still spent
// (for writes the replica had received: replication is asynchronous, so
// a failover may lose the last decisions before it, which can only
// admit more, never fewer). The conformance suites include the
// concurrency limits on every topology.
//
// # Concurrency limits
//
// Policies of unit ratelimit.UnitConcurrentRequests keep one sorted set
// of leases per key and policy, in the hash tag of the key's rate
// policies: a request is decided and its slots taken in one EVALSHA, and
// released in a second one when the handler returns. Each lease expires
// the policy's Window after it was taken (Redis TIME), and the set
// carries a TTL of Window, so that slots of a replica that died holding
// them come back after Window and no key outlives its use.
//
// # Rate limits while Redis is slow or down
//
// RateLimitConfig.Timeout (100ms by default, chosen from the latency of
// decisions under load on a shared 2-core machine: p99 2-25ms, p99.9
// 9-97ms; see RateLimitConfig.Timeout) bounds each decision; a timeout is
// a store failure, and the ratelimit.Limiter applies its StoreFailure
// mode to that request. With ratelimit.Config.FailAfter (3 by default)
// one slow round trip does not switch a replica to its fallback (a
// failure rate above ratelimit.Config.FailRate, half of the calls of ten
// seconds, does), and with ratelimit.Config.Replicas each replica
// enforces its share of every quota, so that the replicas together stay
// within it; see ratelimit.Config.Replicas for the bound. Without
// Config.Replicas, the share comes from the store's own count of the
// replicas sharing it (RateLimitStore.Replicas): every store in use
// announces itself every RateLimitConfig.Heartbeat (5s), in the
// background and never in a decision's round trip, in a set at
// Prefix + "replicas" whose members expire after three heartbeats.
//
// # Idempotency records while Redis is slow or down
//
// IdempotencyConfig.Timeout (5s by default) bounds each call of an
// IdempotencyStore, the completion included, which the middleware makes
// with a context the client's disconnect does not cancel. A failed or
// timed-out call is a store failure: the middleware applies its
// idempotency.Config.StoreFailure mode (503 by default).
package redisstore
