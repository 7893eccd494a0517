package reports_test

import (
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/reports"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// Upstream's test_sendreports: at 2020-01-13 02:00 UTC the next monthly
// report is on February 1st and the next weekly one on January 20th; and
// the local 09:00 of other zones, across year ends and DST changes.
func TestNextDate(t *testing.T) {
	for _, tc := range []struct {
		freq, tz string
		now      time.Time
		jitter   time.Duration
		want     string // RFC 3339 in the zone, "" for none
	}{
		{"monthly", "UTC", utc(2020, 1, 13, 2, 0), 0, "2020-02-01T09:00:00Z"},
		{"weekly", "UTC", utc(2020, 1, 13, 2, 0), 0, "2020-01-20T09:00:00Z"}, // the 13th is a Monday: the next one
		{"daily", "UTC", utc(2020, 1, 13, 2, 0), 0, "2020-01-14T09:00:00Z"},
		{"monthly", "UTC", utc(2026, 12, 31, 23, 59), 119 * time.Minute, "2027-01-01T10:59:00Z"},
		// On the 1st itself, before 09:00, the next report is a month away.
		{"monthly", "UTC", utc(2026, 12, 1, 5, 0), 0, "2027-01-01T09:00:00Z"},
		// Still the 30th in Los Angeles when it is the 1st in UTC.
		{"monthly", "America/Los_Angeles", utc(2026, 12, 1, 5, 0), 0, "2026-12-01T09:00:00-08:00"},
		// Already Monday in Auckland while Sunday in UTC.
		{"weekly", "Pacific/Auckland", utc(2026, 12, 6, 12, 0), 30 * time.Minute, "2026-12-14T09:30:00+13:00"},
		// Europe/Riga leaves summer time on 2026-10-25: still 09:00 local.
		{"daily", "Europe/Riga", utc(2026, 10, 24, 12, 0), 0, "2026-10-25T09:00:00+02:00"},
		{"monthly", "Europe/Riga", utc(2026, 3, 15, 12, 0), 0, "2026-04-01T09:00:00+03:00"},
		{"off", "UTC", utc(2020, 1, 13, 2, 0), 0, ""},
		{"yearly", "UTC", utc(2020, 1, 13, 2, 0), 0, ""},
		{"", "UTC", utc(2020, 1, 13, 2, 0), 0, ""},
	} {
		got := reports.NextDate(tc.freq, tc.now, zone(t, tc.tz), tc.jitter)
		s := ""
		if got != nil {
			s = got.Format(time.RFC3339)
		}
		if s != tc.want {
			t.Errorf("NextDate(%q, %s, %s, %v) = %q, want %q", tc.freq, tc.now.Format(time.RFC3339), tc.tz, tc.jitter, s, tc.want)
		}
	}
}

func TestBoundaries(t *testing.T) {
	for _, tc := range []struct {
		freq, tz string
		now      time.Time
		want     []string
	}{
		{"monthly", "UTC", utc(2020, 1, 15, 0, 0), []string{"2020-01-01T00:00:00Z", "2019-12-01T00:00:00Z", "2019-11-01T00:00:00Z"}},
		{"monthly", "Europe/Riga", utc(2019, 12, 31, 23, 0), []string{"2020-01-01T00:00:00+02:00", "2019-12-01T00:00:00+02:00", "2019-11-01T00:00:00+02:00"}},
		{"weekly", "UTC", utc(2020, 1, 13, 2, 0), []string{"2020-01-13T00:00:00Z", "2020-01-06T00:00:00Z", "2019-12-30T00:00:00Z"}},
		{"weekly", "UTC", utc(2020, 1, 12, 23, 0), []string{"2020-01-06T00:00:00Z", "2019-12-30T00:00:00Z", "2019-12-23T00:00:00Z"}},
		{"daily", "UTC", utc(2020, 1, 13, 2, 0), []string{"2020-01-13T00:00:00Z", "2020-01-12T00:00:00Z", "2020-01-11T00:00:00Z"}},
		{"daily", "Asia/Tokyo", utc(2020, 1, 12, 20, 0), []string{"2020-01-13T00:00:00+09:00", "2020-01-12T00:00:00+09:00", "2020-01-11T00:00:00+09:00"}},
		// Across the spring change: each midnight has its own offset.
		{"daily", "Europe/Riga", utc(2026, 3, 30, 12, 0), []string{"2026-03-30T00:00:00+03:00", "2026-03-29T00:00:00+02:00", "2026-03-28T00:00:00+02:00"}},
	} {
		got := reports.Boundaries(tc.freq, len(tc.want), tc.now, zone(t, tc.tz))
		for i := range tc.want {
			if got[i].Format(time.RFC3339) != tc.want[i] {
				t.Errorf("Boundaries(%q, %s, %s)[%d] = %s, want %s", tc.freq, tc.now.Format(time.RFC3339), tc.tz, i, got[i].Format(time.RFC3339), tc.want[i])
			}
		}
	}
}

// Ports of upstream's test_downtimes_* (hc/api/tests/test_check_model.py),
// at 2020-01-15 00:00 UTC.
func TestDowntimes(t *testing.T) {
	now := utc(2020, 1, 15, 0, 0)
	created := utc(2019, 1, 1, 0, 0)
	day := 24 * time.Hour
	flip := func(at time.Time, old, new string) []model.Flip {
		return []model.Flip{{Created: at, OldStatus: old, NewStatus: new}}
	}
	type rec struct {
		dur    time.Duration
		count  int
		noData bool
	}
	for _, tc := range []struct {
		name    string
		tz      string
		n       int
		created time.Time
		status  string
		flips   []model.Flip
		want    []rec
	}{
		{"no flips", "UTC", 3, created, "new", nil, []rec{{}, {}, {}}},
		{"currently down", "UTC", 3, created, "down", nil, []rec{{14 * day, 1, false}, {31 * day, 1, false}, {30 * day, 1, false}}},
		{"flip one day ago", "UTC", 3, created, "down", flip(utc(2020, 1, 14, 0, 0), "up", "down"), []rec{{day, 1, false}, {}, {}}},
		{"flip two months ago", "UTC", 3, created, "down", flip(utc(2019, 11, 15, 0, 0), "up", "down"),
			[]rec{{14 * day, 1, false}, {31 * day, 1, false}, {16 * day, 1, false}}},
		{"non-UTC zone", "Europe/Riga", 2, created, "down", flip(utc(2019, 12, 31, 23, 0), "up", "down"),
			[]rec{{14*day + time.Hour, 1, false}, {}}},
		{"months when the check did not exist", "UTC", 3, utc(2020, 1, 1, 9, 0), "new", nil, []rec{{}, {0, 0, true}, {0, 0, true}}},
		// Down and up again inside one month: one event of 90 minutes; a
		// flip before the oldest boundary is ignored.
		{"down and up", "UTC", 3, created, "up", append(append(flip(utc(2019, 12, 10, 0, 0), "up", "down"),
			flip(utc(2019, 12, 10, 1, 30), "down", "up")...), flip(utc(2019, 10, 1, 0, 0), "new", "up")...),
			[]rec{{}, {90 * time.Minute, 1, false}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := reports.Boundaries("monthly", tc.n, now, zone(t, tc.tz))
			got := reports.Downtimes(b, tc.created, tc.status, tc.flips, now)
			if len(got) != len(tc.want) {
				t.Fatalf("%d records, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Duration != w.dur || g.Count != w.count || g.NoData != w.noData || !g.Start.Equal(b[i]) {
					t.Errorf("record %d (%s): %v, %d events, no data %v; want %v, %d, %v", i, g.Start.Format(time.RFC3339), g.Duration, g.Count, g.NoData, w.dur, w.count, w.noData)
				}
			}
		})
	}
	if got := reports.Downtimes(nil, created, "down", nil, now); got != nil {
		t.Errorf("no boundaries: %v", got)
	}
}
