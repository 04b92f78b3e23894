// Package sfv reads and writes HTTP Structured Field Values (RFC 9651):
// the syntax of the RateLimit, RateLimit-Policy, Idempotency-Key and
// Deprecation fields.
//
// Serialising is append-style and allocation-free; parsing is strict, as
// RFC 9651 §4.2 requires, and returns an error rather than a partial value.
package sfv

import (
	"encoding/base64"
	"errors"
	"strconv"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// Token is a Structured Field token (RFC 9651 §3.3.4), kept apart from
// strings so a parsed value says which one it was.
type Token string

// Date is a Structured Field date (RFC 9651 §3.3.7): seconds since the epoch.
type Date int64

// Decimal is a Structured Field decimal (RFC 9651 §3.3.2).
type Decimal float64

// DisplayString is a Structured Field display string (RFC 9651 §3.3.8).
type DisplayString string

// Param is one parameter of an item or inner list.
type Param struct {
	Key   string
	Value any // as Item.Value
}

// Item is a bare item with its parameters. Value is one of int64, Decimal,
// string, Token, []byte, bool, Date or DisplayString.
type Item struct {
	Value  any
	Params []Param
}

// Member is a list or dictionary member: an Item, or an inner list when
// Inner is non-nil (Item.Value is then nil and Item.Params are the inner
// list's parameters).
type Member struct {
	Item
	Inner []Item
}

// DictMember is one dictionary entry.
type DictMember struct {
	Key string
	Member
}

// Param looks up a parameter by key.
func (it Item) Param(key string) (any, bool) {
	for _, p := range it.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("sfv: invalid structured field")

type parseError struct {
	msg string
	off int
}

func (e *parseError) Error() string {
	return "sfv: " + e.msg + " at offset " + strconv.Itoa(e.off)
}

func (e *parseError) Unwrap() error { return ErrSyntax }

type parser struct {
	s   string
	off int
}

func (p *parser) fail(msg string) error { return &parseError{msg: msg, off: p.off} }

func (p *parser) skipSP() {
	for p.off < len(p.s) && p.s[p.off] == ' ' {
		p.off++
	}
}

func (p *parser) skipOWS() {
	for p.off < len(p.s) && (p.s[p.off] == ' ' || p.s[p.off] == '\t') {
		p.off++
	}
}

// ParseItem parses a whole field value as an Item.
func ParseItem(s string) (Item, error) {
	p := parser{s: s}
	p.skipSP()
	it, err := p.item()
	if err != nil {
		return Item{}, err
	}
	p.skipSP()
	if p.off != len(p.s) {
		return Item{}, p.fail("trailing characters")
	}
	return it, nil
}

// ParseList parses a whole field value as a List.
func ParseList(s string) ([]Member, error) {
	p := parser{s: s}
	p.skipSP()
	var out []Member
	for p.off < len(p.s) {
		m, err := p.member()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		if err := p.nextMember(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParseDictionary parses a whole field value as a Dictionary. A repeated
// key keeps its position and takes the last value, as RFC 9651 requires.
func ParseDictionary(s string) ([]DictMember, error) {
	p := parser{s: s}
	p.skipSP()
	var out []DictMember
	for p.off < len(p.s) {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var m Member
		if p.off < len(p.s) && p.s[p.off] == '=' {
			p.off++
			if m, err = p.member(); err != nil {
				return nil, err
			}
		} else {
			m.Value = true
			if m.Params, err = p.params(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for i := range out {
			if out[i].Key == key {
				out[i].Member = m
				replaced = true
			}
		}
		if !replaced {
			out = append(out, DictMember{Key: key, Member: m})
		}
		if err := p.nextMember(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *parser) nextMember() error {
	p.skipOWS()
	if p.off == len(p.s) {
		return nil
	}
	if p.s[p.off] != ',' {
		return p.fail("expected ','")
	}
	p.off++
	p.skipOWS()
	if p.off == len(p.s) {
		return p.fail("trailing ','")
	}
	return nil
}

func (p *parser) member() (Member, error) {
	if p.off < len(p.s) && p.s[p.off] == '(' {
		return p.innerList()
	}
	it, err := p.item()
	return Member{Item: it}, err
}

func (p *parser) innerList() (Member, error) {
	p.off++ // (
	m := Member{Inner: []Item{}}
	for p.off < len(p.s) {
		p.skipSP()
		if p.off < len(p.s) && p.s[p.off] == ')' {
			p.off++
			var err error
			m.Params, err = p.params()
			return m, err
		}
		it, err := p.item()
		if err != nil {
			return Member{}, err
		}
		m.Inner = append(m.Inner, it)
		if p.off < len(p.s) && p.s[p.off] != ' ' && p.s[p.off] != ')' {
			return Member{}, p.fail("expected ' ' or ')' in inner list")
		}
	}
	return Member{}, p.fail("unterminated inner list")
}

func (p *parser) item() (Item, error) {
	v, err := p.bareItem()
	if err != nil {
		return Item{}, err
	}
	params, err := p.params()
	return Item{Value: v, Params: params}, err
}

func (p *parser) params() ([]Param, error) {
	var out []Param
	for p.off < len(p.s) && p.s[p.off] == ';' {
		p.off++
		p.skipSP()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.off < len(p.s) && p.s[p.off] == '=' {
			p.off++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for i := range out {
			if out[i].Key == key {
				out[i].Value = v
				replaced = true
			}
		}
		if !replaced {
			out = append(out, Param{Key: key, Value: v})
		}
	}
	return out, nil
}

func (p *parser) key() (string, error) {
	start := p.off
	if p.off >= len(p.s) || !(isLCAlpha(p.s[p.off]) || p.s[p.off] == '*') {
		return "", p.fail("expected key")
	}
	p.off++
	for p.off < len(p.s) && isKeyChar(p.s[p.off]) {
		p.off++
	}
	return p.s[start:p.off], nil
}

func (p *parser) bareItem() (any, error) {
	if p.off >= len(p.s) {
		return nil, p.fail("expected item")
	}
	switch c := p.s[p.off]; {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || isAlpha(c):
		return p.token(), nil
	case c == ':':
		return p.bytes()
	case c == '?':
		return p.boolean()
	case c == '@':
		p.off++
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		i, ok := n.(int64)
		if !ok {
			return nil, p.fail("date must be an integer")
		}
		return Date(i), nil
	case c == '%':
		return p.displayString()
	default:
		return nil, p.fail("unexpected character")
	}
}

func (p *parser) number() (any, error) {
	start := p.off
	if p.off < len(p.s) && p.s[p.off] == '-' {
		p.off++
	}
	if p.off >= len(p.s) || !isDigit(p.s[p.off]) {
		return nil, p.fail("expected digit")
	}
	digits, dot := 0, -1
	for p.off < len(p.s) {
		c := p.s[p.off]
		if isDigit(c) {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return nil, p.fail("decimal integer part too long")
			}
			dot = digits
		} else {
			break
		}
		p.off++
		if dot < 0 && digits > 15 {
			return nil, p.fail("integer too long")
		}
		if dot >= 0 && digits-dot > 3 {
			return nil, p.fail("decimal fraction too long")
		}
	}
	text := p.s[start:p.off]
	if dot < 0 {
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, p.fail("bad integer")
		}
		return i, nil
	}
	if text[len(text)-1] == '.' {
		return nil, p.fail("decimal ends with '.'")
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.fail("bad decimal")
	}
	return Decimal(f), nil
}

func (p *parser) str() (string, error) {
	p.off++ // opening quote
	start := p.off
	// Fast path: no escapes.
	for p.off < len(p.s) {
		c := p.s[p.off]
		switch {
		case c == '"':
			s := p.s[start:p.off]
			p.off++
			return s, nil
		case c == '\\':
			return p.strSlow(start)
		case c < 0x20 || c > 0x7e:
			return "", p.fail("invalid character in string")
		}
		p.off++
	}
	return "", p.fail("unterminated string")
}

func (p *parser) strSlow(start int) (string, error) {
	b := []byte(p.s[start:p.off])
	for p.off < len(p.s) {
		c := p.s[p.off]
		p.off++
		switch {
		case c == '\\':
			if p.off >= len(p.s) {
				return "", p.fail("unterminated escape")
			}
			e := p.s[p.off]
			if e != '"' && e != '\\' {
				return "", p.fail("invalid escape")
			}
			b = append(b, e)
			p.off++
		case c == '"':
			return string(b), nil
		case c < 0x20 || c > 0x7e:
			p.off--
			return "", p.fail("invalid character in string")
		default:
			b = append(b, c)
		}
	}
	return "", p.fail("unterminated string")
}

func (p *parser) token() Token {
	start := p.off
	p.off++
	for p.off < len(p.s) && (httpsyntax.IsTChar(p.s[p.off]) || p.s[p.off] == ':' || p.s[p.off] == '/') {
		p.off++
	}
	return Token(p.s[start:p.off])
}

func (p *parser) bytes() ([]byte, error) {
	p.off++
	start := p.off
	for p.off < len(p.s) && p.s[p.off] != ':' {
		c := p.s[p.off]
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return nil, p.fail("invalid byte sequence character")
		}
		p.off++
	}
	if p.off >= len(p.s) {
		return nil, p.fail("unterminated byte sequence")
	}
	b, err := base64.StdEncoding.DecodeString(p.s[start:p.off])
	if err != nil {
		return nil, p.fail("invalid base64")
	}
	p.off++
	return b, nil
}

func (p *parser) boolean() (bool, error) {
	p.off++
	if p.off < len(p.s) {
		switch p.s[p.off] {
		case '0':
			p.off++
			return false, nil
		case '1':
			p.off++
			return true, nil
		}
	}
	return false, p.fail("invalid boolean")
}

func (p *parser) displayString() (DisplayString, error) {
	p.off++
	if p.off >= len(p.s) || p.s[p.off] != '"' {
		return "", p.fail("expected '\"' after '%'")
	}
	p.off++
	var b []byte
	for p.off < len(p.s) {
		c := p.s[p.off]
		p.off++
		switch {
		case c == '%':
			if p.off+2 > len(p.s) {
				return "", p.fail("truncated percent escape")
			}
			hi, lo := p.s[p.off], p.s[p.off+1]
			if !isLowerHex(hi) || !isLowerHex(lo) {
				return "", p.fail("invalid percent escape")
			}
			b = append(b, unhex(hi)<<4|unhex(lo))
			p.off += 2
		case c == '"':
			if !validUTF8(b) {
				return "", p.fail("display string is not UTF-8")
			}
			return DisplayString(b), nil
		case c < 0x20 || c > 0x7e:
			return "", p.fail("invalid character in display string")
		default:
			b = append(b, c)
		}
	}
	return "", p.fail("unterminated display string")
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLowerHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c - 'a' + 10
}
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isKeyChar(c byte) bool {
	return isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*'
}
