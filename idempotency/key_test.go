package idempotency

import (
	"strings"
	"testing"

	"github.com/restwell/restwell/internal/sfv"
)

func TestParseKey(t *testing.T) {
	long := strings.Repeat("k", MaxKeyLen)
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`8e03978e-40d5-43e8-bc93-6894a57f9324`, "8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{`  abc  `, "abc", true},
		{"\tabc\t", "abc", true},
		{` "abc" `, "abc", true},
		{`"abc";v=1`, "abc", true},     // parameters are ignored
		{`"a\"b"`, `a"b`, true},        // an escaped quote
		{`a"b`, `a"b`, true},           // the same key, bare
		{`"a\\b"`, `a\b`, true},        // an escaped backslash
		{`a\b`, `a\b`, true},           // the same key, bare
		{`x`, "x", true},               // one character
		{long, long, true},             // 255 characters
		{`"` + long + `"`, long, true}, // 255 characters quoted
		{`!#$%&'()*+,-./:;<=>?@[]^_{|}~`, `!#$%&'()*+,-./:;<=>?@[]^_{|}~`, true},
		{``, "", false},                // empty
		{`""`, "", false},              // empty sf-string
		{`   `, "", false},             // blank
		{long + "k", "", false},        // 256 characters
		{`"` + long + `k"`, "", false}, // 256 characters quoted
		{`"a b"`, "a b", true},         // a space inside an sf-string
		{`" a "`, " a ", true},         // spaces at the ends are part of it
		{`" "`, " ", true},             // one space
		{`"a \"b\" \\c"`, `a "b" \c`, true},
		{`"` + strings.Repeat(" ", MaxKeyLen) + `"`, strings.Repeat(" ", MaxKeyLen), true},
		{`"` + strings.Repeat(`\\`, MaxKeyLen) + `"`, strings.Repeat(`\`, MaxKeyLen), true}, // 255 escaped characters
		{`"` + strings.Repeat(`\\`, MaxKeyLen+1) + `"`, "", false},                          // 256 escaped characters
		{`a b`, "", false},             // a space inside a bare key
		{"a\tb", "", false},            // a tab inside a bare key
		{"\"a\tb\"", "", false},        // a tab inside an sf-string
		{"\"a\nb\"", "", false},        // a newline inside an sf-string
		{"\"caf\xc3\xa9\"", "", false}, // not ASCII inside an sf-string
		{"ab\x00c", "", false},         // control character
		{"ab\x7f", "", false},          // DEL
		{"clé", "", false},             // not ASCII
		{`"abc`, "", false},            // unterminated sf-string
		{`"abc"x`, "", false},          // trailing characters
		{`"abc", "def"`, "", false},    // a list, not an item
		{`"a\b"`, "", false},           // invalid escape
		{strings.Repeat("a", 4096), "", false},
	}
	for _, tt := range tests {
		got, err := ParseKey(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseKey(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && err != ErrKeyInvalid {
			t.Errorf("ParseKey(%q) error %v, want ErrKeyInvalid", tt.in, err)
		}
	}
}

// FuzzParseKey checks that every accepted key is 1 to 255 printable ASCII
// characters, that its sf-string form gives it back, and that a key
// without spaces may be sent bare too.
//
//	go test ./idempotency -run '^$' -fuzz FuzzParseKey -fuzztime 60s
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{`abc`, `"abc"`, `"a\"b"`, `a"b`, `"abc";x=1`, ` "x" `, `"a b"`, `" "`, `"`, `\`, "", "a\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := ParseKey(in)
		if err != nil {
			if k != "" {
				t.Fatalf("ParseKey(%q) returned %q with an error", in, k)
			}
			return
		}
		if !validKey(k) {
			t.Fatalf("ParseKey(%q) = %q, not 1 to 255 printable ASCII", in, k)
		}
		quoted := string(sfv.AppendString(nil, k))
		if k2, err := ParseKey(quoted); err != nil || k2 != k {
			t.Fatalf("sf-string form %s of %q parsed as %q, %v", quoted, k, k2, err)
		}
		if k[0] != '"' && !strings.ContainsAny(k, " ") {
			if k3, err := ParseKey(k); err != nil || k3 != k {
				t.Fatalf("bare form of %q parsed as %q, %v", k, k3, err)
			}
		}
	})
}
