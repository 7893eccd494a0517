package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		"wal_autocheckpoint": "0", // checkpoints run in the background
		"journal_size_limit": "67108864",
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

// TestCheckpointerResetsWAL: under a steady stream of commits the background
// checkpointer must rewind the WAL, or the file would grow without bound.
func TestCheckpointerResetsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sqlite")
	s, err := Open(context.Background(), Config{Engine: "sqlite", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cp, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	// A tiny threshold, and a round every ten commits: the test sends the
	// ticks, so the rounds happen however slowly the machine runs (a 1 ms
	// ticker could fall behind the commits under load). A send on the
	// unbuffered channel returns once the checkpointer is between rounds.
	tick := make(chan time.Time)
	stop := checkpointOnTicks(cp, s.w, tick, 20)
	value := strings.Repeat("x", 8000) // two or more pages per commit
	const commits = 400
	for i := 0; i < commits; i++ {
		if _, err := s.w.Exec("INSERT INTO settings (name, value) VALUES (?, ?)", "k"+string(rune('a'+i%26))+strings.Repeat("z", i/26), value); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			tick <- time.Time{}
		}
	}
	// The second send waits for the last round to end.
	tick <- time.Time{}
	tick <- time.Time{}
	stop()
	var busy, frames, copied int
	if err := s.w.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	// Without a reset the WAL would hold at least two frames per commit.
	if frames >= 2*commits {
		t.Errorf("the WAL holds %d frames after %d commits: it was never rewound", frames, commits)
	}
}
