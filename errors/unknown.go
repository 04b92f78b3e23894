package errors

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// unknownFields returns a FieldError for each object member in body that
// has no field in the Go type t to go to, by the rules of encoding/json.
// encoding/json only says that there is one and names it; this finds
// where. Values that decode themselves (json.Unmarshaler,
// encoding.TextUnmarshaler) and interfaces are not looked into.
func unknownFields(body []byte, t reflect.Type) []FieldError {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	var out []FieldError
	walkUnknown(doc, t, nil, &out)
	return out
}

func walkUnknown(doc any, t reflect.Type, path []string, out *[]FieldError) {
	for {
		if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
			t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			return
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := doc.(map[string]any)
		if !ok {
			return
		}
		fields := jsonFields(t)
		for k, x := range obj {
			f := findField(fields, k)
			if f == nil {
				*out = append(*out, BodyField(Pointer(append(path, k)...), "is not a known field"))
				continue
			}
			walkUnknown(x, f.typ, append(path, k), out)
		}
	case reflect.Map:
		if obj, ok := doc.(map[string]any); ok {
			for k, x := range obj {
				walkUnknown(x, t.Elem(), append(path, k), out)
			}
		}
	case reflect.Slice, reflect.Array:
		arr, ok := doc.([]any)
		if !ok {
			return
		}
		if t.Kind() == reflect.Array && len(arr) > t.Len() {
			arr = arr[:t.Len()] // encoding/json skips the rest unseen
		}
		for i, x := range arr {
			walkUnknown(x, t.Elem(), append(path, strconv.Itoa(i)), out)
		}
	}
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name   string
	tagged bool
	index  []int
	typ    reflect.Type
}

// findField returns the field a member named key decodes into: an exact
// match first, else a case-insensitive one, as encoding/json does.
func findField(fields []jsonField, key string) *jsonField {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}

// jsonFields returns the fields encoding/json decodes into for the struct
// type t, following its rules: exported fields, names from json tags, "-"
// skipped, fields of embedded structs promoted, and of several fields
// with one name the shallowest (then the tagged) one wins, or none if
// that is a tie.
func jsonFields(t reflect.Type) []jsonField {
	type embedded struct {
		typ   reflect.Type
		index []int
	}
	var current []embedded
	next := []embedded{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []jsonField
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					field := jsonField{name: name, tagged: name != "", index: index, typ: sf.Type}
					if name == "" {
						field.name = sf.Name
					}
					fields = append(fields, field)
					if count[f.typ] > 1 {
						// Embedded twice at one depth: add a twin so the
						// tie below removes it.
						fields = append(fields, field)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, embedded{typ: ft, index: index})
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b jsonField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if j-i == 1 || len(fields[i].index) != len(fields[i+1].index) || fields[i].tagged != fields[i+1].tagged {
			out = append(out, fields[i])
		}
		i = j
	}
	return out
}

// validTagName reports whether encoding/json accepts s as a name in a
// json struct tag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
