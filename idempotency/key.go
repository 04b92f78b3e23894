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
	// ID is the Idempotency-Key value, 1 to 255 visible ASCII characters.
	ID string
}

// ParseKey parses an Idempotency-Key field value. The draft's form, an
// RFC 9651 sf-string ("8e03978e-..." with the quotes), and the bare form
// most clients send (8e03978e-... without them) give the same key.
// Parameters after an sf-string are ignored, as RFC 9651 allows. The key
// must be 1 to 255 visible ASCII characters (0x21 to 0x7E); anything else
// is ErrKeyInvalid.
func ParseKey(v string) (string, error) {
	// An sf-string holds at most 2 bytes per character plus the quotes;
	// anything longer cannot be valid, so it is refused before parsing.
	if len(v) > 2*MaxKeyLen+64 {
		return "", ErrKeyInvalid
	}
	v = httpsyntax.TrimOWS(v)
	var k string
	if len(v) > 0 && v[0] == '"' {
		it, err := sfv.ParseItem(v)
		if err != nil {
			return "", ErrKeyInvalid
		}
		s, ok := it.Value.(string)
		if !ok {
			return "", ErrKeyInvalid
		}
		k = s
	} else {
		k = v
	}
	if !validKey(k) {
		return "", ErrKeyInvalid
	}
	return k, nil
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
