package fielderr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestComparePointers(t *testing.T) {
	sorted := []string{"", "/a", "/a/0", "/a/1", "/a/2", "/a/10", "/a/01", "/a/b", "/a~1b", "/b", "x"}
	for i := range sorted {
		for j := range sorted {
			got := ComparePointers(sorted[i], sorted[j])
			if (i < j) != (got < 0) || (i == j) != (got == 0) {
				t.Errorf("ComparePointers(%q, %q) = %d, want the sign of %d", sorted[i], sorted[j], got, i-j)
			}
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		wantLen  int // of the result
	}{
		{"short", "short", 5},
		{"exactly the bound", strings.Repeat("x", MaxDetail), MaxDetail},
		{"ascii", strings.Repeat("x", 300), MaxDetail + 3},
		{"multi-byte across the bound", strings.Repeat("x", MaxDetail-1) + "€€", MaxDetail - 1 + 3},
	}
	for _, tc := range tests {
		got := Clip(tc.in)
		if len(got) != tc.wantLen || !utf8.ValidString(got) {
			t.Errorf("%s: Clip = %q (%d bytes), want %d valid UTF-8 bytes", tc.name, got, len(got), tc.wantLen)
		}
		if len(tc.in) > MaxDetail && !strings.HasSuffix(got, "...") {
			t.Errorf("%s: Clip = %q, want it to end in ...", tc.name, got)
		}
	}
}

func TestUnescapeToken(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "a"}, {"a~1b", "a/b"}, {"~0~1", "~/"}, {"~01", "~1"},
	}
	for _, tc := range tests {
		if got := UnescapeToken(tc.in); got != tc.want {
			t.Errorf("UnescapeToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
