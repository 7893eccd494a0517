package humanize

import (
	"testing"
	"time"
)

// Expected strings are upstream's filters' documented outputs (hc_duration,
// hc_duration_for_sentence, Django's naturaltime and timesince).
func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Duration(24 * time.Hour), "1 day"},
		{Duration(8 * 24 * time.Hour), "8 days"},
		{Duration(14 * 24 * time.Hour), "2 weeks"},
		{Duration(90 * time.Minute), "1 hour 30 minutes"},
		{Duration(90*time.Minute + 5*time.Second), "1 hour 30 minutes"},
		{DurationForSentence(90 * time.Minute), "1 hour, 30 minutes"},
		{DurationForSentence(45 * time.Second), "45 seconds"},
		{Approx(27 * time.Hour), "1 day 3 h"},
		{Approx(4 * 24 * time.Hour), "4 days 0 h"},
		{Approx(2*time.Hour + 5*time.Minute + 59*time.Second), "2 h 5 min"},
		{Approx(200 * time.Second), "3 min 20 sec"},
		{Approx(0), "0 min 0 sec"},
		{Plural(1), ""},
		{Plural(2), "s"},
		{Plural(0), "s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "now"},
		{time.Second, "a second ago"},
		{10 * time.Minute, "10 minutes ago"},
		{time.Hour, "an hour ago"},
		{26 * time.Hour, "1 day, 2 hours ago"},
		{-time.Minute, "now"},
	} {
		if got := NaturalTime(now.Add(-tc.ago), now); got != tc.want {
			t.Errorf("NaturalTime(-%v) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := TimeSince(time.Date(2025, 10, 7, 12, 0, 0, 0, time.UTC), now); got != "1 year, 2 months" {
		t.Errorf("TimeSince over 14 months = %q", got)
	}
}
