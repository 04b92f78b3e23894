package errors

import (
	"slices"
	"strings"

	"github.com/restwell/restwell/internal/fielderr"
)

// A Validator checks a decoded JSON body. DecodeJSON calls it, through
// WithSchema or WithValidator, with the body decoded into an any: nil,
// bool, json.Number, string, []any or map[string]any.
//
// Validate returns one FieldError per problem, in any order (DecodeJSON
// sorts them, drops duplicates and keeps at most MaxFieldErrors), or none
// for a valid value. A non-nil error means the value could not be
// validated at all, a fault of the validator and not of the request:
// DecodeJSON answers it with a 500. Implementations must be safe for
// concurrent use.
type Validator interface {
	Validate(v any) ([]FieldError, error)
}

// Schema is a compiled JSON Schema, a Validator for DecodeJSON (see
// WithSchema). Compile each schema once, at start-up, and share it: a
// Schema is safe for concurrent use.
//
// Each problem becomes a FieldError at the JSON Pointer of the offending
// value: a missing required property at the property's own pointer
// ("is required"), an unexpected one likewise ("is not allowed"), and a
// value that matches none of a oneOf or anyOf one error at that value,
// not one per alternative.
type Schema struct {
	impl schemaImpl
}

// schemaImpl is what a JSON Schema library provides; schema_v5.go
// implements it with github.com/santhosh-tekuri/jsonschema/v5.
type schemaImpl interface {
	validate(v any) ([]FieldError, error)
}

// CompileSchema compiles the JSON Schema in src. Without a "$schema"
// member the schema is read as draft 2020-12; drafts 4, 6, 7 and 2019-09
// are supported too. "format" is asserted (an email that is not one is an
// error), and references ($ref) may point only inside src: nothing is
// loaded from files or the network.
func CompileSchema(src []byte) (*Schema, error) {
	impl, err := compileV5(src)
	if err != nil {
		return nil, err
	}
	return &Schema{impl: impl}, nil
}

// MustCompileSchema is like CompileSchema but panics if src does not
// compile. It is meant for package-level variables:
//
//	var orderSchema = errors.MustCompileSchema(orderSchemaJSON)
func MustCompileSchema(src []byte) *Schema {
	s, err := CompileSchema(src)
	if err != nil {
		panic(err)
	}
	return s
}

// Validate validates v, a value decoded from JSON with numbers as
// json.Number or float64, and returns the problems sorted by pointer and
// then detail, without duplicates. The error is non-nil only when v could
// not be validated at all (for example, it holds a Go value JSON cannot
// hold).
func (s *Schema) Validate(v any) ([]FieldError, error) {
	fields, err := s.impl.validate(v)
	if err != nil {
		return nil, err
	}
	return normalizeFields(fields), nil
}

// normalizeFields sorts fields by location, path and detail, and removes
// duplicates, in place.
func normalizeFields(fields []FieldError) []FieldError {
	slices.SortFunc(fields, compareFields)
	return slices.Compact(fields)
}

func compareFields(a, b FieldError) int {
	if a.In != b.In {
		return int(a.In) - int(b.In)
	}
	if c := comparePaths(a.In, a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Detail, b.Detail)
}

// comparePaths orders body paths as JSON Pointers (see
// fielderr.ComparePointers) and other paths as strings.
func comparePaths(in Location, a, b string) int {
	if in != InBody {
		return strings.Compare(a, b)
	}
	return fielderr.ComparePointers(a, b)
}
