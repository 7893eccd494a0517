// Package importer reads an upstream Healthchecks database (SQLite, PostgreSQL
// or MySQL/MariaDB, schema of upstream v2.0 to v4.3) and copies its accounts,
// projects, checks, channels, recent pings and flips into Overdue's store,
// keeping every UUID, key and password hash, so that existing ping URLs, API
// keys and badge URLs keep working.
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// The upstream schema versions this importer reads, by the number of the
// last applied migration of upstream's "api" app: 0085 is v2.0, 0102 v3.2,
// 0123 v4.3 (HEAD). Columns added in between are read when present.
const (
	MinAPIMigration = 85
	MaxAPIMigration = 123
)

// ErrNotUpstream says the DSN opens a database that is not Healthchecks'.
var ErrNotUpstream = errors.New("not a Healthchecks database")

// ErrUnsupportedSchema says the upstream schema is older or newer than
// this importer reads.
var ErrUnsupportedSchema = errors.New("unsupported Healthchecks schema version")

// Source is an open upstream database, read-only as far as the importer goes.
type Source struct {
	db     *sql.DB
	engine string // "sqlite", "postgres" or "mysql"
	where  string // names the database in messages, without secrets
	// APIMigration is the number of the last applied "api" migration.
	APIMigration int
	cols         map[string]map[string]bool
}

// Open connects to the upstream database named by dsn: a postgres:// (or
// postgresql://) URL, a mysql:// URL, or the path of a SQLite file, and
// checks that it holds a Healthchecks schema this importer reads.
func Open(ctx context.Context, dsn string) (*Source, error) {
	s, err := open(dsn)
	if err != nil {
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.where, err)
	}
	if err := s.inspect(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func open(dsn string) (*Source, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("invalid PostgreSQL URL: %w", redact(err, dsn))
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", redact(err, dsn))
		}
		return &Source{db: db, engine: "postgres", where: fmt.Sprintf("upstream PostgreSQL database %q at %s", strings.TrimPrefix(u.Path, "/"), u.Host)}, nil
	case strings.HasPrefix(dsn, "mysql://"):
		mc, err := mysqlConfig(dsn)
		if err != nil {
			return nil, err
		}
		conn, err := mysql.NewConnector(mc)
		if err != nil {
			return nil, fmt.Errorf("open MySQL: %w", err)
		}
		return &Source{db: sql.OpenDB(conn), engine: "mysql", where: fmt.Sprintf("upstream MySQL database %q at %s", mc.DBName, mc.Addr)}, nil
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("unsupported DSN scheme in %q: use a postgres:// or mysql:// URL or the path of a SQLite file", strings.SplitN(dsn, "://", 2)[0]+"://…")
	}
	// A path. It must exist: opening a missing file would create an empty
	// database and then report that it is not Healthchecks'.
	fi, err := os.Stat(dsn)
	if err != nil {
		return nil, fmt.Errorf("upstream SQLite file: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("upstream SQLite file %s is a directory", dsn)
	}
	u := url.URL{Scheme: "file", Path: dsn, RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open SQLite file %s: %w", dsn, err)
	}
	return &Source{db: db, engine: "sqlite", where: "upstream SQLite file " + dsn}, nil
}

// redact keeps a password in a URL out of an error message.
func redact(err error, dsn string) error {
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
		}
	}
	return err
}

// mysqlConfig turns mysql://user:password@host:port/name?param=value into
// the driver's configuration, reading DATETIME columns as UTC (Django
// stores them in UTC on MySQL).
func mysqlConfig(dsn string) (*mysql.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL URL: %w", redact(err, dsn))
	}
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	mc.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		mc.User = u.User.Username()
		mc.Passwd, _ = u.User.Password()
	}
	mc.DBName = strings.TrimPrefix(u.Path, "/")
	if mc.DBName == "" {
		return nil, errors.New("the MySQL URL names no database (mysql://user:password@host:port/name)")
	}
	mc.ParseTime = true
	mc.Loc = time.UTC
	mc.Params = map[string]string{"time_zone": "'+00:00'"}
	for k, v := range u.Query() {
		mc.Params[k] = v[0]
	}
	return mc, nil
}

// Close closes the connections.
func (s *Source) Close() error { return s.db.Close() }

// Where names the database without secrets.
func (s *Source) Where() string { return s.where }

// tablesRead are the tables every supported version has.
var tablesRead = []string{"django_migrations", "auth_user", "accounts_profile", "accounts_project", "accounts_member",
	"api_check", "api_channel", "api_channel_checks", "api_ping", "api_flip"}

var migrationNumber = regexp.MustCompile(`^(\d{4})_`)

// inspect reads which tables and columns exist and which migrations ran.
func (s *Source) inspect(ctx context.Context) error {
	s.cols = map[string]map[string]bool{}
	for _, t := range tablesRead {
		cols, err := s.columns(ctx, t)
		if err != nil {
			return fmt.Errorf("read the tables of %s: %w", s.where, err)
		}
		if len(cols) == 0 {
			return fmt.Errorf("%s has no table %s: %w", s.where, t, ErrNotUpstream)
		}
		s.cols[t] = cols
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM django_migrations WHERE app = 'api'")
	if err != nil {
		return fmt.Errorf("read the migrations of %s: %w", s.where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("read the migrations of %s: %w", s.where, err)
		}
		if m := migrationNumber.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			s.APIMigration = max(s.APIMigration, n)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the migrations of %s: %w", s.where, err)
	}
	switch {
	case s.APIMigration == 0:
		return fmt.Errorf("%s records no migration of the api app: %w", s.where, ErrNotUpstream)
	case s.APIMigration < MinAPIMigration:
		return fmt.Errorf("%s is at api migration %04d, older than Healthchecks v2.0 (%04d): upgrade it to v2.0 or later first: %w",
			s.where, s.APIMigration, MinAPIMigration, ErrUnsupportedSchema)
	case s.APIMigration > MaxAPIMigration:
		return fmt.Errorf("%s is at api migration %04d, newer than this Overdue reads (up to %04d, Healthchecks v4.3): %w",
			s.where, s.APIMigration, MaxAPIMigration, ErrUnsupportedSchema)
	}
	return nil
}

// columns lists a table's columns; none when it does not exist.
func (s *Source) columns(ctx context.Context, table string) (map[string]bool, error) {
	var q string
	switch s.engine {
	case "sqlite":
		q = "SELECT name FROM pragma_table_info(?)"
	case "postgres":
		q = "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
	default:
		q = "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?"
	}
	rows, err := s.db.QueryContext(ctx, q, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[strings.ToLower(c)] = true
	}
	return cols, rows.Err()
}

// has reports whether the table has the column.
func (s *Source) has(table, col string) bool { return s.cols[table][col] }

// ident quotes a column name ("desc" is a keyword everywhere).
func (s *Source) ident(col string) string {
	if s.engine == "mysql" {
		return "`" + col + "`"
	}
	return `"` + col + `"`
}

// col is the column's select expression, or the literal when the column
// does not exist in this version.
func (s *Source) col(table, col, missing string) string {
	if !s.has(table, col) {
		return missing
	}
	return s.ident(col)
}

// dur reads a Django DurationField as integer microseconds: an interval on
// PostgreSQL, already a bigint elsewhere.
func (s *Source) dur(table, col, missing string) string {
	e := s.col(table, col, missing)
	if s.engine == "postgres" && e != missing {
		return "CAST(EXTRACT(EPOCH FROM " + e + ") * 1000000 AS BIGINT)"
	}
	return e
}

// text reads a uuid or inet column as text on PostgreSQL.
func (s *Source) text(table, col, missing string) string {
	e := s.col(table, col, missing)
	if s.engine == "postgres" && e != missing {
		if col == "remote_addr" {
			return "host(" + e + ")"
		}
		return "CAST(" + e + " AS TEXT)"
	}
	return e
}

// param is the n-th placeholder (1-based).
func (s *Source) param(n int) string {
	if s.engine == "postgres" {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
