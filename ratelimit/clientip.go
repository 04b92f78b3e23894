package ratelimit

import (
	stderrors "errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// ProxyHeader names the request header trusted proxies record the client
// address in.
type ProxyHeader uint8

const (
	// XForwardedFor is X-Forwarded-For: a comma-separated list of
	// addresses, each proxy appending the address it received the request
	// from. It is the default.
	XForwardedFor ProxyHeader = iota
	// Forwarded is the Forwarded field of RFC 7239, whose elements carry
	// the address in a "for" parameter: for=192.0.2.60;proto=https,
	// for="[2001:db8:cafe::17]:4711".
	Forwarded
)

// ClientIPConfig configures a ClientIP.
type ClientIPConfig struct {
	// TrustedProxies are the addresses ("192.0.2.10", "2001:db8::1") and
	// CIDR prefixes ("10.0.0.0/8", "fd00::/8") of the proxies in front of
	// the service. Only a request whose socket peer is one of them has its
	// Header read at all. Empty means none: the client is always the
	// socket peer, and the header is ignored.
	TrustedProxies []string
	// Header is the header the trusted proxies append to. Only that one
	// is read: a header the proxies do not maintain is the client's to
	// forge. The zero value is XForwardedFor.
	Header ProxyHeader
	// IPv4Prefix is the number of leading bits of an IPv4 address that
	// make a key: 32 keeps each address apart. Zero means 32.
	IPv4Prefix int
	// IPv6Prefix is the number of leading bits of an IPv6 address that
	// make a key. Zero means 64, because one client commonly owns a whole
	// /64 and could otherwise rotate through it; 128 keeps each address
	// apart.
	IPv6Prefix int
}

// ClientIP finds the address of the client that sent a request, trusting
// forwarding headers only as far as they were written by trusted proxies.
//
// When the socket peer is not a trusted proxy, it is the client, whatever
// the headers say. When it is, ClientIP walks the header from the right,
// through the hops that trusted proxies appended, and takes the first
// hop that is not a trusted proxy; a client that sends its own
// X-Forwarded-For: 1.2.3.4 only adds entries to the left of the ones its
// proxy appends, which are never reached. If every hop is trusted, the
// leftmost is the client. A hop that is not an address (Forwarded's
// "unknown" or an obfuscated name, or garbage) where the walk needs one is
// an error: the client cannot be identified.
//
// A ClientIP is immutable and safe for concurrent use by multiple
// goroutines.
type ClientIP struct {
	trusted []netip.Prefix
	header  string
	fwd     bool
	v4, v6  int
}

// NewClientIP returns a ClientIP for cfg, or an error prefixed
// "ratelimit: " if cfg is invalid.
func NewClientIP(cfg ClientIPConfig) (*ClientIP, error) {
	c := &ClientIP{v4: cfg.IPv4Prefix, v6: cfg.IPv6Prefix}
	switch cfg.Header {
	case XForwardedFor:
		c.header = "X-Forwarded-For"
	case Forwarded:
		c.header, c.fwd = "Forwarded", true
	default:
		return nil, stderrors.New("ratelimit: unknown ProxyHeader")
	}
	if c.v4 == 0 {
		c.v4 = 32
	}
	if c.v6 == 0 {
		c.v6 = 64
	}
	if c.v4 < 1 || c.v4 > 32 {
		return nil, fmt.Errorf("ratelimit: IPv4Prefix %d is not within 1..32", c.v4)
	}
	if c.v6 < 1 || c.v6 > 128 {
		return nil, fmt.Errorf("ratelimit: IPv6Prefix %d is not within 1..128", c.v6)
	}
	for _, s := range cfg.TrustedProxies {
		p, err := parseTrusted(s)
		if err != nil {
			return nil, err
		}
		c.trusted = append(c.trusted, p)
	}
	return c, nil
}

func parseTrusted(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, fmt.Errorf("ratelimit: trusted proxy %q: %w", s, err)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, fmt.Errorf("ratelimit: trusted proxy %q: %w", s, err)
		}
		a = a.WithZone("")
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return p, fmt.Errorf("ratelimit: trusted proxy %q: an IPv4-mapped prefix needs at least 96 bits", s)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Addr returns the client's address, unmapped (an IPv4-mapped IPv6
// address becomes IPv4) and without zone. It returns an error wrapping
// ErrNoClientIP when the request carries no usable address.
func (c *ClientIP) Addr(r *http.Request) (netip.Addr, error) {
	a, _, err := c.resolve(r)
	return a, err
}

// Key returns the client's key: its address, or for addresses grouped by
// IPv4Prefix or IPv6Prefix the masked prefix in CIDR notation, for
// example "192.0.2.1" and "2001:db8:1:2::/64". It has the signature of a
// KeyFunc. For a full IPv4 address written canonically it allocates
// nothing.
func (c *ClientIP) Key(r *http.Request) (string, error) {
	a, text, err := c.resolve(r)
	if err != nil {
		return "", err
	}
	bits := c.v6
	if a.Is4() {
		bits = c.v4
	}
	if bits == a.BitLen() {
		if a.Is4() && text != "" {
			// netip accepts only the canonical dotted-decimal form.
			return text, nil
		}
		var buf [48]byte
		b := a.AppendTo(buf[:0])
		if string(b) == text {
			return text, nil
		}
		return string(b), nil
	}
	p := netip.PrefixFrom(a, bits).Masked()
	var buf [52]byte
	return string(p.AppendTo(buf[:0])), nil
}

func (c *ClientIP) resolve(r *http.Request) (netip.Addr, string, error) {
	peer, text, ok := parsePeer(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, "", &addrError{"the socket peer address", r.RemoteAddr}
	}
	if !c.isTrusted(peer) {
		return peer, text, nil
	}
	h := hops{lines: r.Header[c.header], forwarded: c.fwd}
	for {
		hop, more := h.next()
		if !more {
			return peer, text, nil // every hop, if any, is a trusted proxy
		}
		a, t, ok := parseNode(hop)
		if !ok {
			return netip.Addr{}, "", &addrError{c.header + " hop", hop}
		}
		a, t = normalize(a, t)
		if !c.isTrusted(a) {
			return a, t, nil
		}
		peer, text = a, t
	}
}

func (c *ClientIP) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parsePeer parses http.Request.RemoteAddr: host:port, or a bare address.
func parsePeer(s string) (netip.Addr, string, bool) {
	if a, text, ok := parsePeer4(s); ok {
		return a, text, true
	}
	var a netip.Addr
	var text string
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
		text = s[:strings.LastIndexByte(s, ':')]
		if text != "" && text[0] == '[' {
			text = text[1 : len(text)-1]
		}
	} else if a, err = netip.ParseAddr(s); err == nil {
		text = s
	} else {
		return a, "", false
	}
	a, text = normalize(a, text)
	return a, text, true
}

// parsePeer4 parses the common form of RemoteAddr, a dotted-decimal IPv4
// address and a port of at most five digits, as netip.ParseAddrPort
// would, at a fraction of its cost. It reports false for anything else,
// which parsePeer then hands to netip.
func parsePeer4(s string) (netip.Addr, string, bool) {
	var ip [4]byte
	i := 0
	for k := range ip {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return netip.Addr{}, "", false
			}
			i++
		}
		start, v := i, 0
		for i < len(s) && i-start < 3 && '0' <= s[i] && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
		}
		// netip rejects a leading zero, as in "01".
		if i == start || v > 255 || s[start] == '0' && i-start > 1 {
			return netip.Addr{}, "", false
		}
		ip[k] = byte(v)
	}
	colon := i
	if i >= len(s) || s[i] != ':' {
		return netip.Addr{}, "", false
	}
	i++
	if n := len(s) - i; n == 0 || n > 5 {
		return netip.Addr{}, "", false
	}
	port := 0
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return netip.Addr{}, "", false
		}
		port = port*10 + int(s[i]-'0')
	}
	if port > 65535 {
		return netip.Addr{}, "", false
	}
	return netip.AddrFrom4(ip), s[:colon], true
}

// normalize unmaps an IPv4-mapped address and drops a zone; text is then
// no longer the address's source text.
func normalize(a netip.Addr, text string) (netip.Addr, string) {
	if a.Is4In6() || a.Zone() != "" {
		return a.Unmap().WithZone(""), ""
	}
	return a, text
}

// addrError says which address could not be used. The value is quoted
// and bounded, since it comes from the client.
type addrError struct{ what, value string }

func (e *addrError) Error() string {
	v := e.value
	if len(v) > 64 {
		v = v[:64] + "..."
	}
	return "ratelimit: no client IP address: " + e.what + " " + strconv.Quote(v) + " is not an IP address"
}

func (e *addrError) Unwrap() error { return ErrNoClientIP }

// HeaderKey returns a KeyFunc that keys requests by the value of the
// request header name, such as an API key. The header must occur once,
// with 1 to 256 visible ASCII characters (surrounding spaces are
// trimmed); otherwise the client is not identified (see KeyFailure).
//
// The value becomes part of store keys (in Redis, visible to anyone who
// can list keys). If it is a credential, key by something derived from
// it instead, such as a hash or the account it authenticates.
func HeaderKey(name string) KeyFunc {
	name = http.CanonicalHeaderKey(name)
	return func(r *http.Request) (string, error) {
		v := r.Header[name]
		if len(v) != 1 {
			return "", &keyHeaderError{name, len(v)}
		}
		s := httpsyntax.TrimOWS(v[0])
		if s == "" || len(s) > 256 {
			return "", &keyHeaderError{name, 1}
		}
		for i := 0; i < len(s); i++ {
			if s[i] < 0x21 || s[i] > 0x7e {
				return "", &keyHeaderError{name, 1}
			}
		}
		return s, nil
	}
}

type keyHeaderError struct {
	name string
	n    int
}

func (e *keyHeaderError) Error() string {
	switch e.n {
	case 0:
		return "ratelimit: header " + e.name + " is missing"
	case 1:
		return "ratelimit: header " + e.name + " is not a valid key"
	}
	return "ratelimit: header " + e.name + " occurs " + strconv.Itoa(e.n) + " times"
}

func (e *keyHeaderError) Unwrap() error { return ErrInvalidKey }
