package errors

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// unknownFields returns a FieldError for each object member in body that
// has no field in the Go type t to go to, by the rules of encoding/json.
// encoding/json only says, in an error message, that there is one; this
// finds each, in one pass over the tokens of body, so that a repeated
// member is checked every time it appears. Values that decode themselves
// (json.Unmarshaler, encoding.TextUnmarshaler), interfaces and values of
// the wrong shape are not looked into. Invalid JSON yields what was found
// before the error.
func unknownFields(body []byte, t reflect.Type) []FieldError {
	w := unknownWalker{dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	w.value(t, nil)
	return w.out
}

type unknownWalker struct {
	dec *json.Decoder
	out []FieldError
}

// value reads one JSON value that decodes into a value of type t (nil:
// not looked into) at path, and reports the unknown members in it.
func (w *unknownWalker) value(t reflect.Type, path []string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	t = container(t)
	switch d {
	case '{':
		var fields *fieldSet
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = cachedFields(t)
		} else if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			next := elem
			if fields != nil {
				if f := fields.find(key); f != nil {
					next = f.typ
				} else {
					w.out = append(w.out, BodyField(Pointer(append(path, key)...), "is not a known field"))
				}
			}
			if err := w.value(next, append(path, key)); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		n := -1
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
			if t.Kind() == reflect.Array {
				n = t.Len() // encoding/json skips the rest unseen
			}
		}
		for i := 0; w.dec.More(); i++ {
			next := elem
			if n >= 0 && i >= n {
				next = nil
			}
			if err := w.value(next, append(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	}
	_, err = w.dec.Token() // the closing delimiter
	return err
}

// container returns t without its pointers if encoding/json looks into
// its values, and nil for a type that decodes itself or holds no members.
func container(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
			t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
			return t
		default:
			return nil
		}
	}
	return nil
}

// fieldCache maps a struct type to its *fieldSet, built once per type.
// It grows with the number of struct types decoded strictly, as
// encoding/json's own cache does; it is safe for concurrent use.
var fieldCache sync.Map // reflect.Type -> *fieldSet

func cachedFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs, _ := fieldCache.LoadOrStore(t, newFieldSet(jsonFields(t)))
	return fs.(*fieldSet)
}

// fieldSet finds the field of a struct that an object member decodes
// into, as encoding/json does: the field of that exact name, else the
// first, in field order, whose name folds to the same.
type fieldSet struct {
	exact  map[string]*jsonField
	folded map[string]*jsonField
}

func newFieldSet(fields []jsonField) *fieldSet {
	byIndex := slices.Clone(fields)
	slices.SortFunc(byIndex, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })
	fs := &fieldSet{exact: make(map[string]*jsonField, len(fields)), folded: make(map[string]*jsonField, len(fields))}
	for i := range byIndex {
		f := &byIndex[i]
		fs.exact[f.name] = f
		if k := foldName(f.name); fs.folded[k] == nil {
			fs.folded[k] = f
		}
	}
	return fs
}

func (fs *fieldSet) find(key string) *jsonField {
	if f := fs.exact[key]; f != nil {
		return f
	}
	return fs.folded[foldName(key)]
}

// foldName returns name in the case-folded form encoding/json matches
// member names by: ASCII letters upper-cased, other characters mapped
// through unicode.ToLower, then unicode.ToUpper.
func foldName(name string) string {
	b := make([]byte, 0, len(name))
	for _, r := range name {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b = append(b, byte(r))
			continue
		}
		b = utf8.AppendRune(b, unicode.ToUpper(unicode.ToLower(r)))
	}
	return string(b)
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name   string
	tagged bool
	index  []int
	typ    reflect.Type
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
