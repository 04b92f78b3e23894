// Package redisstore keeps rate-limit counters and idempotency records in
// Redis, so that every replica of a service shares one limit and one
// record of each request. It works with any redis.UniversalClient from
// github.com/redis/go-redis/v9 (a single node, Sentinel or Cluster): every
// key of one decision shares a hash tag, and every decision is a single
// atomic Lua script.
package redisstore
