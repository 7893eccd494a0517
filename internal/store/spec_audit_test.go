package store

// Audit of the compatibility spec §4.3/§8.1: upstream names its
// PostgreSQL connections (application_name "hc" for the web process,
// "sendalerts" for the alert sender).

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSpecPostgresApplicationName(t *testing.T) {
	dsn := os.Getenv("OVERDUE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("OVERDUE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	for _, c := range []struct{ dsn, app, want string }{
		{dsn, "sendalerts", "sendalerts"},
		{dsn, "", ""},
		{dsn + "&application_name=mine", "sendalerts", "mine"}, // the operator's DSN wins
	} {
		s, err := Open(ctx, Config{Engine: "postgres", DSN: c.dsn, AppName: c.app})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = s.r.QueryRowContext(ctx, "SELECT current_setting('application_name')").Scan(&got)
		s.Close()
		if err != nil || got != c.want {
			t.Errorf("AppName %q, DSN %q: application_name %q (%v), want %q", c.app, c.dsn, got, err, c.want)
		}
	}
}

// DB_NAME is a file name, whatever characters it has: '#', '?' and '%'
// are not URI syntax (Go's t.TempDir() names subtests' directories with
// '#', and such a path used to open a file named by the part before it).
func TestSpecSQLitePathIsTakenLiterally(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#01?x=1%41")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hc#2.sqlite")
	s, err := Open(context.Background(), Config{Engine: "sqlite", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %s: %v", path, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			t.Errorf("stray file %s next to the database's directory", e.Name())
		}
	}
}
