package keysettest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restwell/restwell/pagination"
)

// memTable is an in-memory table that runs the SQL the pagination package
// writes: it parses Query.Cond and Query.OrderBy and evaluates them with
// SQL's three-valued logic, so the property test runs in-process against
// the very text a database would get.
type memTable struct {
	mu   sync.Mutex
	rows []row
}

func (m *memTable) reset(_ context.Context, rows []row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = slices.Clone(rows)
	return nil
}

func (m *memTable) insert(_ context.Context, r row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.rows {
		if x.ID == r.ID {
			return fmt.Errorf("duplicate id %d", r.ID)
		}
	}
	m.rows = append(m.rows, r)
	return nil
}

func (m *memTable) delete(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = slices.DeleteFunc(m.rows, func(r row) bool { return r.ID == id })
	return nil
}

func (m *memTable) snapshot() []row {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rows)
}

func (m *memTable) page(_ context.Context, q pagination.Query) ([]row, error) {
	rows := m.snapshot()
	if q.Cond != "" {
		cond, err := parseCond(q.Cond, q.Args)
		if err != nil {
			return nil, err
		}
		kept := rows[:0]
		for _, r := range rows {
			v, err := cond.eval(r)
			if err != nil {
				return nil, err
			}
			if v == yes {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if err := sortRows(rows, q.OrderBy); err != nil {
		return nil, err
	}
	return rows[:min(len(rows), q.Fetch)], nil
}

func (m *memTable) all(_ context.Context, orderBy string) ([]row, error) {
	rows := m.snapshot()
	return rows, sortRows(rows, orderBy)
}

// colValue returns a column's value, nil for NULL.
func colValue(r row, name string) (any, error) {
	switch name {
	case "id":
		return r.ID, nil
	case "g":
		return r.G, nil
	case "n":
		if r.N.Valid {
			return r.N.Int64, nil
		}
	case "s":
		if r.S.Valid {
			return r.S.String, nil
		}
	case "f":
		if r.F.Valid {
			return r.F.Float64, nil
		}
	case "b":
		if r.B.Valid {
			return r.B.Bool, nil
		}
	case "t":
		if r.T.Valid {
			return r.T.Time, nil
		}
	default:
		return nil, fmt.Errorf("no column %q", name)
	}
	return nil, nil
}

// compareValues compares two non-NULL values of one type.
func compareValues(a, b any) (int, error) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y), nil
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, nil
			case y:
				return -1, nil
			}
			return 1, nil
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), nil
		}
	}
	return 0, fmt.Errorf("cannot compare %#v with %#v", a, b)
}

// tri is an SQL truth value.
type tri uint8

const (
	no tri = iota
	yes
	unknown
)

type node interface {
	eval(r row) (tri, error)
}

type operand struct {
	col string // a column, or
	arg any    // a bound argument
}

func (o operand) value(r row) (any, error) {
	if o.col != "" {
		return colValue(r, o.col)
	}
	return o.arg, nil
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type isNullNode struct {
	o   operand
	not bool
}
type cmpNode struct {
	op   string
	l, r []operand // one each, or row values
}

func (n andNode) eval(r row) (tri, error) {
	a, err := n.l.eval(r)
	if err != nil {
		return no, err
	}
	b, err := n.r.eval(r)
	switch {
	case err != nil:
		return no, err
	case a == no || b == no:
		return no, nil
	case a == unknown || b == unknown:
		return unknown, nil
	}
	return yes, nil
}

func (n orNode) eval(r row) (tri, error) {
	a, err := n.l.eval(r)
	if err != nil {
		return no, err
	}
	b, err := n.r.eval(r)
	switch {
	case err != nil:
		return no, err
	case a == yes || b == yes:
		return yes, nil
	case a == unknown || b == unknown:
		return unknown, nil
	}
	return no, nil
}

func (n isNullNode) eval(r row) (tri, error) {
	v, err := n.o.value(r)
	if err != nil {
		return no, err
	}
	if (v == nil) != n.not {
		return yes, nil
	}
	return no, nil
}

// eval compares (row values) lexicographically: the first pair that is
// not equal decides; a NULL before that makes the result unknown.
func (n cmpNode) eval(r row) (tri, error) {
	c := 0
	for i := range n.l {
		a, err := n.l[i].value(r)
		if err != nil {
			return no, err
		}
		b, err := n.r[i].value(r)
		if err != nil {
			return no, err
		}
		if a == nil || b == nil {
			return unknown, nil
		}
		if c, err = compareValues(a, b); err != nil {
			return no, err
		}
		if c != 0 {
			break
		}
	}
	var ok bool
	switch n.op {
	case "=":
		ok = c == 0
	case "<":
		ok = c < 0
	case ">":
		ok = c > 0
	case "<=":
		ok = c <= 0
	case ">=":
		ok = c >= 0
	}
	if ok {
		return yes, nil
	}
	return no, nil
}

// tokenize splits SQL into identifiers, keywords, placeholders and
// punctuation.
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' || c == ')' || c == ',' || c == '?' || c == '=':
			toks = append(toks, s[i:i+1])
			i++
		case c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, s[i:i+2])
				i += 2
			} else {
				toks = append(toks, s[i:i+1])
				i++
			}
		case c == '$' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in %q", c, s)
		}
	}
	return toks, nil
}

type parser struct {
	toks  []string
	pos   int
	args  []any
	nextQ int
	used  []bool
}

func (p *parser) peek(off int) string {
	if p.pos+off < len(p.toks) {
		return p.toks[p.pos+off]
	}
	return ""
}

func (p *parser) expect(tok string) error {
	if p.peek(0) != tok {
		return fmt.Errorf("want %q at token %d of %q, got %q", tok, p.pos, p.toks, p.peek(0))
	}
	p.pos++
	return nil
}

func isKeyword(s string) bool {
	switch s {
	case "AND", "OR", "IS", "NOT", "NULL", "ASC", "DESC", "NULLS", "FIRST", "LAST":
		return true
	}
	return false
}

func (p *parser) operand() (operand, error) {
	t := p.peek(0)
	p.pos++
	switch {
	case t == "?":
		if p.nextQ >= len(p.args) {
			return operand{}, fmt.Errorf("more ? than the %d arguments", len(p.args))
		}
		p.used[p.nextQ] = true
		p.nextQ++
		return operand{arg: p.args[p.nextQ-1]}, nil
	case strings.HasPrefix(t, "$"):
		n, err := strconv.Atoi(t[1:])
		if err != nil || n < 1 || n > len(p.args) {
			return operand{}, fmt.Errorf("placeholder %s with %d arguments", t, len(p.args))
		}
		p.used[n-1] = true
		return operand{arg: p.args[n-1]}, nil
	case t != "" && !isKeyword(t) && t != "(" && t != ")" && t != ",":
		return operand{col: t}, nil
	}
	return operand{}, fmt.Errorf("want an operand at token %d of %q, got %q", p.pos-1, p.toks, t)
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	for err == nil && p.peek(0) == "OR" {
		p.pos++
		var r node
		if r, err = p.and(); err == nil {
			l = orNode{l, r}
		}
	}
	return l, err
}

func (p *parser) and() (node, error) {
	l, err := p.prim()
	for err == nil && p.peek(0) == "AND" {
		p.pos++
		var r node
		if r, err = p.prim(); err == nil {
			l = andNode{l, r}
		}
	}
	return l, err
}

func (p *parser) list() ([]operand, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []operand
	for {
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		if p.peek(0) != "," {
			break
		}
		p.pos++
	}
	return out, p.expect(")")
}

func isCmp(s string) bool { return s == "=" || s == "<" || s == ">" || s == "<=" || s == ">=" }

func (p *parser) prim() (node, error) {
	if p.peek(0) == "(" {
		if p.peek(2) == "," {
			l, err := p.list()
			if err != nil {
				return nil, err
			}
			op := p.peek(0)
			if !isCmp(op) {
				return nil, fmt.Errorf("want a comparison after a row value, got %q", op)
			}
			p.pos++
			r, err := p.list()
			if err != nil {
				return nil, err
			}
			if len(l) != len(r) {
				return nil, fmt.Errorf("row values of %d and %d", len(l), len(r))
			}
			return cmpNode{op: op, l: l, r: r}, nil
		}
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.peek(0) == "IS" {
		p.pos++
		not := p.peek(0) == "NOT"
		if not {
			p.pos++
		}
		return isNullNode{o: l, not: not}, p.expect("NULL")
	}
	op := p.peek(0)
	if !isCmp(op) {
		return nil, fmt.Errorf("want a comparison, got %q", op)
	}
	p.pos++
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	return cmpNode{op: op, l: []operand{l}, r: []operand{r}}, nil
}

// parseCond parses a condition and binds args; every argument must be
// used, as a database would insist.
func parseCond(s string, args []any) (node, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, args: args, used: make([]bool, len(args))}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(toks) {
		return nil, fmt.Errorf("trailing %q in %q", toks[p.pos:], s)
	}
	for i, u := range p.used {
		if !u {
			return nil, fmt.Errorf("argument %d unused in %q", i+1, s)
		}
	}
	return n, nil
}

// orderTerm is one ORDER BY term: "col ASC|DESC [NULLS FIRST|LAST]" or
// MySQL's "col IS NULL [ASC|DESC]".
type orderTerm struct {
	col    string
	isNull bool
	desc   bool
	nulls  string // "", "FIRST" or "LAST"
}

func parseOrder(s string) ([]orderTerm, error) {
	var terms []orderTerm
	for _, part := range strings.Split(s, ", ") {
		toks, err := tokenize(part)
		if err != nil {
			return nil, err
		}
		if len(toks) == 0 || isKeyword(toks[0]) {
			return nil, fmt.Errorf("bad ORDER BY term %q", part)
		}
		t := orderTerm{col: toks[0]}
		rest := toks[1:]
		if len(rest) >= 2 && rest[0] == "IS" && rest[1] == "NULL" {
			t.isNull = true
			rest = rest[2:]
		}
		if len(rest) > 0 && (rest[0] == "ASC" || rest[0] == "DESC") {
			t.desc = rest[0] == "DESC"
			rest = rest[1:]
		}
		if len(rest) == 2 && rest[0] == "NULLS" && (rest[1] == "FIRST" || rest[1] == "LAST") && !t.isNull {
			t.nulls = rest[1]
			rest = nil
		}
		if len(rest) != 0 {
			return nil, fmt.Errorf("bad ORDER BY term %q", part)
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// sortRows sorts as SQLite would: NULL is the smallest value unless the
// term places NULLs explicitly.
func sortRows(rows []row, orderBy string) error {
	terms, err := parseOrder(orderBy)
	if err != nil {
		return err
	}
	var sortErr error
	slices.SortStableFunc(rows, func(x, y row) int {
		for _, t := range terms {
			a, err := colValue(x, t.col)
			if err != nil {
				sortErr = err
				return 0
			}
			b, err := colValue(y, t.col)
			if err != nil {
				sortErr = err
				return 0
			}
			var c int
			switch {
			case t.isNull:
				c = cmp.Compare(boolInt(a == nil), boolInt(b == nil))
			case a == nil && b == nil:
				c = 0
			case a == nil || b == nil:
				c = -1 // NULL first...
				if b == nil {
					c = 1
				}
				switch t.nulls {
				case "FIRST":
					return c
				case "LAST":
					return -c
				}
			default:
				if c, err = compareValues(a, b); err != nil {
					sortErr = err
					return 0
				}
			}
			if t.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return sortErr
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
