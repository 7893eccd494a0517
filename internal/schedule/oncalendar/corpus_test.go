package oncalendar

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// corpusCase is one line of testdata/cases-public.jsonl (see the README in
// shared/testdata/schedules for the format).
type corpusCase struct {
	ID    string   `json:"id"`
	Kind  string   `json:"kind"`
	Expr  string   `json:"expr"`
	Valid bool     `json:"valid"`
	TZ    string   `json:"tz"`
	After string   `json:"after"`
	Next  []string `json:"next"`
	Note  string   `json:"note"`
}

func loadCorpus(tb testing.TB, path string) []corpusCase {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("decode corpus line: %v", err)
		}
		if c.Kind == "oncalendar" {
			out = append(out, c)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	return out
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t, "testdata/cases-public.jsonl")
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

func checkCases(t *testing.T, cases []corpusCase) {
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
