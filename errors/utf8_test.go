package errors

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestDecodeJSONUTF8(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the message of the 400, "" when the body is accepted
		// repl is the id decoded with ReplaceInvalidUTF8 (or without it, when
		// want is "").
		repl string
	}{
		{"ascii", `{"id": "abc"}`, "", "abc"},
		{"multi-byte", `{"id": "Zoë €𝄞"}`, "", "Zoë €𝄞"},
		{"literal replacement character", `{"id": "a` + "\uFFFD" + `"}`, "", "a\uFFFD"},
		{"escaped replacement character", `{"id": "a\ufffd"}`, "", "a\uFFFD"},
		{"noncharacter escape", `{"id": "\uffff"}`, "", "\uffff"},
		{"surrogate pair", `{"id": "\ud834\udd1e"}`, "", "𝄞"},
		{"surrogate pair, upper case", `{"id": "\uD834\uDD1E"}`, "", "𝄞"},
		{"escaped backslash before u", `{"id": "\\ud800"}`, "", `\ud800`},
		{"escaped backslash then a pair", `{"id": "\\\ud834\udd1e"}`, "", `\𝄞`},
		{"two escaped backslashes before u", `{"id": "\\\\ud800"}`, "", `\\ud800`},
		{"u escape of a BMP character", `{"id": "\u00e9\u0041"}`, "", "éA"},

		{"invalid byte", "{\"id\": \"a\xffb\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 9", "a\uFFFDb"},
		{"invalid byte in a member name", "{\"i\xfed\": \"x\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 3", ""},
		{"truncated sequence", "{\"id\": \"\xc3\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 8", "\uFFFD"},
		{"overlong encoding", "{\"id\": \"\xc0\xaf\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 8", "\uFFFD\uFFFD"},
		{"surrogate encoded in UTF-8", "{\"id\": \"\xed\xa0\x80\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 8", "\uFFFD\uFFFD\uFFFD"},
		{"code point above U+10FFFF", "{\"id\": \"\xf4\x90\x80\x80\"}", "the request body is not valid UTF-8: invalid byte sequence at byte offset 8", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"lone high surrogate", `{"id": "\ud800"}`, `the request body is not valid JSON text: the escape \ud800 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFD"},
		{"lone high surrogate, upper case", `{"id": "x\uDBFF"}`, `the request body is not valid JSON text: the escape \uDBFF at byte offset 9 is a lone UTF-16 surrogate`, "x\uFFFD"},
		{"lone low surrogate", `{"id": "\udc00x"}`, `the request body is not valid JSON text: the escape \udc00 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFDx"},
		{"high surrogate then a letter", `{"id": "\ud800\u0041"}`, `the request body is not valid JSON text: the escape \ud800 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFDA"},
		{"high surrogate then a raw low one", `{"id": "\ud800dc00"}`, `the request body is not valid JSON text: the escape \ud800 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFDdc00"},
		{"two high surrogates", `{"id": "\ud800\ud800\udc00"}`, `the request body is not valid JSON text: the escape \ud800 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFD𐀀"},
		{"reversed pair", `{"id": "\udc00\ud800"}`, `the request body is not valid JSON text: the escape \udc00 at byte offset 8 is a lone UTF-16 surrogate`, "\uFFFD\uFFFD"},
		{"lone surrogate after a valid pair", `{"id": "\ud834\udd1e\udd1e"}`, `the request body is not valid JSON text: the escape \udd1e at byte offset 20 is a lone UTF-16 surrogate`, "𝄞\uFFFD"},
		{"lone surrogate after an escaped backslash", `{"id": "\\\ud800"}`, `the request body is not valid JSON text: the escape \ud800 at byte offset 10 is a lone UTF-16 surrogate`, "\\\uFFFD"},
		{"lone surrogate in a member name", `{"\udfff": 1}`, `the request body is not valid JSON text: the escape \udfff at byte offset 2 is a lone UTF-16 surrogate`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, opts := range [][]DecodeOption{nil, {WithValidator(walkValidator{})}, {DisallowUnknownFields()}} {
				if len(opts) > 0 && tc.want == "" {
					continue // the validator and strict checks refuse some of the valid bodies for reasons of their own
				}
				var v decodeOrder
				err := DecodeJSON(decodeRequest(decodeCT, tc.body), &v, opts...)
				if tc.want == "" {
					if err != nil {
						t.Fatalf("DecodeJSON(%q) = %v, want it accepted", tc.body, err)
					}
					if v.ID != tc.repl {
						t.Errorf("id = %q, want %q", v.ID, tc.repl)
					}
					continue
				}
				e := decodeStatus(t, err)
				if e.Status != 400 || e.Code != "malformed_json" || e.Message != tc.want {
					t.Errorf("DecodeJSON(%q) = %d %s %q, want 400 malformed_json %q", tc.body, e.Status, e.Code, e.Message, tc.want)
				}
			}
			var v decodeOrder
			if err := DecodeJSON(decodeRequest(decodeCT, tc.body), &v, ReplaceInvalidUTF8()); err != nil {
				t.Fatalf("with ReplaceInvalidUTF8: %v", err)
			}
			if v.ID != tc.repl {
				t.Errorf("with ReplaceInvalidUTF8: id = %q, want %q", v.ID, tc.repl)
			}
		})
	}
}

// TestDecodeJSONUTF8Option pins that ReplaceInvalidUTF8 stays on once
// given, and that the zero DecodeOption does not turn it off.
func TestDecodeJSONUTF8Option(t *testing.T) {
	body := "{\"id\": \"\xff\"}"
	for _, opts := range [][]DecodeOption{{ReplaceInvalidUTF8(), {}}, {ReplaceInvalidUTF8(), WithMaxBytes(100), DisallowUnknownFields()}} {
		if err := DecodeJSON(decodeRequest(decodeCT, body), new(decodeOrder), opts...); err != nil {
			t.Errorf("DecodeJSON with %d options: %v", len(opts), err)
		}
	}
	if err := DecodeJSON(decodeRequest(decodeCT, body), new(decodeOrder), DecodeOption{}); err == nil {
		t.Error("the zero DecodeOption accepted invalid UTF-8")
	}
}

// TestDecodeJSONUTF8OutsideStrings pins that the whole body is checked,
// not only its strings: an invalid byte after the value is reported as
// such, and with ReplaceInvalidUTF8 as data after the value.
func TestDecodeJSONUTF8OutsideStrings(t *testing.T) {
	body := "{\"id\": \"a\"}\xff"
	for _, tc := range []struct {
		opts []DecodeOption
		want string
	}{
		{nil, "the request body is not valid UTF-8: invalid byte sequence at byte offset 11"},
		{[]DecodeOption{ReplaceInvalidUTF8()}, "the request body has data after the JSON value at byte offset 11"},
	} {
		e := decodeStatus(t, DecodeJSON(decodeRequest(decodeCT, body), new(decodeOrder), tc.opts...))
		if e.Status != 400 || e.Code != "malformed_json" || e.Message != tc.want {
			t.Errorf("%d options: %d %s %q, want 400 malformed_json %q", len(tc.opts), e.Status, e.Code, e.Message, tc.want)
		}
	}
}

// oracleUTF8Problem reports whether body, a valid JSON text, is not UTF-8
// or has a string escaping a lone surrogate. It walks the strings one by
// one and decodes every escape into UTF-16 code units, unlike checkUTF8,
// which searches for "\u".
func oracleUTF8Problem(body []byte) bool {
	if !utf8.Valid(body) {
		return true
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		var units []uint16
		for i++; body[i] != '"'; i++ {
			if body[i] != '\\' {
				r, n := utf8.DecodeRune(body[i:])
				units = utf16.AppendRune(units, r)
				i += n - 1
				continue
			}
			i++
			if body[i] != 'u' {
				units = append(units, uint16(body[i]))
				continue
			}
			var u uint16
			for _, c := range body[i+1 : i+5] {
				d := strings.IndexByte("0123456789abcdef", c|0x20)
				u = u<<4 | uint16(d)
			}
			units = append(units, u)
			i += 4
		}
		for k := 0; k < len(units); k++ {
			switch u := rune(units[k]); {
			case utf16.IsSurrogate(u) && u < 0xDC00 && k+1 < len(units) && units[k+1] >= 0xDC00 && units[k+1] <= 0xDFFF:
				k++
			case utf16.IsSurrogate(u):
				return true
			}
		}
	}
	return false
}

func TestOracleUTF8Problem(t *testing.T) {
	for body, want := range map[string]bool{
		`"a"`: false, `"\ud834\udd1e"`: false, `"\\ud800"`: false, `["\"", "\ud800"]`: true, `{"\udc00": 1}`: true,
		"\"\xff\"": true, `"\ud800\u0041"`: true,
	} {
		if got := oracleUTF8Problem([]byte(body)); got != want {
			t.Errorf("oracleUTF8Problem(%s) = %v, want %v", body, got, want)
		}
		if got := checkUTF8([]byte(body)) != nil; got != want {
			t.Errorf("checkUTF8(%s) refuses: %v, want %v", body, got, want)
		}
	}
}

// decodeMalformedUTF8 reports whether err is DecodeJSON's 400 for a body
// that is not UTF-8 or has a lone surrogate.
func decodeMalformedUTF8(err error) bool {
	var e *Error
	return As(err, &e) && e.Code == "malformed_json" &&
		(strings.HasPrefix(e.Message, "the request body is not valid UTF-8") || strings.Contains(e.Message, "lone UTF-16 surrogate"))
}
