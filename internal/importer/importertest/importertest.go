// Package importertest builds upstream Healthchecks databases for tests:
// upstream's tables as its migrations leave them (testdata/upstream, one
// file per engine, written from hc/accounts/migrations and hc/api/migrations)
// filled with one small realistic dataset.
package importertest

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"text/template"

	"github.com/go-sql-driver/mysql"

	"github.com/overdue/overdue/internal/store/storetest"
)

// The fixture's secrets, for tests that use the imported credentials.
const (
	SecretKey      = "upstream-secret"                  // upstream's SECRET_KEY
	AlicePassword  = "alice-pass"                       // alice@example.org, a pbkdf2_sha256 hash
	BobPassword    = "bob-pass"                         // bob@example.org, an argon2id hash
	LegacyAPIKey   = "Xk4pPq9zW2mN7bR5tY8uE3oJ6aS1dF0g" // project 1, plain text upstream
	HashedAPIKey   = "hcw_q2Vb7kR1nX4mT8pLs9dF3gH6jK0a" // project 2, HMAC-hashed upstream
	HashedReadOnly = "hcr_w3Er5tY7uI9oP1aS2dF4gH6jK8lZ" // project 2, read-only
	PingKey        = "u2hzbhc3bnlqzgf4ywh1bw"           // project 1
)

// dir is this package's testdata/upstream, wherever the test runs from.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "upstream")
}

// Upstream creates an upstream Healthchecks database on engine from
// testdata/upstream (HEAD's schema, or v2.0's with head false, SQLite
// only; "mariadb-uuid" for MariaDB's native uuid columns), fills it with data.sql.tmpl and returns the DSN `overdue import
// --from` takes, and an open handle for changing it. PostgreSQL and MySQL
// databases come from storetest.NewDatabase (the test skips without them).
func Upstream(t testing.TB, engine string, head bool) (string, *sql.DB) {
	t.Helper()
	var driver, dsn, from string
	// "mariadb-uuid" is MySQL's schema as Django 5+ creates it on MariaDB
	// 10.7 and later: UUIDField as MariaDB's native uuid type.
	nativeUUID := engine == "mariadb-uuid"
	if nativeUUID {
		engine = "mysql"
	}
	switch engine {
	case "sqlite":
		from = filepath.Join(t.TempDir(), "hc.sqlite")
		driver, dsn = "sqlite", from
	case "postgres":
		cfg := storetest.NewDatabase(t, engine)
		driver, dsn, from = "pgx", cfg.DSN, cfg.DSN
	case "mysql":
		cfg := storetest.NewDatabase(t, engine)
		mc, err := mysql.ParseDSN(cfg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		driver, dsn = "mysql", cfg.DSN
		u := url.URL{Scheme: "mysql", Host: mc.Addr, Path: "/" + mc.DBName}
		if mc.Passwd != "" {
			u.User = url.UserPassword(mc.User, mc.Passwd)
		} else {
			u.User = url.User(mc.User)
		}
		from = u.String()
	}
	schema := engine
	if !head {
		schema += "_v2"
	}
	ddl, err := os.ReadFile(filepath.Join(dir(), schema+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	if nativeUUID {
		ddl = []byte(strings.ReplaceAll(string(ddl), " char(32)", " uuid"))
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	execSQL(t, db, string(ddl))
	execSQL(t, db, renderData(t, engine, head))
	return from, db
}

// execSQL runs a script statement by statement (";" at a line's end).
func execSQL(t testing.TB, db *sql.DB, script string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(script, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	for _, stmt := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if stmt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(stmt), ";")); stmt == "" {
			continue
		}
		if _, err := db.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%v\nin: %.300s", err, stmt)
		}
	}
}

// renderData writes data.sql.tmpl with the engine's literals, as Django
// would have stored the values.
func renderData(t testing.TB, engine string, head bool) string {
	t.Helper()
	pg := engine == "postgres"
	funcs := template.FuncMap{
		"uuid": func(s string) string {
			if pg {
				return "'" + s + "'"
			}
			return "'" + strings.ReplaceAll(s, "-", "") + "'"
		},
		"ts": func(s string) string {
			if pg {
				return "'" + s + "+00'"
			}
			return "'" + s + "'"
		},
		"dur": func(secs int) string {
			if pg {
				return fmt.Sprintf("interval '%d seconds'", secs)
			}
			return fmt.Sprint(secs * 1_000_000)
		},
		"bool": func(b bool) string {
			switch {
			case pg:
				return fmt.Sprint(b)
			case b:
				return "1"
			}
			return "0"
		},
		"body": func(s string) string {
			switch {
			case !head:
				return "'" + s + "'"
			case pg:
				return "decode('" + hex.EncodeToString([]byte(s)) + "', 'hex')"
			}
			return "X'" + hex.EncodeToString([]byte(s)) + "'"
		},
		"id": func(s string) string {
			if engine == "mysql" {
				return "`" + s + "`"
			}
			return `"` + s + `"`
		},
	}
	tmpl, err := template.New("data.sql.tmpl").Funcs(funcs).ParseFiles(filepath.Join(dir(), "data.sql.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Head": head, "API": "0123_alter_channel_kind", "Accounts": "0053_alter_profile_sms_limit"}
	if !head {
		data["API"], data["Accounts"] = "0085_ping_object_size", "0045_auto_20210908_1257"
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
