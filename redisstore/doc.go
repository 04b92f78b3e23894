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
// ratelimit.StoreFailure mode answers as documented). Sentinel failover
// clients use the same commands as a single node but are not tested.
//
// # Rate limits while Redis is slow or down
//
// RateLimitConfig.Timeout (100ms by default, chosen from measurements
// under load) bounds each decision; a timeout is a store failure, and the
// ratelimit.Limiter applies its StoreFailure mode to that request. With
// ratelimit.Config.FailAfter (3 by default) one slow round trip does not
// switch a replica to its fallback, and with ratelimit.Config.Replicas
// each replica enforces its share of every quota, so that the replicas
// together stay within it; see ratelimit.Config.Replicas for the bound.
//
// # Idempotency records while Redis is slow or down
//
// IdempotencyConfig.Timeout (5s by default) bounds each call of an
// IdempotencyStore, the completion included, which the middleware makes
// with a context the client's disconnect does not cancel. A failed or
// timed-out call is a store failure: the middleware applies its
// idempotency.Config.StoreFailure mode (503 by default).
package redisstore
