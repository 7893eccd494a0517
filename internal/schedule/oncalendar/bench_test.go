package oncalendar

import (
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	for _, expr := range []string{"Mon..Fri *-*-* 09:00", "*:0/15", "daily", "Mon 12:00 Europe/Riga", "Sat 12:00\n*-*~1 09:30\nMon..Fri 08:00"} {
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseNever is the worst case: a schedule that never occurs is
// searched all the way to 2200 before it is rejected.
func BenchmarkParseNever(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("Fri *-02-30 *:*:*"); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkNext(b *testing.B) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name, expr string
		loc        *time.Location
	}{
		{"weekdays-utc", "Mon..Fri *-*-* 09:00", time.UTC},
		{"weekdays-riga", "Mon..Fri *-*-* 09:00", riga},
		{"every15min-riga", "*:0/15", riga},
		{"lastsunday-riga", "Sun *-*~7/1 03:30", riga},
		{"multiline-riga", "09:00\n*:0/30 UTC\nSat 12:00", riga},
	} {
		s, err := Parse(tc.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			after := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			for b.Loop() {
				n, ok := s.Next(after, tc.loc)
				if !ok {
					b.Fatal("never due")
				}
				after = n
				if after.Year() > 2190 {
					after = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
				}
			}
		})
	}
}
