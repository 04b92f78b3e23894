package pagination

import (
	"reflect"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	a := Key{Expr: "a"}
	ad := Key{Expr: "a", Desc: true}
	bl := Key{Expr: "b", Nulls: NullsLast}
	bfd := Key{Expr: "b", Nulls: NullsFirst, Desc: true}
	bf := Key{Expr: "b", Nulls: NullsFirst}
	id := Key{Expr: "id"}
	idd := Key{Expr: "id", Desc: true}
	tests := []struct {
		name     string
		d        Dialect
		keys     []Key
		values   []any
		backward bool
		args     []any
		cond     string
		orderBy  string
		wantArgs []any
	}{
		{"first page", SQLite, []Key{a, id}, nil, false, nil,
			"", "a ASC, id ASC", []any{}},
		{"first page backward", SQLite, []Key{a, id}, nil, true, nil,
			"", "a DESC, id DESC", []any{}},
		{"id only", SQLite, []Key{id}, []any{5}, false, nil,
			"id > ?", "id ASC", []any{5}},
		{"id only desc", PostgreSQL, []Key{idd}, []any{5}, false, nil,
			"id < $1", "id DESC", []any{5}},
		{"row value asc", SQLite, []Key{a, id}, []any{1, 2}, false, nil,
			"(a, id) > (?, ?)", "a ASC, id ASC", []any{1, 2}},
		{"row value desc after caller args", PostgreSQL, []Key{ad, idd}, []any{1, 2}, false, []any{"x", "y"},
			"(a, id) < ($3, $4)", "a DESC, id DESC", []any{"x", "y", 1, 2}},
		{"row value desc backward", PostgreSQL, []Key{ad, idd}, []any{1, 2}, true, nil,
			"(a, id) > ($1, $2)", "a ASC, id ASC", []any{1, 2}},
		{"row value mysql", MySQL, []Key{a, id}, []any{1, 2}, false, nil,
			"(a, id) > (?, ?)", "a ASC, id ASC", []any{1, 2}},
		{"mixed directions", SQLite, []Key{ad, id}, []any{1, 2}, false, nil,
			"(a < ?) OR (a = ? AND id > ?)", "a DESC, id ASC", []any{1, 1, 2}},
		{"mixed directions postgres reuses placeholders", PostgreSQL, []Key{ad, id}, []any{1, 2}, false, []any{"x"},
			"(a < $2) OR (a = $2 AND id > $3)", "a DESC, id ASC", []any{"x", 1, 2}},
		{"mixed directions backward", SQLite, []Key{ad, id}, []any{1, 2}, true, nil,
			"(a > ?) OR (a = ? AND id < ?)", "a ASC, id DESC", []any{1, 1, 2}},
		{"nulls last, value", PostgreSQL, []Key{a, bl, id}, []any{1, "b", 2}, false, nil,
			"(a > $1) OR (a = $1 AND (b > $2 OR b IS NULL)) OR (a = $1 AND b = $2 AND id > $3)",
			"a ASC, b ASC NULLS LAST, id ASC", []any{1, "b", 2}},
		{"nulls last, null", PostgreSQL, []Key{a, bl, id}, []any{1, nil, 2}, false, nil,
			"(a > $1) OR (a = $1 AND b IS NULL AND id > $2)",
			"a ASC, b ASC NULLS LAST, id ASC", []any{1, 2}},
		{"nulls last, null, backward", PostgreSQL, []Key{a, bl, id}, []any{1, nil, 2}, true, nil,
			"(a < $1) OR (a = $1 AND b IS NOT NULL) OR (a = $1 AND b IS NULL AND id < $2)",
			"a DESC, b DESC NULLS FIRST, id DESC", []any{1, 2}},
		{"nulls last, value, backward", SQLite, []Key{bl, id}, []any{"b", 2}, true, nil,
			"(b < ?) OR (b = ? AND id < ?)",
			"b DESC NULLS FIRST, id DESC", []any{"b", "b", 2}},
		{"nulls first, null", SQLite, []Key{bf, id}, []any{nil, 2}, false, nil,
			"(b IS NOT NULL) OR (b IS NULL AND id > ?)",
			"b ASC NULLS FIRST, id ASC", []any{2}},
		{"nulls first, value", SQLite, []Key{bf, id}, []any{"x", 2}, false, nil,
			"(b > ?) OR (b = ? AND id > ?)",
			"b ASC NULLS FIRST, id ASC", []any{"x", "x", 2}},
		{"nulls first desc, null, mysql", MySQL, []Key{bfd, idd}, []any{nil, 2}, false, nil,
			"(b IS NOT NULL) OR (b IS NULL AND id < ?)",
			"b IS NULL DESC, b DESC, id DESC", []any{2}},
		{"nulls first desc, value, mysql", MySQL, []Key{bfd, idd}, []any{"x", 2}, false, nil,
			"(b < ?) OR (b = ? AND id < ?)",
			"b IS NULL DESC, b DESC, id DESC", []any{"x", "x", 2}},
		{"nulls last, mysql backward", MySQL, []Key{bl, id}, []any{"x", 2}, true, nil,
			"(b < ?) OR (b = ? AND id < ?)",
			"b IS NULL DESC, b DESC, id DESC", []any{"x", "x", 2}},
		{"nullable keys never use row values", SQLite, []Key{bl, id}, []any{nil, 2}, false, nil,
			"b IS NULL AND id > ?", "b ASC NULLS LAST, id ASC", []any{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Build(tt.d, tt.keys, tt.values, tt.backward, 10, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if q.Cond != tt.cond {
				t.Errorf("cond\n got %s\nwant %s", q.Cond, tt.cond)
			}
			if q.OrderBy != tt.orderBy {
				t.Errorf("order by\n got %s\nwant %s", q.OrderBy, tt.orderBy)
			}
			if !reflect.DeepEqual(q.Args, tt.wantArgs) {
				t.Errorf("args %#v, want %#v", q.Args, tt.wantArgs)
			}
			if q.Fetch != 11 {
				t.Errorf("fetch %d, want 11", q.Fetch)
			}
			if strings.Contains(q.Cond, ">=") || strings.Contains(q.Cond, "<=") {
				t.Errorf("cond %q is not strict", q.Cond)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	id := Key{Expr: "id"}
	tests := []struct {
		name   string
		d      Dialect
		keys   []Key
		values []any
		limit  int
	}{
		{"no keys", SQLite, nil, nil, 10},
		{"bad dialect", Dialect(9), []Key{id}, nil, 10},
		{"zero dialect", Dialect(0), []Key{id}, nil, 10},
		{"zero limit", SQLite, []Key{id}, nil, 0},
		{"too few values", SQLite, []Key{{Expr: "a"}, id}, []any{1}, 10},
		{"null in a NotNull key", SQLite, []Key{id}, []any{nil}, 10},
	}
	for _, tt := range tests {
		if q, err := Build(tt.d, tt.keys, tt.values, false, tt.limit); err == nil {
			t.Errorf("%s: Build = %+v, want an error", tt.name, q)
		}
	}
}

func TestQueryFragments(t *testing.T) {
	first := Query{OrderBy: "id ASC", Fetch: 21}
	next := Query{Cond: "id > ?", OrderBy: "id ASC", Fetch: 21}
	tests := []struct{ got, want string }{
		{first.Where(), ""},
		{first.And(), ""},
		{first.Tail(), " ORDER BY id ASC LIMIT 21"},
		{next.Where(), " WHERE id > ?"},
		{next.And(), " AND (id > ?)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	for d, want := range map[Dialect]string{PostgreSQL: "PostgreSQL", SQLite: "SQLite", MySQL: "MySQL", 0: "Dialect(0)", 7: "Dialect(7)"} {
		if d.String() != want {
			t.Errorf("Dialect(%d).String() = %q, want %q", d, d.String(), want)
		}
	}
}

func TestRequestQueryPanicsOnBadDialect(t *testing.T) {
	p := newTestPager(t, nil)
	req, err := p.Parse(get("/items"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Dialect{0, MySQL + 1, 200} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Query(Dialect(%d)): no panic for an undeclared dialect", d)
				}
			}()
			req.Query(d)
		}()
	}
}
