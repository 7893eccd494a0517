package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// Bounds and defaults of a check's period (timeout) and grace time, as
// upstream's API and UI enforce them.
const (
	MinPeriod      = time.Minute
	MaxPeriod      = 365 * 24 * time.Hour
	DefaultTimeout = model.DefaultTimeout
	DefaultGrace   = model.DefaultGrace
)

// Errors wrapped by ValidateTimeout and ValidateGrace; upstream's API words
// them "<field> is too small" and "<field> is too large".
var (
	ErrTooSmall = errors.New("too small")
	ErrTooLarge = errors.New("too large")
)

// ValidateTimeout checks a simple check's period against upstream's bounds.
func ValidateTimeout(d time.Duration) error { return validatePeriod("timeout", d) }

// ValidateGrace checks a grace time against upstream's bounds.
func ValidateGrace(d time.Duration) error { return validatePeriod("grace", d) }

func validatePeriod(field string, d time.Duration) error {
	switch {
	case d < MinPeriod:
		return fmt.Errorf("%s %v is %w: the minimum is %v", field, d, ErrTooSmall, MinPeriod)
	case d > MaxPeriod:
		return fmt.Errorf("%s %v is %w: the maximum is %v (365 days)", field, d, ErrTooLarge, MaxPeriod)
	}
	return nil
}

// GraceStart returns when c's grace period starts, the instant the API calls
// next_ping; false means never (the check is new, paused or down, or its
// schedule has no more fire times). sch is the parsed schedule for kinds cron
// and oncalendar and is ignored for kind simple, which uses c.Timeout; a nil
// sch for a scheduled kind counts as never. withStarted makes a run in
// progress (LastStart set, status not down) bring the deadline forward to
// LastStart, so the run must finish within the grace time.
func GraceStart(c *model.Check, sch Schedule, withStarted bool) (time.Time, bool) {
	t, ok := nextExpected(c, sch)
	if withStarted {
		t, ok = startDeadline(c, t, ok)
	}
	return t, ok
}

// nextExpected is the grace start without regard to a run in progress.
func nextExpected(c *model.Check, sch Schedule) (time.Time, bool) {
	if c.Status != model.StatusUp || c.LastPing == nil {
		return time.Time{}, false
	}
	switch c.Kind {
	case model.KindSimple:
		return c.LastPing.Add(c.Timeout).UTC(), true
	case model.KindCron, model.KindOnCalendar:
		if sch != nil {
			// Measured from the last ping, not from the previous slot.
			return sch.Next(*c.LastPing)
		}
	}
	return time.Time{}, false
}

// startDeadline brings the grace start t forward to the start of a run in
// progress, except for a check that is already down.
func startDeadline(c *model.Check, t time.Time, ok bool) (time.Time, bool) {
	if c.LastStart != nil && c.Status != model.StatusDown && (!ok || c.LastStart.Before(t)) {
		return c.LastStart.UTC(), true
	}
	return t, ok
}

// Status returns c's current status at now: new, up, grace, down or paused,
// and with withStarted (API v1 only) also started while a run is in
// progress. Both boundaries are inclusive: at exactly the grace start the
// check is grace, at exactly the grace end it is down.
func Status(c *model.Check, sch Schedule, now time.Time, withStarted bool) string {
	if s, ok := statusWithoutSchedule(c, now, withStarted); ok {
		return s
	}
	t, ok := nextExpected(c, sch)
	return statusAt(c, now, t, ok)
}

// statusWithoutSchedule decides the status when the schedule doesn't matter:
// a run in progress or overdue, and the stored statuses that only a ping or
// the user can change.
func statusWithoutSchedule(c *model.Check, now time.Time, withStarted bool) (string, bool) {
	if c.LastStart != nil {
		// A run that outlives its grace time is down whatever the stored
		// status, even paused or new.
		if !now.Before(c.LastStart.Add(c.Grace)) {
			return model.StatusDown, true
		}
		if withStarted {
			return model.StatusStarted, true
		}
	}
	switch c.Status {
	case model.StatusNew, model.StatusPaused, model.StatusDown:
		return c.Status, true
	}
	return "", false
}

// statusAt places now relative to the grace period starting at start.
func statusAt(c *model.Check, now, start time.Time, ok bool) string {
	switch {
	case !ok:
		return model.StatusUp // never expected again, so never late
	case !now.Before(start.Add(c.Grace)):
		return model.StatusDown
	case !now.Before(start):
		return model.StatusGrace
	}
	return model.StatusUp
}

// GoingDownAfter returns the instant c goes down unless pinged, upstream's
// going_down_after, stored as alert_after; nil when it can't go down on its
// own (new, paused or down, and not running).
func GoingDownAfter(c *model.Check, sch Schedule) *time.Time {
	start, ok := GraceStart(c, sch, true)
	return deadline(c, start, ok)
}

func deadline(c *model.Check, graceStart time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	t := graceStart.Add(c.Grace)
	return &t
}

// Evaluate parses c's schedule through cache (nil means no caching) and
// returns its status at now (as API v2/v3 and the alert engine see it) and
// its alert_after.
func Evaluate(c *model.Check, cache *Cache, now time.Time) (status string, alertAfter *time.Time, err error) {
	var sch Schedule
	if c.Kind != model.KindSimple {
		if cache != nil {
			sch, err = cache.Parse(c.Kind, c.Schedule, c.TZ)
		} else {
			sch, err = Parse(c.Kind, c.Schedule, c.TZ)
		}
		if err != nil {
			return "", nil, fmt.Errorf("check %s: %w", c.Code, err)
		}
	}
	status, alertAfter = evaluate(c, sch, now)
	return status, alertAfter, nil
}

// evaluate is Status (without started) and GoingDownAfter with one schedule
// search instead of two: the search is most of the cost.
func evaluate(c *model.Check, sch Schedule, now time.Time) (string, *time.Time) {
	t, ok := nextExpected(c, sch)
	start, startOK := startDeadline(c, t, ok)
	alertAfter := deadline(c, start, startOK)
	if status, done := statusWithoutSchedule(c, now, false); done {
		return status, alertAfter
	}
	return statusAt(c, now, t, ok), alertAfter
}
