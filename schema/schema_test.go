package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/restwell/restwell/errors"
)

// The golden file pins how JSON Schema errors become FieldErrors and how
// they are rendered. After an intended change, rewrite it with
//
//	go test ./schema -run TestSchemaGolden -update
//
// and review the diff.
var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

func schemaUpdateGolden() bool { return *updateGolden }

func loadOrderSchema(t testing.TB) *Schema {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "order.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

var schemaGoldenCases = []struct {
	name string
	body string
}{
	{"valid", `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 2, "tags": ["a", "b"]}], "e mail": "a@example.com",
		"a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}, "~x": true,
		"code": "A1", "level": -1, "note": null, "ref": {"kind": "order"},
		"shipping": {"express": true, "phone": "+331234", "x-gift": "yes"}}`},
	{"empty object: one error per required property, at its own pointer", `{}`},
	{"not an object", `[1, 2]`},
	{"nested objects and arrays", `{"id": "o", "price": {"amount": -1, "currency": "GBP", "vat": 1},
		"items": [{"name": "", "qty": 1.5, "tags": ["a", "a"]}, {"name": 3}, "pen"],
		"e mail": "not an address", "a/b": "x", "prénom": "Zoëlle-Marie", "~x": 1,
		"payment": {"card": "4111"}}`},
	{"unexpected properties, escaped names", `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"iban": "DE89370400440532013000"}, "ünknown": 1, "x/y": 2, "sp ace": 3, "t~lde": 4, "%41": 5}`},
	{"oneOf and anyOf collapse to one error each", `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"card": "4111111111111111", "iban": "DE89370400440532013000"},
		"code": true, "level": 3, "note": "long"}`},
	{"oneOf matching no alternative for several reasons", `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë", "payment": "cash", "code": 1.5}`},
	{"$ref, const, dependentRequired, patternProperties", `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"iban": "DE89370400440532013000"}, "ref": {"kind": "invoice"},
		"shipping": {"express": true, "x-gift": 1, "y-gift": "no"}}`},
}

func TestSchemaGolden(t *testing.T) {
	s := loadOrderSchema(t)
	var out bytes.Buffer
	out.WriteString("# FieldErrors and rendered bodies for testdata/order.schema.json.\n")
	out.WriteString("# Rewrite with: go test ./schema -run TestSchemaGolden -update\n")
	for _, tc := range schemaGoldenCases {
		var doc any
		dec := json.NewDecoder(strings.NewReader(tc.body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: bad test body: %v", tc.name, err)
		}
		fields, err := s.Validate(doc)
		if err != nil {
			t.Fatalf("%s: Validate: %v", tc.name, err)
		}
		out.WriteString("\n== " + tc.name + "\n")
		if len(fields) == 0 {
			out.WriteString("(valid)\n")
			continue
		}
		for _, f := range fields {
			out.WriteString(f.Path + "\t" + f.Detail + "\n")
		}
		// The 422 as DecodeJSON returns it and a Renderer writes it.
		e := errors.DecodeJSON(decodeRequest(decodeCT, tc.body), new(any), errors.WithValidator(s))
		if e == nil {
			t.Fatalf("%s: DecodeJSON accepted a body Validate refused", tc.name)
		}
		for _, rd := range []*errors.Renderer{{}, {Format: errors.Problem}} {
			rec := httptest.NewRecorder()
			rd.Write(rec, httptest.NewRequest(http.MethodPost, "/", nil), e)
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatalf("%s: rendered body is not JSON: %v\n%s", tc.name, err, rec.Body)
			}
			out.WriteString(strconv.Itoa(rec.Code) + " " + rec.Header().Get("Content-Type") + "\n")
			out.Write(pretty.Bytes())
			out.WriteByte('\n')
		}
	}

	golden := filepath.Join("testdata", "schema.golden")
	if schemaUpdateGolden() {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("mapping differs from %s (run with -update and review the diff):\n%s", golden, schemaLineDiff(string(want), got))
	}
}

// schemaLineDiff lists the lines of want and got that differ, position by
// position: enough to see what changed in a golden file.
func schemaLineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + w + "\n  got  " + g + "\n")
		}
	}
	return b.String()
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, src string }{
		{"not JSON", `{"type": `},
		{"trailing data", `{} {}`},
		{"not a schema", `{"type": 5}`},
		{"remote reference", `{"$ref": "https://example.com/order.json"}`},
		{"file reference", `{"$ref": "file:///etc/hosts"}`},
		{"relative reference", `{"$ref": "order.json#/x"}`},
		{"missing definition", `{"$ref": "#/$defs/nothing"}`},
	}
	const prefix = "schema: invalid JSON Schema: "
	for _, tc := range tests {
		s, err := Compile([]byte(tc.src))
		if err == nil || s != nil || !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("%s: Compile = %v, %v; want a nil schema and an error starting with %q", tc.name, s, err, prefix)
		}
	}
}

func TestMustCompile(t *testing.T) {
	if s := MustCompile([]byte(`{"type": "object"}`)); s == nil {
		t.Fatal("MustCompile returned nil")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCompile did not panic on an invalid schema")
		}
	}()
	MustCompile([]byte(`{"type": 5}`))
}

func TestValidateNonJSONValue(t *testing.T) {
	s := MustCompile([]byte(`{"type": "object"}`))
	fields, err := s.Validate(struct{}{})
	if err == nil || fields != nil {
		t.Errorf("Validate(struct) = %v, %v; want an error", fields, err)
	}
}

// A nil *Schema is a Validator that fails, so DecodeJSON answers 500
// rather than accepting the body unchecked or panicking.
func TestNilSchema(t *testing.T) {
	var s *Schema
	if fields, err := s.Validate(map[string]any{}); err == nil || fields != nil {
		t.Errorf("nil Validate = %v, %v; want an error", fields, err)
	}
	err := errors.DecodeJSON(decodeRequest(decodeCT, `{}`), new(any), errors.WithValidator(s))
	var e *errors.Error
	if !errors.As(err, &e) || e.Status != http.StatusInternalServerError {
		t.Errorf("DecodeJSON with a nil *Schema = %v, want a 500", err)
	}
}

// TestSchemaMapping covers keywords the golden schema does not.
func TestSchemaMapping(t *testing.T) {
	tests := []struct {
		name, schema, doc string
		want              []errors.FieldError
	}{
		{"false schema", `false`, `{}`, []errors.FieldError{errors.BodyField("", "is not allowed")}},
		{"false property schema", `{"properties": {"a": false}}`, `{"a": 1}`, []errors.FieldError{errors.BodyField("/a", "is not allowed")}},
		{"draft-07 dependencies", `{"$schema": "http://json-schema.org/draft-07/schema#",
			"dependencies": {"card": ["cvc", "expiry"], "x y": {"required": ["z"]}}}`, `{"card": "1", "x y": 1}`,
			[]errors.FieldError{errors.BodyField("/cvc", `is required when "card" is present`), errors.BodyField("/expiry", `is required when "card" is present`),
				errors.BodyField("/z", "is required")}},
		{"draft-07 tuple items", `{"$schema": "http://json-schema.org/draft-07/schema#",
			"items": [{"type": "string"}], "additionalItems": false}`, `["a", 2, 3]`,
			[]errors.FieldError{errors.BodyField("", "only 1 items are allowed, but found 3 items")}},
		{"additionalProperties schema", `{"additionalProperties": {"type": "string"}}`, `{"a": 1, "b": "x"}`,
			[]errors.FieldError{errors.BodyField("/a", "expected string, but got number")}},
		{"unevaluatedProperties", `{"allOf": [{"properties": {"a": true}}], "unevaluatedProperties": false}`, `{"a": 1, "b": 2}`,
			[]errors.FieldError{errors.BodyField("/b", "is not allowed")}},
		{"contains", `{"contains": {"type": "string"}, "minContains": 2, "maxContains": 3}`, `[1, "a"]`,
			[]errors.FieldError{errors.BodyField("", "must contain at least 2 matching items")}},
		{"maxContains", `{"contains": {"type": "string"}, "maxContains": 1}`, `["a", "b"]`,
			[]errors.FieldError{errors.BodyField("", "must contain at most 1 matching items")}},
		{"not", `{"properties": {"a": {"not": {"type": "null"}}}}`, `{"a": null}`,
			[]errors.FieldError{errors.BodyField("/a", "matches a schema it must not match")}},
		{"const object", `{"const": {"a": 1}}`, `{"a": 2}`, []errors.FieldError{errors.BodyField("", "must be the value the schema requires")}},
		{"const string", `{"const": "a"}`, `"b"`, []errors.FieldError{errors.BodyField("", `value must be "a"`)}},
		{"if then else", `{"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"required": ["c"]}}`, `{"a": 1}`,
			[]errors.FieldError{errors.BodyField("/b", "is required")}},
		{"anyOf of types", `{"anyOf": [{"type": "string"}, {"type": "null"}, {"type": ["string", "boolean"]}]}`, `1`,
			[]errors.FieldError{errors.BodyField("", "expected string or null or boolean, but got number")}},
		{"oneOf with $ref alternatives", `{"oneOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/a"}], "$defs": {"a": {"type": "string"}}}`, `1`,
			[]errors.FieldError{errors.BodyField("", "must match exactly one of the allowed schemas")}},
		{"propertyNames", `{"propertyNames": {"maxLength": 2}}`, `{"abc": 1}`, []errors.FieldError{errors.BodyField("/abc", "length must be <= 2, but got 3")}},
		{"nested $id", `{"$id": "https://example.com/order", "properties": {"a": {"$id": "a", "required": ["b"]}}}`, `{"a": {}}`,
			[]errors.FieldError{errors.BodyField("/a/b", "is required")}},
		{"several errors at one place", `{"type": "string", "minLength": 5, "pattern": "^[a-z]+$"}`, `"AB"`,
			[]errors.FieldError{errors.BodyField("", "does not match pattern '^[a-z]+$'"), errors.BodyField("", "length must be >= 5, but got 2")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			dec := json.NewDecoder(strings.NewReader(tc.doc))
			dec.UseNumber()
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			got, err := s.Validate(doc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSchemaMappingHelpers(t *testing.T) {
	if got := decodeLocation("/a%zz"); got != "/a%zz" {
		t.Errorf("decodeLocation(bad escape) = %q", got)
	}
	if got := decodeLocation("/e%20mail/%C3%A9"); got != "/e mail/é" {
		t.Errorf("decodeLocation = %q", got)
	}
	doc := map[string]any{"a": []any{"x", map[string]any{"b/c": 1}}}
	for ptr, want := range map[string]any{"": doc, "/a/0": "x", "/a/1/b~1c": 1, "/a/2": nil, "/a/-1": nil, "/a/x": nil, "/a/0/y": nil, "/z": nil} {
		if got := pointerValue(doc, ptr); !reflect.DeepEqual(got, want) {
			t.Errorf("pointerValue(%q) = %v, want %v", ptr, got, want)
		}
	}
	s := MustCompile([]byte(`{"dependentRequired": {"a": ["b"]}}`)).impl
	root := s.root
	for _, kw := range []string{"dependentRequired/a/1", "dependentRequired/a/x", "dependentRequired/zz/0", "other/a/0"} {
		if _, _, ok := dependency(root, kw); ok {
			t.Errorf("dependency(%q) resolved", kw)
		}
	}
	if sch, kw := s.keyword("https://elsewhere.example/schema.json#/properties/a/type"); sch != nil || kw != "" {
		t.Errorf("keyword(foreign location) = %v, %q", sch, kw)
	}
	if sch, kw := s.keyword(schemaURL + "#/dependentRequired/a/0"); sch != root || kw != "dependentRequired/a/0" {
		t.Errorf("keyword = %v, %q", sch, kw)
	}
	if got := jsonKind(true) + jsonKind(nil) + jsonKind("s") + jsonKind([]any{}) + jsonKind(map[string]any{}) + jsonKind(json.Number("1")); got != "booleannullstringarrayobjectnumber" {
		t.Errorf("jsonKind = %q", got)
	}
}

// TestSchemaConcurrent shares one Schema between goroutines (run with
// -race) and checks every result against a sequential run.
func TestSchemaConcurrent(t *testing.T) {
	s := loadOrderSchema(t)
	type result struct {
		status int
		fields []errors.FieldError
	}
	run := func(body string) result {
		err := errors.DecodeJSON(decodeRequest(decodeCT, body), new(any), errors.WithValidator(s))
		if err == nil {
			return result{}
		}
		e := err.(*errors.Error)
		return result{e.Status, e.Fields}
	}
	want := make([]result, len(schemaGoldenCases))
	for i, tc := range schemaGoldenCases {
		want[i] = run(tc.body)
	}
	errs := make(chan string, 8*len(schemaGoldenCases))
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for n := 0; n < 20; n++ {
				for i, tc := range schemaGoldenCases {
					if got := run(tc.body); !reflect.DeepEqual(got, want[i]) {
						errs <- tc.name
						return
					}
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for name := range errs {
		t.Errorf("%s: a concurrent result differs from the sequential one", name)
	}
}
