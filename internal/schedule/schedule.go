// Package schedule decides when a check is next expected and what its status
// is, following upstream Healthchecks' rules. It binds the cron and OnCalendar
// engines to a check's time zone, validates schedules as upstream's API does,
// and computes statuses and alert deadlines. It is pure: no I/O besides
// loading time zones.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule/cron"
	"github.com/overdue/overdue/internal/schedule/oncalendar"
)

// MaxScheduleLen is upstream's limit on the schedule field, in characters.
const MaxScheduleLen = 100

// Schedule yields the fire times of a cron or OnCalendar schedule in the zone
// it was parsed with.
type Schedule interface {
	// Next returns the first fire time strictly after after, in UTC, and
	// false when there is none (an OnCalendar schedule limited to past years).
	Next(after time.Time) (time.Time, bool)
}

// Errors wrapped by Parse, for callers that map them to upstream's messages.
var (
	ErrInvalidSchedule = errors.New("invalid schedule")
	ErrScheduleTooLong = errors.New("schedule is too long")
	ErrUnknownKind     = errors.New("unknown schedule kind")
)

// validationStart is where upstream looks for a first fire time to decide
// whether a schedule can ever fire (hc/front/validators.py, hc/api/views.py).
var validationStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// InvalidExpressionError reports an expression an engine rejected. Its text
// is "invalid cron expression: <reason>" or "invalid OnCalendar expression: <reason>".
type InvalidExpressionError struct {
	Kind string // model.KindCron or model.KindOnCalendar
	Err  error
}

func (e *InvalidExpressionError) Error() string {
	name := "cron"
	if e.Kind == model.KindOnCalendar {
		name = "OnCalendar"
	}
	return "invalid " + name + " expression: " + e.Err.Error()
}

func (e *InvalidExpressionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidSchedule) true for every engine rejection.
func (e *InvalidExpressionError) Is(target error) bool { return target == ErrInvalidSchedule }

// GuessKind returns the kind upstream's API infers from a schedule string: a
// single line with exactly five whitespace-separated fields is "cron", anything
// else "oncalendar".
func GuessKind(expr string) string {
	if !strings.ContainsRune(pycompat.Strip(expr), '\n') && len(pycompat.Fields(expr)) == 5 {
		return model.KindCron
	}
	return model.KindOnCalendar
}

// Parse validates expr the way upstream's API and UI do for the given kind
// (cron or oncalendar) and binds it to the zone tz. Legacy zone names are
// accepted. For kind simple there is no schedule: Parse returns nil, nil.
func Parse(kind, expr, tz string) (Schedule, error) {
	switch kind {
	case model.KindSimple:
		return nil, nil
	case model.KindCron, model.KindOnCalendar:
	default:
		return nil, fmt.Errorf("%w %s", ErrUnknownKind, quoteShort(kind))
	}
	if n := utf8.RuneCountInString(expr); n > MaxScheduleLen {
		return nil, fmt.Errorf("%w: %d characters, the limit is %d", ErrScheduleTooLong, n, MaxScheduleLen)
	}
	loc, err := loadTZ(tz)
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) error {
		return &InvalidExpressionError{Kind: kind, Err: fmt.Errorf(format, args...)}
	}
	if pycompat.Strip(expr) == "" {
		return nil, invalid("the expression is empty")
	}

	var sch Schedule
	if kind == model.KindCron {
		// cronsim also takes a 6-field form with seconds, which upstream never
		// treats as cron.
		if n := len(pycompat.Fields(expr)); n != 5 {
			return nil, invalid("expected 5 fields, got %d", n)
		}
		e, err := cron.Parse(expr)
		if err != nil {
			return nil, &InvalidExpressionError{Kind: kind, Err: err}
		}
		sch = cronSchedule{expr: e, loc: loc}
	} else {
		// Upstream's UI validator caps each line at four parts
		// (weekday, date, time, zone).
		for i, line := range strings.Split(pycompat.Strip(expr), "\n") {
			if n := len(pycompat.Fields(line)); n > 4 {
				return nil, invalid("line %d has %d parts, at most 4 are allowed", i+1, n)
			}
		}
		s, err := oncalendar.Parse(expr)
		if err != nil {
			return nil, &InvalidExpressionError{Kind: kind, Err: err}
		}
		sch = onCalendarSchedule{sched: s, loc: loc}
	}

	// Upstream rejects schedules with no fire time after 2000-01-01 UTC,
	// independent of the check's zone.
	if err := canFire(kind, sch); err != nil {
		return nil, err
	}
	return sch, nil
}

func canFire(kind string, sch Schedule) error {
	var ok bool
	switch s := sch.(type) {
	case cronSchedule:
		_, ok = s.expr.Next(validationStart, time.UTC)
	case onCalendarSchedule:
		_, ok = s.sched.Next(validationStart, time.UTC)
	}
	if !ok {
		return &InvalidExpressionError{Kind: kind, Err: errors.New("it never fires")}
	}
	return nil
}

type cronSchedule struct {
	expr *cron.Expr
	loc  *time.Location
}

func (s cronSchedule) Next(after time.Time) (time.Time, bool) {
	// Upstream's libraries drop the sub-second part before searching.
	t, ok := s.expr.Next(after.Truncate(time.Second), s.loc)
	return t.UTC(), ok
}

type onCalendarSchedule struct {
	sched *oncalendar.Schedule
	loc   *time.Location
}

func (s onCalendarSchedule) Next(after time.Time) (time.Time, bool) {
	t, ok := s.sched.Next(after.Truncate(time.Second), s.loc)
	return t.UTC(), ok
}
