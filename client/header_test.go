package client

import (
	"net/url"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{" 0 ", 0, true},
		{"Thu, 01 Jan 2026 00:00:30 GMT", 30 * time.Second, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"99999999999999999999999", maxAnnounced, true},
	} {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	got := ParseRateLimit([]string{`"default";r=97;t=1`, `"orders";r=0;t=6`})
	want := []Quota{{"default", 97, time.Second}, {"orders", 0, 6 * time.Second}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{`"a";r=-1`, `"a";r=1.5`, `"a";t="x"`, `not a list ,,`} {
		if q := ParseRateLimit([]string{bad}); len(q) != 0 {
			t.Errorf("%q: got %+v, want nothing", bad, q)
		}
	}
}

func TestParseRateLimitPolicy(t *testing.T) {
	got := ParseRateLimitPolicy([]string{`"burst";q=100;w=60, "daily";q=1000;w=86400, "bad";q=0`})
	want := []Policy{{"burst", 100, time.Minute}, {"daily", 1000, 24 * time.Hour}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseLinks(t *testing.T) {
	base, _ := url.Parse("https://api.example.com/items?limit=2")
	for _, tt := range []struct {
		lines []string
		rel   string
		want  string
	}{
		{[]string{`</items?cursor=abc>; rel="next"`}, "next", "https://api.example.com/items?cursor=abc"},
		{[]string{`<https://x/a>; rel="prev", <https://x/b>; rel=next`}, "next", "https://x/b"},
		{[]string{`<https://x/a>; rel="prev"`, `<https://x/b>; rel="next"; title="a, b"`}, "next", "https://x/b"},
		{[]string{`<https://x/a>; rel="first next"`}, "next", "https://x/a"},
		{[]string{`<https://x/a>; rel="next"; rel="prev"`}, "prev", ""},
		{[]string{`garbage, <https://x/b>; rel="next"`}, "next", "https://x/b"},
		{[]string{`<https://x/b`}, "next", ""},
	} {
		got := ""
		for _, l := range ParseLinks(tt.lines, base) {
			if l.HasRel(tt.rel) {
				got = l.URL.String()
				break
			}
		}
		if got != tt.want {
			t.Errorf("%q rel %s: got %q, want %q", tt.lines, tt.rel, got, tt.want)
		}
	}
}

func TestParseDeprecation(t *testing.T) {
	if d, ok := ParseDeprecation("@1688169599"); !ok || d.Unix() != 1688169599 {
		t.Errorf("got %v %v", d, ok)
	}
	for _, bad := range []string{"true", "Sat, 31 Dec 2026 23:59:59 GMT", "@1.5", ""} {
		if _, ok := ParseDeprecation(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseHeaders feeds the parsers of Retry-After, RateLimit,
// RateLimit-Policy, Link and Deprecation arbitrary values: none may panic,
// and what they return must stay within bounds.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{"120", "Thu, 01 Jan 2026 00:00:30 GMT", `"default";r=97;t=1, "orders";r=0;t=6`,
		`"burst";q=100;w=60`, `</items?cursor=abc>; rel="next"`, `<a>; rel="x\"y"`, "@1688169599", `<`, `"`} {
		f.Add(s)
	}
	base, _ := url.Parse("https://api.example.com/")
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := ParseRetryAfter(s, now); ok && (d < 0 || d > maxAnnounced) {
			t.Errorf("ParseRetryAfter(%q) = %s", s, d)
		}
		for _, q := range ParseRateLimit([]string{s}) {
			if q.Remaining < -1 || q.Reset < -1 || q.Reset > maxAnnounced {
				t.Errorf("ParseRateLimit(%q): %+v", s, q)
			}
		}
		for _, p := range ParseRateLimitPolicy([]string{s}) {
			if p.Quota <= 0 || p.Window < 0 {
				t.Errorf("ParseRateLimitPolicy(%q): %+v", s, p)
			}
		}
		for _, l := range ParseLinks([]string{s, s}, base) {
			if l.URL == nil {
				t.Errorf("ParseLinks(%q): a link without URL", s)
			}
		}
		ParseDeprecation(s)
	})
}
