package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/idempotency/storetest"
	"github.com/restwell/restwell/internal/testenv"
	_ "modernc.org/sqlite"
)

// backend opens one kind of database for tests.
type backend struct {
	name    string
	dialect Dialect
	open    func(t testing.TB) *sql.DB
}

var backends = []backend{
	{"SQLite", SQLite, openSQLite},
	{"PostgreSQL", PostgreSQL, openPostgres},
}

// openSQLite returns a database in a fresh file, as the documentation
// recommends opening it.
func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "test.db") +
		"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	// One connection: SQLite has one writer at a time, and writers
	// queueing in the pool are served in order, where writers polling the
	// file lock would wait out each other's back-off.
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres returns the database at RESTWELL_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Without one it
// skips the test, or fails it when RESTWELL_REQUIRE_POSTGRES=1.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := testenv.PostgresDSN()
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		testenv.Unavailable(t, testenv.Postgres, "no PostgreSQL at RESTWELL_POSTGRES_DSN: %v", err)
	}
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { db.Close() })
	return db
}

// newStore returns a store over a table of its own, dropped at the end of
// the test: other tests share the database.
func newStore(t testing.TB, db *sql.DB, d Dialect) *Store {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "idem_test_" + hex.EncodeToString(b[:])
	// A generous Timeout: the conformance suite checks exactly-once
	// execution with 200 callers at once on a busy machine.
	s, err := New(db, Config{Dialect: d, Table: table, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
	return s
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			storetest.Run(t, func(t *testing.T) idempotency.Store { return newStore(t, db, b.dialect) })
		})
	}
}

func TestNew(t *testing.T) {
	db := &sql.DB{}
	for _, cfg := range []Config{
		{},
		{Dialect: 9},
		{Dialect: SQLite, Table: "a;drop table x"},
		{Dialect: SQLite, Table: "1abc"},
		{Dialect: SQLite, Table: "schema.table"},
		{Dialect: SQLite, Table: strings.Repeat("a", 64)},
		{Dialect: SQLite, Timeout: -1},
	} {
		if _, err := New(db, cfg); err == nil || !strings.HasPrefix(err.Error(), "sqlstore: ") {
			t.Errorf("New(%+v) error %v, want a sqlstore: error", cfg, err)
		}
	}
	if _, err := New(nil, Config{Dialect: SQLite}); err == nil {
		t.Error("New accepted a nil database")
	}
	s, err := New(db, Config{Dialect: PostgreSQL})
	if err != nil || s.table != "idempotency_records" {
		t.Fatalf("default table %q, %v", s.table, err)
	}
}

// orders is the application's own table in the tests below.
func createOrders(t *testing.T, db *sql.DB, table string) {
	t.Helper()
	if _, err := db.Exec("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, item TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func send(h http.Handler, key string) (w *httptest.ResponseRecorder, panicked any) {
	r := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
	r.Header.Set("Idempotency-Key", key)
	w = httptest.NewRecorder()
	func() {
		defer func() { panicked = recover() }()
		h.ServeHTTP(w, r)
	}()
	return w, panicked
}

// TestCompleteTxClosesCrashWindow runs a handler that commits its order
// and its recorded response in one transaction and then dies before the
// middleware can record anything: the retry replays, and no second order
// is written.
func TestCompleteTxClosesCrashWindow(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			s := newStore(t, db, b.dialect)
			orders := s.table + "_orders"
			createOrders(t, db, orders)
			m, err := idempotency.New(idempotency.Config{Store: s})
			if err != nil {
				t.Fatal(err)
			}
			var runs atomic.Int32
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				runs.Add(1)
				info, ok := idempotency.FromContext(r.Context())
				if !ok {
					t.Error("no idempotency.Info in the context")
					return
				}
				tx, err := db.BeginTx(r.Context(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(r.Context(), "INSERT INTO "+orders+" (id, item) VALUES (1, 'mug')"); err != nil {
					t.Error(err)
					return
				}
				res := &idempotency.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":1}`)}
				if err := s.CompleteTx(r.Context(), tx, info, res); err != nil {
					t.Error(err)
					return
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
				panic("the instance dies before it answers")
			}))
			if _, p := send(h, "k"); p == nil {
				t.Fatal("the handler did not panic")
			}
			w, p := send(h, "k")
			if p != nil {
				t.Fatalf("retry panicked: %v", p)
			}
			if w.Code != 201 || w.Body.String() != `{"id":1}` || w.Header().Get("Idempotent-Replayed") != "true" ||
				w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("retry = %d %q %v, want the recorded 201", w.Code, w.Body, w.Header())
			}
			if runs.Load() != 1 || countRows(t, db, orders) != 1 {
				t.Fatalf("handler ran %d times, %d orders; want 1 and 1", runs.Load(), countRows(t, db, orders))
			}
		})
	}
}

// TestCompleteTxRolledBack: a transaction that rolls back records
// nothing, and the middleware records what the handler then sent.
func TestCompleteTxRolledBack(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			s := newStore(t, db, b.dialect)
			m, err := idempotency.New(idempotency.Config{Store: s})
			if err != nil {
				t.Fatal(err)
			}
			var runs atomic.Int32
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				runs.Add(1)
				info, _ := idempotency.FromContext(r.Context())
				tx, err := db.BeginTx(r.Context(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if err := s.CompleteTx(r.Context(), tx, info, &idempotency.Response{Status: 201, Body: []byte("created")}); err != nil {
					t.Error(err)
				}
				tx.Rollback()
				w.WriteHeader(409)
				io.WriteString(w, "out of stock")
			}))
			first, _ := send(h, "k")
			w, _ := send(h, "k")
			if first.Code != 409 || w.Code != 409 || w.Body.String() != "out of stock" || w.Header().Get("Idempotent-Replayed") != "true" {
				t.Fatalf("first %d, retry %d %q; want the 409 the handler sent, replayed", first.Code, w.Code, w.Body)
			}
			if runs.Load() != 1 {
				t.Fatalf("handler ran %d times", runs.Load())
			}
		})
	}
}

// TestCompleteTxFencing: a request whose lease was taken over cannot
// record its response in its transaction.
func TestCompleteTxFencing(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			s := newStore(t, db, b.dialect)
			ctx := context.Background()
			k := idempotency.Key{Scope: "s", ID: "k"}
			old, ok, err := s.Acquire(ctx, k, "fp", 100*time.Millisecond, time.Hour)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			var cur idempotency.Record
			for deadline := time.Now().Add(10 * time.Second); ; {
				cur, ok, err = s.Acquire(ctx, k, "fp", time.Hour, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if ok || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !ok {
				t.Fatal("lease never taken over")
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			info := idempotency.Info{Key: k, Fingerprint: "fp", Token: old.Token, Retention: time.Hour}
			if err := s.CompleteTx(ctx, tx, info, &idempotency.Response{Status: 200}); !stderrors.Is(err, idempotency.ErrLeaseLost) {
				t.Fatalf("zombie CompleteTx: %v, want ErrLeaseLost", err)
			}
			info.Token = cur.Token
			if err := s.CompleteTx(ctx, tx, info, &idempotency.Response{Status: 201, Body: []byte("ok")}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			rec, _, err := s.Get(ctx, k)
			if err != nil || rec.Response == nil || string(rec.Response.Body) != "ok" {
				t.Fatalf("record %+v, %v", rec, err)
			}
			if err := s.CompleteTx(ctx, nil, info, rec.Response); err == nil {
				t.Fatal("CompleteTx accepted a nil transaction")
			}
		})
	}
}

func TestDeleteExpired(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			s := newStore(t, db, b.dialect)
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				ttl := time.Hour
				if i > 0 {
					ttl = time.Millisecond
				}
				if _, ok, err := s.Acquire(ctx, idempotency.Key{Scope: "s", ID: fmt.Sprint(i)}, "fp", time.Millisecond, ttl); err != nil || !ok {
					t.Fatal(ok, err)
				}
			}
			time.Sleep(20 * time.Millisecond)
			n, err := s.DeleteExpired(ctx)
			if err != nil || n != 2 {
				t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
			}
			if got := countRows(t, db, s.table); got != 1 {
				t.Fatalf("%d rows left, want 1", got)
			}
		})
	}
}

func TestStoreDown(t *testing.T) {
	db := openSQLite(t)
	s := newStore(t, db, SQLite)
	db.Close()
	m, err := idempotency.New(idempotency.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := send(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") })), "k")
	if w.Code != 503 || !strings.Contains(w.Body.String(), "idempotency_unavailable") {
		t.Fatalf("closed database: %d %q", w.Code, w.Body)
	}
}

// TestTimeout holds an exclusive lock on the table from another
// transaction, so that every statement of the store waits, and checks
// that each call gives up at Config.Timeout.
func TestTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	db := openPostgres(t)
	s := newStore(t, db, PostgreSQL)
	s.timeout = timeout
	ctx := context.Background()
	k := idempotency.Key{Scope: "s", ID: "slow"}
	rec, ok, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour)
	if err != nil || !ok {
		t.Fatalf("Acquire before the lock: %v %v", ok, err)
	}
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, "LOCK TABLE "+s.table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	app, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Rollback()
	info := idempotency.Info{Key: k, Fingerprint: "fp", Token: rec.Token, Retention: time.Hour}
	for _, tt := range []struct {
		op   string
		call func() error
	}{
		{"acquire", func() error { _, _, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour); return err }},
		{"renew", func() error { return s.Renew(ctx, k, rec.Token, time.Minute) }},
		{"complete", func() error { return s.Complete(ctx, k, rec.Token, &idempotency.Response{Status: 201}, time.Hour) }},
		{"complete in a transaction", func() error { return s.CompleteTx(ctx, app, info, &idempotency.Response{Status: 201}) }},
		{"release", func() error { return s.Release(ctx, k, rec.Token) }},
		{"get", func() error { _, _, err := s.Get(ctx, k); return err }},
	} {
		start := time.Now()
		err := tt.call()
		if elapsed := time.Since(start); elapsed > 20*timeout {
			t.Errorf("%s took %v with a %v Timeout; want it to give up at the deadline", tt.op, elapsed, timeout)
		}
		if !stderrors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s error %v while the table is locked, want context.DeadlineExceeded", tt.op, err)
		}
	}
}
