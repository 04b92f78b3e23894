package sfv

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseItem(t *testing.T) {
	tests := []struct {
		in   string
		want Item
	}{
		{`42`, Item{Value: int64(42)}},
		{`-7`, Item{Value: int64(-7)}},
		{`1.5`, Item{Value: Decimal(1.5)}},
		{`"a \"q\" \\ b"`, Item{Value: `a "q" \ b`}},
		{`foo/bar:baz`, Item{Value: Token("foo/bar:baz")}},
		{`*tok`, Item{Value: Token("*tok")}},
		{`:aGVsbG8=:`, Item{Value: []byte("hello")}},
		{`?1`, Item{Value: true}},
		{`?0`, Item{Value: false}},
		{`@1688169599`, Item{Value: Date(1688169599)}},
		{`%"f%c3%bc"`, Item{Value: DisplayString("fü")}},
		{`"x";a=1;b;c="s"`, Item{Value: "x", Params: []Param{{"a", int64(1)}, {"b", true}, {"c", "s"}}}},
		{`  1  `, Item{Value: int64(1)}},
		{`1;a=1;a=2`, Item{Value: int64(1), Params: []Param{{"a", int64(2)}}}},
	}
	for _, tt := range tests {
		got, err := ParseItem(tt.in)
		if err != nil {
			t.Errorf("ParseItem(%q) error: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseItem(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseItemRejects(t *testing.T) {
	for _, in := range []string{
		``, `"unterminated`, `"bad\x"`, "\"ctl\x01\"", `1234567890123456`, `1.2345`,
		`1234567890123.5`, `1.`, `-`, `?2`, `:not base64!:`, `@1.5`, `%"%zz"`, `%"%C3%BC"`,
		`%"%ff"`, `1 2`, `1;A=1`, `1;=1`, `"x",`, `(1 2)`, "\t1", `é`,
	} {
		if it, err := ParseItem(in); err == nil {
			t.Errorf("ParseItem(%q) = %#v, want error", in, it)
		} else if !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseItem(%q) error %v does not wrap ErrSyntax", in, err)
		}
	}
}

func TestParseList(t *testing.T) {
	got, err := ParseList(`"burst";q=100;w=60, "daily";q=1000;w=86400,  (a "b");p=1, tok`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{Item: Item{Value: "burst", Params: []Param{{"q", int64(100)}, {"w", int64(60)}}}},
		{Item: Item{Value: "daily", Params: []Param{{"q", int64(1000)}, {"w", int64(86400)}}}},
		{Item: Item{Params: []Param{{"p", int64(1)}}}, Inner: []Item{{Value: Token("a")}, {Value: "b"}}},
		{Item: Item{Value: Token("tok")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseList = %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{`1,`, `1,,2`, `1 2`, `(1`, `(1,2)`, `"a";q=`} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) succeeded, want error", bad)
		}
	}
	if got, err := ParseList(``); err != nil || len(got) != 0 {
		t.Errorf("ParseList(\"\") = %v, %v; want empty list", got, err)
	}
}

func TestParseDictionary(t *testing.T) {
	got, err := ParseDictionary(`a=1, b, c=(1 2);x, a=3`)
	if err != nil {
		t.Fatal(err)
	}
	want := []DictMember{
		{Key: "a", Member: Member{Item: Item{Value: int64(3)}}},
		{Key: "b", Member: Member{Item: Item{Value: true}}},
		{Key: "c", Member: Member{Item: Item{Params: []Param{{"x", true}}}, Inner: []Item{{Value: int64(1)}, {Value: int64(2)}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDictionary = %#v\nwant %#v", got, want)
	}
	if _, err := ParseDictionary(`A=1`); err == nil {
		t.Error("uppercase key accepted")
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(AppendString(nil, `say "hi" \o/`)), `"say \"hi\" \\o/"`},
		{string(AppendString(nil, "drop\x01ctl\xff")), `"dropctl"`},
		{string(AppendInteger(nil, 42)), `42`},
		{string(AppendInteger(nil, 1<<62)), `999999999999999`},
		{string(AppendInteger(nil, -(1 << 62))), `-999999999999999`},
		{string(AppendDate(nil, 1688169599)), `@1688169599`},
		{string(AppendParam([]byte(`"default"`), "q", 100)), `"default";q=100`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"string", ValidString, "visible and space ~", true},
		{"string", ValidString, "tab\t", false},
		{"string", ValidString, "ü", false},
		{"key", ValidKey, "q", true},
		{"key", ValidKey, "*a_b-c.d1", true},
		{"key", ValidKey, "Q", false},
		{"key", ValidKey, "", false},
		{"key", ValidKey, "1a", false},
		{"token", ValidToken, "application/json", true},
		{"token", ValidToken, "9abc", false},
		{"token", ValidToken, "a b", false},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("Valid%s(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzParse checks that no input panics and that every string the parser
// accepts survives a serialise-and-parse round trip.
//
//	go test ./internal/sfv -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, s := range []string{`"a";q=1`, `1, 2;x`, `(a b);c`, `a=1, b`, `@12`, `%"%c3%bc"`, `:AA==:`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseList(s)
		ParseDictionary(s)
		it, err := ParseItem(s)
		if err != nil {
			return
		}
		if str, ok := it.Value.(string); ok {
			back, err := ParseItem(string(AppendString(nil, str)))
			if err != nil || back.Value != str {
				t.Errorf("string %q did not round-trip: %v %v", str, back.Value, err)
			}
		}
		if n, ok := it.Value.(int64); ok {
			back, err := ParseItem(string(AppendInteger(nil, n)))
			if err != nil || back.Value != n {
				t.Errorf("integer %d did not round-trip: %v %v", n, back.Value, err)
			}
		}
	})
}
