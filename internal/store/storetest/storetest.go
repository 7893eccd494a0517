// Package storetest gives tests a fresh, migrated database on every engine
// that is available: SQLite always, PostgreSQL when OVERDUE_TEST_POSTGRES
// holds an admin DSN, MySQL/MariaDB when OVERDUE_TEST_MYSQL does.
//
//	for _, e := range storetest.Engines() {
//		t.Run(e, func(t *testing.T) { st := storetest.Open(t, e); ... })
//	}
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
)

// The environment variables naming the admin DSNs of the server engines.
const (
	EnvPostgres = "OVERDUE_TEST_POSTGRES"
	EnvMySQL    = "OVERDUE_TEST_MYSQL"
)

// Engines lists the engines to test on.
func Engines() []string {
	engines := []string{"sqlite"}
	if os.Getenv(EnvPostgres) != "" {
		engines = append(engines, "postgres")
	}
	if os.Getenv(EnvMySQL) != "" {
		engines = append(engines, "mysql")
	}
	return engines
}

// Open returns a store on a new, empty, migrated database that belongs to
// this test alone, so tests may run in parallel. The database is removed
// and the store closed when the test ends.
func Open(t testing.TB, engine string) *store.Store {
	t.Helper()
	cfg := NewDatabase(t, engine)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", engine, err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", engine, err)
	}
	return st
}

// NewDatabase creates an empty database (not migrated) for this test and
// returns the Config that opens it; it is dropped when the test ends, after
// the stores opened on it have been closed (register those with t.Cleanup
// after calling NewDatabase). Use it to open several stores on one database.
// The Config's ChannelEvents is the integration registry's, as in
// production, so the outbox queues what `overdue serve` would.
func NewDatabase(t testing.TB, engine string) store.Config {
	t.Helper()
	cfg := newDatabase(t, engine)
	cfg.ChannelEvents = kinds.New().Events
	return cfg
}

func newDatabase(t testing.TB, engine string) store.Config {
	t.Helper()
	switch engine {
	case "sqlite":
		return store.Config{Engine: "sqlite", Path: filepath.Join(t.TempDir(), "overdue.sqlite")}
	case "postgres":
		return newServerDatabase(t, engine, "pgx", os.Getenv(EnvPostgres), postgresDSN)
	case "mysql":
		return newServerDatabase(t, engine, "mysql", os.Getenv(EnvMySQL), mysqlDSN)
	default:
		t.Fatalf("storetest: unknown engine %q", engine)
		return store.Config{}
	}
}

func newServerDatabase(t testing.TB, engine, driver, adminDSN string, withDB func(dsn, name string) (string, error)) store.Config {
	t.Helper()
	if adminDSN == "" {
		t.Skipf("storetest: %s not set", map[string]string{"postgres": EnvPostgres, "mysql": EnvMySQL}[engine])
	}
	name := "overdue_test_" + randomHex(t, 8)
	dsn, err := withDB(adminDSN, name)
	if err != nil {
		t.Fatalf("storetest: %s DSN: %v", engine, err)
	}
	admin, err := sql.Open(driver, adminDSN)
	if err != nil {
		t.Fatalf("storetest: connect to %s admin database: %v", engine, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("storetest: create %s database %s: %v", engine, name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + name
		if engine == "postgres" {
			// A connection leaked by the test must not keep the database alive.
			drop += " WITH (FORCE)"
		}
		if _, err := admin.ExecContext(ctx, drop); err != nil {
			t.Errorf("storetest: drop %s database %s: %v", engine, name, err)
		}
	})
	return store.Config{Engine: engine, DSN: dsn}
}

// postgresDSN points a URL or key=value DSN at another database.
func postgresDSN(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvPostgres, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In key=value form a later key overrides an earlier one.
	return dsn + " dbname=" + name, nil
}

func mysqlDSN(dsn, name string) (string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvMySQL, err)
	}
	c.DBName = name
	return c.FormatDSN(), nil
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("storetest: random name: %v", err)
	}
	return hex.EncodeToString(b)
}

// OpenShared returns n stores on one new, migrated database of engine, as
// n instances of Overdue share one: for tests of what must happen once
// however many ask at the same time.
func OpenShared(t testing.TB, engine string, n int) []*store.Store {
	t.Helper()
	cfg := NewDatabase(t, engine)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stores := make([]*store.Store, 0, n)
	for range n {
		st, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("storetest: open %s: %v", engine, err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", engine, err)
	}
	return stores
}
