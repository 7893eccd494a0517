package cron

import (
	"os"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/schedule/corpus"
)

func loadCronCases(tb testing.TB, path string) []corpus.Case {
	tb.Helper()
	cases, err := corpus.Load(path, "cron")
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

// TestCorpus checks every cron case: the validity verdict, and the chain of
// next fire times produced by feeding each result back as the new "after".
// The "iter" field only differs from the chain for multi-line OnCalendar
// schedules, so the chain is what Next must reproduce.
func TestCorpus(t *testing.T) {
	cases := loadCronCases(t, "../testdata/cases-public.jsonl")
	if len(cases) != 2200 {
		t.Fatalf("expected 2200 cron cases, got %d", len(cases))
	}
	runCases(t, cases)
}

// TestExtraCorpus runs a further file in the same format, named by
// CRON_EXTRA_CORPUS (for example one generated from upstream's library).
func TestExtraCorpus(t *testing.T) {
	path := os.Getenv("CRON_EXTRA_CORPUS")
	if path == "" {
		t.Skip("CRON_EXTRA_CORPUS not set")
	}
	runCases(t, loadCronCases(t, path))
}

func runCases(t *testing.T, cases []corpus.Case) {
	t.Helper()
	locs := map[string]*time.Location{}
	failures := 0
	for _, c := range cases {
		e, err := Parse(c.Expr)
		if (err == nil) != c.Valid {
			failures++
			t.Errorf("%s %q: valid=%v, Parse error=%v (%s)", c.ID, c.Expr, c.Valid, err, c.Note)
			continue
		}
		if !c.Valid {
			continue
		}
		loc, ok := locs[c.TZ]
		if !ok {
			loc, err = time.LoadLocation(c.TZ)
			if err != nil {
				t.Fatalf("%s: load zone %q: %v", c.ID, c.TZ, err)
			}
			locs[c.TZ] = loc
		}
		after, err := time.Parse(time.RFC3339, c.After)
		if err != nil {
			t.Fatalf("%s: bad after %q: %v", c.ID, c.After, err)
		}
		var got []string
		for range c.Next {
			n, ok := e.Next(after, loc)
			if !ok {
				break
			}
			got = append(got, n.Format(time.RFC3339))
			after = n
		}
		if !equalStrings(got, c.Next) {
			failures++
			t.Errorf("%s %q tz=%s after=%s:\n got  %v\n want %v (%s)", c.ID, c.Expr, c.TZ, c.After, got, c.Next, c.Note)
		}
	}
	if failures > 0 {
		t.Logf("%d of %d cron cases failed", failures, len(cases))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
