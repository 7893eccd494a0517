package store

import (
	"database/sql"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

func openSQLite(cfg Config) (*Store, error) {
	path := cfg.Path
	if path == "" {
		path = cfg.Name
	}
	if path == "" {
		return nil, fmt.Errorf("sqlite: no database file given")
	}
	// The writer and reader pools must see the same database, which an
	// in-memory one is not.
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q is not a usable database file name", path)
	}
	// The DSN is a URI: unescaped, '?' would end the file name, '#' would
	// cut it at a fragment (a test directory named "TestX#01" opened the
	// file "TestX" instead) and '%' would start an escape.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	sync := "NORMAL"
	if cfg.SQLiteSynchronousFull {
		sync = "FULL"
	}
	common := "file:" + uriPath + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")"
	// _txlock=immediate takes the write lock at BEGIN, so a transaction can't
	// read, then fail to upgrade to a writer with "database is locked".
	// temp_store=MEMORY keeps statement journals (which multi-row INSERTs and
	// UPDATEs need) off temp files: those were a fifth of a ping batch's
	// time in pwrite calls. They only serve rollback of a failed statement.
	// Automatic checkpoints (with their fsync) ran inside the writer's
	// commits and took an eighth of the ping writer's time under load; they
	// now run in the background (startCheckpointer below), and
	// journal_size_limit trims the WAL file back to 64 MB after a reset.
	// A 32 MB page cache keeps the checks and the
	// pings index's hot pages in memory instead of re-reading them. None of
	// this changes what a commit makes durable.
	w, err := sql.Open("sqlite", common+"&_pragma=journal_mode(WAL)&_pragma=temp_store(2)"+
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-32000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	r, err := sql.Open("sqlite", common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(5 * time.Minute)
	// Checkpoints run on a connection of their own, off the writer's path:
	// the writer does not checkpoint after its commits (wal_autocheckpoint=0),
	// so ping batches don't wait for the checkpoint's copying and fsync.
	// PASSIVE never blocks readers or the writer.
	cp, err := sql.Open("sqlite", common)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	cp.SetMaxOpenConns(1)
	s := &Store{engine: "sqlite", d: dialectSQLite, r: r, w: w, where: "sqlite database " + path}
	s.stopCheckpoints = startCheckpointer(cp, w, 250*time.Millisecond, walResetFrames)
	return s, nil
}

// walResetFrames is the WAL size (in pages) past which the WAL is reset.
// A PASSIVE checkpoint racing a busy writer never catches up with the end of
// the WAL, and SQLite only rewinds a WAL that was checkpointed to its end, so
// without this the file would grow for as long as pings keep coming.
const walResetFrames = 16384 // 64 MB of 4 KiB pages

// startCheckpointer copies the WAL back into the database file every period
// on cp, and, once the WAL holds more than resetFrames pages, runs a RESTART
// checkpoint on the writer connection w: queued behind the writer's
// transactions, it finishes the copy and lets the next commit rewind the WAL.
// The returned function stops it and closes cp.
func startCheckpointer(cp, w *sql.DB, period time.Duration, resetFrames int) (stop func()) {
	t := time.NewTicker(period)
	stopRounds := checkpointOnTicks(cp, w, t.C, resetFrames)
	return func() {
		stopRounds()
		t.Stop()
	}
}

// checkpointOnTicks is startCheckpointer's loop: one round per value
// received from tick. It takes the ticks rather than a period so that a
// test can drive the rounds itself (an unbuffered tick is received only
// between rounds), instead of counting on a fast ticker firing often
// enough on a loaded machine.
func checkpointOnTicks(cp, w *sql.DB, tick <-chan time.Time, resetFrames int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-tick:
			}
			// Errors (SQLITE_BUSY while another process checkpoints, or a
			// closed database at shutdown) only mean this round is skipped.
			var busy, walFrames, copied int
			if err := cp.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied); err != nil {
				continue
			}
			if walFrames > resetFrames {
				_, _ = w.Exec("PRAGMA wal_checkpoint(RESTART)")
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		cp.Close()
	}
}

func openPostgres(cfg Config) (*Store, error) {
	dsn := cfg.DSN
	if dsn == "" {
		if err := checkTargetSessionAttrs(cfg.TargetSessionAttrs); err != nil {
			return nil, err
		}
		dsn = postgresDSN(cfg)
	}
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included; don't repeat it.
		return nil, fmt.Errorf("postgres: invalid connection settings")
	}
	if _, set := pc.RuntimeParams["application_name"]; !set && cfg.AppName != "" {
		pc.RuntimeParams["application_name"] = cfg.AppName
	}
	where := fmt.Sprintf("postgres database %q at %s", pc.Database, net.JoinHostPort(pc.Host, fmt.Sprint(pc.Port)))
	db := stdlib.OpenDB(*pc)
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{engine: "postgres", d: dialectPostgres, r: db, w: db, where: where}, nil
}

// postgresDSN builds a key=value connection string from the separate fields;
// empty fields are left to libpq's defaults (e.g. the local socket).
func postgresDSN(cfg Config) string {
	var parts []string
	add := func(k, v string) {
		if v == "" {
			return
		}
		v = strings.ReplaceAll(v, `\`, `\\`)
		v = strings.ReplaceAll(v, `'`, `\'`)
		parts = append(parts, k+"='"+v+"'")
	}
	add("host", cfg.Host)
	add("port", cfg.Port)
	add("dbname", cfg.Name)
	add("user", cfg.User)
	add("password", cfg.Password)
	add("sslmode", cfg.SSLMode)
	add("target_session_attrs", cfg.TargetSessionAttrs)
	return strings.Join(parts, " ")
}

// targetSessionAttrs lists the values pgx (like libpq) accepts for
// target_session_attrs.
var targetSessionAttrs = []string{"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}

// checkTargetSessionAttrs refuses a value pgx would reject with a message
// that quotes the whole connection string, password included.
func checkTargetSessionAttrs(v string) error {
	if v == "" || slices.Contains(targetSessionAttrs, v) {
		return nil
	}
	return fmt.Errorf("postgres: target_session_attrs must be any, read-write, read-only, primary, standby or prefer-standby, not %q", v)
}

func openMySQL(cfg Config) (*Store, error) {
	mc := mysql.NewConfig()
	if cfg.DSN != "" {
		var err error
		if mc, err = mysql.ParseDSN(cfg.DSN); err != nil {
			return nil, fmt.Errorf("mysql: invalid DSN: %w", err)
		}
	} else {
		host, port := cfg.Host, cfg.Port
		if host == "" {
			host = "127.0.0.1"
		}
		if port == "" {
			port = "3306"
		}
		mc.Net = "tcp"
		mc.Addr = net.JoinHostPort(host, port)
		mc.User = cfg.User
		mc.Passwd = cfg.Password
		mc.DBName = cfg.Name
		if cfg.SSLMode == "require" || cfg.SSLMode == "verify-ca" || cfg.SSLMode == "verify-full" {
			mc.TLSConfig = "true"
			if cfg.SSLMode == "require" {
				mc.TLSConfig = "skip-verify"
			}
		}
	}
	if err := applyMySQLSettings(mc); err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	where := fmt.Sprintf("mysql database %q at %s", mc.DBName, mc.Addr)
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	db := sql.OpenDB(conn)
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	// Below MySQL's default wait_timeout, so the pool never hands out a
	// connection the server already closed.
	db.SetConnMaxLifetime(30 * time.Minute)
	return &Store{engine: "mysql", d: dialectMySQL, r: db, w: db, where: where}, nil
}

// applyMySQLSettings forces what the schema relies on: DATETIME values read
// as time.Time in UTC, 4-byte UTF-8, and a UTC session time zone.
func applyMySQLSettings(mc *mysql.Config) error {
	mc.ParseTime = true
	mc.Loc = time.UTC
	// Saves a prepare round trip per statement; safe with utf8mb4.
	mc.InterpolateParams = true
	// Count matched rows, not changed ones, so that an UPDATE writing the
	// values a row already has is not mistaken for a missing row.
	mc.ClientFoundRows = true
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["time_zone"] = "'+00:00'"
	// utf8mb4_bin matches the tables' collation, so string literals compare
	// byte for byte there too.
	return mc.Apply(mysql.Charset("utf8mb4", "utf8mb4_bin"))
}
