package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/sqlstore"
)

// postgresDSN is where Example_postgreSQL finds its database:
// RESTWELL_POSTGRES_DSN, by default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
var postgresDSN = testenv.PostgresDSN()

// TestMain keeps Example_postgreSQL from running when no PostgreSQL
// answers (an example cannot skip itself), unless
// RESTWELL_REQUIRE_POSTGRES=1.
func TestMain(m *testing.M) {
	flag.Parse()
	db, err := sql.Open("pgx", postgresDSN)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		testenv.SkipExamples(testenv.Postgres, "no PostgreSQL at RESTWELL_POSTGRES_DSN: "+err.Error(), "Example_postgreSQL")
	}
	os.Exit(m.Run())
}

// An order and its recorded response commit in one SQLite transaction, so
// a retry is replayed and never creates a second order, even if the
// process died right after the commit.
func Example() {
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	ctx := context.Background()
	store, err := sqlstore.New(db, sqlstore.Config{
		Dialect: sqlstore.SQLite,
		Timeout: 2 * time.Second, // each statement; 503 past it (default 5s)
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.CreateTable(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)"); err != nil {
		log.Fatal(err)
	}
	idem, err := idempotency.New(idempotency.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}

	createOrder := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		info, _ := idempotency.FromContext(r.Context())
		tx, err := db.BeginTx(r.Context(), nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		res, err := tx.ExecContext(r.Context(), "INSERT INTO orders (item) VALUES ('mug')")
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		resp := &idempotency.Response{
			Status: http.StatusCreated,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   fmt.Appendf(nil, `{"order":%d}`, id),
		}
		if err := store.CompleteTx(r.Context(), tx, info, resp); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		return resp.Send(w)
	})
	h := idem.Require(createOrder)

	for range 2 {
		req := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
		req.Header.Set("Idempotency-Key", `"3f0c1e7a-9b2d-4c8e-a1f6-5d4b3a291807"`)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%d %s replayed=%q\n", rec.Code, rec.Body, rec.Header().Get("Idempotent-Replayed"))
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders:", n)
	// Output:
	// 201 {"order":1} replayed=""
	// 201 {"order":1} replayed="true"
	// orders: 1
}

// The store on PostgreSQL, shared by every instance of a service. This
// example runs against the server at RESTWELL_POSTGRES_DSN; its table has
// a name of its own, because other programs may share the database.
func Example_postgreSQL() {
	db, err := sql.Open("pgx", postgresDSN) // github.com/jackc/pgx/v5/stdlib
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "example_idempotency_" + hex.EncodeToString(b[:])
	store, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.PostgreSQL, Table: table})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.CreateTable(ctx); err != nil {
		log.Fatal(err)
	}
	defer db.ExecContext(ctx, "DROP TABLE "+table)

	idem, err := idempotency.New(idempotency.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	payments := 0
	h := idem.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payments++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"payment":%d}`, payments)
	}))
	for _, body := range []string{`{"amount":100}`, `{"amount":100}`, `{"amount":999}`} {
		req := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", `"b7e4d3c2-1a09-4f8e-9d7c-6b5a4f3e2d1c"`)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	fmt.Println("payments made:", payments)
	// Output:
	// 201 {"payment":1}
	// 201 {"payment":1}
	// 422 {"error":{"code":"idempotency_key_reused","message":"this Idempotency-Key was already used for a different request"}}
	// payments made: 1
}
