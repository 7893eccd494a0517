package cron

import (
	"testing"
	"time"
)

// BenchmarkNext measures a typical fixed-time job in a zone with DST, and an
// elapsed-time job, from a fixed instant.
func BenchmarkNext(b *testing.B) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		b.Fatal(err)
	}
	after := time.Date(2026, 3, 27, 10, 0, 0, 0, time.UTC)
	for _, bc := range []struct{ name, expr string }{
		{"weekdays-0330-riga", "30 3 * * 1-5"},
		{"every15-riga", "*/15 * * * *"},
		{"lastfri-riga", "0 9 * * 5L"},
	} {
		e, err := Parse(bc.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := e.Next(after, riga); !ok {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, expr := range []string{"30 3 * * 1-5", "5,35 */2 1-15,LW JAN-JUN MON#2,5L"} {
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
