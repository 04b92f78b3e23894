package httpsyntax

import (
	"strings"
	"testing"
)

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

func TestMediaType(t *testing.T) {
	tests := []struct {
		in, want, typ, sub string
		ok, json           bool
	}{
		{in: "application/json", want: "application/json", typ: "application", sub: "json", ok: true, json: true},
		{in: " Application/JSON ; charset=utf-8", want: "Application/JSON", typ: "Application", sub: "JSON", ok: true, json: true},
		{in: "application/problem+json", want: "application/problem+json", typ: "application", sub: "problem+json", ok: true, json: true},
		{in: "application/vnd.acme.v2+JSON;v=2", want: "application/vnd.acme.v2+JSON", typ: "application", sub: "vnd.acme.v2+JSON", ok: true, json: true},
		{in: "model/gltf+json", want: "model/gltf+json", typ: "model", sub: "gltf+json", ok: true, json: true},
		{in: "\tapplication/json\t", want: "application/json", typ: "application", sub: "json", ok: true, json: true},
		{in: "text/json", want: "text/json", typ: "text", sub: "json", ok: true},
		{in: "application/+json", want: "application/+json", typ: "application", sub: "+json", ok: true},
		{in: "application/jsonx", want: "application/jsonx", typ: "application", sub: "jsonx", ok: true},
		{in: "application/json-seq", want: "application/json-seq", typ: "application", sub: "json-seq", ok: true},
		{in: "text/plain", want: "text/plain", typ: "text", sub: "plain", ok: true},
		{in: "application/x+json+xml", want: "application/x+json+xml", typ: "application", sub: "x+json+xml", ok: true},
		{in: "", want: ""},
		{in: ";charset=utf-8", want: ""},
		{in: "application", want: "application"},
		{in: "application/", want: "application/"},
		{in: "/json", want: "/json"},
		{in: "application/json/x", want: "application/json/x"},
		{in: "appli cation/json", want: "appli cation/json"},
		{in: "application /json", want: "application /json"},
		{in: "application/a b+json", want: "application/a b+json"},
		{in: "application/jsön", want: "application/jsön"},
		{in: "\napplication/json", want: "\napplication/json"},
	}
	for _, tt := range tests {
		if got := MediaType(tt.in); got != tt.want {
			t.Errorf("MediaType(%q) = %q, want %q", tt.in, got, tt.want)
		}
		typ, sub, ok := SplitMediaType(tt.in)
		if typ != tt.typ || sub != tt.sub || ok != tt.ok {
			t.Errorf("SplitMediaType(%q) = %q, %q, %v, want %q, %q, %v", tt.in, typ, sub, ok, tt.typ, tt.sub, tt.ok)
		}
		if ok {
			if got := IsJSON(typ, sub); got != tt.json {
				t.Errorf("IsJSON(%q, %q) = %v, want %v", typ, sub, got, tt.json)
			}
		} else if tt.json {
			t.Errorf("test case %q: json without a valid media type", tt.in)
		}
	}
}

func FuzzMediaType(f *testing.F) {
	for _, s := range []string{"application/json", "Application/Problem+JSON; charset=utf-8", "text/plain", "a/+json", " x/y ;", "", ";", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		mt := MediaType(v)
		if strings.Contains(mt, ";") || mt != TrimOWS(mt) {
			t.Fatalf("MediaType(%q) = %q: has a parameter or surrounding whitespace", v, mt)
		}
		typ, sub, ok := SplitMediaType(v)
		if !ok {
			if typ != "" || sub != "" {
				t.Fatalf("SplitMediaType(%q) = %q, %q, false: want empty parts", v, typ, sub)
			}
			return
		}
		if !IsToken(typ) || !IsToken(sub) || typ+"/"+sub != mt {
			t.Fatalf("SplitMediaType(%q) = %q, %q: not the tokens of %q", v, typ, sub, mt)
		}
		// IsJSON against a plain statement of the rule on the lower-cased type.
		lt, ls := strings.ToLower(typ), strings.ToLower(sub)
		want := lt == "application" && ls == "json" || len(ls) > len("+json") && strings.HasSuffix(ls, "+json")
		if got := IsJSON(typ, sub); got != want {
			t.Fatalf("IsJSON(%q, %q) = %v, want %v", typ, sub, got, want)
		}
	})
}
