package pagination

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"
)

// Cursor is what a cursor string carries. Cursors are signed, not
// encrypted: a client can read the values of the row it was given, but
// cannot change them.
type Cursor struct {
	// Sort is the name of the sort the cursor was issued for.
	Sort string
	// Backward is set on the cursors of previous pages: given as the
	// cursor (or after) parameter, such a cursor pages backward.
	Backward bool
	// Values are the boundary row's sort-key values followed by its
	// unique tie-breaker. Decoded values are nil, bool, int64, uint64
	// (only above math.MaxInt64), float64, string, []byte or time.Time.
	// Times keep their nanoseconds, zone name and offset.
	Values []any
	// Issued is when the cursor was made, to the second.
	Issued time.Time
}

// ErrInvalidCursor is the cause (errors.Is) of every refused cursor:
// malformed, too long, altered, signed with an unknown key, expired, or
// used with another sort or other filters than it was issued for.
var ErrInvalidCursor = errors.New("pagination: invalid cursor")

// ErrCursorExpired is the cause of a refused cursor older than the
// configured maximum age. errors.Is(ErrCursorExpired, ErrInvalidCursor)
// holds.
var ErrCursorExpired = fmt.Errorf("%w: expired", ErrInvalidCursor)

// cursorError is why a cursor was refused; msg is safe to show a client.
type cursorError struct {
	msg  string
	kind error
}

func (e *cursorError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *cursorError) Unwrap() error { return e.kind }

var (
	errCursorMalformed = &cursorError{"the cursor is not valid", ErrInvalidCursor}
	errCursorTooLong   = &cursorError{"the cursor is too long", ErrInvalidCursor}
	errCursorFilters   = &cursorError{"the cursor was issued for other filters; start again without it", ErrInvalidCursor}
	errCursorSort      = &cursorError{"the cursor was issued for another sort; start again without it", ErrInvalidCursor}
	errCursorGoneSort  = &cursorError{"the cursor's sort is no longer offered; start again without it", ErrInvalidCursor}
	errCursorExpired   = &cursorError{"the cursor has expired; start again without it", ErrCursorExpired}
)

// Cursor layout, before base64url (RFC 4648 §5, unpadded):
//
//	version  1 byte (cursorVersion)
//	flags    1 byte (flagBackward)
//	issued   varint, Unix seconds
//	filters  4 bytes, FNV-1a of the filter binding (a diagnostic only)
//	sort     uvarint length, name
//	values   uvarint count, then each value (see value.go)
//	mac      16 bytes: HMAC-SHA256 over everything above followed by the
//	         filter binding, under a key derived from the configured one,
//	         truncated to 128 bits
const (
	cursorVersion = 1
	flagBackward  = 1
	macSize       = 16
	maxValues     = 64
	// futureSkew is how far in the future an issue time may lie, for
	// clocks that disagree a little between servers.
	futureSkew = 5 * time.Minute
)

// macContext separates cursor MACs from any other use of the same secret.
const macContext = "restwell pagination cursor v1"

type codec struct {
	macs   []*sync.Pool // one per key, of *macState; the first signs
	maxAge time.Duration
	maxLen int
	now    func() time.Time
	zones  zoneCache
}

type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

func newCodec(keys [][]byte, maxAge time.Duration, maxLen int, now func() time.Time) *codec {
	c := &codec{maxAge: maxAge, maxLen: maxLen, now: now}
	for _, k := range keys {
		d := hmac.New(sha256.New, k)
		d.Write([]byte(macContext))
		derived := d.Sum(nil)
		c.macs = append(c.macs, &sync.Pool{New: func() any {
			return &macState{h: hmac.New(sha256.New, derived)}
		}})
	}
	return c
}

func (c *codec) mac(key int, payload, filter []byte, out *[macSize]byte) {
	p := c.macs[key]
	m := p.Get().(*macState)
	m.h.Reset()
	m.h.Write(payload)
	m.h.Write(filter)
	copy(out[:], m.h.Sum(m.sum[:0]))
	p.Put(m)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledBuf = 16 << 10

func putBuf(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		bufPool.Put(bp)
	}
}

// encode signs a cursor for sort with the first key and returns it as
// text. values are those of the boundary row, one per key.
func (c *codec) encode(sort string, keys []Key, backward bool, values []any, b binding) (string, error) {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	var flags byte
	if backward {
		flags |= flagBackward
	}
	buf = append(buf, cursorVersion, flags)
	buf = binary.AppendVarint(buf, c.now().Unix())
	buf = binary.BigEndian.AppendUint32(buf, b.tag)
	buf = appendLenBytes(buf, sort)
	buf = binary.AppendUvarint(buf, uint64(len(values)))
	var err error
	for i, v := range values {
		at := len(buf)
		if buf, err = appendValue(buf, v); err != nil {
			putBuf(bp, buf)
			return "", err
		}
		if buf[at] == kindNull && keys[i].Nulls == NotNull {
			putBuf(bp, buf)
			return "", fmt.Errorf("pagination: sort key %s is NULL but declared NotNull", keys[i].Expr)
		}
	}
	var m [macSize]byte
	c.mac(0, buf, b.data, &m)
	buf = append(buf, m[:]...)
	// Encode into the same buffer, after the raw bytes.
	buf = slices.Grow(buf, base64.RawURLEncoding.EncodedLen(len(buf)))
	enc := base64.RawURLEncoding.AppendEncode(buf[len(buf):], buf)
	if len(enc) > c.maxLen {
		putBuf(bp, buf)
		return "", fmt.Errorf("pagination: the cursor would be %d characters, more than the maximum of %d", len(enc), c.maxLen)
	}
	s := string(enc)
	putBuf(bp, buf)
	return s, nil
}

// decode verifies and decodes s. sortName maps the name the cursor carries
// to the configured sort name, reporting whether it is still offered.
// Errors are *cursorError.
func (c *codec) decode(s string, b binding, sortName func([]byte) (string, bool)) (Cursor, error) {
	if len(s) > c.maxLen {
		return Cursor{}, errCursorTooLong
	}
	// The shortest cursor: version, flags, issued, tag, empty sort, no
	// values, MAC.
	if len(s) < base64.RawURLEncoding.EncodedLen(2+1+4+1+1+macSize) {
		return Cursor{}, errCursorMalformed
	}
	bp := bufPool.Get().(*[]byte)
	buf, ok := decodeBase64((*bp)[:0], s)
	defer func() { putBuf(bp, buf) }()
	if !ok || len(buf) < macSize {
		return Cursor{}, errCursorMalformed
	}
	payload, sig := buf[:len(buf)-macSize], buf[len(buf)-macSize:]
	var m [macSize]byte
	valid := false
	for k := range c.macs {
		c.mac(k, payload, b.data, &m)
		if hmac.Equal(m[:], sig) {
			valid = true
			break
		}
	}
	if len(payload) < 2 || payload[0] != cursorVersion {
		return Cursor{}, errCursorMalformed
	}
	flags := payload[1]
	p := payload[2:]
	issued, n := binary.Varint(p)
	if n <= 0 {
		return Cursor{}, errCursorMalformed
	}
	p = p[n:]
	if len(p) < 4 {
		return Cursor{}, errCursorMalformed
	}
	tag := binary.BigEndian.Uint32(p)
	p = p[4:]
	if !valid {
		if tag != b.tag {
			return Cursor{}, errCursorFilters
		}
		return Cursor{}, errCursorMalformed
	}
	if tag != b.tag {
		// Signed, yet for other filters: only a MAC collision or a bug
		// gets here.
		return Cursor{}, errCursorMalformed
	}
	// From here on the payload is ours: malformed means a bug or a
	// changed layout, still reported as an invalid cursor.
	if flags&^flagBackward != 0 {
		return Cursor{}, errCursorMalformed
	}
	name, p, ok := readLenBytes(p)
	if !ok {
		return Cursor{}, errCursorMalformed
	}
	cur := Cursor{Backward: flags&flagBackward != 0, Issued: time.Unix(issued, 0)}
	if cur.Sort, ok = sortName(name); !ok {
		return Cursor{}, errCursorGoneSort
	}
	if c.maxAge > 0 {
		now := c.now().Unix()
		if issued > now+int64(futureSkew/time.Second) {
			return Cursor{}, errCursorMalformed
		}
		if now-issued > int64(c.maxAge/time.Second) {
			return Cursor{}, errCursorExpired
		}
	}
	count, n := binary.Uvarint(p)
	if n <= 0 || count == 0 || count > maxValues || count > uint64(len(p)-n) {
		return Cursor{}, errCursorMalformed
	}
	p = p[n:]
	cur.Values = make([]any, count)
	for i := range cur.Values {
		if cur.Values[i], p, ok = readValue(p, &c.zones); !ok {
			return Cursor{}, errCursorMalformed
		}
	}
	if len(p) != 0 {
		return Cursor{}, errCursorMalformed
	}
	return cur, nil
}

// base64url without padding; decodeBase64 accepts only the canonical
// encoding, so no two strings decode to the same bytes.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var b64Rev = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(b64Alphabet); i++ {
		t[b64Alphabet[i]] = byte(i)
	}
	return t
}()

func decodeBase64(dst []byte, s string) ([]byte, bool) {
	if len(s)%4 == 1 {
		return dst, false
	}
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64Rev[s[i]], b64Rev[s[i+1]], b64Rev[s[i+2]], b64Rev[s[i+3]]
		if a|b|c|d == 0xff {
			return dst, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(s) - i {
	case 2:
		a, b := b64Rev[s[i]], b64Rev[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64Rev[s[i]], b64Rev[s[i+1]], b64Rev[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}
