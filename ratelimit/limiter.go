package ratelimit

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restwell/restwell/internal/sfv"
	"github.com/restwell/restwell/observe"
)

// A KeyFunc returns the key a request is counted under: a client address,
// an API key, a user id. An error or an empty key means the client cannot
// be identified; Config.KeyFailure says what happens then.
type KeyFunc func(*http.Request) (string, error)

// KeyFailure says what a Limiter does with a request whose key function
// fails or returns "". Such a request is never let through unlimited.
type KeyFailure uint8

const (
	// RejectRequest answers 400 with code "client_key_invalid" (cause
	// ErrInvalidKey). It is the default.
	RejectRequest KeyFailure = iota
	// SharedBucket counts every such request under the one key SharedKey,
	// so that together they get the quota of a single client.
	SharedBucket
)

// SharedKey is the key SharedBucket counts unidentified requests under.
// It starts with a NUL byte, which neither ClientIP nor HeaderKey ever
// returns, so no client can name it.
const SharedKey = "\x00unidentified"

// StoreFailure says what a Limiter does when its Store fails (an error,
// a timeout, Redis down). Whatever the mode, the failure is logged and the
// Limiter goes back to the store by itself once it answers again.
type StoreFailure uint8

const (
	// FailOpen lets the request through without RateLimit header fields.
	// It is the default: an outage of the limiter's store does not become
	// an outage of the API.
	FailOpen StoreFailure = iota
	// FailClosed answers 503 with code "unavailable" and a Retry-After of
	// Config.StoreRetry (cause ErrStoreUnavailable).
	FailClosed
	// FailLocal decides the request with Config.Fallback, a store local to
	// this process, so that each replica enforces the policies on its own
	// until the shared store is back.
	FailLocal
)

func (m StoreFailure) String() string {
	switch m {
	case FailOpen:
		return "fail-open"
	case FailClosed:
		return "fail-closed"
	case FailLocal:
		return "fail-local"
	}
	return "StoreFailure(" + strconv.Itoa(int(m)) + ")"
}

// Config configures a Limiter. Only Policies is required.
type Config struct {
	// Policies are the quotas every request must satisfy, all of them:
	// a request any policy refuses is refused and consumes nothing from
	// the others. Required, at most MaxPolicies.
	Policies []Policy
	// Plans are further named sets of policies, of which Plan chooses one
	// for each request: "free" and "pro" quotas, per-route quotas chosen
	// per request. A request is then counted under its plan's policies
	// only, and its RateLimit-Policy lists those alone. Policies stays
	// the plan of requests Plan places in plan "". Each plan counts a
	// client on its own (the store key is the plan's name, a NUL byte and
	// the client key), so a client that moves to another plan starts
	// with that plan's full quota. Nil means Policies for every request.
	Plans map[string][]Policy
	// Plan returns the plan of a request: a key of Plans, or "" for
	// Policies. Required with Plans. When it fails or names an unknown
	// plan the request gets 500 (cause ErrUnknownPlan): plans are the
	// server's business, not the client's.
	Plan PlanFunc
	// Key identifies the client. Nil means the Key method of a ClientIP
	// with no trusted proxies: the socket peer's address, IPv6 grouped
	// by /64.
	Key KeyFunc
	// KeyFailure says what happens to a request Key cannot identify. The
	// zero value is RejectRequest.
	KeyFailure KeyFailure
	// Cost returns the number of units a request costs. Nil means 1 for
	// every request. A cost of 0 or less is free: always admitted, and it
	// still carries the RateLimit fields. A request that costs more than
	// a policy's burst is refused with 400 (code "cost_too_high", cause
	// ErrCostTooHigh), since no wait would ever admit it.
	Cost func(*http.Request) int64
	// Store keeps the counters. Nil means a new MemoryStore with its
	// defaults, which this Limiter does not share.
	Store Store
	// StoreFailure says what happens when Store fails. The zero value is
	// FailOpen.
	StoreFailure StoreFailure
	// StoreRetry is how long, after a store failure, the Limiter applies
	// StoreFailure without asking the store, so that an outage does not
	// add a store timeout to every request; the first request after it
	// asks the store again. With FailClosed it is also the Retry-After.
	// Zero means one second; negative means the store is asked on every
	// request (a FailClosed Retry-After is then one second).
	StoreRetry time.Duration
	// FailAfter is the number of store failures in a row (errors or
	// timeouts, with no success between them) after which the Limiter
	// stops asking the store for StoreRetry. A request whose store call
	// failed before that is decided by StoreFailure all the same, but the
	// next request asks the store again, so that one slow round trip does
	// not switch a replica to its fallback. Zero means 3; 1 switches on
	// the first failure.
	FailAfter int
	// FailRate is the share of failed store calls, over the last
	// FailWindow, above which the Limiter stops asking the store for
	// StoreRetry even without FailAfter failures in a row: a store that
	// fails two calls in three, say, or times out under load every other
	// call. The rate counts only once the window holds at least 20 calls,
	// so that a quiet replica is not switched by a failure or two. Calls
	// are counted from the window's first failure on, so that a store
	// that works costs the Limiter no bookkeeping. Zero means 0.5 (more
	// than half of the calls failed); 1 or more turns the rate off,
	// leaving FailAfter alone.
	FailRate float64
	// FailWindow is the span FailRate is measured over, in ten buckets
	// of a tenth of it each. Zero means 10 seconds.
	FailWindow time.Duration
	// Fallback decides requests while Store is failing, with FailLocal.
	// While the store works, every unit it admits is also spent in
	// Fallback (in memory, no round trip), so that a replica that has
	// used its share of a quota through the store has none left when it
	// starts deciding alone. Nil means a new MemoryStore with its
	// defaults. It must not be shared with other Limiters.
	Fallback Store
	// Replicas is the number of processes (replicas of the service)
	// sharing Store. With FailLocal, each one enforces on its own
	// Limit/Replicas and Burst/Replicas of every policy (rounded down, at
	// least 1) while the store fails, so that together they admit no more
	// than the shared quota, provided the load balancer spreads a client's
	// requests over them. Zero means the number the Store reports if it
	// is a ReplicaCounter (the Redis store counts the replicas that use
	// it), else 1: each replica enforces the whole quota alone.
	//
	// The bound: over any interval of length d that the outage covers, a
	// key is admitted at most Burst + Limit*d/Window units by all the
	// replicas together, plus up to Replicas units of rounding when Burst
	// or Limit is below Replicas. Over an interval that also spans the
	// switch to the fallback, each replica's fallback has already spent
	// what that replica admitted through the store (see Fallback), so
	// when the load balancer spreads a client evenly the same bound
	// holds; in the worst case, a client whose earlier requests all went
	// to other replicas, it is twice that. Set Replicas to the largest
	// number of replicas you run: too high only makes the fallback
	// stricter, too low lets the total exceed the quota.
	Replicas int
	// PartitionKey, when set, is the secret with which each RateLimit
	// item gets the draft's pk parameter: the first 16 bytes of an
	// HMAC-SHA256 of the client's key, as an sf-binary
	// (pk=:base64:), never the key itself. A client seeing two pk values
	// knows it is counted in two partitions. Nil means no pk. Use at
	// least 32 random bytes; it costs one HMAC per request.
	PartitionKey []byte
	// LegacyHeaders adds X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset, for clients that predate the RateLimit fields.
	// They describe the same policy as the RateLimit field: its Limit,
	// the units remaining, and Reset in seconds from now until the
	// remaining count next grows (the t parameter; not a Unix time, and
	// not the time until the whole quota is back). False by default.
	LegacyHeaders bool
	// ErrorHandler writes refusals (429, 400, 503). Nil means errors.Write.
	ErrorHandler func(http.ResponseWriter, *http.Request, error)
	// Logger receives store failures and recoveries, at most one record
	// per second while the store keeps failing. Nil means slog.Default().
	Logger *slog.Logger
	// Observer receives an event for every decision, of Handler and
	// AllowN alike (see the package documentation for the outcomes). Nil
	// means none are reported, at no cost.
	Observer observe.Observer
}

// A Limiter limits how often each key may be used under a set of
// policies. Use Handler for HTTP, or Allow and AllowN directly.
// A Limiter is safe for concurrent use by multiple goroutines.
type Limiter struct {
	policies     []Policy
	minBurst     int64 // the smallest Burst of a rate policy
	concurrent   bool  // some policy limits requests in progress
	key          KeyFunc
	keyFailure   KeyFailure
	cost         func(*http.Request) int64
	store        Store
	mode         StoreFailure
	retry        time.Duration
	fallback     Store
	legacy       bool
	errorHandler func(http.ResponseWriter, *http.Request, error)
	logger       *slog.Logger
	observer     observe.Observer

	local      []Policy                 // the policies the fallback enforces
	learned    ReplicaCounter           // Store, when it counts replicas for FailLocal
	learnedSet atomic.Pointer[localSet] // local policies of its last count
	failAfter  int64
	partition  *partition // nil without Config.PartitionKey
	reduced    *reduced   // shared with the Limiters of the plans

	plans      map[string]*Limiter // by plan name, "" for Policies; nil without Plans
	plan       PlanFunc
	planPrefix string // prepended to the keys of a plan's Limiter

	policyHeader []string // the constant RateLimit-Policy value
	items        []string // each policy's RateLimit item up to r's value: "name";r=
	limits       []string // each policy's Limit, for X-RateLimit-Limit
	denied       []error  // the 429 error for each single violated policy
	retryHeader  string   // the Retry-After of a FailClosed 503

	base      time.Time
	downUntil atomic.Int64 // nanoseconds since base; 0 while the store is up
	failing   atomic.Bool  // the last store call failed
	lastLog   atomic.Int64 // nanoseconds since base of the last failure record
	failures  atomic.Int64 // failures since the last record

	consecutive atomic.Int64 // store failures since the last success
	window      *failWindow  // store calls and failures of the last FailWindow
}

// New returns a Limiter for cfg, or an error prefixed "ratelimit: " if
// cfg is invalid.
func New(cfg Config) (*Limiter, error) {
	if len(cfg.Policies) == 0 {
		return nil, stderrors.New("ratelimit: at least one policy is required")
	}
	if len(cfg.Policies) > MaxPolicies {
		return nil, fmt.Errorf("ratelimit: at most %d policies are allowed", MaxPolicies)
	}
	l := &Limiter{
		policies:     append([]Policy(nil), cfg.Policies...),
		key:          cfg.Key,
		keyFailure:   cfg.KeyFailure,
		cost:         cfg.Cost,
		store:        cfg.Store,
		mode:         cfg.StoreFailure,
		retry:        cfg.StoreRetry,
		fallback:     cfg.Fallback,
		legacy:       cfg.LegacyHeaders,
		errorHandler: cfg.ErrorHandler,
		logger:       cfg.Logger,
		observer:     cfg.Observer,
		base:         time.Now(),
	}
	l.reduced = new(reduced)
	l.minBurst = math.MaxInt64
	seen := make(map[string]bool, len(l.policies))
	for _, p := range l.policies {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		if err := advertisable(p); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("ratelimit: policy %q appears twice", p.Name)
		}
		seen[p.Name] = true
		if p.concurrent() {
			l.concurrent = true
		} else {
			l.minBurst = min(l.minBurst, p.MaxBurst())
		}
	}
	if l.keyFailure > SharedBucket {
		return nil, stderrors.New("ratelimit: unknown KeyFailure")
	}
	if l.mode > FailLocal {
		return nil, stderrors.New("ratelimit: unknown StoreFailure")
	}
	if cfg.Replicas < 0 || cfg.FailAfter < 0 {
		return nil, stderrors.New("ratelimit: Replicas and FailAfter must not be negative")
	}
	l.local = localPolicies(l.policies, cfg.Replicas)
	l.failAfter = int64(cfg.FailAfter)
	if l.failAfter == 0 {
		l.failAfter = defaultFailAfter
	}
	var err error
	if l.window, err = newFailWindow(cfg); err != nil {
		return nil, err
	}
	if l.key == nil {
		c, err := NewClientIP(ClientIPConfig{})
		if err != nil {
			return nil, err
		}
		l.key = c.Key
	}
	if l.store == nil {
		m, err := NewMemoryStore(MemoryConfig{})
		if err != nil {
			return nil, err
		}
		l.store = m
	}
	if l.mode == FailLocal && cfg.Replicas == 0 {
		l.learned, _ = l.store.(ReplicaCounter)
	}
	if l.retry == 0 {
		l.retry = time.Second
	}
	if l.mode == FailLocal && l.fallback == nil {
		m, err := NewMemoryStore(MemoryConfig{})
		if err != nil {
			return nil, err
		}
		l.fallback = m
	}
	if l.errorHandler == nil {
		l.errorHandler = writeError
	}
	if cfg.PartitionKey != nil {
		l.partition = newPartition(cfg.PartitionKey)
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}

	var b []byte
	for i, p := range l.policies {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = sfv.AppendString(b, p.Name)
		b = sfv.AppendParam(b, "q", p.Limit)
		if !p.concurrent() {
			b = sfv.AppendParam(b, "w", int64(p.Window/time.Second))
		}
		b = appendUnit(b, &p)
		l.limits = append(l.limits, strconv.FormatInt(p.Limit, 10))
		l.items = append(l.items, string(sfv.AppendString(nil, p.Name))+";r=")
		l.denied = append(l.denied, limitedError([]string{p.Name}))
	}
	l.policyHeader = []string{string(b)}
	l.retryHeader = strconv.FormatInt(seconds(max(l.retry, time.Second)), 10)
	if cfg.Plans != nil || cfg.Plan != nil {
		if err := l.newPlans(cfg); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Policies returns a copy of the Limiter's policies, in order.
func (l *Limiter) Policies() []Policy { return append([]Policy(nil), l.policies...) }

// Decision is the outcome of one request.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// StoreFailed reports that the store failed and the decision follows
	// Config.StoreFailure: with FailOpen, Allowed is true and Results is
	// empty; with FailLocal, the decision is the fallback store's.
	StoreFailed bool
	// RetryAfter, when the request is refused, is the exact time until
	// every policy would admit it; zero when Allowed.
	RetryAfter time.Duration

	n       int
	index   int    // the reported policy, -1 for none
	key     string // the key the store counted the request under
	results [MaxPolicies]Result
}

// Results returns one Result per policy, in the Limiter's policy order.
// It is empty when no store decided the request.
func (d *Decision) Results() []Result { return d.results[:d.n] }

// Reported returns the index of the policy closest to exhaustion, the one
// the RateLimit field describes, or -1 when no store decided the request.
// For a refused request it is the violated policy with the longest wait;
// otherwise the one with the fewest remaining units, the one that takes
// longer to regain a unit on a tie, the first on a further tie.
func (d *Decision) Reported() int { return d.index }

// Allow decides one request of cost 1 for key. See AllowN.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	return l.AllowN(ctx, key, 1)
}

// AllowN decides one request of n units for key under every policy, and
// consumes the units only if all of them admit it.
//
// An empty key follows Config.KeyFailure: ErrInvalidKey with
// RejectRequest, SharedKey with SharedBucket. A cost larger than a
// policy's burst returns ErrCostTooHigh. A store failure follows
// Config.StoreFailure: with FailOpen and FailLocal the error is nil and
// Decision.StoreFailed is set; with FailClosed the error wraps
// ErrStoreUnavailable and the store's error.
func (l *Limiter) AllowN(ctx context.Context, key string, n int64) (Decision, error) {
	d := Decision{index: -1}
	if key == "" {
		if l.keyFailure == RejectRequest {
			l.observeInvalidKey(ctx, false)
			return d, ErrInvalidKey
		}
		key = SharedKey
	}
	start := l.observeStart()
	err := l.decide(ctx, key, max(n, 0), &d)
	l.observeDecision(ctx, &d, err, start, false)
	return d, err
}

// decide fills d for one request of cost units.
func (l *Limiter) decide(ctx context.Context, key string, cost int64, d *Decision) error {
	d.index, d.key = -1, key
	if cost > l.minBurst {
		return ErrCostTooHigh
	}
	allowed, err := l.storeTake(ctx, key, cost, d)
	if err != nil {
		return l.storeFailed(ctx, key, cost, d, err)
	}
	d.Allowed = allowed
	if allowed && l.mode == FailLocal && cost > 0 {
		l.mirror(ctx, key, cost)
	}
	d.n = len(l.policies)
	l.summarize(d)
	return nil
}

var resultPool = sync.Pool{New: func() any { return new([MaxPolicies]Result) }}

var errStoreDown = stderrors.New("ratelimit: store failed recently; not asked again yet")

// storeTake asks the configured store, unless it failed within the last
// StoreRetry.
func (l *Limiter) storeTake(ctx context.Context, key string, cost int64, d *Decision) (bool, error) {
	if until := l.downUntil.Load(); until != 0 && l.retry > 0 && l.since() < until {
		return false, errStoreDown
	}
	allowed, err := take(ctx, l.store, key, l.policies, cost, d)
	if err != nil {
		l.failing.Store(true)
		if l.failed() && l.retry > 0 {
			l.downUntil.Store(max(l.since()+int64(l.retry), 1))
		}
		return false, err
	}
	l.succeeded()
	if l.failing.Load() && l.failing.Swap(false) {
		l.downUntil.Store(0)
		l.logger.LogAttrs(ctx, slog.LevelInfo, "ratelimit: store recovered")
	}
	return allowed, nil
}

// take calls s with a pooled result buffer, so that d, which the caller
// keeps on its stack, does not escape through the interface call. A
// store that panics has failed.
func take(ctx context.Context, s Store, key string, policies []Policy, cost int64, d *Decision) (allowed bool, err error) {
	buf := resultPool.Get().(*[MaxPolicies]Result)
	res := buf[:len(policies)]
	defer func() {
		if p := recover(); p != nil {
			allowed, err = false, fmt.Errorf("ratelimit: store panicked: %v", p)
		}
		clear(res)
		resultPool.Put(buf)
	}()
	allowed, err = s.Take(ctx, key, policies, cost, res)
	if err == nil {
		copy(d.results[:], res)
	}
	return allowed, err
}

// storeFailed applies the StoreFailure mode after err.
func (l *Limiter) storeFailed(ctx context.Context, key string, cost int64, d *Decision, err error) error {
	l.logFailure(ctx, err)
	d.StoreFailed = true
	switch l.mode {
	case FailClosed:
		return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	case FailLocal:
		local := l.fallbackPolicies()
		allowed, ferr := take(ctx, l.fallback, key, local, cost, d)
		if ferr == nil {
			d.Allowed = allowed
			d.n = len(l.policies)
			l.summarize(d)
			return nil
		}
		l.logFailure(ctx, ferr)
	}
	d.Allowed = true // FailOpen, or a failing fallback
	return nil
}

// logFailure logs store failures, one record per second at most.
func (l *Limiter) logFailure(ctx context.Context, err error) {
	l.failures.Add(1)
	now := l.since()
	last := l.lastLog.Load()
	if last != 0 && now-last < int64(time.Second) {
		return
	}
	if !l.lastLog.CompareAndSwap(last, max(now, 1)) {
		return
	}
	l.logger.LogAttrs(ctx, slog.LevelWarn, "ratelimit: store failed",
		slog.String("error", err.Error()),
		slog.String("mode", l.mode.String()),
		slog.Int64("failures", l.failures.Swap(0)))
}

func (l *Limiter) since() int64 { return int64(time.Since(l.base)) }

// summarize sets RetryAfter and the reported policy from d's results.
func (l *Limiter) summarize(d *Decision) {
	best := -1
	for i, r := range d.results[:d.n] {
		if best < 0 {
			if d.Allowed || !r.Allowed {
				best = i
			}
			continue
		}
		b := d.results[best]
		if d.Allowed {
			if r.Remaining < b.Remaining || r.Remaining == b.Remaining && r.Reset > b.Reset {
				best = i
			}
		} else if !r.Allowed && later(r.RetryAfter, b.RetryAfter) {
			best = i
		}
	}
	d.index = best
	if !d.Allowed && best >= 0 {
		d.RetryAfter = d.results[best].RetryAfter
	}
}

// later reports whether wait a is longer than b; negative means never.
func later(a, b time.Duration) bool {
	switch {
	case b < 0:
		return false
	case a < 0:
		return true
	}
	return a > b
}

// seconds returns d in whole seconds, rounded up.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
