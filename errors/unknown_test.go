package errors

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type unkBase struct {
	Shared string
	Deep   string
}

type unkOther struct {
	Shared string
	Other  int
}

type unkTagged struct {
	Name string `json:"Name"`
}

type unkUntagged struct {
	Name string
}

type unkText struct{ v string }

func (t *unkText) UnmarshalText(b []byte) error { t.v = string(b); return nil }

type unkRaw struct{ v json.RawMessage }

func (r *unkRaw) UnmarshalJSON(b []byte) error { r.v = append(r.v[:0], b...); return nil }

type unkStrictInside struct{}

// UnmarshalJSON rejects unknown fields itself, with encoding/json's own
// error, which DecodeJSON cannot place.
func (*unkStrictInside) UnmarshalJSON(b []byte) error {
	var v struct{ A int }
	return strictUnmarshal(b, &v)
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

//lint:file-ignore SA5008 unkDoc has malformed json tags on purpose, to check that the unknown-field detector reads them as encoding/json does
//lint:file-ignore U1000 unkDoc has an unexported field on purpose, one encoding/json never decodes
type unkDoc struct {
	unkBase                         // promoted: Deep (Shared ties with unkOther's, so neither)
	unkOther                        // promoted: Other
	*unkTagged                      // promoted: Name (the tagged one wins over unkUntagged's)
	unkUntagged                     //
	ID          string              `json:"id,omitempty"`
	Skip        string              `json:"-"`
	Dash        string              `json:"-,"`
	Bad         string              `json:"bad\"name"` // invalid tag name: field name used
	hidden      string              //nolint:unused // unexported: never decoded
	Kids        []unkKid            `json:"kids"`
	Pair        [1]unkKid           `json:"pair"`
	ByName      map[string]unkKid   `json:"by_name"`
	PtrKid      **unkKid            `json:"ptr_kid"`
	Any         any                 `json:"any"`
	Text        unkText             `json:"text"`
	Raw         unkRaw              `json:"raw"`
	Strict      unkStrictInside     `json:"strict"`
	Nested      struct{ unkTagged } `json:"nested"`
}

type unkKid struct {
	X int `json:"x"`
}

func TestJSONFields(t *testing.T) {
	var names []string
	for _, f := range jsonFields(reflect.TypeFor[unkDoc]()) {
		names = append(names, f.name)
	}
	want := []string{"-", "Bad", "Deep", "Name", "Other", "any", "by_name", "id", "kids", "nested", "pair", "ptr_kid", "raw", "strict", "text"}
	if !slices.Equal(names, want) {
		t.Errorf("jsonFields = %q,\nwant        %q", names, want)
	}
}

func TestUnknownFields(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // pointers, sorted
	}{
		{"known, any case", `{"ID": "a", "deep": "b", "NAME": "c", "-": "d", "bad": 1, "other": 2}`, nil},
		{"skipped, tied and unexported fields are unknown", `{"Skip": 1, "shared": 2, "hidden": 3, "Shared": 4}`, []string{"/Shared", "/Skip", "/hidden", "/shared"}},
		{"inside slices, arrays, maps and pointers", `{"kids": [{"x": 1}, {"y": 2}], "pair": [{"z": 1}, {"w": 2}], "by_name": {"a b": {"v": 1}}, "ptr_kid": {"u": 1}}`,
			[]string{"/by_name/a b/v", "/kids/1/y", "/pair/0/z", "/ptr_kid/u"}},
		{"values that decode themselves, and any, are not looked into", `{"any": {"q": 1}, "text": "t", "raw": {"q": 1}, "nested": {"name": "n", "q/r": 1}}`, []string{"/nested/q~1r"}},
		{"wrong shapes are left to encoding/json", `{"kids": {"y": 1}, "by_name": [1], "nested": 3, "ptr_kid": null}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range normalizeFields(unknownFields([]byte(tc.body), reflect.TypeFor[*unkDoc]())) {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("unknown fields at %q, want %q", got, tc.want)
			}
			// encoding/json must agree that there is an unknown field.
			err := strictUnmarshal([]byte(tc.body), new(unkDoc))
			if jsonSaw := err != nil && strings.HasPrefix(err.Error(), "json: unknown field "); jsonSaw != (len(tc.want) > 0) {
				t.Errorf("encoding/json says %v", err)
			}
		})
	}
	if got := unknownFields([]byte(`{`), reflect.TypeFor[*unkDoc]()); got != nil {
		t.Errorf("invalid JSON: %v, want nil", got)
	}
}

func TestDecodeJSONUnknownFieldInsideUnmarshaler(t *testing.T) {
	err := DecodeJSON(decodeRequest(decodeCT, `{"strict": {"B": 1}}`), new(unkDoc), DisallowUnknownFields())
	e := decodeStatus(t, err)
	want := []FieldError{BodyField("", `unknown field "B"`)}
	if e.Status != 422 || !reflect.DeepEqual(e.Fields, want) {
		t.Errorf("got %d %v, want 422 %v", e.Status, e.Fields, want)
	}
}

func TestDecodeJSONManyUnknownFields(t *testing.T) {
	body := []byte{'{'}
	for i := range 150 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `"f`...)
		body = append(body, []byte(string(rune('a'+i%26))+string(rune('a'+i/26)))...)
		body = append(body, `": 1`...)
	}
	body = append(body, '}')
	e := decodeStatus(t, DecodeJSON(decodeRequest(decodeCT, string(body)), new(unkKid), DisallowUnknownFields()))
	want := "the request body has unknown fields (the first 100 of 150 problems are listed)"
	if e.Status != 422 || len(e.Fields) != MaxFieldErrors || e.Message != want {
		t.Errorf("got %d, %d fields, %q", e.Status, len(e.Fields), e.Message)
	}
}
