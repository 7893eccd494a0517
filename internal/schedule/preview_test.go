package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPreview(t *testing.T) {
	ts := func(s ...string) []time.Time {
		var out []time.Time
		for _, v := range s {
			p, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	tests := []struct {
		name, kind, expr, tz string
		after                time.Time
		n                    int
		want                 []time.Time
	}{
		{"spring-forward gap in Riga", "", "30 3 * * *", "Europe/Riga", ts("2026-03-29T00:00:00Z")[0], 3,
			ts("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z")},
		{"explicit kind", "cron", "*/20 * * * *", "UTC", ts("2026-01-01T00:00:00Z")[0], 2,
			ts("2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z")},
		{"oncalendar guessed", "", "Mon 12:00\nFri 18:00", "UTC", ts("2026-01-01T00:00:00Z")[0], 3,
			ts("2026-01-02T18:00:00Z", "2026-01-05T12:00:00Z", "2026-01-09T18:00:00Z")},
		{"runs out", "", "2026-01-01..03", "UTC", ts("2026-01-01T12:00:00Z")[0], 5,
			ts("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z")},
		{"ran out already", "oncalendar", "2019-01-01", "UTC", ts("2026-01-01T00:00:00Z")[0], 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Preview(tt.kind, tt.expr, tt.tz, tt.after, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) || got[i].Location() != time.UTC {
					t.Fatalf("got %v, want %v (UTC)", got, tt.want)
				}
			}
		})
	}
}

func TestPreviewErrors(t *testing.T) {
	after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, kind, expr, tz string
		n                    int
		want                 error
		msgContains          string
	}{
		{"n zero", "", "* * * * *", "UTC", 0, nil, "out of range"},
		{"n negative", "", "* * * * *", "UTC", -1, nil, "out of range"},
		{"n too big", "", "* * * * *", "UTC", MaxPreview + 1, nil, "out of range"},
		{"simple", "simple", "", "UTC", 5, nil, "no schedule"},
		{"bad zone", "", "* * * * *", "Mars/Olympus", 5, ErrUnknownTZ, ""},
		{"bad expression", "", "* * * * 8", "UTC", 5, ErrInvalidSchedule, "invalid cron expression"},
		{"too long", "", strings.Repeat("x", 101), "UTC", 5, ErrScheduleTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Preview(tt.kind, tt.expr, tt.tz, after, tt.n)
			if err == nil {
				t.Fatalf("Preview = %v, want an error", got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msgContains) {
				t.Errorf("error %q doesn't mention %q", err, tt.msgContains)
			}
		})
	}
}
