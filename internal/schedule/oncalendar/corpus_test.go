package oncalendar

import (
	"os"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/schedule/corpus"
)

func loadCorpus(tb testing.TB, path string) []corpus.Case {
	tb.Helper()
	cases, err := corpus.Load(path, "oncalendar")
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t, "../testdata/cases-public.jsonl")
	if len(cases) != 800 {
		t.Fatalf("got %d oncalendar cases, want 800", len(cases))
	}
	checkCases(t, cases)
}

// TestExtraCorpus runs another file in the same format, for example the
// hidden acceptance corpus: ONCALENDAR_CORPUS=/path/cases.jsonl go test -run Extra
func TestExtraCorpus(t *testing.T) {
	path := os.Getenv("ONCALENDAR_CORPUS")
	if path == "" {
		t.Skip("ONCALENDAR_CORPUS not set")
	}
	checkCases(t, loadCorpus(t, path))
}

func checkCases(t *testing.T, cases []corpus.Case) {
	t.Helper()
	for _, c := range cases {
		s, err := Parse(c.Expr)
		if !c.Valid {
			if err == nil {
				t.Errorf("%s: Parse(%q) succeeded, want an error (%s)", c.ID, c.Expr, c.Note)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Parse(%q): %v (%s)", c.ID, c.Expr, err, c.Note)
			continue
		}
		loc, err := time.LoadLocation(c.TZ)
		if err != nil {
			t.Fatalf("%s: load zone: %v", c.ID, err)
		}
		after, err := time.Parse(time.RFC3339, c.After)
		if err != nil {
			t.Fatalf("%s: bad after: %v", c.ID, err)
		}
		var got []string
		for range len(c.Next) + 1 {
			n, ok := s.Next(after, loc)
			if !ok {
				break
			}
			got = append(got, n.Format(time.RFC3339))
			after = n
		}
		want := c.Next
		if len(got) > len(want) && len(want) < 5 {
			t.Errorf("%s: %q in %s after %s: got extra %v, want chain %v", c.ID, c.Expr, c.TZ, c.After, got, want)
			continue
		}
		if len(got) > len(want) {
			got = got[:len(want)]
		}
		if len(got) != len(want) {
			t.Errorf("%s: %q in %s after %s: got %v, want %v", c.ID, c.Expr, c.TZ, c.After, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: %q in %s after %s: got %v, want %v", c.ID, c.Expr, c.TZ, c.After, got, want)
				break
			}
		}
	}
}
