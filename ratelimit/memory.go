package ratelimit

import (
	"context"
	stderrors "errors"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryConfig configures a MemoryStore.
type MemoryConfig struct {
	// MaxKeys is the hard cap on the number of keys held. When it is
	// reached, a new key takes the place of an idle one (a key whose quota
	// is full again, which is the same as no state), or else of the least
	// recently used one as approximated by the CLOCK algorithm; that key
	// then starts again with its full burst. A key takes a slot of 16
	// bytes with one policy (8 more per further policy), in tables kept
	// between three eighths and three quarters full: 21 to 43 bytes a key
	// with one policy, 32 to 64 with two. Zero means 1<<20
	// (1,048,576). At least 64.
	//
	// Each shard holds MaxKeys/Shards keys and evicts on its own, with no
	// global counter, so the busiest shards start evicting a little before
	// the store as a whole is full (around 95% with the defaults and a
	// million keys): leave some headroom above the keys you expect.
	MaxKeys int
	// Shards is the number of independently locked parts of the store,
	// a power of two of at least 64. Zero means 256, or 64 when MaxKeys is
	// below 16384.
	Shards int
	// Now returns the current time; nil means time.Now. Only differences
	// between its readings matter. Tests inject a fake clock here.
	Now func() time.Time
}

// MemoryStore is a Store that keeps its state in the process's memory.
//
// It is a hash table split into shards, each with its own lock and its
// own open-addressing table in one flat slice: a key's 64-bit hash (with a
// random per-store seed), a CLOCK reference bit and one TAT per policy
// sit side by side, so a decision usually touches a single cache line, takes one shard lock once and allocates nothing. The key
// strings themselves are not kept: two keys whose hashes collide (about
// one chance in 2^64/n for each new key, n the keys held) would share
// state.
//
// The number of keys is capped (MemoryConfig.MaxKeys). A key is idle
// once its quota is full again; idle keys are dropped lazily, when their
// slot is wanted, and at the cap the CLOCK algorithm evicts a key not
// used recently. No goroutine runs in the background.
//
// A MemoryStore holds one TAT per key and policy position: two Limiters
// with different policies may share one only if their keys differ.
//
// A MemoryStore is safe for concurrent use by multiple goroutines.
type MemoryStore struct {
	shards []shard
	mask   uint64
	seed   maphash.Seed
	clock  func() time.Time
	base   time.Time

	leasesOnce sync.Once
	leases     []leaseShard // concurrency slots, made on first use

	checked [checkedLists]atomic.Pointer[checkedList]
}

// checkedLists is the number of policy lists a MemoryStore remembers as
// valid, so that a caller passing the same list on every call (a Limiter,
// one per plan) has it validated once. Further lists are validated on
// every call.
const checkedLists = 8

// checkedList is a policy list found valid, with what every call on it
// needs.
type checkedList struct {
	policies   []Policy // a copy
	intervals  [MaxPolicies]int64
	concurrent bool // some policy counts requests in progress
}

// check validates policies and writes each one's Interval to intervals.
// A list equal to one it has validated before costs a comparison of the
// values, so a list changed in place is validated again.
func (s *MemoryStore) check(policies []Policy, intervals *[MaxPolicies]int64) (concurrent bool, err error) {
	for i := range s.checked {
		c := s.checked[i].Load()
		if c == nil {
			break
		}
		if slices.Equal(c.policies, policies) {
			copy(intervals[:len(policies)], c.intervals[:])
			return c.concurrent, nil
		}
	}
	if err := checkPolicies(policies); err != nil {
		return false, err
	}
	c := &checkedList{policies: append([]Policy(nil), policies...), concurrent: hasConcurrent(policies)}
	for i := range policies {
		c.intervals[i] = int64(policies[i].Interval())
	}
	for i := range s.checked {
		if s.checked[i].CompareAndSwap(nil, c) {
			break
		}
	}
	*intervals = c.intervals
	return c.concurrent, nil
}

// A shard is an open-addressing table with linear probing. Slot j takes
// slots[j*stride : (j+1)*stride]: the key hash with bit 0 replaced by the
// CLOCK reference bit (0 for an empty slot), then the TATs.
type shard struct {
	mu     sync.Mutex
	slots  []int64
	stride int
	shift  uint // 64 - log2(number of slots)
	count  int
	limit  int
	hand   int
	_      [56]byte // keep shards on separate cache lines
}

const (
	wHash = 0
	wTAT  = 1
)

// expiry returns the time at which the key in slot j is idle again: its
// latest TAT, when every quota it holds is full.
func (sh *shard) expiry(j int) int64 {
	exp := int64(never)
	for _, tat := range sh.slots[j*sh.stride+wTAT : (j+1)*sh.stride] {
		exp = max(exp, tat)
	}
	return exp
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(cfg MemoryConfig) (*MemoryStore, error) {
	maxKeys := cfg.MaxKeys
	if maxKeys == 0 {
		maxKeys = 1 << 20
	}
	if maxKeys < 64 {
		return nil, stderrors.New("ratelimit: MemoryConfig.MaxKeys must be at least 64")
	}
	n := cfg.Shards
	if n == 0 {
		n = 256
		if maxKeys < 16384 {
			n = 64
		}
	}
	if n < 64 || n&(n-1) != 0 {
		return nil, stderrors.New("ratelimit: MemoryConfig.Shards must be a power of two, at least 64")
	}
	if n > maxKeys {
		return nil, stderrors.New("ratelimit: MemoryConfig.Shards must not exceed MaxKeys")
	}
	s := &MemoryStore{
		shards: make([]shard, n),
		mask:   uint64(n - 1),
		seed:   maphash.MakeSeed(),
		clock:  cfg.Now,
	}
	if s.clock == nil {
		s.base = time.Now()
	} else {
		s.base = s.clock()
	}
	for i := range s.shards {
		s.shards[i].limit = maxKeys / n
		if i < maxKeys%n {
			s.shards[i].limit++
		}
	}
	return s, nil
}

func (s *MemoryStore) now() int64 {
	if s.clock == nil {
		return int64(time.Since(s.base))
	}
	return int64(s.clock().Sub(s.base))
}

var (
	errCost = stderrors.New("ratelimit: cost must not be negative")
	errRes  = stderrors.New("ratelimit: res is shorter than policies")
)

// Take implements Store. It blocks on nothing but a shard lock, so it
// ignores ctx.
func (s *MemoryStore) Take(_ context.Context, key string, policies []Policy, cost int64, res []Result) (bool, error) {
	var intervals [MaxPolicies]int64
	concurrent, err := s.check(policies, &intervals)
	if err != nil {
		return false, err
	}
	if cost < 0 {
		return false, errCost
	}
	if len(res) < len(policies) {
		return false, errRes
	}
	if concurrent {
		return s.acquire(key, policies, intervals[:len(policies)], cost, 0, false, res), nil
	}
	return s.take(key, policies, intervals[:len(policies)], cost, res), nil
}

// take is Take for validated arguments; intervals[i] is
// policies[i].Interval().
func (s *MemoryStore) take(key string, policies []Policy, intervals []int64, cost int64, res []Result) bool {
	n := len(policies)
	var next [MaxPolicies]int64
	now := s.now()
	hash := maphash.String(s.seed, key)
	sh := &s.shards[hash&s.mask]
	h := int64(hash &^ 1)
	if h == 0 {
		h = 2
	}

	sh.mu.Lock()
	if n+wTAT > sh.stride {
		sh.rebuild(len(sh.slots)/max(sh.stride, 1), n+wTAT)
	}
	j, found := sh.find(h)
	var slot []int64
	if found {
		slot = sh.slots[j*sh.stride : (j+1)*sh.stride]
	}
	allowed := true
	for i := range policies {
		tat := int64(never)
		if found {
			tat = slot[wTAT+i]
		}
		p := &policies[i]
		next[i], res[i] = gcra(tat, now, intervals[i], p.MaxBurst(), cost)
		allowed = allowed && res[i].Allowed
	}
	if found {
		slot[wHash] = h | 1 // referenced: a second chance from CLOCK
	}
	if allowed {
		if !found {
			slot = sh.insert(h, now) // unreferenced until used again
		}
		copy(slot[wTAT:wTAT+n], next[:n])
	}
	sh.mu.Unlock()
	if !allowed {
		unconsume(policies, cost, res)
	}
	return allowed
}

// home returns the preferred slot of hash h.
func (sh *shard) home(h int64) int { return int(uint64(h) >> sh.shift) }

// find returns the slot holding h, or the empty slot where it would go.
func (sh *shard) find(h int64) (int, bool) {
	if len(sh.slots) == 0 {
		return 0, false
	}
	mask := len(sh.slots)/sh.stride - 1
	for j := sh.home(h); ; j = (j + 1) & mask {
		w := sh.slots[j*sh.stride]
		if w == 0 {
			return j, false
		}
		if w&^1 == h {
			return j, true
		}
	}
}

// insert adds h with no state and returns its slot. It first frees a
// slot if the shard is at its limit or the CLOCK hand rests on an idle
// key, and grows the table when it is three quarters full.
func (sh *shard) insert(h, now int64) []int64 {
	size := len(sh.slots) / sh.stride
	if sh.count > 0 {
		if w := sh.slots[sh.hand*sh.stride]; w != 0 && sh.expiry(sh.hand) <= now {
			sh.remove(sh.hand) // lazy expiry: an idle key is the same as none
		} else if sh.count >= sh.limit {
			sh.evict(now)
		}
	}
	if (sh.count+1)*4 > size*3 {
		sh.rebuild(max(2*size, 8), sh.stride)
	}
	j, _ := sh.find(h)
	slot := sh.slots[j*sh.stride : (j+1)*sh.stride]
	slot[wHash] = h
	for i := wTAT; i < len(slot); i++ {
		slot[i] = never
	}
	sh.count++
	return slot
}

// evict removes one key chosen by the CLOCK algorithm: the first idle key
// or key without its reference bit after the hand, clearing the bits it
// passes.
func (sh *shard) evict(now int64) {
	mask := len(sh.slots)/sh.stride - 1
	for {
		j := sh.hand
		sh.hand = (sh.hand + 1) & mask
		w := sh.slots[j*sh.stride]
		if w == 0 {
			continue
		}
		if w&1 == 1 && sh.expiry(j) > now {
			sh.slots[j*sh.stride] = w &^ 1
			continue
		}
		sh.remove(j)
		return
	}
}

// remove empties slot j and shifts later keys of its probe run back, so
// that lookups need no tombstones.
func (sh *shard) remove(j int) {
	st := sh.stride
	mask := len(sh.slots)/st - 1
	for {
		clear(sh.slots[j*st : (j+1)*st])
		k := j
		for {
			k = (k + 1) & mask
			w := sh.slots[k*st]
			if w == 0 {
				sh.count--
				return
			}
			// The key at k may move to j unless its home lies
			// cyclically within (j, k].
			home := sh.home(w)
			if j <= k && j < home && home <= k || j > k && (j < home || home <= k) {
				continue
			}
			copy(sh.slots[j*st:(j+1)*st], sh.slots[k*st:(k+1)*st])
			j = k
			break
		}
	}
}

// rebuild moves every key into a table of size slots (a power of two) of
// stride words each; new TATs are empty.
func (sh *shard) rebuild(size, stride int) {
	old, ost := sh.slots, sh.stride
	if size < 8 {
		size = 8
	}
	sh.slots = make([]int64, size*stride)
	sh.stride = stride
	sh.shift = uint(64 - bits.TrailingZeros(uint(size)))
	sh.hand = 0
	mask := size - 1
	for o := 0; ost > 0 && o+ost <= len(old); o += ost {
		w := old[o]
		if w == 0 {
			continue
		}
		j := sh.home(w)
		for sh.slots[j*stride] != 0 {
			j = (j + 1) & mask
		}
		slot := sh.slots[j*stride : (j+1)*stride]
		copy(slot, old[o:o+ost])
		for i := ost; i < stride; i++ {
			slot[i] = never
		}
	}
}

// Len returns the number of keys the store holds, including idle keys
// whose slots have not been reused yet.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.count
		sh.mu.Unlock()
	}
	return n
}
