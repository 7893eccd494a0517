package store

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
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
