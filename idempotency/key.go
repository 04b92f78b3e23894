package idempotency

import (
	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/sfv"
)

// MaxKeyLen is the longest Idempotency-Key accepted, in characters.
const MaxKeyLen = 255

// Key identifies one idempotency record: an Idempotency-Key value within a
// scope. Two requests share a record only when both fields are equal.
type Key struct {
	// Scope separates the key spaces of different callers (see
	// Config.Scope). The empty scope is the global key space.
	Scope string
	// ID is the Idempotency-Key value: 1 to 255 printable ASCII characters
	// (0x20 to 0x7E), spaces included, as an sf-string holds them.
	ID string
}

// ParseKey parses an Idempotency-Key field value and returns the key it
// carries.
//
// The draft's form is an RFC 9651 sf-string: any 1 to 255 printable ASCII
// characters, spaces included, between double quotes, with '"' and '\'
// escaped by a backslash. `"a b"` is the key a b, `" a"` the key " a"
// (the space is part of it), `"a\"b"` the key a"b. Parameters after the
// string are ignored, as RFC 9651 allows.
//
// The bare form most clients send (8e03978e-... without quotes) is also
// accepted and gives the same key as its quoted form. A bare value is read
// after trimming surrounding spaces and tabs, so it cannot express a key
// with leading or trailing spaces, and it must not contain spaces or tabs
// at all: a bare value with a space inside (a b) is more likely two values
// or a mistake than a key, and it is refused rather than guessed. Keys
// with spaces are sent quoted.
//
// Anything else (an empty string, more than 255 characters, control or
// non-ASCII characters, an sf-string followed by other text, a list) is
// ErrKeyInvalid.
//
// A key may hold spaces, quotes and backslashes, but never a control
// character, so it cannot break a header or a log line. The middleware
// logs it through log/slog, whose handlers quote such values; the stores
// of this module never build a query or a key by splicing it in
// (redisstore hashes the scope and key into the Redis key, sqlstore binds
// them as parameters); storetest checks that keys differing only in
// spaces are kept apart.
func ParseKey(v string) (string, error) {
	// An sf-string holds at most 2 bytes per character plus the quotes;
	// anything longer cannot be valid, so it is refused before parsing.
	if len(v) > 2*MaxKeyLen+64 {
		return "", ErrKeyInvalid
	}
	v = httpsyntax.TrimOWS(v)
	if len(v) > 0 && v[0] == '"' {
		it, err := sfv.ParseItem(v)
		if err != nil {
			return "", ErrKeyInvalid
		}
		s, ok := it.Value.(string)
		if !ok || !validKey(s) {
			return "", ErrKeyInvalid
		}
		return s, nil
	}
	if !validBareKey(v) {
		return "", ErrKeyInvalid
	}
	return v, nil
}

// validKey reports whether k is a key: 1 to MaxKeyLen printable ASCII
// characters, spaces included.
func validKey(k string) bool { return keyOf(k, ' ') }

// validBareKey reports whether k is a key that may be sent without quotes:
// 1 to MaxKeyLen visible ASCII characters, no spaces.
func validBareKey(k string) bool { return keyOf(k, '!') }

// keyOf reports whether k has 1 to MaxKeyLen bytes, each from lowest to
// '~'.
func keyOf(k string, lowest byte) bool {
	if len(k) == 0 || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < lowest || k[i] > '~' {
			return false
		}
	}
	return true
}
