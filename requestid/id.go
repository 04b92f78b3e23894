package requestid

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// NewID returns a new UUIDv7 (RFC 9562) in its 36-character text form.
//
// The identifiers of one process increase strictly: an identifier that
// NewID returned before a call starts (before in the sense of the Go
// memory model, as a channel send or a mutex orders two calls) sorts
// before the one that call returns, as text and as bytes. Calls that
// overlap get distinct identifiers in some order.
//
// Layout, in order of significance:
//
//   - 48 bits of Unix time in milliseconds, and after the version, 12 bits
//     of fraction of a millisecond, about a quarter of a microsecond each
//     (RFC 9562 §6.2, method 3);
//   - after the variant, a 4-bit counter of the identifiers made within
//     one such quarter microsecond (§6.2, method 1);
//   - 58 random bits, from ChaCha8 generators keyed from crypto/rand.
//
// The time and the counter make one 64-bit number that never repeats or
// goes back: each identifier takes the current time, or the previous
// number plus one when that is not greater. More than 16 identifiers in a
// quarter microsecond, or a clock that steps back, so move the time
// field ahead of the clock, by a few ticks per burst or by the size of
// the step, until the clock catches up. The time is read from the
// monotonic clock and set to the wall clock again every second, so a
// step of the wall clock reaches the identifiers within a second.
// Identifiers sort by the time they were made to within that.
// Identifiers of different processes are told apart by their random bits,
// and sort by time only as far as the processes' clocks agree.
//
// NewID allocates only the string it returns. It is safe for concurrent
// use and takes no lock: one atomic compare-and-swap orders the
// identifiers, and the random bits come from pooled ChaCha8 generators
// (math/rand/v2, cryptographically strong), each keyed with 32 bytes from
// crypto/rand, that make 256 bytes at a time.
func NewID() string {
	var b [36]byte
	ids.newID(&b)
	return string(b[:])
}

// ids is the generator behind NewID. It must be one per process for the
// identifiers to be ordered across goroutines.
var ids = newGenerator(time.Now())

// counterBits is the width of the counter below the 60 time bits.
const counterBits = 4

// generator issues UUIDv7s in strictly increasing order. It is safe for
// concurrent use.
type generator struct {
	_ [64]byte // keep state's cache line to itself: every call writes it
	// state is the time and counter of the last identifier: 48 bits of
	// milliseconds, 12 of fraction and counterBits of counter.
	state atomic.Uint64
	_     [56]byte
	clock clock
}

func newGenerator(now time.Time) *generator {
	g := &generator{}
	g.clock.base = now
	g.clock.offset.Store(now.UnixNano())
	return g
}

// clock reads the wall clock at the cost of one monotonic clock reading
// (time.Now reads both clocks), anchoring the monotonic time to the wall
// clock every second.
type clock struct {
	base time.Time // set once; carries a monotonic reading
	// offset is the wall time, in Unix nanoseconds, at base; the wall
	// time is offset plus the monotonic time elapsed since base.
	offset atomic.Int64
	// anchored is when, in monotonic nanoseconds since base, offset was
	// last set.
	anchored atomic.Int64
}

// unixNano returns the wall time in Unix nanoseconds.
func (c *clock) unixNano() int64 {
	m := int64(time.Since(c.base))
	if m-c.anchored.Load() < int64(time.Second) {
		return c.offset.Load() + m
	}
	// Anchor again, so that a step of the wall clock is followed. Two
	// goroutines may both do it; either's result holds.
	now := time.Now()
	m = int64(now.Sub(c.base))
	c.offset.Store(now.UnixNano() - m)
	c.anchored.Store(m)
	return now.UnixNano()
}

// stamp returns the state for the wall time ns, in Unix nanoseconds, with
// a zero counter.
func stamp(ns int64) uint64 {
	ns = max(ns, 0) // a clock set before 1970 must not push the state to the end of time
	ms := uint64(ns / 1e6)
	frac := uint64(ns%1e6) * 4096 / 1e6
	return (ms<<12 | frac) << counterBits
}

// next returns a state greater than every one it returned before: that
// of the wall time ns, or the last one plus one.
func (g *generator) next(ns int64) uint64 {
	t := stamp(ns)
	for {
		old := g.state.Load()
		n := max(t, old+1)
		if g.state.CompareAndSwap(old, n) {
			return n
		}
	}
}

// newID writes the next identifier to dst.
func (g *generator) newID(dst *[36]byte) {
	rnd := random64()
	format(dst, g.next(g.clock.unixNano()), rnd)
}

// hexPairs holds the two hexadecimal digits of each byte value, at twice
// the value.
const hexPairs = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" +
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f" +
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f" +
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f" +
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" +
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf" +
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

// format writes the UUIDv7 text for the state s and the random bits rnd
// to dst.
func format(dst *[36]byte, s, rnd uint64) {
	ms, frac, ctr := s>>(12+counterBits), s>>counterBits&0xfff, s&(1<<counterBits-1)
	hi := ms<<16 | 0x7<<12 | frac                                 // version 7
	lo := 0b10<<62 | ctr<<(62-counterBits) | rnd>>(2+counterBits) // variant 10
	put := func(i int, b byte) { dst[i], dst[i+1] = hexPairs[2*int(b)], hexPairs[2*int(b)+1] }
	put(0, byte(hi>>56))
	put(2, byte(hi>>48))
	put(4, byte(hi>>40))
	put(6, byte(hi>>32))
	dst[8] = '-'
	put(9, byte(hi>>24))
	put(11, byte(hi>>16))
	dst[13] = '-'
	put(14, byte(hi>>8))
	put(16, byte(hi))
	dst[18] = '-'
	put(19, byte(lo>>56))
	put(21, byte(lo>>48))
	dst[23] = '-'
	put(24, byte(lo>>40))
	put(26, byte(lo>>32))
	put(28, byte(lo>>24))
	put(30, byte(lo>>16))
	put(32, byte(lo>>8))
	put(34, byte(lo))
}

// randPool holds the random number generators: ChaCha8 (math/rand/v2,
// a cryptographically strong generator that erases its past keys), each
// keyed with 32 bytes from crypto/rand when the pool makes it. A
// sync.Pool keeps one per processor without a lock, and a generator the
// garbage collector drops is made anew. ChaCha8 fills a buffer of 32
// values at a time; a value costs a few nanoseconds, where crypto/rand
// costs about three a byte even in large reads.
var randPool = sync.Pool{New: func() any {
	var key [32]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails (Go 1.24+)
	return mrand.NewChaCha8(key)
}}

// random64 returns 64 random bits.
func random64() uint64 {
	c := randPool.Get().(*mrand.ChaCha8)
	r := c.Uint64()
	randPool.Put(c)
	return r
}
