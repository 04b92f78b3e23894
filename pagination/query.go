package pagination

import (
	"errors"
	"strconv"
	"strings"
)

// Dialect is the SQL flavour a Query is written in. The zero Dialect is
// none of them: Build refuses it and Request.Query panics on it. The
// names and values are those of sqlstore.Dialect.
type Dialect uint8

const (
	// PostgreSQL writes $1, $2, ... placeholders, numbered after the
	// caller's own arguments, and NULLS FIRST/LAST.
	PostgreSQL Dialect = iota + 1
	// SQLite writes ? placeholders and NULLS FIRST/LAST (SQLite 3.30 or
	// newer).
	SQLite
	// MySQL writes ? placeholders and, since MySQL has no NULLS FIRST/LAST,
	// places NULLs with an "expr IS NULL" sort term. It also suits MariaDB.
	MySQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case PostgreSQL:
		return "PostgreSQL"
	case SQLite:
		return "SQLite"
	case MySQL:
		return "MySQL"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Nulls says whether a sort column can hold NULL and, if so, where its NULL
// rows go.
type Nulls uint8

const (
	// NotNull is for columns declared NOT NULL. A NULL in such a column is
	// an error when a cursor is built, never a silently dropped row.
	NotNull Nulls = iota
	// NullsFirst puts the rows whose column is NULL before all others, in
	// ascending and descending order alike.
	NullsFirst
	// NullsLast puts the rows whose column is NULL after all others, in
	// ascending and descending order alike.
	NullsLast
)

// Key is one term of an ORDER BY.
type Key struct {
	// Expr is the SQL expression sorted on, usually a column name such as
	// "created_at" or "i.price". It is written into the SQL as it is, so
	// it must come from the program, never from the client.
	Expr string
	// Desc sorts in descending order.
	Desc bool
	// Nulls says whether Expr can be NULL and where NULLs go.
	Nulls Nulls
}

// Query holds the SQL fragments for one keyset page. Paste them into a
// statement of your own:
//
//	q := req.Query(pagination.SQLite)
//	rows, err := db.QueryContext(ctx, "SELECT id, name FROM items"+q.Where()+q.Tail(), q.Args...)
//
// or, with a filter of your own and its arguments first:
//
//	q := req.Query(pagination.PostgreSQL, shopID)
//	rows, err := db.QueryContext(ctx, "SELECT id, name FROM items WHERE shop_id = $1"+q.And()+q.Tail(), q.Args...)
//
// Values are never formatted into the SQL: Cond refers to them by
// placeholder and Args holds them.
type Query struct {
	// Cond is the condition selecting the rows after the cursor, without
	// the WHERE keyword; empty on the first page.
	Cond string
	// OrderBy is the sort, without the ORDER BY keywords. It always ends
	// with the unique tie-breaker.
	OrderBy string
	// Fetch is the number of rows to fetch, the query's LIMIT: the page
	// size plus one, so that Pager.Page can tell whether another page
	// follows.
	Fetch int
	// Args holds the caller's arguments, then those Cond refers to.
	Args []any
}

// Where returns " WHERE " and Cond, or "" on the first page.
func (q Query) Where() string {
	if q.Cond == "" {
		return ""
	}
	return " WHERE " + q.Cond
}

// And returns " AND (" Cond ")", or "" on the first page, for a statement
// that already has a WHERE clause.
func (q Query) And() string {
	if q.Cond == "" {
		return ""
	}
	return " AND (" + q.Cond + ")"
}

// Tail returns " ORDER BY " OrderBy " LIMIT " Fetch. Fetch is an int the
// Pager has bounded, written as a decimal literal.
func (q Query) Tail() string {
	return " ORDER BY " + q.OrderBy + " LIMIT " + strconv.Itoa(q.Fetch)
}

var (
	errNoKeys        = errors.New("pagination: no sort keys")
	errValueCount    = errors.New("pagination: the cursor has another number of values than the sort has keys")
	errNullInNotNull = errors.New("pagination: NULL value for a sort key declared NotNull")
	errBadDialect    = errors.New("pagination: unknown dialect")
	errBadLimit      = errors.New("pagination: limit must be positive")
)

// Build writes the keyset query for the page of limit rows after (or, with
// backward, before) the row whose sort-key values are values, in the order
// of keys. Empty values means the first page. args are the caller's own
// arguments; they come first in Query.Args and, for PostgreSQL, placeholders
// are numbered after them.
//
// The last key must be unique and NOT NULL (the tie-breaker, usually the
// primary key); Pager adds it for you. Build compares with row values,
// (a, id) > (?, ?), when every key has the same direction and none can be
// NULL, and otherwise with the expanded form (a > ? OR (a = ? AND id >
// ?)), with IS NULL branches for nullable keys. Comparisons are strict, so
// the boundary row is never repeated. A backward query sorts in reverse;
// Pager.Page puts its rows back in forward order.
func Build(d Dialect, keys []Key, values []any, backward bool, limit int, args ...any) (Query, error) {
	if d < PostgreSQL || d > MySQL {
		return Query{}, errBadDialect
	}
	if len(keys) == 0 {
		return Query{}, errNoKeys
	}
	if limit < 1 {
		return Query{}, errBadLimit
	}
	if len(values) != 0 && len(values) != len(keys) {
		return Query{}, errValueCount
	}
	b := builder{d: d, args: append(make([]any, 0, len(args)+2*len(values)), args...), base: len(args)}
	q := Query{Fetch: limit + 1}
	if len(values) > 0 {
		for i, k := range keys {
			if k.Nulls == NotNull && values[i] == nil {
				return Query{}, errNullInNotNull
			}
		}
		b.nums = make([]int, len(values))
		q.Cond = b.cond(keys, values, backward)
	}
	q.OrderBy = orderBy(d, keys, backward)
	q.Args = b.args
	return q, nil
}

// builder writes a condition and collects its arguments.
type builder struct {
	d    Dialect
	sb   strings.Builder
	args []any
	base int
	nums []int // PostgreSQL: the placeholder number of each value, 0 if not yet used
}

func (b *builder) placeholder(i int, v any) {
	if b.d != PostgreSQL {
		b.sb.WriteByte('?')
		b.args = append(b.args, v)
		return
	}
	if b.nums[i] == 0 {
		b.args = append(b.args, v)
		b.nums[i] = len(b.args)
	}
	b.sb.WriteByte('$')
	b.sb.WriteString(strconv.Itoa(b.nums[i]))
}

// effective returns the direction and NULL placement of k as the query
// sorts it: reversed when paging backward.
func effective(k Key, backward bool) (desc bool, nulls Nulls) {
	desc, nulls = k.Desc, k.Nulls
	if backward {
		desc = !desc
		switch nulls {
		case NullsFirst:
			nulls = NullsLast
		case NullsLast:
			nulls = NullsFirst
		}
	}
	return desc, nulls
}

func (b *builder) cond(keys []Key, values []any, backward bool) string {
	if rowValue(keys) && len(keys) > 1 {
		desc, _ := effective(keys[0], backward)
		b.sb.WriteByte('(')
		for i, k := range keys {
			if i > 0 {
				b.sb.WriteString(", ")
			}
			b.sb.WriteString(k.Expr)
		}
		if desc {
			b.sb.WriteString(") < (")
		} else {
			b.sb.WriteString(") > (")
		}
		for i := range keys {
			if i > 0 {
				b.sb.WriteString(", ")
			}
			b.placeholder(i, values[i])
		}
		b.sb.WriteByte(')')
		return b.sb.String()
	}
	// Expanded form: the row is after the cursor if, for some i, it equals
	// the cursor on keys[:i] and is after it on keys[i].
	// Nothing sorts after NULL when NULLs come last, so such a key has no
	// branch of its own.
	hasBranch := func(i int) bool {
		_, nulls := effective(keys[i], backward)
		return values[i] != nil || nulls == NullsFirst
	}
	total := 0
	for i := range keys {
		if hasBranch(i) {
			total++
		}
	}
	branches := 0
	for i := range keys {
		if !hasBranch(i) {
			continue
		}
		desc, nulls := effective(keys[i], backward)
		v := values[i]
		if branches > 0 {
			b.sb.WriteString(" OR ")
		}
		branches++
		if total > 1 {
			b.sb.WriteByte('(')
		}
		for j := 0; j < i; j++ {
			b.sb.WriteString(keys[j].Expr)
			if values[j] == nil {
				b.sb.WriteString(" IS NULL AND ")
			} else {
				b.sb.WriteString(" = ")
				b.placeholder(j, values[j])
				b.sb.WriteString(" AND ")
			}
		}
		switch {
		case v == nil: // NULLs first: every non-NULL value comes after.
			b.sb.WriteString(keys[i].Expr)
			b.sb.WriteString(" IS NOT NULL")
		case nulls == NullsLast:
			b.sb.WriteByte('(')
			b.compare(keys[i].Expr, desc, i, v)
			b.sb.WriteString(" OR ")
			b.sb.WriteString(keys[i].Expr)
			b.sb.WriteString(" IS NULL)")
		default:
			b.compare(keys[i].Expr, desc, i, v)
		}
		if total > 1 {
			b.sb.WriteByte(')')
		}
	}
	return b.sb.String()
}

func (b *builder) compare(expr string, desc bool, i int, v any) {
	b.sb.WriteString(expr)
	if desc {
		b.sb.WriteString(" < ")
	} else {
		b.sb.WriteString(" > ")
	}
	b.placeholder(i, v)
}

// rowValue reports whether a row-value comparison is exact for keys: all
// in one direction and none nullable (a NULL inside a row value makes the
// whole comparison NULL, which would drop the row).
func rowValue(keys []Key) bool {
	for _, k := range keys {
		if k.Nulls != NotNull || k.Desc != keys[0].Desc {
			return false
		}
	}
	return true
}

func orderBy(d Dialect, keys []Key, backward bool) string {
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		desc, nulls := effective(k, backward)
		if d == MySQL && nulls != NotNull {
			// MySQL sorts NULL first ascending; "expr IS NULL" is 0 for
			// values and 1 for NULL.
			sb.WriteString(k.Expr)
			if nulls == NullsFirst {
				sb.WriteString(" IS NULL DESC, ")
			} else {
				sb.WriteString(" IS NULL ASC, ")
			}
		}
		sb.WriteString(k.Expr)
		if desc {
			sb.WriteString(" DESC")
		} else {
			sb.WriteString(" ASC")
		}
		if d != MySQL {
			switch nulls {
			case NullsFirst:
				sb.WriteString(" NULLS FIRST")
			case NullsLast:
				sb.WriteString(" NULLS LAST")
			}
		}
	}
	return sb.String()
}
