package store

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Every migration version must exist for every engine, so that one schema
// version means the same thing everywhere.
func TestMigrationVersionsMatch(t *testing.T) {
	versions := map[string][]string{}
	for _, engine := range []string{"sqlite", "postgres", "mysql"} {
		entries, err := fs.ReadDir(migrationsFS, "migrations/"+engine)
		if err != nil {
			t.Fatalf("read migrations of %s: %v", engine, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".sql") {
				t.Errorf("%s: unexpected file %s", engine, e.Name())
				continue
			}
			version, _, ok := strings.Cut(e.Name(), "_")
			if !ok || len(version) != 5 {
				t.Errorf("%s: %s is not named NNNNN_name.sql", engine, e.Name())
			}
			versions[engine] = append(versions[engine], version)
		}
		if len(versions[engine]) == 0 {
			t.Errorf("%s has no migrations", engine)
		}
	}
	for _, engine := range []string{"postgres", "mysql"} {
		if !slices.Equal(versions[engine], versions["sqlite"]) {
			t.Errorf("migration versions differ: sqlite %v, %s %v", versions["sqlite"], engine, versions[engine])
		}
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		d        dialect
		in, want string
	}{
		{dialectPostgres, "SELECT 1", "SELECT 1"},
		{dialectPostgres, "a = ? AND b IN (?,?)", "a = $1 AND b IN ($2,$3)"},
		{dialectSQLite, "a = ? AND b = ?", "a = ? AND b = ?"},
		{dialectMySQL, "a = ?", "a = ?"},
	}
	for _, tt := range tests {
		if got := tt.d.rebind(tt.in); got != tt.want {
			t.Errorf("%s rebind(%q) = %q, want %q", tt.d.name, tt.in, got, tt.want)
		}
	}
}

func TestPostgresDSN(t *testing.T) {
	got := postgresDSN(Config{Host: "db", Port: "5433", Name: "hc", User: "u", Password: `p'w\x`, SSLMode: "disable"})
	want := `host='db' port='5433' dbname='hc' user='u' password='p\'w\\x' sslmode='disable'`
	if got != want {
		t.Errorf("postgresDSN = %s, want %s", got, want)
	}
}

// TestPostgresTargetSessionAttrs: DB_TARGET_SESSION_ATTRS reaches pgx,
// which then checks each connection (read-write: not a standby); a value
// pgx does not know is refused with a sentence naming the setting.
func TestPostgresTargetSessionAttrs(t *testing.T) {
	for _, v := range []string{"any", "read-write", "read-only", "primary", "standby", "prefer-standby"} {
		dsn := postgresDSN(Config{Host: "db", Name: "hc", TargetSessionAttrs: v})
		if !strings.HasSuffix(dsn, " target_session_attrs='"+v+"'") {
			t.Errorf("%s: DSN %s", v, dsn)
		}
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("%s: pgx refuses %s: %v", v, dsn, err)
		}
		if (pc.ValidateConnect == nil) != (v == "any") {
			t.Errorf("%s: ValidateConnect set = %v", v, pc.ValidateConnect != nil)
		}
	}
	for _, v := range []string{"master", "READ-WRITE", "read_write"} {
		_, err := openPostgres(Config{Host: "db", Name: "hc", Password: "hunter2", TargetSessionAttrs: v})
		if err == nil || !strings.Contains(err.Error(), "target_session_attrs must be any, read-write") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: err %v", v, err)
		}
	}
}
