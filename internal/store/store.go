// Package store is all of Overdue's SQL: one Store over database/sql for
// SQLite, PostgreSQL and MySQL/MariaDB, with hand-written queries and a small
// dialect seam for the few places where the engines really differ.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique value (email, code, key) is taken.
var ErrDuplicate = errors.New("already exists")

// Config says which database to open. For SQLite only Path matters. For
// PostgreSQL and MySQL, DSN, when set, wins over the separate fields.
type Config struct {
	Engine string // "sqlite", "postgres" or "mysql"
	Path   string // SQLite file

	Name, Host, Port, User, Password, SSLMode string
	// TargetSessionAttrs is libpq's target_session_attrs (PostgreSQL only):
	// which server of a multi-host DB_HOST to keep; "" leaves pgx's "any".
	TargetSessionAttrs string
	// DSN is a complete driver connection string (pgx URL or key=value, or a
	// go-sql-driver DSN). Overdue's required MySQL settings are added to it.
	DSN string

	// AppName is PostgreSQL's application_name for this process's
	// connections, as upstream names them ("hc" for the web process,
	// "sendalerts" for the alert sender), so pg_stat_activity tells them
	// apart; a DSN that sets its own wins. Other engines ignore it.
	AppName string

	// MaxOpenConns bounds the pool (the read pool on SQLite); 0 picks a default.
	MaxOpenConns int
	// SQLiteSynchronousFull makes every SQLite commit fsync (synchronous=FULL).
	// The default, NORMAL, keeps commits across a process crash but may lose
	// the last ones on power loss.
	SQLiteSynchronousFull bool

	// ChannelEvents reports which events a channel wants; the outbox
	// enqueues a flip only for the channels that want its event. It is the
	// integration registry's rule (kinds.Registry.Events), handed in as a
	// function because the store must not know the kinds (the registry
	// imports every integration package) and the rule needs nothing but the
	// channel's kind and value, which the enqueueing query has already read.
	// A function rather than an interface, so that tests can pass a literal.
	// nil gives every channel both events (upstream's default for a kind).
	ChannelEvents func(ch model.Channel) (up, down bool)
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	engine string
	d      dialect
	// r serves reads. w serves every write; on SQLite it is a separate pool of
	// exactly one connection (writers queue in Go, never on SQLite's lock), on
	// the other engines it is the same pool as r.
	r, w *sql.DB
	// where names the database in error messages, without secrets.
	where string
	// pingStmts caches the ping writer's prepared statements (pings.go).
	pingStmts pingStmtCache
	// stopCheckpoints ends SQLite's background checkpointer; nil elsewhere.
	stopCheckpoints func()
	// channelEvents is Config.ChannelEvents, never nil.
	channelEvents func(ch model.Channel) (up, down bool)
}

// Open connects to the database described by cfg and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var (
		s   *Store
		err error
	)
	switch cfg.Engine {
	case "sqlite", "":
		s, err = openSQLite(cfg)
	case "postgres":
		s, err = openPostgres(cfg)
	case "mysql":
		s, err = openMySQL(cfg)
	default:
		return nil, fmt.Errorf("unknown database engine %q (want sqlite, postgres or mysql)", cfg.Engine)
	}
	if err != nil {
		return nil, err
	}
	s.channelEvents = cfg.ChannelEvents
	if s.channelEvents == nil {
		s.channelEvents = func(model.Channel) (bool, bool) { return true, true }
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
	}
	err := s.r.Close()
	if s.w != s.r {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Engine returns "sqlite", "postgres" or "mysql".
func (s *Store) Engine() string { return s.engine }

// TextHoldsNUL reports whether text columns can store U+0000: PostgreSQL's
// cannot (an insert fails), SQLite's and MySQL's can. Callers refuse such
// input up front with a message naming the field.
func (s *Store) TextHoldsNUL() bool { return s.engine != "postgres" }

// Ping checks that the database answers; it serves readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	// The writer first: on SQLite it creates the file and switches it to WAL
	// before any query-only reader connection opens it.
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", s.where, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("connect to %s (read pool): %w", s.where, err)
		}
	}
	return nil
}

// Tx is a write transaction handed to WithTx callbacks.
type Tx struct {
	tx *sql.Tx
	s  *Store
}

// Exec runs a statement written with ? placeholders.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.s.d.rebind(query), args...)
}

// Query runs a query written with ? placeholders.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.d.rebind(query), args...)
}

// QueryRow runs a one-row query written with ? placeholders.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.s.d.rebind(query), args...)
}

// WithTx runs fn in one write transaction, committed when fn returns nil and
// rolled back otherwise. fn's error is returned unwrapped.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction on %s: %w", s.where, err)
	}
	if err := fn(&Tx{tx: sqlTx, s: s}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit on %s: %w", s.where, err)
	}
	return nil
}

// queryer is what *sql.DB and *sql.Tx share, so reads can run either way.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insert runs an INSERT (written with ? placeholders, without RETURNING) and
// returns the new row's id the way the engine allows.
func (s *Store) insert(ctx context.Context, q queryer, query string, args ...any) (int64, error) {
	if s.d.returning {
		var id int64
		err := q.QueryRowContext(ctx, s.d.rebind(query+" RETURNING id"), args...).Scan(&id)
		return id, err
	}
	res, err := q.ExecContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// ts converts a time for storage: UTC, truncated to the microsecond (the
// precision of every engine; MySQL would round instead), and as fixed-width
// text on SQLite so that text order is time order.
func (s *Store) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.d.textTime {
		return t.Format(sqliteTimeFormat)
	}
	return t
}

func (s *Store) tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.ts(*t)
}

const sqliteTimeFormat = "2006-01-02 15:04:05.000000"

// timeScan reads a timestamp column from any engine into a *time.Time.
type timeScan struct{ t *time.Time }

func (ts timeScan) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*ts.t = v.UTC()
	case string:
		return ts.parse(v)
	case []byte:
		return ts.parse(string(v))
	default:
		return fmt.Errorf("cannot read %T as a timestamp", src)
	}
	return nil
}

func (ts timeScan) parse(v string) error {
	t, err := time.Parse(sqliteTimeFormat, v)
	if err != nil {
		// Rows written by other tools may carry an offset or a T separator.
		if t2, err2 := time.Parse(time.RFC3339Nano, v); err2 == nil {
			t, err = t2, nil
		}
	}
	if err != nil {
		return fmt.Errorf("parse timestamp %q: %w", v, err)
	}
	*ts.t = t.UTC()
	return nil
}

// nullTimeScan reads a nullable timestamp column into a **time.Time.
type nullTimeScan struct{ t **time.Time }

func (ns nullTimeScan) Scan(src any) error {
	if src == nil {
		*ns.t = nil
		return nil
	}
	var t time.Time
	if err := (timeScan{&t}).Scan(src); err != nil {
		return err
	}
	*ns.t = &t
	return nil
}

// nullDurScan reads a nullable microseconds column into a **time.Duration.
type nullDurScan struct{ d **time.Duration }

func (nd nullDurScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*nd.d = nil
		return nil
	case int64: // what every driver gives; sql.NullInt64 would escape
		d := time.Duration(v) * time.Microsecond
		*nd.d = &d
		return nil
	}
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	if !n.Valid {
		*nd.d = nil
		return nil
	}
	d := time.Duration(n.Int64) * time.Microsecond
	*nd.d = &d
	return nil
}

// durScan reads a microseconds column into a *time.Duration.
type durScan struct{ d *time.Duration }

func (ds durScan) Scan(src any) error {
	if v, ok := src.(int64); ok { // the common case, without an allocation
		*ds.d = time.Duration(v) * time.Microsecond
		return nil
	}
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*ds.d = time.Duration(n.Int64) * time.Microsecond
	return nil
}

// nullStrScan reads a nullable text column, NULL becoming "".
type nullStrScan struct{ s *string }

func (ns nullStrScan) Scan(src any) error {
	switch v := src.(type) {
	case nil: // the common cases, without an allocation
		*ns.s = ""
		return nil
	case string:
		*ns.s = v
		return nil
	}
	var n sql.NullString
	if err := n.Scan(src); err != nil {
		return err
	}
	*ns.s = n.String
	return nil
}

func us(d time.Duration) int64 { return int64(d / time.Microsecond) }

func usPtr(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return us(*d)
}

// nullIfEmpty stores "" as NULL, for optional unique or UUID columns.
func nullIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// notFound maps sql.ErrNoRows to ErrNotFound and wraps anything else.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
