package cron

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, c := range loadCronCases(f, "../testdata/cases-public.jsonl") {
		f.Add(c.Expr)
	}
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		f.Fatal(err)
	}
	lordHowe, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		f.Fatal(err)
	}
	instants := []time.Time{
		time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 59, 59, 0, time.UTC), // just before Riga's fall-back
		time.Date(2026, 10, 3, 15, 29, 30, 0, time.UTC), // just before Lord Howe's spring-forward
		time.Date(2090, 2, 28, 23, 0, 0, 0, time.UTC),
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error message", s)
			}
			return
		}
		for _, after := range instants {
			// In UTC there are no transitions, so the result must exist
			// (valid means a match within every 50-year window of the cycle
			// reachable from 2000) and be strictly later.
			got, ok := e.Next(after, time.UTC)
			if !ok {
				t.Fatalf("Parse(%q) ok but Next(%v, UTC) found nothing", s, after)
			}
			if !got.After(after) {
				t.Fatalf("Next(%q, %v, UTC) = %v, not strictly after", s, after, got)
			}
			for _, loc := range []*time.Location{riga, lordHowe} {
				a, okA := e.Next(after, loc)
				b, okB := e.Next(after, loc)
				if okA != okB || !a.Equal(b) {
					t.Fatalf("Next(%q, %v, %s) not deterministic: %v/%v vs %v/%v", s, after, loc, a, okA, b, okB)
				}
				// Only the second-pass rule can move a result back, and by
				// no more than the repeated interval.
				if okA && !a.After(after.Add(-3*time.Hour)) {
					t.Fatalf("Next(%q, %v, %s) = %v, too early", s, after, loc, a)
				}
			}
		}
	})
}
