package ratelimit

import (
	"strings"
	"testing"
)

func allHops(lines []string, forwarded bool) []string {
	h := hops{lines: lines, forwarded: forwarded}
	var out []string
	for {
		v, ok := h.next()
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

func TestHops(t *testing.T) {
	cases := []struct {
		lines     []string
		forwarded bool
		want      string
	}{
		{[]string{"a, b,c"}, false, "c|b|a"},
		{[]string{"a", "b, c"}, false, "c|b|a"},
		{[]string{" , ,"}, false, ""},
		{[]string{`for=a, for="b,c";proto=x`, `by=z;for=d`}, true, `d|b,c|a`},
		{[]string{`proto=https`}, true, `|`},
		{[]string{`for="x\"y"`}, true, `|`},
		{[]string{`for=a;for=b`}, true, `|`},
		{[]string{`for=a;`}, true, `a`},
		{[]string{`for = a`}, true, `|`},
		{[]string{`for=a ; proto=b`}, true, `a`},
	}
	for _, c := range cases {
		got := strings.Join(allHops(c.lines, c.forwarded), "|")
		want := c.want
		if want == "|" {
			want = ""
		}
		if got != want {
			t.Errorf("hops(%q, forwarded=%v) = %q, want %q", c.lines, c.forwarded, got, want)
		}
	}
}

// FuzzXForwardedFor checks that nothing a client puts in X-Forwarded-For
// changes the hop a trusted proxy appends on its right.
//
//	go test ./ratelimit -run '^$' -fuzz FuzzXForwardedFor -fuzztime 60s
func FuzzXForwardedFor(f *testing.F) {
	for _, s := range []string{"", "1.2.3.4", "a, b", " , ,", "[::1]:80", "1.2.3.4:5, 6.7.8.9", "\x00,\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range allHops([]string{s}, false) {
			if !strings.Contains(s, v) || v == "" {
				t.Fatalf("hop %q is not a non-empty part of %q", v, s)
			}
			parseNode(v)
		}
		got := allHops([]string{s + ", 203.0.113.7"}, false)
		if len(got) == 0 || got[0] != "203.0.113.7" {
			t.Fatalf("after %q, the appended hop reads %q", s, got)
		}
		got = allHops([]string{s, "198.51.100.1"}, false)
		if len(got) == 0 || got[0] != "198.51.100.1" {
			t.Fatalf("after a line %q, the next line's hop reads %q", s, got)
		}
	})
}

// FuzzForwarded checks the same for Forwarded (RFC 7239): a hop a trusted
// proxy appends, quoted or not, reads the same after any client text.
//
//	go test ./ratelimit -run '^$' -fuzz FuzzForwarded -fuzztime 60s
func FuzzForwarded(f *testing.F) {
	for _, s := range []string{"", "for=1.2.3.4", `for="[2001:db8::1]:80";proto=https`, `for="a,b`, `a=b;c="d\"e", for=x`, `"`, `\"`, `for=_x, for=unknown`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range allHops([]string{s}, true) {
			if !strings.Contains(s, v) {
				t.Fatalf("hop %q is not part of %q", v, s)
			}
			parseNode(v)
		}
		for _, app := range []struct{ elem, want string }{
			{"for=203.0.113.7", "203.0.113.7"},
			{`for="[2001:db8::1]:8080";proto=https`, "[2001:db8::1]:8080"},
			{`proto=http;for="203.0.113.8:1"`, "203.0.113.8:1"},
		} {
			got := allHops([]string{s + ", " + app.elem}, true)
			if len(got) == 0 || got[0] != app.want {
				t.Fatalf("after %q, appended %q reads %q", s, app.elem, got)
			}
			got = allHops([]string{s, app.elem}, true)
			if len(got) == 0 || got[0] != app.want {
				t.Fatalf("after a line %q, line %q reads %q", s, app.elem, got)
			}
		}
	})
}
