package ratelimit

import (
	"context"
	stderrors "errors"
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

// MemoryConfig configures a MemoryStore.
type MemoryConfig struct {
	// MaxKeys is the hard cap on the number of keys held. When it is
	// reached, a new key takes the place of an idle one (a key whose quota
	// is full again, which is the same as no state), or else of the least
	// recently used one as approximated by the CLOCK algorithm; that key
	// then starts again with its full burst. Each key costs about 100
	// bytes with two policies. Zero means 1<<20 (1,048,576). At least 64.
	MaxKeys int
	// Shards is the number of independently locked parts of the store,
	// a power of two of at least 64. Zero means 256, or 64 when MaxKeys is
	// below 16384.
	Shards int
	// Clock returns the current time; nil means time.Now. Only differences
	// between its readings matter. Tests inject a fake clock here.
	Clock func() time.Time
}

// MemoryStore is a Store that keeps its state in the process's memory:
// a sharded hash table, each shard with its own lock, with a hard cap on
// the number of keys and lazy expiry of idle ones. It starts no
// goroutine. A decision takes one shard lock once and allocates nothing
// (a new key allocates a copy of the key string).
//
// A MemoryStore holds one TAT per key and policy position: two Limiters
// with different policies may share it only if their keys differ.
//
// A MemoryStore is safe for concurrent use by multiple goroutines.
type MemoryStore struct {
	shards []shard
	mask   uint64
	seed   maphash.Seed
	clock  func() time.Time
	base   time.Time
}

type shard struct {
	mu      sync.Mutex
	index   map[uint64]int32
	entries []entry
	tats    []int64 // stride values per entry
	stride  int
	limit   int
	hand    int
	_       [40]byte // keep shards on separate cache lines
}

type entry struct {
	key string
	exp int64 // every TAT of the entry is <= exp: idle once exp <= now
	ref bool  // used since the CLOCK hand last passed
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
		clock:  cfg.Clock,
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

// Take implements Store. It does not block on anything but a shard lock,
// so it ignores ctx.
func (s *MemoryStore) Take(_ context.Context, key string, policies []Policy, cost int64, res []Result) (bool, error) {
	if err := checkPolicies(policies); err != nil {
		return false, err
	}
	if cost < 0 {
		return false, errCost
	}
	if len(res) < len(policies) {
		return false, errRes
	}
	return s.take(key, policies, cost, res), nil
}

// take is Take for validated arguments.
func (s *MemoryStore) take(key string, policies []Policy, cost int64, res []Result) bool {
	n := len(policies)
	var next [MaxPolicies]int64
	now := s.now()
	h := maphash.String(s.seed, key)
	sh := &s.shards[h&s.mask]

	sh.mu.Lock()
	i, found := sh.index[h]
	if found && sh.entries[i].key != key {
		// A 64-bit hash collision: the other key loses its state.
		sh.reset(i, key)
	}
	if found && n > sh.stride {
		sh.widen(n)
	}
	allowed := true
	for j := range policies {
		tat := int64(never)
		if found {
			tat = sh.tats[int(i)*sh.stride+j]
		}
		p := &policies[j]
		next[j], res[j] = gcra(tat, now, int64(p.Interval()), p.MaxBurst(), cost)
		allowed = allowed && res[j].Allowed
	}
	if allowed {
		if !found {
			i = sh.insert(key, h, now, n, &s.seed)
		}
		e := &sh.entries[i]
		base := int(i) * sh.stride
		exp := e.exp
		for j := 0; j < n; j++ {
			sh.tats[base+j] = next[j]
			exp = max(exp, next[j])
		}
		e.exp = exp
		e.ref = true
	} else if found {
		sh.entries[i].ref = true
	}
	sh.mu.Unlock()
	return allowed
}

// reset gives entry i to key with no state.
func (sh *shard) reset(i int32, key string) {
	e := &sh.entries[i]
	e.key = strings.Clone(key)
	e.exp = never
	e.ref = false
	t := sh.tats[int(i)*sh.stride : int(i+1)*sh.stride]
	for j := range t {
		t[j] = never
	}
}

// widen gives every entry room for n policies.
func (sh *shard) widen(n int) {
	tats := make([]int64, len(sh.entries)*n, cap(sh.entries)*n)
	for i := range sh.entries {
		copy(tats[i*n:], sh.tats[i*sh.stride:(i+1)*sh.stride])
		for j := sh.stride; j < n; j++ {
			tats[i*n+j] = never
		}
	}
	sh.tats = tats
	sh.stride = n
}

// insert finds a slot for a new key: an idle entry at the CLOCK hand, a
// new entry while the shard is below its limit, or the entry the CLOCK
// algorithm evicts. It returns the entry's index.
func (sh *shard) insert(key string, h uint64, now int64, n int, seed *maphash.Seed) int32 {
	if sh.index == nil {
		sh.index = make(map[uint64]int32)
	}
	if n > sh.stride {
		sh.widen(n)
	}
	var i int
	switch {
	case len(sh.entries) > 0 && sh.entries[sh.hand].exp <= now:
		i = sh.hand // lazy expiry: reuse an idle key's slot
		sh.advance()
		delete(sh.index, maphash.String(*seed, sh.entries[i].key))
	case len(sh.entries) < sh.limit:
		i = len(sh.entries)
		sh.grow()
		sh.entries = sh.entries[:i+1]
		sh.tats = sh.tats[:(i+1)*sh.stride]
	default:
		for {
			e := &sh.entries[sh.hand]
			if e.ref && e.exp > now {
				e.ref = false
				sh.advance()
				continue
			}
			i = sh.hand
			sh.advance()
			break
		}
		delete(sh.index, maphash.String(*seed, sh.entries[i].key))
	}
	sh.index[h] = int32(i)
	sh.reset(int32(i), key)
	return int32(i)
}

func (sh *shard) advance() {
	sh.hand++
	if sh.hand >= len(sh.entries) {
		sh.hand = 0
	}
}

// grow makes room for one more entry, doubling up to the shard's limit.
func (sh *shard) grow() {
	if len(sh.entries) < cap(sh.entries) {
		return
	}
	c := min(max(2*cap(sh.entries), 8), sh.limit)
	entries := make([]entry, len(sh.entries), c)
	copy(entries, sh.entries)
	sh.entries = entries
	tats := make([]int64, len(sh.tats), c*sh.stride)
	copy(tats, sh.tats)
	sh.tats = tats
}

// Len returns the number of keys the store holds, including idle keys
// whose slots have not been reused yet.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.index)
		sh.mu.Unlock()
	}
	return n
}
