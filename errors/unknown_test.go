package errors

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
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
		{"a repeated member is checked each time", `{"kids": [{"q": 1}], "kids": [{"x": 1}], "id": "a", "id": "b"}`, []string{"/kids/0/q"}},
		{"escaped names are compared unescaped", `{"\u0069d": "a", "k\u0069ds": [{"\u0078": 1, "\u0079": 2}]}`, []string{"/kids/0/y"}},
		{"after an error, what was found before it", `{"zz": 1, "id": }`, []string{"/zz"}},
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
			if !json.Valid([]byte(tc.body)) {
				return
			}
			strictErr := strictUnmarshal([]byte(tc.body), new(unkDoc))
			if jsonSaw := strictErr != nil && json.Unmarshal([]byte(tc.body), new(unkDoc)) == nil; jsonSaw != (len(tc.want) > 0) {
				t.Errorf("encoding/json says %v", strictErr)
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
	// The target's own fields are all known: the error is the
	// Unmarshaler's, reported as an invalid value.
	want := []FieldError{BodyField("", `unknown field "B"`)}
	if e.Status != 422 || e.Message != "the request body has an invalid value" || !reflect.DeepEqual(e.Fields, want) {
		t.Errorf("got %d %q %v, want 422 %q %v", e.Status, e.Message, e.Fields, "the request body has an invalid value", want)
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

// unkFold has fields whose names fold alike, and names that fold only by
// Unicode rules (K is U+212A KELVIN SIGN, ſ U+017F LATIN SMALL LETTER LONG S).
type unkFold struct {
	Upper  unkKid `json:"NAME"`
	Lower  []int  `json:"name"`
	Kelvin int    `json:"k"`
	Sharp  int    `json:"straße"`
	Embedded
}

type Embedded struct {
	Inner unkKid `json:"inner"`
}

func TestUnknownFieldsFolding(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"exact names win", `{"NAME": {"x": 1}, "name": [1]}`, nil},
		{"a folded name goes to the first such field", `{"Name": {"y": 1}}`, []string{"/Name/y"}},
		{"Unicode folding", `{"\u212a": 1, "K": 2, "STRAßE": 3, "ſtraße": 4}`, nil},
		{"not folded alike", `{"straſe": 1, "strasse": 2}`, []string{"/strasse", "/straſe"}},
		{"promoted through an embedded struct", `{"INNER": {"x": 1, "z": 2}, "Embedded": {}}`, []string{"/Embedded", "/INNER/z"}},
		{"maps look into values only", `{"inner": {"x": 1}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range normalizeFields(unknownFields([]byte(tc.body), reflect.TypeFor[unkFold]())) {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("unknown fields at %q, want %q", got, tc.want)
			}
			strictErr := strictUnmarshal([]byte(tc.body), new(unkFold))
			looseErr := json.Unmarshal([]byte(tc.body), new(unkFold))
			if jsonSaw := strictErr != nil && looseErr == nil; jsonSaw != (len(tc.want) > 0) {
				t.Errorf("encoding/json says strict %v, loose %v", strictErr, looseErr)
			}
		})
	}
}

// unkFuzz is a target with no type that decodes itself, so that strict
// decoding fails where plain decoding succeeds exactly when a member is
// unknown.
type unkFuzz struct {
	unkBase
	unkOther
	ID     string               `json:"id"`
	Name   string               `json:"NAME"`
	Kelvin int                  `json:"k"`
	Kids   []unkKid             `json:"kids"`
	Pair   [1]unkKid            `json:"pair"`
	ByName map[string]unkKid    `json:"by_name"`
	Ptr    *unkKid              `json:"ptr"`
	Any    any                  `json:"any"`
	Deeper struct{ A []unkKid } `json:"deeper"`
}

// FuzzUnknownFields checks the unknown-field finder against encoding/json
// itself: an unknown member is what makes strict decoding fail where
// plain decoding succeeds, and the finder must find one exactly then.
func FuzzUnknownFields(f *testing.F) {
	for _, s := range []string{
		`{"id": "a", "kids": [{"x": 1}, {"y": 2}]}`, `{"ID": 1}`, `{"\u212a": 1}`, `{"pair": [{}, {"q": 1}]}`,
		`{"by_name": {"a": {"x": 1, "b": 2}}}`, `{"deeper": {"a": [{"X": 1}]}}`, `{"shared": 1, "deep": 2, "other": 3}`,
		`{"ptr": {"x": 1}, "ptr": {"w": 1}}`, `{"any": {"q": 1}, "name": "n"}`, `[]`, `{"kids": {"q": 1}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		found := unknownFields([]byte(body), reflect.TypeFor[*unkFuzz]())
		for _, fe := range found {
			if fe.In != InBody || fe.Path == "" || fe.Path[0] != '/' || fe.Detail != "is not a known field" {
				t.Fatalf("body %q: field error %+v", body, fe)
			}
		}
		if json.Unmarshal([]byte(body), new(unkFuzz)) != nil {
			return
		}
		strictErr := strictUnmarshal([]byte(body), new(unkFuzz))
		if (strictErr != nil) != (len(found) > 0) {
			t.Fatalf("body %q: strict encoding/json says %v, found %v", body, strictErr, found)
		}
	})
}
