package ratelimit

import (
	"net/netip"
	"strings"
	"testing"
)

// parsePeer4 agrees with netip.ParseAddrPort wherever it answers, and
// answers for the common form.
func TestParsePeer4(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"192.0.2.1:1234", true},
		{"0.0.0.0:0", true},
		{"255.255.255.255:65535", true},
		{"10.0.0.1:00080", true},
		{"256.0.0.1:80", false},
		{"01.2.3.4:80", false},
		{"1.2.3:80", false},
		{"1.2.3.4", false},
		{"1.2.3.4:", false},
		{"1.2.3.4:65536", false},
		{"1.2.3.4:123456", false},
		{"1.2.3.4:+80", false},
		{"1.2.3.4.5:80", false},
		{"[::1]:80", false},
		{"1.2.3.4:80x", false},
		{"", false},
	}
	for _, tt := range tests {
		a, text, ok := parsePeer4(tt.in)
		if ok != tt.wantOK {
			t.Errorf("parsePeer4(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
		}
		if ok {
			checkPeer4(t, tt.in, a, text)
		}
	}
}

// FuzzParsePeer4 checks the fast path against netip on arbitrary input.
//
//	go test ./ratelimit -run '^$' -fuzz FuzzParsePeer4 -fuzztime 60s
func FuzzParsePeer4(f *testing.F) {
	for _, s := range []string{"192.0.2.1:1234", "01.2.3.4:80", "1.2.3.4:65536", "[::1]:1", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, text, ok := parsePeer4(s); ok {
			checkPeer4(t, s, a, text)
		}
	})
}

func checkPeer4(t *testing.T, s string, a netip.Addr, text string) {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("parsePeer4(%q) = %v, but netip rejects it: %v", s, a, err)
	}
	if ap.Addr() != a || !a.Is4() {
		t.Errorf("parsePeer4(%q) = %v, netip %v", s, a, ap.Addr())
	}
	if want := s[:strings.LastIndexByte(s, ':')]; text != want || a.String() != text {
		t.Errorf("parsePeer4(%q) text %q, want %q (address %v)", s, text, want, a)
	}
}
