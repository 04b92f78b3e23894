package idempotency

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryConfig configures a MemoryStore: its bounds and its clock.
type MemoryConfig struct {
	// MaxRecords is the most records kept at once. Zero means 100,000.
	MaxRecords int
	// MaxBytes bounds the memory the records take, roughly: keys,
	// fingerprints, bodies and header fields. Zero means 64 MiB.
	MaxBytes int64
	// Now returns the current time; nil means time.Now (its monotonic
	// reading, immune to steps of the wall clock). Leases and expiries
	// follow it, and Record.LeaseExpires is on its time line. Tests
	// inject a fake clock here; it must be safe for concurrent use.
	Now func() time.Time
}

// MemoryStore is a Store in the memory of one process: for a single
// instance, for tests, or for development. Expired records are evicted as
// new ones arrive. A store at its bounds never evicts a live record, which
// could let a retry run twice: Acquire then fails with ErrStoreFull (the
// middleware answers 503), and a response that no longer fits is kept as
// a tombstone. It is safe for concurrent use.
type MemoryStore struct {
	maxRecords int
	maxBytes   int64
	// Times are kept as durations since epoch, by default read from the
	// monotonic clock alone: cheaper than time.Now, and immune to wall
	// clock steps.
	epoch time.Time
	clock func() time.Duration // time since epoch

	mu        sync.Mutex
	m         map[Key]memRecord
	bytes     int64
	token     uint64
	inserts   uint64
	lastSweep time.Duration
}

// memRecord is kept in the map by value: no allocation per record, and no
// pointer to follow when sampling for expired records.
type memRecord struct {
	fp      string
	res     *Response
	token   uint64
	lease   time.Duration // since epoch; zero once complete
	expires time.Duration // since epoch
	size    int64
}

// recordOverhead is a rough count of the bytes a record takes besides its
// strings and response.
const recordOverhead = 160

// fullSweepEvery bounds how often a full store scans all records for
// expired ones.
const fullSweepEvery = 100 * time.Millisecond

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(cfg MemoryConfig) (*MemoryStore, error) {
	if cfg.MaxRecords < 0 || cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("idempotency: MemoryConfig bounds must not be negative")
	}
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = 100_000
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 64 << 20
	}
	start := time.Now()
	epoch, clock := start, func() time.Duration { return time.Since(start) }
	if now := cfg.Now; now != nil {
		epoch = now()
		clock = func() time.Duration { return now().Sub(epoch) }
	}
	return &MemoryStore{
		maxRecords: cfg.MaxRecords,
		maxBytes:   cfg.MaxBytes,
		epoch:      epoch,
		clock:      clock,
		m:          make(map[Key]memRecord),
		// Tokens start from the real clock so that they do not repeat
		// those of an earlier store in the same process.
		token:     uint64(start.UnixMicro()),
		lastSweep: -fullSweepEvery,
	}, nil
}

// Len returns the number of records held, expired ones included until
// they are evicted.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *MemoryStore) record(e *memRecord) Record {
	rec := Record{Fingerprint: e.fp, Token: e.token, Response: e.res}
	if e.res == nil {
		rec.LeaseExpires = s.epoch.Add(e.lease)
	}
	return rec
}

// live returns the record of k unless it expired, evicting it then.
func (s *MemoryStore) live(k Key, now time.Duration) (memRecord, bool) {
	e, ok := s.m[k]
	if ok && now >= e.expires {
		s.remove(k, &e)
		return memRecord{}, false
	}
	return e, ok
}

func (s *MemoryStore) remove(k Key, e *memRecord) {
	delete(s.m, k)
	s.bytes -= e.size
}

// Acquire implements Store.
func (s *MemoryStore) Acquire(ctx context.Context, k Key, fingerprint string, lease, ttl time.Duration) (Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if e, ok := s.live(k, now); ok {
		if e.res != nil || now < e.lease || e.fp != fingerprint {
			return s.record(&e), false, nil
		}
		// The holder's lease ran out: take over with a new token.
		s.token++
		e.token, e.lease, e.expires = s.token, now+lease, now+ttl
		s.m[k] = e
		return s.record(&e), true, nil
	}
	size := int64(recordOverhead + len(k.Scope) + len(k.ID) + len(fingerprint))
	s.sample(now)
	if len(s.m) >= s.maxRecords || s.bytes+size > s.maxBytes {
		if !s.sweep(now) || len(s.m) >= s.maxRecords || s.bytes+size > s.maxBytes {
			return Record{}, false, ErrStoreFull
		}
	}
	s.token++
	e := memRecord{fp: fingerprint, token: s.token, lease: now + lease, expires: now + ttl, size: size}
	s.m[k] = e
	s.bytes += size
	return s.record(&e), true, nil
}

// sample evicts expired records among some taken at random, so that
// records nobody asks for again do not stay for long: 32 every 8th new
// record, four looked at for each one added.
func (s *MemoryStore) sample(now time.Duration) {
	if s.inserts++; s.inserts%8 != 0 {
		return
	}
	n := 0
	for k, e := range s.m {
		if now >= e.expires {
			s.remove(k, &e)
		}
		if n++; n == 32 {
			return
		}
	}
}

// sweep evicts every expired record. It reports false, without scanning,
// when a full sweep ran less than fullSweepEvery ago.
func (s *MemoryStore) sweep(now time.Duration) bool {
	if now-s.lastSweep < fullSweepEvery {
		return false
	}
	s.lastSweep = now
	for k, e := range s.m {
		if now >= e.expires {
			s.remove(k, &e)
		}
	}
	return true
}

// Renew implements Store.
func (s *MemoryStore) Renew(ctx context.Context, k Key, token uint64, lease time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	e, ok := s.live(k, now)
	if !ok || e.res != nil || e.token != token {
		return ErrLeaseLost
	}
	e.lease = now + lease
	s.m[k] = e
	return nil
}

// Complete implements Store.
func (s *MemoryStore) Complete(ctx context.Context, k Key, token uint64, res *Response, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	e, ok := s.live(k, now)
	if !ok || e.token != token {
		return ErrLeaseLost
	}
	if e.res != nil {
		return nil
	}
	size := responseSize(res)
	if s.bytes+size > s.maxBytes {
		s.sweep(now)
		if s.bytes+size > s.maxBytes {
			res = &Response{Status: res.Status, Tombstone: TombstoneTooLarge}
			size = responseSize(res)
		}
	}
	e.res, e.lease, e.expires = res, 0, now+ttl
	e.size += size
	s.m[k] = e
	s.bytes += size
	return nil
}

func responseSize(res *Response) int64 {
	n := int64(len(res.Body) + len(res.Tombstone) + 48)
	for k, vs := range res.Header {
		n += int64(len(k)) + 16
		for _, v := range vs {
			n += int64(len(v)) + 16
		}
	}
	return n
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, k Key, token uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(k, s.clock())
	if !ok || e.res != nil || e.token != token {
		return ErrLeaseLost
	}
	s.remove(k, &e)
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, k Key) (Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(k, s.clock())
	if !ok {
		return Record{}, false, nil
	}
	return s.record(&e), true, nil
}
