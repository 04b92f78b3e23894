package sqlstore

import (
	"context"
	"database/sql"
	stderrors "errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/restwell/restwell/idempotency"
)

// Dialect is the SQL dialect of a database.
type Dialect uint8

const (
	// PostgreSQL 12 or newer.
	PostgreSQL Dialect = iota + 1
	// SQLite 3.35 or newer (RETURNING).
	SQLite
)

// Config configures a Store.
type Config struct {
	// Dialect of the database. Required.
	Dialect Dialect
	// Table holding the records: a plain identifier of letters, digits and
	// underscores. Empty means "idempotency_records".
	Table string
	// Timeout bounds each call of the store, including CompleteTx, within
	// the caller's context. The middleware records a response with a
	// context the client's disconnect does not cancel, so this is what
	// ends a completion when the database does not answer (a lock held by
	// another transaction, a lost connection). Zero means 5 seconds.
	Timeout time.Duration
}

// defaultTimeout is Config.Timeout's default.
const defaultTimeout = 5 * time.Second

// Store is an idempotency.Store in a SQL database. Each record is one row
// keyed by (scope, idem_key); leases are taken with INSERT ... ON CONFLICT
// DO UPDATE, and completions, renewals and releases are single statements
// that check the lease's fencing token. Leases, expiries and tokens use
// the database's clock, never the instances' clocks. A token is the
// database time in microseconds or one more than the key's previous
// token, whichever is larger; a released record keeps its row until it
// expires, so that tokens of a key never repeat.
//
// A Store is safe for concurrent use, as the *sql.DB it uses.
type Store struct {
	db      *sql.DB
	dialect Dialect
	table   string
	timeout time.Duration

	acquire, selectRec, complete, renew, release, get, deleteExpired string
}

// New returns a Store over db. It does not touch the database; call
// CreateTable to create the table.
func New(db *sql.DB, cfg Config) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("sqlstore: nil database")
	}
	if cfg.Dialect != PostgreSQL && cfg.Dialect != SQLite {
		return nil, fmt.Errorf("sqlstore: Config.Dialect must be PostgreSQL or SQLite")
	}
	if cfg.Table == "" {
		cfg.Table = "idempotency_records"
	}
	if !identifier(cfg.Table) {
		return nil, fmt.Errorf("sqlstore: table name %q is not a plain identifier", cfg.Table)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("sqlstore: Config.Timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	s := &Store{db: db, dialect: cfg.Dialect, table: cfg.Table, timeout: cfg.Timeout}
	s.prepareSQL()
	return s, nil
}

func identifier(s string) bool {
	if s == "" || len(s) > 63 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// prepareSQL builds the statements of the dialect once.
func (s *Store) prepareSQL() {
	// nowMS is the database's time in Unix milliseconds, nowUS in
	// microseconds (SQLite's clock has millisecond precision).
	var nowMS, nowUS, greatest string
	p := func(n int) string { return "$" + strconv.Itoa(n) }
	if s.dialect == PostgreSQL {
		nowMS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
		nowUS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"
		greatest = "GREATEST"
	} else {
		nowMS = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
		nowUS = "(" + nowMS + " * 1000)"
		greatest = "max"
		p = func(n int) string { return "?" + strconv.Itoa(n) }
	}
	t := s.table
	// $1 scope, $2 key, $3 fingerprint, $4 lease ms, $5 ttl ms.
	s.acquire = `INSERT INTO ` + t + ` AS r (scope, idem_key, fingerprint, token, lease_until, response, expires_at)
VALUES (` + p(1) + `, ` + p(2) + `, ` + p(3) + `, ` + nowUS + `, ` + nowMS + ` + ` + p(4) + `, NULL, ` + nowMS + ` + ` + p(5) + `)
ON CONFLICT (scope, idem_key) DO UPDATE SET
  fingerprint = excluded.fingerprint,
  token = ` + greatest + `(r.token + 1, excluded.token),
  lease_until = excluded.lease_until,
  response = NULL,
  expires_at = excluded.expires_at
WHERE r.expires_at <= ` + nowMS + `
   OR (r.response IS NULL AND (r.lease_until = -1
       OR (r.lease_until <= ` + nowMS + ` AND r.fingerprint = excluded.fingerprint)))
RETURNING token, lease_until`
	// A live record is neither expired nor released (lease_until -1).
	live := `scope = ` + p(1) + ` AND idem_key = ` + p(2) + ` AND expires_at > ` + nowMS + ` AND lease_until >= 0`
	s.selectRec = `SELECT fingerprint, token, lease_until, response FROM ` + t + ` WHERE ` + live
	s.get = s.selectRec
	// $3 token, $4 encoded response, $5 ttl ms. A record completed under
	// the same token matches and keeps its response.
	s.complete = `UPDATE ` + t + ` SET
  expires_at = CASE WHEN response IS NULL THEN ` + nowMS + ` + ` + p(5) + ` ELSE expires_at END,
  response = CASE WHEN response IS NULL THEN ` + p(4) + ` ELSE response END,
  lease_until = 0
WHERE ` + live + ` AND token = ` + p(3)
	// $3 token, $4 lease ms.
	s.renew = `UPDATE ` + t + ` SET lease_until = ` + nowMS + ` + ` + p(4) + `
WHERE ` + live + ` AND token = ` + p(3) + ` AND response IS NULL`
	// $3 token. The row stays, marked released, so that the next token of
	// the key is still greater than this one.
	s.release = `UPDATE ` + t + ` SET lease_until = -1 WHERE ` + live + ` AND token = ` + p(3) + ` AND response IS NULL`
	s.deleteExpired = `DELETE FROM ` + t + ` WHERE expires_at <= ` + nowMS
}

// CreateTable creates the table and its expiry index unless they exist.
func (s *Store) CreateTable(ctx context.Context) error {
	blob, integer := "BYTEA", "BIGINT"
	if s.dialect == SQLite {
		blob, integer = "BLOB", "INTEGER"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + s.table + ` (
  scope ` + blob + ` NOT NULL,
  idem_key ` + blob + ` NOT NULL,
  fingerprint ` + blob + ` NOT NULL,
  token ` + integer + ` NOT NULL,
  lease_until ` + integer + ` NOT NULL,
  response ` + blob + `,
  expires_at ` + integer + ` NOT NULL,
  PRIMARY KEY (scope, idem_key)
)`,
		`CREATE INDEX IF NOT EXISTS ` + s.table + `_expires_at ON ` + s.table + ` (expires_at)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlstore: create table: %w", err)
		}
	}
	return nil
}

// DeleteExpired deletes the rows of expired records and returns how many
// it deleted.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	r, err := s.db.ExecContext(ctx, s.deleteExpired)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete expired: %w", err)
	}
	return r.RowsAffected()
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Acquire implements idempotency.Store.
func (s *Store) Acquire(ctx context.Context, k idempotency.Key, fingerprint string, lease, ttl time.Duration) (idempotency.Record, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	scope, id, fp := []byte(k.Scope), []byte(k.ID), []byte(fingerprint)
	// The record may be released between the INSERT that found it and the
	// SELECT that reads it; then the INSERT is tried again.
	for attempt := 0; attempt < 3; attempt++ {
		var tok, until int64
		err := s.db.QueryRowContext(ctx, s.acquire, scope, id, fp, ms(lease), ms(ttl)).Scan(&tok, &until)
		if err == nil {
			return idempotency.Record{Fingerprint: fingerprint, Token: uint64(tok), LeaseExpires: time.UnixMilli(until)}, true, nil
		}
		if !stderrors.Is(err, sql.ErrNoRows) {
			return idempotency.Record{}, false, fmt.Errorf("sqlstore: acquire: %w", err)
		}
		rec, found, err := s.read(ctx, s.db.QueryRowContext(ctx, s.selectRec, scope, id))
		if err != nil || found {
			return rec, false, err
		}
	}
	return idempotency.Record{}, false, fmt.Errorf("sqlstore: acquire: the record kept changing")
}

func (s *Store) read(ctx context.Context, row *sql.Row) (idempotency.Record, bool, error) {
	var (
		fp        []byte
		tok, till int64
		res       []byte
	)
	if err := row.Scan(&fp, &tok, &till, &res); err != nil {
		if stderrors.Is(err, sql.ErrNoRows) {
			return idempotency.Record{}, false, nil
		}
		return idempotency.Record{}, false, fmt.Errorf("sqlstore: read record: %w", err)
	}
	rec := idempotency.Record{Fingerprint: string(fp), Token: uint64(tok)}
	if till > 0 {
		rec.LeaseExpires = time.UnixMilli(till)
	}
	if res != nil {
		rec.Response = new(idempotency.Response)
		if err := rec.Response.UnmarshalBinary(res); err != nil {
			return idempotency.Record{}, false, fmt.Errorf("sqlstore: %w", err)
		}
	}
	return rec, true, nil
}

// Get implements idempotency.Store.
func (s *Store) Get(ctx context.Context, k idempotency.Key) (idempotency.Record, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.read(ctx, s.db.QueryRowContext(ctx, s.get, []byte(k.Scope), []byte(k.ID)))
}

// execer is what *sql.DB and *sql.Tx share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) checked(ctx context.Context, ex execer, op, q string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r, err := ex.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if n != 1 {
		return idempotency.ErrLeaseLost
	}
	return nil
}

// Renew implements idempotency.Store.
func (s *Store) Renew(ctx context.Context, k idempotency.Key, token uint64, lease time.Duration) error {
	return s.checked(ctx, s.db, "renew", s.renew, []byte(k.Scope), []byte(k.ID), int64(token), ms(lease))
}

// Release implements idempotency.Store.
func (s *Store) Release(ctx context.Context, k idempotency.Key, token uint64) error {
	return s.checked(ctx, s.db, "release", s.release, []byte(k.Scope), []byte(k.ID), int64(token))
}

// Complete implements idempotency.Store.
func (s *Store) Complete(ctx context.Context, k idempotency.Key, token uint64, res *idempotency.Response, ttl time.Duration) error {
	return s.completeWith(ctx, s.db, k, token, res, ttl)
}

// CompleteTx records res as the response of the request described by info
// (from idempotency.FromContext) inside the application's transaction tx:
// the record becomes complete when, and only if, tx commits. It returns
// idempotency.ErrLeaseLost when info's lease no longer holds; the caller
// should then roll tx back, since another request owns the key. See the
// package documentation for an example.
//
// The response recorded here is the one retries get: the middleware's own
// completion after the handler returns keeps it. Record what the handler
// will send (res.Send writes it).
func (s *Store) CompleteTx(ctx context.Context, tx *sql.Tx, info idempotency.Info, res *idempotency.Response) error {
	if tx == nil {
		return fmt.Errorf("sqlstore: nil transaction")
	}
	ttl := info.Retention
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return s.completeWith(ctx, tx, info.Key, info.Token, res, ttl)
}

func (s *Store) completeWith(ctx context.Context, ex execer, k idempotency.Key, token uint64, res *idempotency.Response, ttl time.Duration) error {
	b, err := res.MarshalBinary()
	if err != nil {
		return err
	}
	return s.checked(ctx, ex, "complete", s.complete, []byte(k.Scope), []byte(k.ID), int64(token), b, ms(ttl))
}

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case PostgreSQL:
		return "PostgreSQL"
	case SQLite:
		return "SQLite"
	}
	return "Dialect(" + strings.TrimSpace(strconv.Itoa(int(d))) + ")"
}
