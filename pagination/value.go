package pagination

import (
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Value kinds in the binary cursor layout. Each value is one kind byte
// followed by its payload.
const (
	kindNull    = 0 // no payload
	kindFalse   = 1 // no payload
	kindTrue    = 2 // no payload
	kindInt     = 3 // zig-zag varint
	kindUint    = 4 // uvarint, only for values above math.MaxInt64
	kindFloat   = 5 // 8 bytes, IEEE 754 bits, big-endian
	kindString  = 6 // uvarint length, bytes
	kindBytes   = 7 // uvarint length, bytes
	kindTimeUTC = 8 // varint Unix seconds, uvarint nanoseconds
	kindTimeZ   = 9 // as kindTimeUTC, then varint zone offset in seconds, uvarint length, zone name
)

// maxZoneName bounds the zone names a cursor carries.
const maxZoneName = 64

// appendValue appends the cursor encoding of v. It accepts nil, strings,
// []byte, bool, every integer and float type, time.Time, pointers to them
// (nil is NULL), types whose underlying type is one of them, and
// driver.Valuer (sql.NullString, ...).
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, kindNull), nil
	case string:
		return appendLenBytes(append(b, kindString), x), nil
	case int64:
		return binary.AppendVarint(append(b, kindInt), x), nil
	case int:
		return binary.AppendVarint(append(b, kindInt), int64(x)), nil
	case int32:
		return binary.AppendVarint(append(b, kindInt), int64(x)), nil
	case time.Time:
		return appendTime(b, x)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, kindFloat), math.Float64bits(x)), nil
	case bool:
		if x {
			return append(b, kindTrue), nil
		}
		return append(b, kindFalse), nil
	case []byte:
		if x == nil {
			return append(b, kindNull), nil
		}
		return appendLenBytes(append(b, kindBytes), x), nil
	case uint64:
		return appendUint(b, x), nil
	case driver.Valuer:
		rv := reflect.ValueOf(x)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(b, kindNull), nil
		}
		dv, err := x.Value()
		if err != nil {
			return b, fmt.Errorf("pagination: sort key value: %w", err)
		}
		if _, again := dv.(driver.Valuer); again {
			return b, fmt.Errorf("pagination: sort key value: %T.Value returned a driver.Valuer", x)
		}
		return appendValue(b, dv)
	}
	return appendReflect(b, reflect.ValueOf(v), v)
}

func appendReflect(b []byte, rv reflect.Value, orig any) ([]byte, error) {
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return append(b, kindNull), nil
		}
		rv = rv.Elem()
		if rv.CanInterface() {
			if _, ok := rv.Interface().(driver.Valuer); ok {
				return appendValue(b, rv.Interface())
			}
		}
	}
	switch rv.Kind() {
	case reflect.String:
		return appendLenBytes(append(b, kindString), rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(append(b, kindInt), rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendUint(b, rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return binary.BigEndian.AppendUint64(append(b, kindFloat), math.Float64bits(rv.Float())), nil
	case reflect.Bool:
		if rv.Bool() {
			return append(b, kindTrue), nil
		}
		return append(b, kindFalse), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.IsNil() {
				return append(b, kindNull), nil
			}
			return appendLenBytes(append(b, kindBytes), rv.Bytes()), nil
		}
	case reflect.Struct:
		if t, ok := rv.Interface().(time.Time); ok {
			return appendTime(b, t)
		}
	}
	return b, fmt.Errorf("pagination: sort key value of unsupported type %T", orig)
}

func appendUint(b []byte, x uint64) []byte {
	if x <= math.MaxInt64 {
		return binary.AppendVarint(append(b, kindInt), int64(x))
	}
	return binary.AppendUvarint(append(b, kindUint), x)
}

func appendLenBytes[S string | []byte](b []byte, s S) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendTime keeps the instant to the nanosecond and the zone's name and
// offset, so the decoded time formats exactly as the original did (which
// matters to drivers that store times as text, such as SQLite's).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	name, off := t.Zone()
	utc := t.Location() == time.UTC || (off == 0 && name == "UTC")
	if utc {
		b = append(b, kindTimeUTC)
	} else {
		if len(name) > maxZoneName {
			return b, fmt.Errorf("pagination: sort key time zone name longer than %d bytes", maxZoneName)
		}
		b = append(b, kindTimeZ)
	}
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	if !utc {
		b = binary.AppendVarint(b, int64(off))
		b = appendLenBytes(b, name)
	}
	return b, nil
}

// readValue decodes one value from b and returns it with the rest of b.
// Decoded values have one type per kind: nil, bool, int64, uint64,
// float64, string, []byte or time.Time. ok is false for malformed input.
func readValue(b []byte, zones *zoneCache) (v any, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	k, b := b[0], b[1:]
	switch k {
	case kindNull:
		return nil, b, true
	case kindFalse:
		return false, b, true
	case kindTrue:
		return true, b, true
	case kindInt:
		x, n := binary.Varint(b)
		if n <= 0 {
			return nil, nil, false
		}
		return x, b[n:], true
	case kindUint:
		x, n := binary.Uvarint(b)
		if n <= 0 || x <= math.MaxInt64 {
			return nil, nil, false
		}
		return x, b[n:], true
	case kindFloat:
		if len(b) < 8 {
			return nil, nil, false
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], true
	case kindString, kindBytes:
		s, b, ok := readLenBytes(b)
		if !ok {
			return nil, nil, false
		}
		if k == kindString {
			return string(s), b, true
		}
		return append([]byte{}, s...), b, true
	case kindTimeUTC, kindTimeZ:
		sec, n := binary.Varint(b)
		if n <= 0 {
			return nil, nil, false
		}
		b = b[n:]
		nsec, n := binary.Uvarint(b)
		if n <= 0 || nsec >= 1e9 {
			return nil, nil, false
		}
		b = b[n:]
		if k == kindTimeUTC {
			return time.Unix(sec, int64(nsec)).UTC(), b, true
		}
		off, n := binary.Varint(b)
		if n <= 0 || off < -86400*2 || off > 86400*2 {
			return nil, nil, false
		}
		b = b[n:]
		name, b, ok := readLenBytes(b)
		if !ok || len(name) > maxZoneName {
			return nil, nil, false
		}
		return time.Unix(sec, int64(nsec)).In(zones.get(name, int(off))), b, true
	}
	return nil, nil, false
}

func readLenBytes(b []byte) (s, rest []byte, ok bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, false
	}
	b = b[n:]
	return b[:l], b[l:], true
}

// zoneCache hands out one *time.Location per zone name and offset, so that
// decoding a cursor does not allocate a location each time. It is
// copy-on-write and bounded; lookups take no lock.
type zoneCache struct {
	mu      sync.Mutex
	entries atomic.Pointer[[]zoneEntry]
}

type zoneEntry struct {
	name string
	off  int
	loc  *time.Location
}

const maxCachedZones = 64

func (c *zoneCache) get(name []byte, off int) *time.Location {
	if p := c.entries.Load(); p != nil {
		for _, e := range *p {
			if e.off == off && e.name == string(name) {
				return e.loc
			}
		}
	}
	loc := time.FixedZone(string(name), off)
	c.mu.Lock()
	defer c.mu.Unlock()
	var old []zoneEntry
	if p := c.entries.Load(); p != nil {
		old = *p
	}
	if len(old) < maxCachedZones {
		next := append(append(make([]zoneEntry, 0, len(old)+1), old...), zoneEntry{name: loc.String(), off: off, loc: loc})
		c.entries.Store(&next)
	}
	return loc
}
