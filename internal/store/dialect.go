package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few real differences between the engines. Queries are
// written once with ? placeholders and rebound for PostgreSQL.
type dialect struct {
	name string
	// dollar: placeholders are $1, $2, ... (PostgreSQL).
	dollar bool
	// returning: INSERT ... RETURNING id works (PostgreSQL, SQLite); MySQL 8
	// has no RETURNING, so LastInsertId is used there.
	returning bool
	// forUpdate: SELECT ... FOR UPDATE exists. SQLite has no row locks; its
	// single writer connection serialises writers instead.
	forUpdate bool
	// skipLocked: FOR UPDATE SKIP LOCKED exists (PostgreSQL, MySQL 8,
	// MariaDB 10.6+), for claiming work from several instances. Not read
	// yet: the notification outbox queries will.
	skipLocked bool
	// textTime: timestamps are stored as fixed-width UTC text (SQLite).
	textTime bool
	// maxParams bounds the placeholders of one statement.
	maxParams int
}

var (
	dialectSQLite   = dialect{name: "sqlite", returning: true, textTime: true, maxParams: 32766}
	dialectPostgres = dialect{name: "postgres", dollar: true, returning: true, forUpdate: true, skipLocked: true, maxParams: 65535}
	dialectMySQL    = dialect{name: "mysql", forUpdate: true, skipLocked: true, maxParams: 65535}
)

// rebind turns ? placeholders into $n for PostgreSQL. Queries in this package
// never contain a literal question mark, so no quoting rules are needed.
func (d dialect) rebind(q string) string {
	if !d.dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// lockClause is appended to a SELECT that must lock the rows it reads.
func (d dialect) lockClause() string {
	if d.forUpdate {
		return " FOR UPDATE"
	}
	return ""
}

// insertIgnore turns "INSERT INTO t (cols) VALUES (...)" into a statement
// that silently skips rows that would break a unique key.
func (d dialect) insertIgnore(insert string) string {
	switch d.name {
	case "mysql":
		return strings.Replace(insert, "INSERT INTO", "INSERT IGNORE INTO", 1)
	default:
		return insert + " ON CONFLICT DO NOTHING"
	}
}

// placeholders writes "(?,?,?),(?,?,?)" for rows rows of cols columns.
func placeholders(b *strings.Builder, rows, cols int) {
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
}

// isDuplicate reports whether err is a unique-constraint violation.
func isDuplicate(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return false
}

// isRetryable reports whether a transaction failed only because it lost a
// race with another one (deadlock, serialisation failure, lock wait timeout)
// and can simply run again.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
