package logsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("a", MaxLen+10)
	multi := strings.Repeat("a", MaxLen-1) + "ü" + "tail"
	tests := []struct{ in, want string }{
		{"", ""},
		{"/items/7", "/items/7"},
		{long[:MaxLen], long[:MaxLen]},
		{long, long[:MaxLen] + "..."},
		{multi, strings.Repeat("a", MaxLen-1) + "..."},
	}
	for _, tt := range tests {
		got := Clip(tt.in)
		if got != tt.want {
			t.Errorf("Clip(%d bytes) = %d bytes %q..., want %d bytes", len(tt.in), len(got), got[:min(len(got), 10)], len(tt.want))
		}
		if utf8.ValidString(tt.in) && !utf8.ValidString(got) {
			t.Errorf("Clip cut a character in two: %q", got[len(got)-8:])
		}
	}
}
