package schema

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/fielderr"
)

// This file maps github.com/santhosh-tekuri/jsonschema/v5 to FieldErrors.
// Its error tree needs care:
//
//   - required and additionalProperties errors are reported at the parent
//     object, naming the properties only in the message; the names are
//     taken here from the compiled schema and the instance instead.
//   - InstanceLocation is a JSON Pointer whose tokens are then
//     percent-encoded ("/e%20mail"); it is decoded to a plain pointer.
//   - oneOf and anyOf give one error per alternative, all at the same
//     place; they become one error.
//   - The root "doesn't validate with ..." error, $ref, allOf and
//     if/then/else errors only group others; only leaves are kept.

// schemaURL names the schema document; locations in errors start with it
// unless the schema has an $id.
const schemaURL = "mem:///schema.json"

type v5Schema struct {
	root *jsonschema.Schema
	// byLoc has every subschema reachable from root by its Location, to
	// find the schema an error's AbsoluteKeywordLocation belongs to.
	byLoc map[string]*jsonschema.Schema
}

func compileV5(src []byte) (*v5Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("%s: only references inside the schema are supported", u)
	}
	if err := c.AddResource(schemaURL, bytes.NewReader(src)); err != nil {
		return nil, fmt.Errorf("schema: invalid JSON Schema: %w", err)
	}
	root, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("schema: invalid JSON Schema: %w", err)
	}
	s := &v5Schema{root: root, byLoc: make(map[string]*jsonschema.Schema)}
	s.index(root)
	return s, nil
}

// index records sch and every schema reachable from it in s.byLoc.
func (s *v5Schema) index(sch *jsonschema.Schema) {
	if sch == nil {
		return
	}
	if _, ok := s.byLoc[sch.Location]; ok {
		return
	}
	s.byLoc[sch.Location] = sch
	for _, sub := range []*jsonschema.Schema{sch.Ref, sch.RecursiveRef, sch.DynamicRef, sch.Not,
		sch.If, sch.Then, sch.Else, sch.PropertyNames, sch.UnevaluatedProperties, sch.Items2020,
		sch.Contains, sch.UnevaluatedItems, sch.ContentSchema} {
		s.index(sub)
	}
	for _, list := range [][]*jsonschema.Schema{sch.AllOf, sch.AnyOf, sch.OneOf, sch.PrefixItems} {
		for _, sub := range list {
			s.index(sub)
		}
	}
	for _, sub := range sch.Properties {
		s.index(sub)
	}
	for _, sub := range sch.PatternProperties {
		s.index(sub)
	}
	for _, sub := range sch.DependentSchemas {
		s.index(sub)
	}
	for _, d := range sch.Dependencies {
		if sub, ok := d.(*jsonschema.Schema); ok {
			s.index(sub)
		}
	}
	for _, x := range []any{sch.AdditionalProperties, sch.AdditionalItems, sch.Items} {
		switch x := x.(type) {
		case *jsonschema.Schema:
			s.index(x)
		case []*jsonschema.Schema:
			for _, sub := range x {
				s.index(sub)
			}
		}
	}
}

// keyword splits an AbsoluteKeywordLocation into the schema it belongs
// to and the keyword path inside it ("required", "not",
// "dependentRequired/a/0"), or "" for the schema itself: a false schema,
// or an error that only groups others. sch is nil if the location is not
// one of this schema's.
//
// A keyword is tried first, since some keywords ("not", "then") report
// errors at the location of their own subschema.
func (s *v5Schema) keyword(loc string) (sch *jsonschema.Schema, kw string) {
	self := s.byLoc[loc]
	if self != nil && self.Always != nil {
		return self, ""
	}
	hash := strings.IndexByte(loc, '#')
	for i := len(loc); ; {
		j := strings.LastIndexByte(loc[:i], '/')
		if j <= hash {
			return self, ""
		}
		if sch, ok := s.byLoc[loc[:j]]; ok {
			return sch, loc[j+1:]
		}
		i = j
	}
}

func (s *v5Schema) validate(v any) ([]errors.FieldError, error) {
	err := s.root.Validate(v)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, err
	}
	m := v5Mapper{s: s, doc: v}
	m.walk(ve)
	return m.out, nil
}

type v5Mapper struct {
	s   *v5Schema
	doc any
	out []errors.FieldError
}

func (m *v5Mapper) add(ptr, detail string) {
	m.out = append(m.out, errors.BodyField(ptr, fielderr.Clip(detail)))
}

// walk adds the field errors of the tree under ve.
func (m *v5Mapper) walk(ve *jsonschema.ValidationError) {
	ptr := decodeLocation(ve.InstanceLocation)
	sch, kw := m.s.keyword(ve.AbsoluteKeywordLocation)
	if sch != nil && m.leaf(ve, sch, kw, ptr) {
		return
	}
	if len(ve.Causes) == 0 {
		m.add(ptr, ve.Message)
		return
	}
	for _, c := range ve.Causes {
		m.walk(c)
	}
}

// leaf adds the field errors for the error ve of keyword kw of sch at
// ptr, when it is one this mapping rewrites, and reports whether it was.
func (m *v5Mapper) leaf(ve *jsonschema.ValidationError, sch *jsonschema.Schema, kw, ptr string) bool {
	switch kw {
	case "":
		if sch.Always != nil && len(ve.Causes) == 0 {
			m.add(ptr, "is not allowed")
			return true
		}
	case "required":
		obj, _ := pointerValue(m.doc, ptr).(map[string]any)
		n := len(m.out)
		for _, name := range sch.Required {
			if _, ok := obj[name]; !ok {
				m.add(ptr+errors.Pointer(name), "is required")
			}
		}
		return len(m.out) > n
	case "additionalProperties":
		obj, _ := pointerValue(m.doc, ptr).(map[string]any)
		n := len(m.out)
		for name := range obj {
			if !declared(sch, name) {
				m.add(ptr+errors.Pointer(name), "is not allowed")
			}
		}
		return len(m.out) > n
	case "oneOf", "anyOf":
		m.add(ptr, m.alternatives(ve, kw, ptr))
		return true
	case "minContains":
		m.add(ptr, "must contain at least "+strconv.Itoa(sch.MinContains)+" matching items")
		return true
	case "maxContains":
		m.add(ptr, "must contain at most "+strconv.Itoa(sch.MaxContains)+" matching items")
		return true
	case "not":
		m.add(ptr, "matches a schema it must not match")
		return true
	case "const":
		if ve.Message == "const failed" {
			m.add(ptr, "must be the value the schema requires")
			return true
		}
	default:
		if name, dep, ok := dependency(sch, kw); ok {
			m.add(ptr+errors.Pointer(name), "is required when "+strconv.Quote(dep)+" is present")
			return true
		}
	}
	return false
}

// declared reports whether the object member name is covered by the
// properties or patternProperties of sch.
func declared(sch *jsonschema.Schema, name string) bool {
	if _, ok := sch.Properties[name]; ok {
		return true
	}
	for re := range sch.PatternProperties {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// dependency resolves kw "dependentRequired/<dep>/<i>" or
// "dependencies/<dep>/<i>" to the required property name.
func dependency(sch *jsonschema.Schema, kw string) (name, dep string, ok bool) {
	group, rest, _ := strings.Cut(kw, "/")
	escDep, idx, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return "", "", false
	}
	dep = fielderr.UnescapeToken(decodeLocation(escDep))
	var names []string
	switch group {
	case "dependentRequired":
		names = sch.DependentRequired[dep]
	case "dependencies":
		names, _ = sch.Dependencies[dep].([]string)
	}
	if i >= len(names) {
		return "", "", false
	}
	return names[i], dep, true
}

// alternatives describes a failed oneOf or anyOf in one detail. When every
// alternative failed only for its type, the detail lists the types.
func (m *v5Mapper) alternatives(ve *jsonschema.ValidationError, kw, ptr string) string {
	if len(ve.Causes) == 0 {
		return "must match exactly one of the allowed schemas, but matches more than one"
	}
	var types []string
	for _, c := range ve.Causes {
		sch, ckw := m.s.keyword(c.AbsoluteKeywordLocation)
		if sch == nil || ckw != "type" || len(c.Causes) > 0 || c.InstanceLocation != ve.InstanceLocation {
			types = nil
			break
		}
		for _, t := range sch.Types {
			if !containsString(types, t) {
				types = append(types, t)
			}
		}
	}
	if len(types) > 0 {
		return "expected " + strings.Join(types, " or ") + ", but got " + jsonKind(pointerValue(m.doc, ptr))
	}
	if kw == "oneOf" {
		return "must match exactly one of the allowed schemas"
	}
	return "must match at least one of the allowed schemas"
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "number"
}

// decodeLocation turns a percent-encoded JSON Pointer, as jsonschema/v5
// writes locations, into a plain one.
func decodeLocation(loc string) string {
	if strings.IndexByte(loc, '%') < 0 {
		return loc
	}
	if p, err := url.PathUnescape(loc); err == nil {
		return p
	}
	return loc
}

// pointerValue returns the value at the JSON Pointer ptr in doc, or nil.
func pointerValue(doc any, ptr string) any {
	for ptr != "" {
		var tok string
		tok, ptr = fielderr.CutToken(ptr[1:])
		tok = fielderr.UnescapeToken(tok)
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}
