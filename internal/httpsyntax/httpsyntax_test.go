package httpsyntax

import "testing"

func TestTrimOWS(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {" \t ", ""}, {"a", "a"}, {" a b\t", "a b"}, {"\ta\t", "a"}, {"\na\n", "\na\n"},
	}
	for _, tt := range tests {
		if got := TrimOWS(tt.in); got != tt.want {
			t.Errorf("TrimOWS(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"X-Request-ID", true}, {"application", true}, {"!#$%&'*+-.^_`|~09azAZ", true},
		{"", false}, {"a b", false}, {"a/b", false}, {"a:b", false}, {"é", false}, {"a\x7f", false}, {`"a"`, false},
	}
	for _, tt := range tests {
		if got := IsToken(tt.in); got != tt.want {
			t.Errorf("IsToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	n := 0
	for c := 0; c < 256; c++ {
		if IsTChar(byte(c)) {
			n++
		}
	}
	if n != 77 { // 62 alphanumerics and 15 symbols
		t.Errorf("IsTChar accepts %d characters, want 77", n)
	}
}
