package oncalendar

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, c := range loadCorpus(f, "../testdata/cases-public.jsonl") {
		f.Add(c.Expr, int64(0))
	}
	for _, s := range []string{"Mon..Fri 9:00 Europe/Riga", "*-*~7/1 *:0/15:0/20", "12:00\r\n13:00 UTC"} {
		f.Add(s, int64(1_700_000_000))
	}
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string, afterUnix int64) {
		s, err := Parse(expr)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse(%q) returned a schedule and an error", expr)
			}
			return
		}
		// Keep after within years Python's datetime could represent.
		after := time.Unix(afterUnix%(300*365*86400)+946684800, 0).UTC()
		for _, loc := range []*time.Location{time.UTC, riga} {
			got, ok := s.Next(after, loc)
			again, ok2 := s.Next(after, loc)
			if ok != ok2 || !got.Equal(again) {
				t.Fatalf("Next(%q, %v) not deterministic: %v/%v then %v/%v", expr, after, got, ok, again, ok2)
			}
			if !ok {
				continue
			}
			// A repeated hour can legitimately move the answer up to the
			// size of the overlap before after (see Next); UTC never can.
			if loc == time.UTC && !got.After(after) {
				t.Fatalf("Next(%q, %v) = %v, not after", expr, after, got)
			}
			if loc != time.UTC && !got.After(after.Add(-2*time.Hour)) {
				t.Fatalf("Next(%q, %v, %v) = %v, too early", expr, after, loc, got)
			}
			if got.Year() >= maxYear {
				t.Fatalf("Next(%q) = %v, beyond the 2200 limit", expr, got)
			}
		}
		if _, ok := s.Next(validationStart, time.UTC); !ok {
			t.Fatalf("Parse(%q) accepted a schedule that never occurs", expr)
		}
	})
}
