package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
)

// Edit is a reversible change to one JSON object, the building block of a
// Change. Up turns an object of the older version into the newer shape
// (for requests); Down turns the newer shape into the older one (for
// responses). Either may be nil when that direction needs nothing. Both
// change obj in place; an object that does not have the shape an edit
// expects should be left as it is, since the handler's validation reports
// it better. Objects hold what encoding/json decodes into an any, with
// numbers as json.Number.
//
// Use the helpers (Rename, Remove, Add, Move, Nest, Reshape) or write the
// functions. The functions are called concurrently for different requests
// and must not keep obj.
type Edit struct {
	Up   func(obj map[string]any) error
	Down func(obj map[string]any) error

	err error // an invalid helper argument, reported by New
}

// Rename is a field renamed from old (in the older version) to name (in
// the newer one).
func Rename(old, name string) Edit {
	if old == "" || name == "" || old == name {
		return Edit{err: errors.New("Rename needs two different, non-empty names")}
	}
	return Edit{
		Up:   func(obj map[string]any) error { rename(obj, old, name); return nil },
		Down: func(obj map[string]any) error { rename(obj, name, old); return nil },
	}
}

func rename(obj map[string]any, from, to string) {
	if val, ok := obj[from]; ok {
		delete(obj, from)
		obj[to] = val
	}
}

// Remove is a field the newer version no longer has. Upgrading deletes it;
// downgrading adds it back with the value def when it is absent, or does
// nothing when def is nil (use json.RawMessage("null") for a JSON null).
// def must be encodable with encoding/json; each object gets its own copy.
func Remove(name string, def any) Edit {
	if name == "" {
		return Edit{err: errors.New("Remove needs a field name")}
	}
	val, err := newDefault(def)
	if err != nil {
		return Edit{err: err}
	}
	return Edit{
		Up: func(obj map[string]any) error { delete(obj, name); return nil },
		Down: func(obj map[string]any) error {
			if _, ok := obj[name]; !ok && val != nil {
				obj[name] = val()
			}
			return nil
		},
	}
}

// Add is a field the newer version introduced. Upgrading sets it to def
// when it is absent (nothing when def is nil); downgrading deletes it.
// def must be encodable with encoding/json; each object gets its own copy.
func Add(name string, def any) Edit {
	if name == "" {
		return Edit{err: errors.New("Add needs a field name")}
	}
	e := Remove(name, def)
	e.Up, e.Down = e.Down, e.Up
	return e
}

// newDefault returns a function making fresh copies of def, so that
// objects never share (and a later edit never changes) one value.
func newDefault(def any) (func() any, error) {
	if def == nil {
		return nil, nil
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, errors.New("default value: " + err.Error())
	}
	return func() any {
		val, _ := decodeJSON(raw) // raw came from json.Marshal
		return val
	}, nil
}

// Move is a value that moved from one place to another within the object:
// from (in the older version) and to (in the newer one) are JSON Pointers
// relative to the object, through nested objects. Objects missing on the
// way to the destination are created; objects left empty by the move are
// removed. Move("/name", "/title") is a rename, Move("/zip",
// "/address/zip") nests a field, and Move("/address/zip", "/zip")
// flattens one.
func Move(from, to string) Edit {
	f, ok1 := parsePointer(from)
	t, ok2 := parsePointer(to)
	if !ok1 || !ok2 || from == to {
		return Edit{err: errors.New("Move needs two different, non-empty JSON Pointers")}
	}
	return Edit{
		Up:   func(obj map[string]any) error { move(obj, f, t); return nil },
		Down: func(obj map[string]any) error { move(obj, t, f); return nil },
	}
}

func move(obj map[string]any, from, to []string) {
	parents := make([]map[string]any, 0, len(from))
	m := obj
	for _, tok := range from[:len(from)-1] {
		next, ok := m[tok].(map[string]any)
		if !ok {
			return
		}
		parents = append(parents, m)
		m = next
	}
	last := from[len(from)-1]
	val, ok := m[last]
	if !ok {
		return
	}
	delete(m, last)
	if !set(obj, to, val) {
		m[last] = val // the destination is blocked by a non-object: undo
		return
	}
	// Remove the objects the move emptied, innermost first.
	for i := len(parents) - 1; i >= 0; i-- {
		if len(m) != 0 {
			break
		}
		tok := from[i]
		if cur, ok := parents[i][tok].(map[string]any); !ok || len(cur) != 0 {
			break // the destination filled it again
		}
		delete(parents[i], tok)
		m = parents[i]
	}
}

// set stores val at the pointer toks, creating missing objects. It
// reports false when a non-object value is in the way.
func set(obj map[string]any, toks []string, val any) bool {
	m := obj
	for _, tok := range toks[:len(toks)-1] {
		cur, exists := m[tok]
		if !exists {
			next := map[string]any{}
			m[tok] = next
			m = next
			continue
		}
		next, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		m = next
	}
	m[toks[len(toks)-1]] = val
	return true
}

// Nest is a group of fields the newer version gathers into one object
// field, name; fields maps each member of that object to the field of the
// older version it comes from. It expresses, in both directions, a price
// that became an object:
//
//	// v1 {"price": 1200, "currency": "USD"}
//	// v2 {"price": {"amount": 1200, "currency": "USD"}}
//	versioning.Nest("price", map[string]string{"amount": "price", "currency": "currency"})
//
// Upgrading leaves an object alone when name already holds an object;
// downgrading leaves it alone when name does not. Members of the nested
// object that fields does not list are kept under name when downgrading,
// unless name is itself one of the older fields (as "price" above), whose
// place the flattened value then takes.
func Nest(name string, fields map[string]string) Edit {
	if name == "" || len(fields) == 0 {
		return Edit{err: errors.New("Nest needs a field name and at least one member")}
	}
	members := make([]string, 0, len(fields))
	olds := make(map[string]bool, len(fields))
	for member, old := range fields {
		if member == "" || old == "" || olds[old] {
			return Edit{err: errors.New("Nest needs non-empty member and field names, each field used once")}
		}
		olds[old] = true
		members = append(members, member)
	}
	slices.Sort(members)
	fields = cloneMap(fields)
	nameReused := olds[name]
	return Edit{
		Up: func(obj map[string]any) error {
			if _, ok := obj[name].(map[string]any); ok {
				return nil
			}
			nested := make(map[string]any, len(members))
			for _, member := range members {
				if val, ok := obj[fields[member]]; ok {
					nested[member] = val
					delete(obj, fields[member])
				}
			}
			if len(nested) > 0 {
				obj[name] = nested
			}
			return nil
		},
		Down: func(obj map[string]any) error {
			nested, ok := obj[name].(map[string]any)
			if !ok {
				return nil
			}
			delete(obj, name)
			for _, member := range members {
				if val, ok := nested[member]; ok {
					obj[fields[member]] = val
					delete(nested, member)
				}
			}
			if len(nested) > 0 && !nameReused {
				obj[name] = nested
			}
			return nil
		},
	}
}

func cloneMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Reshape is any other change to an object, given as the two functions:
// up from the older shape to the newer one, down back again. Either may be
// nil.
func Reshape(up, down func(obj map[string]any) error) Edit {
	return Edit{Up: up, Down: down}
}

// decodeJSON decodes exactly one JSON value, keeping numbers as
// json.Number.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return val, nil
}
