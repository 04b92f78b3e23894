// Package schema validates decoded JSON request bodies against JSON
// Schema, and reports each problem as an errors.FieldError at the JSON
// Pointer of the offending value.
//
// A *Schema is an errors.Validator: hand it to errors.DecodeJSON with
// errors.WithValidator, and a body that does not pass is refused with
// 422 validation_failed, one field error per problem:
//
//	var orderSchema = schema.MustCompile(orderSchemaJSON)
//
//	func createOrder(w http.ResponseWriter, r *http.Request) error {
//		var o Order
//		if err := errors.DecodeJSON(r, &o, errors.WithValidator(orderSchema)); err != nil {
//			return err // 422 with a FieldError per problem, or 400, 413, 415
//		}
//		...
//	}
//
// The package is separate from errors so that a program that validates
// no JSON Schema does not link a JSON Schema implementation. It is built
// on github.com/santhosh-tekuri/jsonschema/v5.
package schema

import (
	"slices"
	"strings"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/fielderr"
)

// Schema is a compiled JSON Schema, an errors.Validator for
// errors.DecodeJSON (see errors.WithValidator). Compile each schema once,
// at start-up, and share it: a Schema is safe for concurrent use.
//
// Each problem becomes a FieldError at the JSON Pointer of the offending
// value: a missing required property at the property's own pointer
// ("is required"), an unexpected one likewise ("is not allowed"), and a
// value that matches none of a oneOf or anyOf one error at that value,
// not one per alternative.
//
// A nil *Schema validates nothing: its Validate returns an error, which
// DecodeJSON answers with a 500.
type Schema struct {
	impl *v5Schema
}

// Compile compiles the JSON Schema in src. Without a "$schema" member the
// schema is read as draft 2020-12; drafts 4, 6, 7 and 2019-09 are
// supported too. "format" is asserted (an email that is not one is an
// error), and references ($ref) may point only inside src: nothing is
// loaded from files or the network.
func Compile(src []byte) (*Schema, error) {
	impl, err := compileV5(src)
	if err != nil {
		return nil, err
	}
	return &Schema{impl: impl}, nil
}

// MustCompile is like Compile but panics if src does not compile. It is
// meant for package-level variables:
//
//	var orderSchema = schema.MustCompile(orderSchemaJSON)
func MustCompile(src []byte) *Schema {
	s, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return s
}

// errNilSchema is what Validate of a nil *Schema returns.
var errNilSchema = errors.New("schema: Validate called on a nil *Schema")

// Validate validates v, a value decoded from JSON with numbers as
// json.Number or float64, and returns the problems sorted by pointer and
// then detail, without duplicates. The error is non-nil only when v could
// not be validated at all (for example, it holds a Go value JSON cannot
// hold, or s is nil).
func (s *Schema) Validate(v any) ([]errors.FieldError, error) {
	if s == nil {
		return nil, errNilSchema
	}
	fields, err := s.impl.validate(v)
	if err != nil {
		return nil, err
	}
	return normalize(fields), nil
}

// normalize sorts fields, all in the body, by pointer and detail, and
// removes duplicates, in place: the order errors.DecodeJSON reports them
// in.
func normalize(fields []errors.FieldError) []errors.FieldError {
	slices.SortFunc(fields, func(a, b errors.FieldError) int {
		if c := fielderr.ComparePointers(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Detail, b.Detail)
	})
	return slices.Compact(fields)
}
