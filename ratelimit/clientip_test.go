package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/ratelimit"
)

func newClientIP(t testing.TB, cfg ratelimit.ClientIPConfig) *ratelimit.ClientIP {
	t.Helper()
	c, err := ratelimit.NewClientIP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(remote string, hdr ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestClientIPKey(t *testing.T) {
	trusted := []string{"10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48"}
	xff := newClientIP(t, ratelimit.ClientIPConfig{TrustedProxies: trusted})
	fwd := newClientIP(t, ratelimit.ClientIPConfig{TrustedProxies: trusted, Header: ratelimit.Forwarded})
	none := newClientIP(t, ratelimit.ClientIPConfig{})
	full6 := newClientIP(t, ratelimit.ClientIPConfig{IPv6Prefix: 128, IPv4Prefix: 24})
	cases := []struct {
		name   string
		c      *ratelimit.ClientIP
		remote string
		hdr    []string
		want   string // "" means an error
	}{
		{"direct client", none, "203.0.113.5:4000", nil, "203.0.113.5"},
		{"direct client spoofing XFF", xff, "203.0.113.5:4000", []string{"X-Forwarded-For", "1.2.3.4"}, "203.0.113.5"},
		{"direct client spoofing Forwarded", fwd, "203.0.113.5:4000", []string{"Forwarded", "for=1.2.3.4"}, "203.0.113.5"},
		{"no trusted proxies ignores XFF", none, "10.1.1.1:4000", []string{"X-Forwarded-For", "1.2.3.4"}, "10.1.1.1"},
		{"trusted proxy", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"trusted proxy, client spoofs left", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"spoofed trusted-looking entry", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "10.9.9.9, 203.0.113.7"}, "203.0.113.7"},
		{"two trusted proxies", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "6.6.6.6, 203.0.113.7, 192.0.2.10"}, "203.0.113.7"},
		{"separate field lines", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "203.0.113.7, 10.2.2.2"}, "203.0.113.7"},
		{"garbage left of the client", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "not an ip, \"<x>, 203.0.113.7"}, "203.0.113.7"},
		{"all hops trusted", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"trusted peer without header", xff, "10.1.1.1:4000", nil, "10.1.1.1"},
		{"empty elements", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", " , 203.0.113.7 ,, "}, "203.0.113.7"},
		{"XFF with port", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "203.0.113.7:5555"}, "203.0.113.7"},
		{"XFF IPv6 bracketed", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "[2001:db8:1:2::9]:80"}, "2001:db8:1:2::/64"},
		{"XFF garbage hop", xff, "10.1.1.1:4000", []string{"X-Forwarded-For", "unknown"}, ""},
		{"XFF ignored when Forwarded configured", fwd, "10.1.1.1:4000", []string{"X-Forwarded-For", "203.0.113.7"}, "10.1.1.1"},
		{"Forwarded", fwd, "10.1.1.1:4000", []string{"Forwarded", "for=203.0.113.7;proto=https;by=10.1.1.1"}, "203.0.113.7"},
		{"Forwarded quoted v6", fwd, "10.1.1.1:4000", []string{"Forwarded", `for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::/64"},
		{"Forwarded case-insensitive name", fwd, "10.1.1.1:4000", []string{"Forwarded", "For=203.0.113.7"}, "203.0.113.7"},
		{"Forwarded spoofed left", fwd, "10.1.1.1:4000", []string{"Forwarded", `for=1.2.3.4, for="203.0.113.7:80";proto=http`}, "203.0.113.7"},
		{"Forwarded comma in quotes", fwd, "10.1.1.1:4000", []string{"Forwarded", `for=1.1.1.1;x="a,b", for=203.0.113.7`}, "203.0.113.7"},
		{"Forwarded unterminated quote on the left", fwd, "10.1.1.1:4000", []string{"Forwarded", `for="1.1.1.1, for=203.0.113.7`}, "203.0.113.7"},
		{"Forwarded unknown", fwd, "10.1.1.1:4000", []string{"Forwarded", "for=unknown"}, ""},
		{"Forwarded obfuscated", fwd, "10.1.1.1:4000", []string{"Forwarded", "for=_hidden"}, ""},
		{"Forwarded without for", fwd, "10.1.1.1:4000", []string{"Forwarded", "proto=https"}, ""},
		{"Forwarded for twice", fwd, "10.1.1.1:4000", []string{"Forwarded", "for=1.1.1.1;for=203.0.113.7"}, ""},
		{"Forwarded unquoted v6 is invalid", fwd, "10.1.1.1:4000", []string{"Forwarded", "for=[2001:db8::1]"}, ""},
		{"IPv6 peer grouped by /64", none, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 peer, same /64", none, "[2001:db8:1:2:ffff::1]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 peer ungrouped", full6, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2:3:4:5:6"},
		{"IPv4 grouped by /24", full6, "203.0.113.77:1", nil, "203.0.113.0/24"},
		{"IPv4-mapped peer", none, "[::ffff:203.0.113.5]:4000", nil, "203.0.113.5"},
		{"zone dropped", newClientIP(t, ratelimit.ClientIPConfig{IPv6Prefix: 128}), "[fe80::1%eth0]:4000", nil, "fe80::1"},
		{"trusted v6 proxy", xff, "[2001:db8:ffff::1]:4000", []string{"X-Forwarded-For", "203.0.113.7"}, "203.0.113.7"},
		{"bare RemoteAddr", none, "203.0.113.5", nil, "203.0.113.5"},
		{"unix socket peer", none, "@", nil, ""},
		{"empty RemoteAddr", none, "", nil, ""},
	}
	for _, c := range cases {
		got, err := c.c.Key(request(c.remote, c.hdr...))
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: key %q, want an error", c.name, got)
			} else if !apierrors.Is(err, ratelimit.ErrNoClientIP) {
				t.Errorf("%s: error %v does not wrap ErrNoClientIP", c.name, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: Key = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestClientIPAddr(t *testing.T) {
	c := newClientIP(t, ratelimit.ClientIPConfig{TrustedProxies: []string{"::ffff:10.0.0.0/104"}})
	a, err := c.Addr(request("10.0.0.1:1", "X-Forwarded-For", "2001:db8::5"))
	if err != nil || a != netip.MustParseAddr("2001:db8::5") {
		t.Errorf("Addr = %v, %v; want 2001:db8::5 (full address, through an IPv4-mapped trusted prefix)", a, err)
	}
}

func TestClientIPKeyAllocs(t *testing.T) {
	c := newClientIP(t, ratelimit.ClientIPConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	direct := request("203.0.113.5:4000")
	proxied := request("10.0.0.1:4000", "X-Forwarded-For", "1.2.3.4, 203.0.113.7")
	for _, r := range []*http.Request{direct, proxied} {
		if n := testing.AllocsPerRun(100, func() { c.Key(r) }); n != 0 {
			t.Errorf("Key allocates %v times for an IPv4 client, want 0", n)
		}
	}
}

func TestClientIPConfigErrors(t *testing.T) {
	for _, cfg := range []ratelimit.ClientIPConfig{
		{TrustedProxies: []string{"10.0.0.0/33"}},
		{TrustedProxies: []string{"not-an-ip"}},
		{TrustedProxies: []string{"::ffff:10.0.0.0/64"}},
		{Header: 9},
		{IPv4Prefix: 33},
		{IPv6Prefix: -1},
		{IPv6Prefix: 129},
	} {
		_, err := ratelimit.NewClientIP(cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "ratelimit: ") {
			t.Errorf("NewClientIP(%+v): %v, want a ratelimit: error", cfg, err)
		}
	}
}

func TestHeaderKey(t *testing.T) {
	key := ratelimit.HeaderKey("x-api-key")
	cases := []struct {
		hdr  []string
		want string
	}{
		{[]string{"X-Api-Key", "abc123"}, "abc123"},
		{[]string{"X-Api-Key", "  abc123 "}, "abc123"},
		{nil, ""},
		{[]string{"X-Api-Key", ""}, ""},
		{[]string{"X-Api-Key", "a b"}, ""},
		{[]string{"X-Api-Key", "caf\xc3\xa9"}, ""},
		{[]string{"X-Api-Key", strings.Repeat("k", 257)}, ""},
		{[]string{"X-Api-Key", "a", "X-Api-Key", "b"}, ""},
	}
	for _, c := range cases {
		got, err := key(request("192.0.2.1:1", c.hdr...))
		if c.want == "" {
			if err == nil || !apierrors.Is(err, ratelimit.ErrInvalidKey) {
				t.Errorf("%q: %q, %v; want an ErrInvalidKey error", c.hdr, got, err)
			}
			continue
		}
		if got != c.want || err != nil {
			t.Errorf("%q: %q, %v; want %q", c.hdr, got, err, c.want)
		}
	}
}

// TestSpoofedKeysShareNoBucket: through the middleware, a direct client
// cannot escape its limit by sending X-Forwarded-For.
func TestSpoofedKeysShareNoBucket(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: 3600e9}}})
	h := l.Handler(ok200)
	if w := get(h, "203.0.113.5:1", "X-Forwarded-For", "1.1.1.1"); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	if w := get(h, "203.0.113.5:2", "X-Forwarded-For", "2.2.2.2"); w.Code != 429 {
		t.Errorf("same socket address, new spoofed XFF: %d, want 429", w.Code)
	}
}

// FuzzClientIP checks the resolver on arbitrary peers and headers: it
// never panics, a key is always a canonical address or prefix, an
// untrusted peer is keyed by itself whatever the headers say, and the hop
// a trusted proxy appends decides the key whatever the client sent.
//
//	go test ./ratelimit -run '^$' -fuzz FuzzClientIP -fuzztime 60s
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:80", "1.2.3.4", "for=1.2.3.4")
	f.Add("203.0.113.5:1", "", "")
	f.Add("[2001:db8::1]:443", "garbage, \"", `for="[::1]"`)
	f.Add("[::ffff:10.0.0.2]:1", "10.9.9.9", "for=10.9.9.9")
	trusted := []string{"10.0.0.0/8", "2001:db8:ffff::/48"}
	xff := newClientIP(f, ratelimit.ClientIPConfig{TrustedProxies: trusted})
	fwd := newClientIP(f, ratelimit.ClientIPConfig{TrustedProxies: trusted, Header: ratelimit.Forwarded})
	plain := newClientIP(f, ratelimit.ClientIPConfig{})
	f.Fuzz(func(t *testing.T, remote, xffValue, fwdValue string) {
		r := request(remote, "X-Forwarded-For", xffValue, "Forwarded", fwdValue)
		for _, c := range []*ratelimit.ClientIP{xff, fwd, plain} {
			key, err := c.Key(r)
			if err != nil {
				if !apierrors.Is(err, ratelimit.ErrNoClientIP) {
					t.Fatalf("error %v does not wrap ErrNoClientIP", err)
				}
				continue
			}
			if a, err := netip.ParseAddr(key); err == nil {
				if a.String() != key || a.Is4In6() || a.Zone() != "" {
					t.Fatalf("key %q is not canonical", key)
				}
			} else if p, err := netip.ParsePrefix(key); err != nil || p.String() != key || p.Masked() != p {
				t.Fatalf("key %q is neither an address nor a masked prefix", key)
			}
		}
		peer, perr := plain.Addr(request(remote))
		if perr != nil {
			return
		}
		if !netip.MustParsePrefix("10.0.0.0/8").Contains(peer) && !netip.MustParsePrefix("2001:db8:ffff::/48").Contains(peer) {
			want, _ := plain.Key(request(remote))
			for _, c := range []*ratelimit.ClientIP{xff, fwd} {
				if got, err := c.Key(r); got != want || err != nil {
					t.Fatalf("untrusted peer %q keyed %q, %v; want %q", remote, got, err, want)
				}
			}
			return
		}
		// A trusted peer: the hop it appended decides.
		proxied := request(remote, "X-Forwarded-For", xffValue+", 198.51.100.9", "Forwarded", fwdValue+`, for="198.51.100.9:1"`)
		for _, c := range []*ratelimit.ClientIP{xff, fwd} {
			if got, err := c.Key(proxied); got != "198.51.100.9" || err != nil {
				t.Fatalf("trusted peer %q, headers %q / %q: key %q, %v; want 198.51.100.9", remote, xffValue, fwdValue, got, err)
			}
		}
	})
}
