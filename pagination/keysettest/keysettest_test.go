package keysettest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/pagination"
)

// TestMemory runs the property test in-process, against the SQL text
// evaluated in memory, for every dialect.
func TestMemory(t *testing.T) {
	for _, d := range []pagination.Dialect{pagination.SQLite, pagination.PostgreSQL, pagination.MySQL} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			run(t, &memTable{}, d, scaleFor(80, 18))
		})
	}
}

// recorder is a reporter that records the first failure and stops the run.
type recorder struct {
	failed bool
	msg    string
}

type stopRun struct{}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Failed() bool        { return r.failed }
func (r *recorder) Fatal(args ...any)   { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(f string, a ...any) {
	r.failed, r.msg = true, fmt.Sprintf(f, a...)
	panic(stopRun{})
}

func runRecorded(tbl table, d pagination.Dialect, sc scale) (rec *recorder) {
	rec = &recorder{}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopRun); !ok {
				panic(v)
			}
		}
	}()
	run(rec, tbl, d, sc)
	return rec
}

// broken corrupts every page query the way hand-written keyset code often
// is wrong.
type broken struct {
	table
	edit func(pagination.Query) pagination.Query
}

func (b broken) page(ctx context.Context, q pagination.Query) ([]row, error) {
	return b.table.page(ctx, b.edit(q))
}

// TestSuiteCatchesBrokenQueries shows the property test has teeth: each
// classic keyset bug makes it fail.
func TestSuiteCatchesBrokenQueries(t *testing.T) {
	orNull := regexp.MustCompile(` OR [a-z]+ IS NULL\)`)
	tests := []struct {
		name string
		want string
		edit func(pagination.Query) pagination.Query
	}{
		{"greater or equal repeats the boundary row", "walk", func(q pagination.Query) pagination.Query {
			r := strings.NewReplacer(" > ", " >= ", " < ", " <= ", ") > (", ") >= (", ") < (", ") <= (")
			q.Cond = r.Replace(q.Cond)
			return q
		}},
		{"comparisons drop NULL rows", "walk", func(q pagination.Query) pagination.Query {
			q.Cond = orNull.ReplaceAllString(q.Cond, ")")
			return q
		}},
		{"no tie-breaker skips and repeats ties", "walk", func(q pagination.Query) pagination.Query {
			if i := strings.LastIndex(q.OrderBy, ", "); i >= 0 {
				q.OrderBy = q.OrderBy[:i]
			}
			return q
		}},
		{"no extra row loses has_next", "", func(q pagination.Query) pagination.Query {
			q.Fetch--
			return q
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runRecorded(broken{table: &memTable{}, edit: tt.edit}, pagination.SQLite, scale{rounds: 60, maxRows: 12, seed: 1})
			if !rec.failed {
				t.Fatal("the suite passed a broken query")
			}
			if !strings.Contains(rec.msg, tt.want) {
				t.Errorf("failure %q does not mention %q", rec.msg, tt.want)
			}
			t.Logf("caught: %.200s", rec.msg)
		})
	}
	if rec := runRecorded(&memTable{}, pagination.SQLite, scale{rounds: 10, maxRows: 12, seed: 1}); rec.failed {
		t.Fatalf("the unbroken table failed: %s", rec.msg)
	}
}

func TestEvaluator(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := row{ID: 5, G: 1}
	r.S.String, r.S.Valid = "m", true
	r.T.Time, r.T.Valid = at, true
	tests := []struct {
		cond string
		args []any
		want tri
	}{
		{"id > ?", []any{int64(4)}, yes},
		{"id > ?", []any{int64(5)}, no},
		{"n > ?", []any{int64(0)}, unknown},
		{"n IS NULL", nil, yes},
		{"n IS NOT NULL", nil, no},
		{"(n > ?) OR (id = ?)", []any{int64(0), int64(5)}, yes},
		{"(n > ?) OR (id = ?)", []any{int64(0), int64(6)}, unknown},
		{"n > $1 AND id = $2", []any{int64(0), int64(6)}, no},
		{"(g, id) > (?, ?)", []any{int64(1), int64(4)}, yes},
		{"(g, id) < ($1, $2)", []any{int64(1), int64(4)}, no},
		{"(g, n) > (?, ?)", []any{int64(1), int64(4)}, unknown},
		{"(g, n) > (?, ?)", []any{int64(0), int64(4)}, yes},
		{"s >= ? AND t = ?", []any{"m", at}, yes},
	}
	for _, tt := range tests {
		n, err := parseCond(tt.cond, tt.args)
		if err != nil {
			t.Fatalf("%s: %v", tt.cond, err)
		}
		if got, err := n.eval(r); err != nil || got != tt.want {
			t.Errorf("%s %v = %v, %v; want %v", tt.cond, tt.args, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		cond string
		args []any
	}{
		{"id > ?", nil},
		{"id > ?", []any{int64(1), int64(2)}},
		{"id > $2", []any{int64(1)}},
		{"id >", nil},
		{"(id > ?", []any{int64(1)}},
		{"id ; ?", []any{int64(1)}},
		{"nope > ?", []any{int64(1)}},
		{"id > ?", []any{"text"}},
	} {
		n, err := parseCond(bad.cond, bad.args)
		if err == nil {
			_, err = n.eval(r)
		}
		if err == nil {
			t.Errorf("%q %v: want an error", bad.cond, bad.args)
		}
	}
	rows := []row{{ID: 1, G: 2}, {ID: 2, G: 1}, {ID: 3, G: 1}}
	rows[0].N.Int64, rows[0].N.Valid = 1, true
	for orderBy, want := range map[string]string{
		"g ASC, id DESC":                "[3 2 1]",
		"n ASC NULLS LAST, id ASC":      "[1 2 3]",
		"n DESC NULLS FIRST, id DESC":   "[3 2 1]",
		"n IS NULL DESC, n ASC, id ASC": "[2 3 1]",
		"n ASC, id ASC":                 "[2 3 1]",
		"n DESC, id ASC":                "[1 2 3]",
	} {
		if err := sortRows(rows, orderBy); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(idsOf(rows)); got != want {
			t.Errorf("ORDER BY %s: %s, want %s", orderBy, got, want)
		}
	}
}
