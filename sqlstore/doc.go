// Package sqlstore keeps idempotency records in a SQL database through
// database/sql (PostgreSQL and SQLite dialects). Its completion can join
// the application's own transaction, so that a response is recorded if and
// only if the work it reports was committed.
package sqlstore
