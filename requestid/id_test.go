package requestid

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// timePrefix returns the 60 time bits of a UUIDv7 text as 15 hex digits.
func timePrefix(id string) string { return id[0:8] + id[9:13] + id[15:18] }

// counterOf returns the 4 counter bits of a UUIDv7 text made by NewID.
func counterOf(t *testing.T, id string) uint64 {
	t.Helper()
	b, err := strconv.ParseUint(id[19:21], 16, 8) // 10, the counter, 2 random bits
	if err != nil {
		t.Fatalf("%q: %v", id, err)
	}
	return b >> 2 & 0xf
}

// stateOf returns the time and counter of a UUIDv7 text made by NewID, as
// the generator's state held them.
func stateOf(t *testing.T, id string) uint64 {
	t.Helper()
	hi, err := strconv.ParseUint(id[0:8]+id[9:13]+id[14:18], 16, 64)
	if err != nil {
		t.Fatalf("%q: %v", id, err)
	}
	return hi>>16<<16 | hi&0xfff<<4 | counterOf(t, id)
}

func TestStamp(t *testing.T) {
	for _, tt := range []struct {
		now  time.Time
		want string // the 60 time bits in hex
	}{
		{time.UnixMilli(0), "000000000000000"},
		{time.UnixMilli(0x0123456789ab), "0123456789ab000"},
		{time.UnixMilli(0x0123456789ab).Add(500 * time.Microsecond), "0123456789ab800"},
		{time.UnixMilli(0x0123456789ab).Add(999_999 * time.Nanosecond), "0123456789abfff"},
		{time.UnixMilli(0x0123456789ab).Add(244 * time.Nanosecond), "0123456789ab000"},
		{time.UnixMilli(0x0123456789ab).Add(245 * time.Nanosecond), "0123456789ab001"},
		{time.Date(2026, 11, 23, 12, 0, 0, 250_000, time.UTC), fmt.Sprintf("%012x400", time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).UnixMilli())},
		{time.Unix(0, -1), "000000000000000"}, // before 1970: the epoch
	} {
		s := stamp(tt.now.UnixNano())
		if got := fmt.Sprintf("%015x", s>>counterBits); got != tt.want {
			t.Errorf("stamp(%v) time bits = %s, want %s", tt.now, got, tt.want)
		}
		if s&(1<<counterBits-1) != 0 {
			t.Errorf("stamp(%v) = %#x, counter not zero", tt.now, s)
		}
	}
}

func TestNext(t *testing.T) {
	t0 := time.UnixMilli(0x0123456789ab).UnixNano()
	s0 := stamp(t0)
	const us, ms, s = int64(time.Microsecond), int64(time.Millisecond), int64(time.Second)
	tests := []struct {
		name  string
		state uint64 // the last state
		now   int64
		want  uint64
	}{
		{"first identifier", 0, t0, s0},
		{"same tick: the counter counts", s0, t0, s0 + 1},
		{"same tick, the counter at 15: carry into the fraction", s0 | 0xf, t0, s0 + 1<<counterBits},
		{"last fraction and counter: carry into the milliseconds", stamp(t0+ms-1) | 0xf, t0 + ms - 1, stamp(t0 + ms)},
		{"a later tick", s0 | 0x7, t0 + us, stamp(t0 + us)},
		{"the clock stepped back", s0, t0 - s, s0 + 1},
		{"the state ran ahead of the clock", stamp(t0 + ms), t0, stamp(t0+ms) + 1},
	}
	for _, tt := range tests {
		g := newGenerator(time.Now())
		g.state.Store(tt.state)
		if got := g.next(tt.now); got != tt.want {
			t.Errorf("%s: next = %#x, want %#x", tt.name, got, tt.want)
		}
		if got := g.state.Load(); got != tt.want {
			t.Errorf("%s: state = %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

func TestClock(t *testing.T) {
	const hour = int64(time.Hour)
	t.Run("follows the wall clock", func(t *testing.T) {
		g := newGenerator(time.Now())
		for range 1000 {
			before := time.Now().UnixNano()
			got := g.clock.unixNano()
			after := time.Now().UnixNano()
			if got < before-int64(time.Millisecond) || got > after+int64(time.Millisecond) {
				t.Fatalf("unixNano = %d, read between %d and %d", got, before, after)
			}
		}
	})
	t.Run("anchored within the second", func(t *testing.T) {
		g := newGenerator(time.Now())
		g.clock.offset.Add(hour) // as if the wall clock had stepped back an hour since
		if got, now := g.clock.unixNano(), time.Now().UnixNano(); got < now+hour-int64(time.Second) {
			t.Errorf("unixNano = %d, want the anchored time, about %d", got, now+hour)
		}
	})
	t.Run("anchored again after a second", func(t *testing.T) {
		g := newGenerator(time.Now().Add(-2 * time.Second))
		g.clock.offset.Add(hour)
		before := time.Now().UnixNano()
		got := g.clock.unixNano()
		if after := time.Now().UnixNano(); got < before || got > after {
			t.Errorf("unixNano = %d, want the wall clock, between %d and %d", got, before, after)
		}
		if got := g.clock.anchored.Load(); got < int64(2*time.Second) {
			t.Errorf("anchored at %d, want at least 2s after base", got)
		}
		if got, now := g.clock.unixNano(), time.Now().UnixNano(); got > now+int64(time.Millisecond) {
			t.Errorf("after anchoring, unixNano = %d, want about %d", got, now)
		}
	})
}

func TestFormat(t *testing.T) {
	ms := uint64(0x0123456789ab)
	tests := []struct {
		state, rnd uint64
		want       string
	}{
		{(ms<<12 | 0xabc) << 4, 0, "01234567-89ab-7abc-8000-000000000000"},
		{(ms<<12|0xabc)<<4 | 0xf, 0, "01234567-89ab-7abc-bc00-000000000000"},
		{(ms<<12|0xfff)<<4 | 0x5, ^uint64(0), "01234567-89ab-7fff-97ff-ffffffffffff"},
		{0, 0xfedcba9876543210, "00000000-0000-7000-83fb-72ea61d950c8"},
		{^uint64(0), ^uint64(0), "ffffffff-ffff-7fff-bfff-ffffffffffff"},
	}
	for _, tt := range tests {
		var b [36]byte
		format(&b, tt.state, tt.rnd)
		got := string(b[:])
		if got != tt.want {
			t.Errorf("format(%#x, %#x) = %s, want %s", tt.state, tt.rnd, got, tt.want)
		}
		u, err := uuid.Parse(got)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Errorf("format(%#x, %#x) = %s: not a UUIDv7 (%v)", tt.state, tt.rnd, got, err)
		}
		if err == nil && uint64(u.Time()) == 0 && tt.state != 0 {
			t.Errorf("format(%#x) carries no time", tt.state)
		}
	}
}

// TestNewIDTime checks that an identifier carries the time it was made.
func TestNewIDTime(t *testing.T) {
	for range 1000 {
		before := time.Now()
		id := NewID()
		after := time.Now()
		ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if lo, hi := uint64(before.UnixMilli()), uint64(after.UnixMilli()); ms < lo || ms > hi {
			// Only a clock stepping back during the test moves the state ahead.
			t.Fatalf("NewID() = %s carries millisecond %d, made between %d and %d", id, ms, lo, hi)
		}
	}
}

func TestNewIDSerial(t *testing.T) {
	const n = 100_000
	seen := make(map[string]bool, n)
	prev := NewID()
	counted := false
	for range n {
		id := NewID()
		if !isUUIDv7(id) {
			t.Fatalf("NewID() = %q, not a UUIDv7", id)
		}
		if stateOf(t, id) <= stateOf(t, prev) {
			t.Fatalf("NewID() = %s after %s: time and counter not increasing", id, prev)
		}
		if id <= prev {
			t.Fatalf("NewID() = %s after %s: not increasing", id, prev)
		}
		if seen[id[19:]] {
			t.Fatalf("NewID() = %s repeats the counter and random bits of an earlier identifier", id)
		}
		seen[id[19:]] = true
		counted = counted || timePrefix(id) == timePrefix(prev) && counterOf(t, id) > 0
		prev = id
	}
	t.Logf("two identifiers within one tick told apart by the counter: %v", counted)
}

// TestNewIDConcurrent checks that identifiers increase in happens-before
// order across goroutines. Each goroutine publishes its latest identifier
// with an atomic store; before each call it reads what every goroutine
// has published, all made before the call starts, and the identifier it
// then gets must be greater than all of them and than its own previous
// one. Every identifier must be unique.
func TestNewIDConcurrent(t *testing.T) {
	const goroutines = 8
	n := 20_000
	if testing.Short() || raceEnabled {
		n = 5_000
	}
	var published [goroutines]atomic.Pointer[string]
	got := make([][]string, goroutines)
	var start, wg sync.WaitGroup
	start.Add(1)
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			mine := make([]string, 0, n)
			for range n {
				var seen string
				for i := range published {
					if p := published[i].Load(); p != nil && *p > seen {
						seen = *p
					}
				}
				id := NewID()
				if id <= seen {
					errs <- fmt.Errorf("goroutine %d: NewID() = %s after %s was published", g, id, seen)
					return
				}
				mine = append(mine, id)
				published[g].Store(&mine[len(mine)-1])
			}
			got[g] = mine
		}()
	}
	start.Done()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := make(map[string]bool, goroutines*n)
	states := make(map[uint64]bool, goroutines*n)
	for g, ids := range got {
		if len(ids) != n {
			t.Fatalf("goroutine %d made %d identifiers, want %d", g, len(ids), n)
		}
		if !slices.IsSorted(ids) {
			t.Errorf("goroutine %d: identifiers not in increasing order", g)
		}
		for i, id := range ids {
			if i > 0 && id == ids[i-1] {
				t.Fatalf("goroutine %d: %s twice in a row", g, id)
			}
			if all[id] {
				t.Fatalf("%s made twice", id)
			}
			all[id] = true
			// Each call takes a time-and-counter value of its own.
			if st := stateOf(t, id); states[st] {
				t.Fatalf("%s shares its time and counter with another identifier", id)
			} else {
				states[st] = true
			}
		}
	}
	if len(all) != goroutines*n {
		t.Fatalf("%d unique identifiers, want %d", len(all), goroutines*n)
	}
}

// TestRandom64 checks that the pooled generators hand out fresh bits
// across goroutines, and that generators the pool makes anew do not
// repeat each other.
func TestRandom64(t *testing.T) {
	const goroutines, n = 4, 10_000
	var mu sync.Mutex
	seen := make(map[uint64]bool, goroutines*n)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]uint64, n)
			for i := range got {
				if i%1000 == 0 {
					randPool.Put(randPool.New()) // as after a garbage collection
				}
				got[i] = random64()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range got {
				if seen[r] {
					t.Errorf("random64 returned %#x twice", r)
				}
				seen[r] = true
			}
		}()
	}
	wg.Wait()
	var ones int
	for r := range seen {
		for ; r != 0; r &= r - 1 {
			ones++
		}
	}
	// 64 bits a draw, half of them set: far from 0 or all.
	if bits := 64 * len(seen); ones < bits*45/100 || ones > bits*55/100 {
		t.Errorf("%d of %d bits set", ones, bits)
	}
}

func TestNewIDAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	NewID() // fill a buffer
	if n := testing.AllocsPerRun(1000, func() { _ = NewID() }); n > 1 {
		t.Errorf("NewID allocates %v times, want at most 1 (the string)", n)
	}
}
