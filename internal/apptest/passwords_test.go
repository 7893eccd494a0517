package apptest

import (
	"testing"

	"github.com/overdue/overdue/internal/auth"
)

// TestKnownHashes: every precomputed hash verifies its password and has the
// parameters HashPassword uses today (regenerate the table when they change).
func TestKnownHashes(t *testing.T) {
	for pw, h := range knownHashes {
		if !auth.CheckPassword(h, pw) {
			t.Errorf("%q: the hash does not verify", pw)
		}
		if auth.NeedsRehash(h) {
			t.Errorf("%q: the hash has old parameters", pw)
		}
		if auth.CheckPassword(h, pw+"x") {
			t.Errorf("%q: the hash verifies another password", pw)
		}
	}
}
