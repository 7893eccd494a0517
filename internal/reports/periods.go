// Package reports sends upstream's periodic summary emails: every check of
// every project a user can see, with its status and its downtime in each of
// the two last full days, weeks or months of the user's time zone. The
// period arithmetic and the downtime count are pure functions here; Sender
// claims each due report through the database so that any number of
// instances send it once.
package reports

import (
	"slices"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// sendHour is the local hour reports go out at; upstream adds a random
// 0-119 minutes so that a large install does not send them all at once.
const sendHour = 9

// NextDate is upstream's choose_next_report_date: 09:00 plus jitter on
// the next matching local day after now (tomorrow; the next Monday; the next
// 1st of the month), or nil for "off" and unknown settings. Days are counted
// on the wall clock, so the hour stays 09 across daylight-saving changes.
// Unlike upstream it drops now's seconds, which only make the time odd.
func NextDate(freq string, now time.Time, loc *time.Location, jitter time.Duration) *time.Time {
	if freq == model.ReportsOff || !model.ValidReports(freq) {
		return nil
	}
	local := now.In(loc)
	y, m, d := local.Date()
	for i := 1; i <= 31; i++ {
		t := time.Date(y, m, d+i, sendHour, int(jitter/time.Minute), 0, 0, loc)
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc) // the day, whatever the jitter
		switch {
		case freq == model.ReportsDaily,
			freq == model.ReportsWeekly && day.Weekday() == time.Monday,
			freq == model.ReportsMonthly && day.Day() == 1:
			return &t
		}
	}
	return nil // not reached: every month has a 1st within 31 days
}

// Boundaries returns the local midnights that start the current period and
// the n-1 before it, newest first (upstream's month_boundaries,
// week_boundaries and day_boundaries; weeks start on Monday). Unknown
// settings are treated as monthly.
func Boundaries(freq string, n int, now time.Time, loc *time.Location) []time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	out := make([]time.Time, 0, n)
	for i := range n {
		switch freq {
		case model.ReportsDaily:
			out = append(out, time.Date(y, m, d-i, 0, 0, 0, 0, loc))
		case model.ReportsWeekly:
			monday := d - (int(local.Weekday())+6)%7
			out = append(out, time.Date(y, m, monday-7*i, 0, 0, 0, 0, loc))
		default:
			out = append(out, time.Date(y, m-time.Month(i), 1, 0, 0, 0, 0, loc))
		}
	}
	return out
}

// Downtime is a check's record for one period.
type Downtime struct {
	// Start is the period's first instant.
	Start time.Time
	// NoData: the check did not exist yet during the period.
	NoData bool
	// Duration is the total time down in the period, Count the number of
	// down stretches (one that spans a boundary counts in both periods).
	Duration time.Duration
	Count    int
}

// Downtimes is upstream's Check.downtimes_by_boundary: walking back from
// now through the check's flips and the period boundaries (newest first),
// every stretch spent down is added to the period it falls in. status is
// the check's stored status now, created its creation time; flips may come
// in any order, and those at or before the oldest boundary are ignored.
// The result is newest first, one record per boundary.
func Downtimes(boundaries []time.Time, created time.Time, status string, flips []model.Flip, now time.Time) []Downtime {
	if len(boundaries) == 0 {
		return nil
	}
	recs := make([]Downtime, len(boundaries))
	for i, b := range boundaries {
		// A check created after the start of the next-newer period did not
		// exist in this one.
		recs[i] = Downtime{Start: b, NoData: i > 0 && created.After(boundaries[i-1])}
	}
	oldest := slices.MinFunc(boundaries, time.Time.Compare)
	type event struct {
		at     time.Time
		status string // the status before the event; "" for a boundary
	}
	events := make([]event, 0, len(boundaries)+len(flips))
	for _, b := range boundaries {
		events = append(events, event{at: b})
	}
	for _, f := range flips {
		if f.Created.After(oldest) {
			events = append(events, event{f.Created, f.OldStatus})
		}
	}
	// Newest first; at equal times a flip comes before a boundary, as in
	// upstream's reverse sort of (time, "---" or status) pairs.
	slices.SortStableFunc(events, func(a, b event) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmpStatus(b.status, a.status)
	})
	add := func(at time.Time, d time.Duration) {
		for i := range recs {
			if !at.Before(recs[i].Start) {
				recs[i].Duration += d
				recs[i].Count++
				return
			}
		}
	}
	t := now
	for _, e := range events {
		if status == model.StatusDown {
			add(e.at, t.Sub(e.at))
		}
		t = e.at
		if e.status != "" {
			status = e.status
		}
	}
	return recs
}

// cmpStatus orders a boundary ("") before any status, as upstream's "---"
// sorts before the status names.
func cmpStatus(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	case a < b:
		return -1
	}
	return 1
}
