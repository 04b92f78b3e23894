// Package keyset holds the tests of restwell's keyset paging against real
// databases, SQLite (modernc.org/sqlite) and PostgreSQL (pgx), and a
// runnable example of a paged SQLite handler. It has no code of its own:
// the tests live here so that the core module needs no database driver.
//
// The PostgreSQL tests use RESTWELL_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and skip when
// no server answers, unless RESTWELL_REQUIRE_POSTGRES=1, when they fail. They create tables
// with unique names, so runs may share a database.
package keyset
