package store

import (
	"context"
	"path/filepath"
	"testing"
)

// The SQLite writer connection's pragmas the ping path's speed relies on,
// next to the durability settings they must not disturb.
func TestSQLiteWriterPragmas(t *testing.T) {
	s, err := Open(context.Background(), Config{Engine: "sqlite", Path: filepath.Join(t.TempDir(), "p.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for pragma, want := range map[string]string{
		"journal_mode":       "wal",
		"synchronous":        "1", // NORMAL
		"temp_store":         "2", // MEMORY
		"wal_autocheckpoint": "10000",
		"cache_size":         "-32000",
		"foreign_keys":       "1",
	} {
		var got string
		if err := s.w.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}
