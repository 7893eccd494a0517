package apptest

import (
	"testing"

	"github.com/overdue/overdue/internal/auth"
)

// TestKnownHashes: every precomputed hash verifies its password and has the
// parameters HashPassword uses today (regenerate the table when they change).
// One argon2id check each: under -race each takes seconds.
func TestKnownHashes(t *testing.T) {
	for pw, h := range knownHashes {
		if !auth.CheckPassword(h, pw) {
			t.Errorf("%q: the hash does not verify", pw)
		}
		if auth.NeedsRehash(h) {
			t.Errorf("%q: the hash has old parameters", pw)
		}
	}
}
