// Package sqlstore keeps idempotency records (package
// github.com/restwell/restwell/idempotency) in a SQL database through
// database/sql, with PostgreSQL and SQLite dialects. Its completion can
// join the application's own transaction, so that a response is recorded
// if and only if the work it reports was committed.
//
// # Use
//
// Open the database with the driver of your choice (this package imports
// none), create the table once, and give the store to the middleware:
//
//	db, err := sql.Open("pgx", dsn) // github.com/jackc/pgx/v5/stdlib
//	if err != nil { ... }
//	store, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.PostgreSQL})
//	if err != nil { ... }
//	if err := store.CreateTable(ctx); err != nil { ... }
//	idem, err := idempotency.New(idempotency.Config{Store: store})
//
// Config.Timeout (5s by default) bounds each call of the store, so that a
// row lock held by another transaction or a lost connection ends as a
// store failure (idempotency.Config.StoreFailure) rather than a request
// that waits.
//
// Rows are not deleted when records expire; expired rows are ignored and
// reused. Call DeleteExpired now and then (every few minutes, from one
// instance or all) to keep the table small.
//
// # Closing the crash window
//
// A store outside the application's transaction records a response after
// the handler's work committed; an instance that dies between the two
// leaves a side effect and no record, and the client's retry runs the
// handler again. When the records live in the application's own database,
// the handler can record its response in the same transaction as its
// work, with CompleteTx:
//
//	mux.Handle("POST /orders", idem.Handler(errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
//		info, _ := idempotency.FromContext(r.Context())
//		tx, err := db.BeginTx(r.Context(), nil)
//		if err != nil { return err }
//		defer tx.Rollback()
//		id, err := insertOrder(r.Context(), tx, ...)
//		if err != nil { return err }
//		res := &idempotency.Response{Status: http.StatusCreated,
//			Header: http.Header{"Content-Type": {"application/json"}},
//			Body:   []byte(fmt.Sprintf(`{"id":%d}`, id))}
//		if err := store.CompleteTx(r.Context(), tx, info, res); err != nil {
//			return err // idempotency.ErrLeaseLost: another request took the key over
//		}
//		if err := tx.Commit(); err != nil { return err }
//		return res.Send(w)
//	})))
//
// Either both the order and its recorded response are committed, or
// neither is. The middleware's own completion afterwards keeps the
// recorded response. Because CompleteTx checks the lease's fencing token
// inside the transaction, a request whose lease was taken over cannot
// commit its work alongside a stale record either: its CompleteTx fails
// and its transaction rolls back.
//
// # SQLite
//
// SQLite allows one writer at a time. Give the *sql.DB a single
// connection, so that writers queue in the pool instead of polling the
// file lock, use write-ahead logging, and set a busy timeout for other
// processes; with modernc.org/sqlite:
//
//	db, err := sql.Open("sqlite", "file:app.db?_pragma=busy_timeout(10000)"+
//		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
//	db.SetMaxOpenConns(1)
//
// With one connection, a handler must do all its database work inside its
// transaction (as above) while the transaction is open.
package sqlstore
