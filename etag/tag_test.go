package etag

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		opaque string
		weak   bool
		ok     bool
	}{
		{`"xyzzy"`, "xyzzy", false, true},
		{`W/"xyzzy"`, "xyzzy", true, true},
		{`""`, "", false, true},
		{`W/""`, "", true, true},
		{`"!#~"`, "!#~", false, true},
		{"\"caf\xc3\xa9\"", "caf\xc3\xa9", false, true}, // obs-text
		{`"a,b"`, "a,b", false, true},
		{`w/"xyzzy"`, "", false, false}, // W/ is case-sensitive
		{`xyzzy`, "", false, false},
		{`"xyzzy`, "", false, false},
		{`xyzzy"`, "", false, false},
		{`"`, "", false, false},
		{`W/`, "", false, false},
		{`W/"`, "", false, false},
		{``, "", false, false},
		{`"a b"`, "", false, false},
		{`"a"b"`, "", false, false},
		{"\"a\x7f\"", "", false, false},
		{"\"a\tb\"", "", false, false},
		{` "a"`, "", false, false},
		{`"a" `, "", false, false},
		{`W/ "a"`, "", false, false},
		{`*`, "", false, false},
	}
	for _, tt := range tests {
		opaque, weak, ok := Parse(tt.in)
		if opaque != tt.opaque || weak != tt.weak || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v, %v; want %q, %v, %v", tt.in, opaque, weak, ok, tt.opaque, tt.weak, tt.ok)
		}
		if Valid(tt.in) != tt.ok {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, !tt.ok, tt.ok)
		}
	}
}

// TestCompare is the comparison table of RFC 9110 §8.8.3.2, plus invalid
// tags, which match nothing.
func TestCompare(t *testing.T) {
	tests := []struct {
		a, b         string
		strong, weak bool
	}{
		{`W/"1"`, `W/"1"`, false, true},
		{`W/"1"`, `W/"2"`, false, false},
		{`W/"1"`, `"1"`, false, true},
		{`"1"`, `"1"`, true, true},
		{`"1"`, `"2"`, false, false},
		{`1`, `1`, false, false},
		{`"1"`, `w/"1"`, false, false},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got := StrongMatch(pair[0], pair[1]); got != tt.strong {
				t.Errorf("StrongMatch(%s, %s) = %v, want %v", pair[0], pair[1], got, tt.strong)
			}
			if got := WeakMatch(pair[0], pair[1]); got != tt.weak {
				t.Errorf("WeakMatch(%s, %s) = %v, want %v", pair[0], pair[1], got, tt.weak)
			}
		}
	}
}

func TestStrongWeak(t *testing.T) {
	if got := Strong("v7"); got != `"v7"` {
		t.Errorf("Strong = %s", got)
	}
	if got := Weak("v7"); got != `W/"v7"` {
		t.Errorf("Weak = %s", got)
	}
	for _, bad := range []string{"a b", `a"b`, "a\x00", "a\x7f"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Strong(%q) did not panic", bad)
				}
			}()
			Strong(bad)
		}()
	}
}

func TestTrimEncoding(t *testing.T) {
	for in, want := range map[string]string{
		"abc-gzip": "abc", "abc-br": "abc", "abc-zstd": "abc", "abc": "abc",
		"-gzip": "", "gzip": "gzip", "abc-gzip-gzip": "abc-gzip", "abc-deflate": "abc-deflate",
	} {
		if got := TrimEncoding(in); got != want {
			t.Errorf("TrimEncoding(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	body := []byte(`{"id":1}`)
	sum := sha256.Sum256(body)
	want := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	if got := Of(body); got != want || len(got) != 24 {
		t.Errorf("Of = %s, want %s", got, want)
	}
	if Of(body) == Of([]byte(`{"id":2}`)) {
		t.Error("different bodies, same tag")
	}
	hex := string(appendTag(nil, sum[:16], Hex, true))
	if len(hex) != 36 || hex[:3] != `W/"` || !Valid(hex) {
		t.Errorf("weak hex tag %q", hex)
	}
}
