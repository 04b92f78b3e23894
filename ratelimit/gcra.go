package ratelimit

import (
	"math"
	"time"
)

// never is a TAT that means "no state": the key is idle.
const never = math.MinInt64

// gcra decides one policy for one request. tat is the key's theoretical
// arrival time for the policy (never when it has none), now the current
// time, both in the same nanosecond scale; interval and burst come from
// the policy, cost is the units the request wants (0 <= cost).
//
// The state is the TAT alone: the level of the bucket, in time, is
// max(tat, now) - now, its capacity burst*interval. A request fits when
// level + cost*interval <= capacity; it then moves the TAT by
// cost*interval. Everything is integer nanoseconds.
//
// It returns the TAT to store if the whole request is admitted, and the
// policy's Result.
func gcra(tat, now, interval, burst, cost int64) (int64, Result) {
	capacity := burst * interval
	if tat < now {
		tat = now
	}
	level := tat - now
	if level > capacity { // a TAT written under a larger burst
		level = capacity
	}
	if cost > burst {
		rem := (capacity - level) / interval
		return tat, Result{Remaining: rem, Reset: reset(level, rem, interval, burst), RetryAfter: -1}
	}
	next := level + cost*interval
	if next > capacity {
		rem := (capacity - level) / interval
		return tat, Result{
			Remaining:  rem,
			Reset:      reset(level, rem, interval, burst),
			RetryAfter: time.Duration(next - capacity),
		}
	}
	rem := (capacity - next) / interval
	return now + next, Result{Allowed: true, Remaining: rem, Reset: reset(next, rem, interval, burst)}
}

// reset returns the time until the remaining quota next grows by one
// unit, 0 when it is full.
func reset(level, rem, interval, burst int64) time.Duration {
	if rem >= burst {
		return 0
	}
	return time.Duration(level + (rem+1)*interval - burst*interval)
}

// unconsume turns the Results of the policies that would have admitted a
// refused request into where they stand now, with nothing consumed.
func unconsume(policies []Policy, cost int64, res []Result) {
	for i := range policies {
		if r := &res[i]; r.Allowed {
			r.Remaining += cost
			if r.Remaining >= policies[i].MaxBurst() {
				r.Reset = 0
			}
		}
	}
}
