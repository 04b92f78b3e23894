package keyset

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/pagination"
	"github.com/restwell/restwell/pagination/keysettest"
)

// openSQLite opens a fresh SQLite file that several connections share, as
// the property test writes while it reads. params are extra DSN
// parameters.
func openSQLite(t *testing.T, params string) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "keyset.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate" + params
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(4)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// openPostgres connects to RESTWELL_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), skipping the
// test when it is unreachable, except under RESTWELL_REQUIRE_POSTGRES=1.
func openPostgres(t *testing.T) *sql.DB {
	t.Helper()
	dsn := testenv.PostgresDSN()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		testenv.Unavailable(t, testenv.Postgres, "no PostgreSQL at RESTWELL_POSTGRES_DSN: %v", err)
	}
	return db
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	keysettest.Run(t, openSQLite(t, ""), pagination.SQLite)
}

// TestSQLiteMySQLDialect runs the MySQL dialect's SQL (NULL placement by
// "expr IS NULL" terms) on SQLite, whose default NULL order is MySQL's,
// with SQLite's fixed-offset time format.
func TestSQLiteMySQLDialect(t *testing.T) {
	t.Parallel()
	keysettest.Run(t, openSQLite(t, "&_time_format=sqlite"), pagination.MySQL)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	keysettest.Run(t, openPostgres(t), pagination.PostgreSQL)
}
