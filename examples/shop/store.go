package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Price is an amount of money in minor units (cents, yen, won).
type Price struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Item is an article for sale, in its version 2 representation.
type Item struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Price     Price     `json:"price"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Revision counts the item's writes; it backs the item's ETag.
	Revision int64 `json:"-"`
}

// Order is a purchase of an item by one caller.
type Order struct {
	ID        int64     `json:"id"`
	ItemID    int64     `json:"item_id"`
	Quantity  int64     `json:"quantity"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	// errNotFound is returned by the store for a missing row.
	errNotFound = errors.New("shop: not found")
	// errConflict is returned by a conditional write whose row changed
	// (or went away) since the revision it was given was read.
	errConflict = errors.New("shop: the item changed concurrently")
	// errHasOrders is returned when deleting an item that orders refer to.
	errHasOrders = errors.New("shop: the item has orders")
	// errDuplicateOrder is returned by CreateOrder when the caller's
	// idempotency key already produced an order.
	errDuplicateOrder = errors.New("shop: an order with this idempotency key exists")
)

// Store keeps items, orders and the hashes of API keys in SQLite. It is safe for concurrent use,
// also by several processes sharing one database file.
//
// Reads go through a pool of connections; writes through a single
// connection, so that writers of this process queue in the pool instead of
// polling SQLite's file lock. Writers of other processes wait on the lock
// for up to the busy timeout.
type Store struct {
	db  *sql.DB // reads
	wdb *sql.DB // writes: one connection, transactions BEGIN IMMEDIATE

	getItem, getKey *sql.Stmt
}

// OpenStore opens (creating if needed) the SQLite database at path, or a
// private in-memory database for ":memory:", and brings its schema up to
// date.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("no database path")
	}
	// busy_timeout makes a writer of another process wait for the lock
	// instead of failing; _txlock=immediate takes the write lock when a
	// transaction begins, so two writers never deadlock upgrading read
	// locks; WAL lets readers run beside the writer.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	s := &Store{}
	if path == ":memory:" {
		// Every connection to :memory: is a database of its own: one
		// connection serves reads and writes.
		db, err := sql.Open("sqlite", "file::memory:?"+common+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		s.db, s.wdb = db, db
	} else {
		file := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + common +
			"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
		wdb, err := sql.Open("sqlite", file+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		wdb.SetMaxOpenConns(1)
		rdb, err := sql.Open("sqlite", file+"&_pragma=query_only(1)")
		if err != nil {
			wdb.Close()
			return nil, err
		}
		n := max(4, 2*runtime.GOMAXPROCS(0))
		rdb.SetMaxOpenConns(n)
		rdb.SetMaxIdleConns(n)
		s.db, s.wdb = rdb, wdb
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	var err error
	if s.getItem, err = s.db.PrepareContext(ctx, `SELECT `+itemColumns+` FROM items WHERE id = ?`); err != nil {
		s.Close()
		return nil, err
	}
	if s.getKey, err = s.db.PrepareContext(ctx, `SELECT account FROM api_keys WHERE hash = ?`); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.wdb != s.db {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

func (s *Store) migrate(ctx context.Context) error {
	_, err := s.wdb.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS items (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	name           TEXT    NOT NULL,
	price_amount   INTEGER NOT NULL CHECK (price_amount >= 0),
	price_currency TEXT    NOT NULL,
	created_at     INTEGER NOT NULL, -- Unix nanoseconds, UTC
	updated_at     INTEGER NOT NULL,
	revision       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS items_created_at ON items (created_at, id);
CREATE INDEX IF NOT EXISTS items_price ON items (price_amount, id);
CREATE INDEX IF NOT EXISTS items_name ON items (name, id);

CREATE TABLE IF NOT EXISTS orders (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	caller          TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	item_id         INTEGER NOT NULL REFERENCES items (id),
	quantity        INTEGER NOT NULL CHECK (quantity >= 1),
	created_at      INTEGER NOT NULL,
	-- One order per caller and key, whatever happens to the stored
	-- response: the last line of defence against a duplicate order.
	UNIQUE (caller, idempotency_key)
);
CREATE INDEX IF NOT EXISTS orders_caller ON orders (caller, created_at, id);
CREATE INDEX IF NOT EXISTS orders_item ON orders (item_id);

-- API keys by their SHA-256: the keys themselves are never stored.
CREATE TABLE IF NOT EXISTS api_keys (
	hash    BLOB    PRIMARY KEY CHECK (length(hash) = 32),
	account TEXT    NOT NULL,
	created INTEGER NOT NULL -- Unix nanoseconds, UTC
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys (account);
`)
	return err
}

const itemColumns = `id, name, price_amount, price_currency, created_at, updated_at, revision`

type scanner interface{ Scan(...any) error }

func scanItem(row scanner) (Item, error) {
	var it Item
	var created, updated int64
	err := row.Scan(&it.ID, &it.Name, &it.Price.Amount, &it.Price.Currency, &created, &updated, &it.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, errNotFound
	}
	it.CreatedAt = time.Unix(0, created).UTC()
	it.UpdatedAt = time.Unix(0, updated).UTC()
	return it, err
}

// now returns the current time in UTC, truncated to microseconds so that
// it survives a JSON round trip in every client.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// CreateItem inserts an item and returns it with its id and times.
func (s *Store) CreateItem(ctx context.Context, name string, p Price) (Item, error) {
	t := now().UnixNano()
	return scanItem(s.wdb.QueryRowContext(ctx,
		`INSERT INTO items (name, price_amount, price_currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING `+itemColumns,
		name, p.Amount, p.Currency, t, t))
}

// GetItem returns one item, or errNotFound.
func (s *Store) GetItem(ctx context.Context, id int64) (Item, error) {
	return scanItem(s.getItem.QueryRowContext(ctx, id))
}

// UpdateItem replaces an item's name and price if its revision is still
// rev, the revision the request's precondition was checked against, and
// returns the new state. If the item changed or went away in between it
// returns errConflict and changes nothing: a checked precondition is never
// lost to a race between two writers.
func (s *Store) UpdateItem(ctx context.Context, id, rev int64, name string, p Price) (Item, error) {
	it, err := scanItem(s.wdb.QueryRowContext(ctx,
		`UPDATE items SET name = ?, price_amount = ?, price_currency = ?, updated_at = ?, revision = revision + 1
		 WHERE id = ? AND revision = ? RETURNING `+itemColumns,
		name, p.Amount, p.Currency, now().UnixNano(), id, rev))
	if errors.Is(err, errNotFound) {
		return Item{}, errConflict
	}
	return it, err
}

// DeleteItem deletes an item if its revision is still rev; rev 0 deletes
// it whatever its revision. It returns errNotFound when there is no such
// item, errConflict when its revision is not rev, and errHasOrders when
// orders refer to it.
func (s *Store) DeleteItem(ctx context.Context, id, rev int64) error {
	q, args := `DELETE FROM items WHERE id = ?`, []any{id}
	if rev != 0 {
		q += ` AND revision = ?`
		args = append(args, rev)
	}
	res, err := s.wdb.ExecContext(ctx, q, args...)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, "FOREIGN KEY") {
			return errHasOrders
		}
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if rev == 0 {
			return errNotFound
		}
		return errConflict
	}
	return nil
}

// ListItems runs a keyset query written by package pagination: where and
// tail are its Where() and Tail(), args its Args.
func (s *Store) ListItems(ctx context.Context, where, tail string, args []any) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemColumns+` FROM items`+where+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

const orderColumns = `id, item_id, quantity, created_at`

func scanOrder(row scanner) (Order, error) {
	var o Order
	var created int64
	err := row.Scan(&o.ID, &o.ItemID, &o.Quantity, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, errNotFound
	}
	o.CreatedAt = time.Unix(0, created).UTC()
	return o, err
}

// CreateOrder records, in one transaction, an order of quantity units of
// item itemID for caller under its idempotency key. It returns
// errNotFound when the item does not exist, and errDuplicateOrder with the
// existing order when the caller's key already produced one, whatever
// became of that order's recorded response.
//
// beforeCommit, when not nil, runs inside the transaction just before the
// commit (tests use it to stand in for a slow or interrupted request).
func (s *Store) CreateOrder(ctx context.Context, caller, key string, itemID, quantity int64, beforeCommit func()) (Order, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return Order{}, err
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM items WHERE id = ?`, itemID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Order{}, errNotFound
		}
		return Order{}, err
	}
	o, err := scanOrder(tx.QueryRowContext(ctx,
		`INSERT INTO orders (caller, idempotency_key, item_id, quantity, created_at) VALUES (?, ?, ?, ?, ?) RETURNING `+orderColumns,
		caller, key, itemID, quantity, now().UnixNano()))
	if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, "UNIQUE") {
		prev, err := scanOrder(tx.QueryRowContext(ctx,
			`SELECT `+orderColumns+` FROM orders WHERE caller = ? AND idempotency_key = ?`, caller, key))
		if err != nil {
			return Order{}, err
		}
		return prev, errDuplicateOrder
	}
	if err != nil {
		return Order{}, err
	}
	if beforeCommit != nil {
		beforeCommit()
	}
	return o, tx.Commit()
}

// GetOrder returns caller's order id, or errNotFound, also when the order
// belongs to another caller.
func (s *Store) GetOrder(ctx context.Context, caller string, id int64) (Order, error) {
	return scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ? AND caller = ?`, id, caller))
}

// ListOrders runs a keyset query over caller's orders: cond and tail come
// from package pagination, args start with caller.
func (s *Store) ListOrders(ctx context.Context, and, tail string, args []any) ([]Order, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE caller = ?`+and+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var orders []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, rows.Err()
}

// CountOrders returns how many orders caller has (all callers' when
// caller is ""), for tests and operators.
func (s *Store) CountOrders(ctx context.Context, caller string) (int, error) {
	q, args := `SELECT count(*) FROM orders`, []any(nil)
	if caller != "" {
		q += ` WHERE caller = ?`
		args = append(args, caller)
	}
	var n int
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// AddAPIKey stores the SHA-256 of a new key of account.
func (s *Store) AddAPIKey(ctx context.Context, sum [sha256.Size]byte, account string) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO api_keys (hash, account, created) VALUES (?, ?, ?)`,
		sum[:], account, now().UnixNano())
	return err
}

// AddFirstAPIKey stores the SHA-256 of a key of account if the database
// has no key at all, and reports whether it did. Of several processes
// starting on one empty database, one adds its key.
func (s *Store) AddFirstAPIKey(ctx context.Context, sum [sha256.Size]byte, account string) (bool, error) {
	res, err := s.wdb.ExecContext(ctx,
		`INSERT INTO api_keys (hash, account, created) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM api_keys)`,
		sum[:], account, now().UnixNano())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// APIKeyAccount returns the account of the key whose SHA-256 is sum, or
// errNotFound.
func (s *Store) APIKeyAccount(ctx context.Context, sum [sha256.Size]byte) (string, error) {
	var account string
	err := s.getKey.QueryRowContext(ctx, sum[:]).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNotFound
	}
	return account, err
}

// APIKeyInfo describes a stored key: never the key itself.
type APIKeyInfo struct {
	Account string
	Created time.Time
	Hash    [sha256.Size]byte
}

// ListAPIKeys returns every stored key, by account and age.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKeyInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account, created, hash FROM api_keys ORDER BY account, created`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []APIKeyInfo
	for rows.Next() {
		var k APIKeyInfo
		var created int64
		var hash []byte
		if err := rows.Scan(&k.Account, &created, &hash); err != nil {
			return nil, err
		}
		k.Created = time.Unix(0, created).UTC()
		copy(k.Hash[:], hash)
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeAPIKeys deletes every key of account and returns how many there
// were. Requests with them get 401 invalid_api_key from then on.
func (s *Store) RevokeAPIKeys(ctx context.Context, account string) (int64, error) {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM api_keys WHERE account = ?`, account)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// isConstraint reports whether err is the SQLite constraint violation
// code (an extended result code), or carries text in its message for a
// driver that reports only the primary code.
func isConstraint(err error, code int, text string) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		if se.Code() == code {
			return true
		}
		if se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
			return false
		}
	}
	return strings.Contains(err.Error(), text+" constraint failed")
}
