// Package keysettest checks that keyset paging with package pagination
// returns every row exactly once, in order, on a given database and
// driver. It is a property test: random tables full of duplicate sort
// values and NULLs, random sorts over one to three columns in every
// combination of directions and NULL placements, every page size, walks
// forward and backward, and walks while other goroutines insert and delete
// rows.
//
// Run it in your own tests against the database you deploy on:
//
//	func TestKeyset(t *testing.T) {
//		db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//		if err != nil {
//			t.Fatal(err)
//		}
//		keysettest.Run(t, db, pagination.PostgreSQL)
//	}
//
// Run creates its own table, named restwell_keyset_ and a random suffix,
// and drops it at the end, so runs can share a database. Its size is
// bounded to a few seconds; under -short it does less. The environment
// variable RESTWELL_KEYSET_ROUNDS sets the number of random tables, and
// RESTWELL_KEYSET_SEED replays a failed run (the seed is logged).
package keysettest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mrand "math/rand/v2"

	"github.com/restwell/restwell/pagination"
)

// Run checks keyset paging on db, writing SQL for d. The table it creates
// uses portable column types chosen by d; MySQL types also work on
// SQLite.
func Run(t *testing.T, db *sql.DB, d pagination.Dialect) {
	t.Helper()
	tbl, err := newSQLTable(db, d)
	if err != nil {
		t.Fatalf("keysettest: %v", err)
	}
	t.Cleanup(func() { tbl.drop() })
	run(t, tbl, d, scaleFor(30, 14))
}

// scale is the size of a run.
type scale struct {
	rounds  int // random tables
	maxRows int // rows per table, at most
	seed    uint64
}

func scaleFor(rounds, maxRows int) scale {
	if testing.Short() {
		rounds = max(2, rounds/5)
	}
	if v, err := strconv.Atoi(os.Getenv("RESTWELL_KEYSET_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	s := scale{rounds: rounds, maxRows: maxRows}
	if v, err := strconv.ParseUint(os.Getenv("RESTWELL_KEYSET_SEED"), 10, 64); err == nil {
		s.seed = v
	} else {
		s.seed = mrand.Uint64()
	}
	return s
}

// row is a row of the test table. g is NOT NULL; the others are nullable.
type row struct {
	ID int64
	G  int64
	N  sql.NullInt64
	S  sql.NullString
	F  sql.NullFloat64
	B  sql.NullBool
	T  sql.NullTime
}

func (r row) String() string {
	v := func(valid bool, x any) string {
		if !valid {
			return "NULL"
		}
		return fmt.Sprint(x)
	}
	return fmt.Sprintf("{id=%d g=%d n=%s s=%s f=%s b=%s t=%s}", r.ID, r.G, v(r.N.Valid, r.N.Int64),
		v(r.S.Valid, strconv.Quote(r.S.String)), v(r.F.Valid, r.F.Float64), v(r.B.Valid, r.B.Bool), v(r.T.Valid, r.T.Time))
}

type column struct {
	name     string
	nullable bool
	value    func(row) any
}

var columns = []column{
	{"g", false, func(r row) any { return r.G }},
	{"n", true, func(r row) any { return r.N }},
	{"s", true, func(r row) any { return r.S }},
	{"f", true, func(r row) any { return r.F }},
	{"b", true, func(r row) any { return r.B }},
	{"t", true, func(r row) any { return r.T }},
}

var (
	cet     = time.FixedZone("CET", 3600)
	est     = time.FixedZone("EST", -5*3600)
	instant = time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)
	strs    = []string{"", "a", "A", "b", "ä", "a b", "zz"}
	floats  = []float64{-2.5, 0, 1.5, 1e300, -1e-300}
)

// randRow returns a row with values drawn from small domains, so that
// sort values repeat a lot, and about a quarter NULLs.
func randRow(rng *mrand.Rand, id int64) row {
	null := func() bool { return rng.IntN(4) == 0 }
	r := row{ID: id, G: int64(rng.IntN(3))}
	if !null() {
		r.N = sql.NullInt64{Int64: int64(rng.IntN(4)) - 1, Valid: true}
	}
	if !null() {
		r.S = sql.NullString{String: strs[rng.IntN(len(strs))], Valid: true}
	}
	if !null() {
		r.F = sql.NullFloat64{Float64: floats[rng.IntN(len(floats))], Valid: true}
	}
	if !null() {
		r.B = sql.NullBool{Bool: rng.IntN(2) == 0, Valid: true}
	}
	if !null() {
		tm := instant.Add(time.Duration(rng.IntN(3)) * 1500 * time.Millisecond)
		switch rng.IntN(3) {
		case 1:
			tm = tm.In(cet)
		case 2:
			tm = tm.In(est)
		}
		r.T = sql.NullTime{Time: tm, Valid: true}
	}
	return r
}

// table is what the suite needs of a database.
type table interface {
	// reset empties the table and inserts rows.
	reset(ctx context.Context, rows []row) error
	insert(ctx context.Context, r row) error
	delete(ctx context.Context, id int64) error
	// page runs SELECT ... q.Where() q.Tail().
	page(ctx context.Context, q pagination.Query) ([]row, error)
	// all returns every row in the given order.
	all(ctx context.Context, orderBy string) ([]row, error)
}

// sortSpec is one random sort: its name for the sort parameter and how
// NULLs are placed per column.
type sortSpec struct {
	name  string
	nulls map[string]pagination.Nulls
}

func randSort(rng *mrand.Rand) sortSpec {
	s := sortSpec{nulls: map[string]pagination.Nulls{}}
	for _, c := range columns {
		if c.nullable {
			s.nulls[c.name] = pagination.NullsFirst + pagination.Nulls(rng.IntN(2))
		}
	}
	if rng.IntN(10) == 0 {
		s.name = []string{"id", "-id"}[rng.IntN(2)]
		return s
	}
	perm := rng.Perm(len(columns))[:1+rng.IntN(3)]
	var terms []string
	for _, i := range perm {
		term := columns[i].name
		if rng.IntN(2) == 0 {
			term = "-" + term
		}
		terms = append(terms, term)
	}
	s.name = strings.Join(terms, ",")
	return s
}

func newPager(s sortSpec) (*pagination.Pager[row], error) {
	cfg := pagination.Config[row]{
		Keys:  [][]byte{[]byte("keysettest keysettest keysettest")},
		ID:    pagination.Column[row]{Name: "id", Value: func(r row) any { return r.ID }},
		Sorts: []string{s.name},
	}
	for _, c := range columns {
		cfg.Columns = append(cfg.Columns, pagination.Column[row]{Name: c.name, Nulls: s.nulls[c.name], Value: c.value})
	}
	return pagination.New(cfg)
}

func run(t reporter, tbl table, d pagination.Dialect, sc scale) {
	t.Helper()
	t.Logf("keysettest: %d rounds of up to %d rows, seed %d (RESTWELL_KEYSET_SEED=%d replays it)", sc.rounds, sc.maxRows, sc.seed, sc.seed)
	rng := mrand.New(mrand.NewPCG(sc.seed, 0x6b6579736574))
	ctx := context.Background()
	stats := &stats{}
	for round := 0; round < sc.rounds; round++ {
		w := &walker{t: t, tbl: tbl, d: d, ctx: ctx, sort: randSort(rng), stats: stats}
		var err error
		if w.p, err = newPager(w.sort); err != nil {
			t.Fatal(err)
		}
		n := rng.IntN(sc.maxRows + 1)
		ids := rng.Perm(n)
		rows := make([]row, n)
		for i, id := range ids {
			rows[i] = randRow(rng, int64(id+1))
		}
		w.label = fmt.Sprintf("seed %d round %d, sort %q, nulls %v, %d rows", sc.seed, round, w.sort.name, w.sort.nulls, n)
		if err := tbl.reset(ctx, rows); err != nil {
			t.Fatalf("%s: %v", w.label, err)
		}
		w.checkAllSizes(rng, n)
		w.checkWithWrites(rng, rows)
		if t.Failed() {
			return
		}
	}
	t.Logf("keysettest: %d walks, %d pages, %d rows checked", stats.walks.Load(), stats.pages.Load(), stats.rows.Load())
}

type stats struct{ walks, pages, rows atomic.Int64 }

// reporter is the part of *testing.T the suite uses; the suite's own tests
// substitute one that records failures, to show the suite catches broken
// queries.
type reporter interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
}

type walker struct {
	t     reporter
	tbl   table
	d     pagination.Dialect
	ctx   context.Context
	p     *pagination.Pager[row]
	sort  sortSpec
	label string
	stats *stats
}

// fetch requests target and returns the page, failing the test on any
// error.
func (w *walker) fetch(target string) *pagination.Page[row] {
	w.t.Helper()
	req, err := w.p.Parse(httptest.NewRequest("GET", target, nil))
	if err != nil {
		w.t.Fatalf("%s: GET %s: %v", w.label, target, err)
	}
	q := req.Query(w.d)
	rows, err := w.tbl.page(w.ctx, q)
	if err != nil {
		w.t.Fatalf("%s: query WHERE %s ORDER BY %s args %v: %v", w.label, q.Cond, q.OrderBy, q.Args, err)
	}
	if len(rows) > q.Fetch {
		w.t.Fatalf("%s: the query returned %d rows, more than its LIMIT %d", w.label, len(rows), q.Fetch)
	}
	pg, err := w.p.Page(req, rows)
	if err != nil {
		w.t.Fatalf("%s: Page: %v", w.label, err)
	}
	if len(pg.Items) > req.Limit() || (pg.Meta.HasNext && !req.Backward() && len(pg.Items) != req.Limit()) ||
		(pg.Meta.HasPrev && req.Backward() && len(pg.Items) != req.Limit()) {
		w.t.Fatalf("%s: GET %s: %d items for limit %d, has_next %v, has_prev %v", w.label, target, len(pg.Items), req.Limit(), pg.Meta.HasNext, pg.Meta.HasPrev)
	}
	w.stats.pages.Add(1)
	w.stats.rows.Add(int64(len(pg.Items)))
	return pg
}

func (w *walker) start(limit int) string {
	return "/items?limit=" + strconv.Itoa(limit) + "&sort=" + url.QueryEscape(w.sort.name)
}

// fullOrder returns the table in the sort's order, as the database
// orders it.
func (w *walker) fullOrder() []row {
	w.t.Helper()
	req, err := w.p.Parse(httptest.NewRequest("GET", w.start(1), nil))
	if err != nil {
		w.t.Fatal(err)
	}
	all, err := w.tbl.all(w.ctx, req.Query(w.d).OrderBy)
	if err != nil {
		w.t.Fatalf("%s: %v", w.label, err)
	}
	return all
}

// walkForward follows next links from target, calling between after each
// page, and returns the ids seen and the last page.
func (w *walker) walkForward(target string, maxPages int, between func()) ([]int64, *pagination.Page[row]) {
	w.t.Helper()
	w.stats.walks.Add(1)
	var seen []int64
	for pages := 0; ; pages++ {
		if pages > maxPages {
			w.t.Fatalf("%s: more than %d pages walking forward from %s", w.label, maxPages, target)
		}
		pg := w.fetch(target)
		for _, it := range pg.Items {
			seen = append(seen, it.ID)
		}
		if !pg.Meta.HasNext {
			return seen, pg
		}
		between()
		target = pg.Links.Next
	}
}

// walkBackward follows prev links from target and returns the ids seen,
// in forward order.
func (w *walker) walkBackward(target string, maxPages int, between func()) []int64 {
	w.t.Helper()
	w.stats.walks.Add(1)
	var pages [][]int64
	for n := 0; ; n++ {
		if n > maxPages {
			w.t.Fatalf("%s: more than %d pages walking backward from %s", w.label, maxPages, target)
		}
		pg := w.fetch(target)
		var ids []int64
		for _, it := range pg.Items {
			ids = append(ids, it.ID)
		}
		pages = append(pages, ids)
		if !pg.Meta.HasPrev {
			break
		}
		between()
		target = pg.Links.Prev
	}
	var seen []int64
	for i := len(pages) - 1; i >= 0; i-- {
		seen = append(seen, pages[i]...)
	}
	return seen
}

func idsOf(rows []row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// checkAllSizes walks the whole table forward with every page size from
// 1 to n+1, then backward from the last page with another random size,
// both through the cursor and before parameters.
func (w *walker) checkAllSizes(rng *mrand.Rand, n int) {
	w.t.Helper()
	full := w.fullOrder()
	want := idsOf(full)
	for size := 1; size <= n+1; size++ {
		got, last := w.walkForward(w.start(size), n+2, func() {})
		if !slices.Equal(got, want) {
			w.t.Fatalf("%s: forward walk, page size %d\n got %v\nwant %v\nrows in order: %v", w.label, size, got, want, full)
		}
		if !last.Meta.HasPrev {
			if len(last.Items) != n {
				w.t.Fatalf("%s: page size %d: the last page has no prev but only %d of %d rows", w.label, size, len(last.Items), n)
			}
			continue
		}
		back := 1 + rng.IntN(n)
		var target string
		if rng.IntN(2) == 0 {
			target = w.start(back) + "&before=" + last.Meta.PrevCursor
		} else {
			target = w.start(back) + "&cursor=" + last.Meta.PrevCursor
		}
		got = w.walkBackward(target, n+2, func() {})
		got = append(got, idsOf(last.Items)...)
		if !slices.Equal(got, want) {
			w.t.Fatalf("%s: backward walk, page size %d from the last page of size %d\n got %v\nwant %v\nrows in order: %v", w.label, back, size, got, want, full)
		}
	}
}

// checkWithWrites walks forward and then backward while a goroutine, and
// the walker between pages, insert rows and (during the forward walk)
// delete rows. No row may be repeated; every original row never deleted
// must be seen exactly once; rows must come in the final order.
func (w *walker) checkWithWrites(rng *mrand.Rand, original []row) {
	w.t.Helper()
	var (
		mu       sync.Mutex
		nextID   = int64(len(original) + 1000)
		deleted  = map[int64]bool{}
		existing = idsOf(original)
		deleting = true
		wrng     = mrand.New(mrand.NewPCG(rng.Uint64(), rng.Uint64()))
	)
	writes := 0
	const maxWrites = 24 // bounded, or a walk with page size 1 might never end
	mutate := func(r *mrand.Rand) error {
		mu.Lock()
		if writes >= maxWrites {
			mu.Unlock()
			return nil
		}
		writes++
		id := nextID
		nextID++
		existing = append(existing, id)
		nr := randRow(r, id)
		var del int64 = -1
		if deleting && len(existing) > 0 && r.IntN(2) == 0 {
			i := r.IntN(len(existing))
			del = existing[i]
			existing = slices.Delete(existing, i, i+1)
			deleted[del] = true
		}
		mu.Unlock()
		if err := w.tbl.insert(w.ctx, nr); err != nil {
			return err
		}
		if del >= 0 {
			return w.tbl.delete(w.ctx, del)
		}
		return nil
	}
	stop := make(chan struct{})
	errc := make(chan error, 1)
	stopWriter := sync.OnceValue(func() error { close(stop); return <-errc })
	defer stopWriter()
	go func() {
		for {
			select {
			case <-stop:
				errc <- nil
				return
			default:
			}
			mu.Lock()
			r := mrand.New(mrand.NewPCG(wrng.Uint64(), 1))
			mu.Unlock()
			if err := mutate(r); err != nil {
				errc <- err
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	var failed error
	between := func() {
		if failed == nil {
			failed = mutate(rng)
		}
	}
	size := 1 + rng.IntN(4)
	fwd, last := w.walkForward(w.start(size), 1000, between)
	mu.Lock()
	deleting = false
	mu.Unlock()
	var back []int64
	boundary := int64(-1)
	if last.Meta.HasPrev {
		boundary = last.Items[0].ID
		back = w.walkBackward(w.start(size)+"&before="+last.Meta.PrevCursor, 1000, between)
	}
	if err := stopWriter(); err != nil {
		w.t.Fatalf("%s: writing during the walk: %v", w.label, err)
	}
	if failed != nil {
		w.t.Fatalf("%s: writing during the walk: %v", w.label, failed)
	}
	final := idsOf(w.fullOrder())
	pos := map[int64]int{}
	for i, id := range final {
		pos[id] = i
	}
	check := func(dir string, seen []int64, stable func(id int64) bool) {
		count := map[int64]int{}
		prev := -1
		for _, id := range seen {
			count[id]++
			if count[id] > 1 {
				w.t.Fatalf("%s: %s walk with writes, page size %d: row %d repeated\nseen %v", w.label, dir, size, id, seen)
			}
			if p, ok := pos[id]; ok {
				if p < prev {
					w.t.Fatalf("%s: %s walk with writes, page size %d: row %d out of order\nseen  %v\nfinal %v", w.label, dir, size, id, seen, final)
				}
				prev = p
			}
		}
		for _, r := range original {
			if stable(r.ID) && count[r.ID] != 1 {
				w.t.Fatalf("%s: %s walk with writes, page size %d: original row %d seen %d times\nseen  %v\nfinal %v", w.label, dir, size, r.ID, count[r.ID], seen, final)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	check("forward", fwd, func(id int64) bool { return !deleted[id] })
	if boundary >= 0 {
		bpos, ok := pos[boundary]
		switch {
		case ok:
			check("backward", back, func(id int64) bool { return !deleted[id] && pos[id] < bpos })
		case !deleted[boundary]:
			w.t.Fatalf("%s: boundary row %d vanished though nobody deleted it", w.label, boundary)
		}
		// A deletion chosen just before the forward walk ended may have
		// taken the boundary row; nothing then says which rows lie before
		// it.
	}
}

// sqlTable is a real table in db.
type sqlTable struct {
	db   *sql.DB
	d    pagination.Dialect
	name string
	cols string
	ins  string
}

func newSQLTable(db *sql.DB, d pagination.Dialect) (*sqlTable, error) {
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, err
	}
	tb := &sqlTable{db: db, d: d, name: "restwell_keyset_" + hex.EncodeToString(suffix[:]), cols: "id, g, n, s, f, b, t"}
	var ddl string
	switch d {
	case pagination.PostgreSQL:
		ddl = "id BIGINT PRIMARY KEY, g BIGINT NOT NULL, n BIGINT, s TEXT, f DOUBLE PRECISION, b BOOLEAN, t TIMESTAMPTZ"
		tb.ins = "INSERT INTO " + tb.name + " (" + tb.cols + ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
	case pagination.MySQL:
		ddl = "id BIGINT PRIMARY KEY, g BIGINT NOT NULL, n BIGINT, s VARCHAR(16), f DOUBLE, b BOOLEAN, t DATETIME"
		tb.ins = "INSERT INTO " + tb.name + " (" + tb.cols + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
	default:
		ddl = "id INTEGER PRIMARY KEY, g INTEGER NOT NULL, n INTEGER, s TEXT, f REAL, b BOOLEAN, t TIMESTAMP"
		tb.ins = "INSERT INTO " + tb.name + " (" + tb.cols + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
	}
	if _, err := db.Exec("CREATE TABLE " + tb.name + " (" + ddl + ")"); err != nil {
		return nil, fmt.Errorf("creating %s: %w", tb.name, err)
	}
	return tb, nil
}

func (tb *sqlTable) drop() { tb.db.Exec("DROP TABLE " + tb.name) }

func (tb *sqlTable) reset(ctx context.Context, rows []row) error {
	if _, err := tb.db.ExecContext(ctx, "DELETE FROM "+tb.name); err != nil {
		return err
	}
	tx, err := tb.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, tb.ins, r.ID, r.G, r.N, r.S, r.F, r.B, r.T); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (tb *sqlTable) insert(ctx context.Context, r row) error {
	_, err := tb.db.ExecContext(ctx, tb.ins, r.ID, r.G, r.N, r.S, r.F, r.B, r.T)
	return err
}

func (tb *sqlTable) delete(ctx context.Context, id int64) error {
	ph := "?"
	if tb.d == pagination.PostgreSQL {
		ph = "$1"
	}
	_, err := tb.db.ExecContext(ctx, "DELETE FROM "+tb.name+" WHERE id = "+ph, id)
	return err
}

func (tb *sqlTable) page(ctx context.Context, q pagination.Query) ([]row, error) {
	return tb.query(ctx, "SELECT "+tb.cols+" FROM "+tb.name+q.Where()+q.Tail(), q.Args...)
}

func (tb *sqlTable) all(ctx context.Context, orderBy string) ([]row, error) {
	return tb.query(ctx, "SELECT "+tb.cols+" FROM "+tb.name+" ORDER BY "+orderBy)
}

func (tb *sqlTable) query(ctx context.Context, q string, args ...any) ([]row, error) {
	rs, err := tb.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.ID, &r.G, &r.N, &r.S, &r.F, &r.B, &r.T); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
