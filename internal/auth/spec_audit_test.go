package auth

// Audit of the compatibility spec §9.5 (keys and secrets): the shapes of
// new ping keys and API keys, as upstream's Project.set_ping_key and
// _make_api_key make them.

import (
	"regexp"
	"testing"
)

func TestSpecKeyShapes(t *testing.T) {
	pingKey := regexp.MustCompile(`^[a-z0-9]{22}$`)
	apiKey := regexp.MustCompile(`^hc[wr]_[A-Za-z0-9]{28}$`)
	seen := map[string]bool{}
	// Enough draws that a "-", "_" or capital letter would almost surely
	// show up if it could (each key has 22 or 28 chances).
	for range 2000 {
		if k := NewPingKey(); !pingKey.MatchString(k) || seen[k] {
			t.Fatalf("ping key %q: want 22 new characters of [a-z0-9]", k)
		} else {
			seen[k] = true
		}
		for _, prefix := range []string{"hcw_", "hcr_"} {
			if k := NewAPIKey(prefix); !apiKey.MatchString(k) || k[:4] != prefix || seen[k] {
				t.Fatalf("API key %q: want %s and 28 new characters without - or _", k, prefix)
			} else {
				seen[k] = true
			}
		}
	}
}
