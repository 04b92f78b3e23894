// Package keyset holds the tests of restwell's keyset paging against real
// databases, SQLite (modernc.org/sqlite) and PostgreSQL (pgx), and a
// runnable example of a paged SQLite handler. It has no code of its own:
// the tests live here so that the core module needs no database driver.
//
// The PostgreSQL tests read RESTWELL_POSTGRES_DSN and skip without it,
// unless RESTWELL_REQUIRE_POSTGRES=1, when they fail. They create tables
// with unique names, so runs may share a database.
package keyset
