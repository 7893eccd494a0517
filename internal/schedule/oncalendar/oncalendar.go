// Package oncalendar evaluates systemd OnCalendar schedules exactly as
// upstream Healthchecks does with the Python library oncalendar 1.1,
// including its quirks around DST and multi-line schedules.
package oncalendar

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/pycompat"
)

// ErrNeverOccurs is returned (wrapped) by Parse for a well-formed schedule
// that has no occurrence after 2000-01-01T00:00Z and before the year 2200.
var ErrNeverOccurs = errors.New("the schedule never occurs")

// maxTokens is upstream's limit of whitespace-separated tokens per line.
const maxTokens = 4

// validationStart is where upstream's validator looks for a first occurrence.
var validationStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Schedule is a parsed, validated OnCalendar schedule: one or more
// expressions, one per line. Safe for concurrent use.
type Schedule struct {
	lines []spec
}

// Parse validates exactly as upstream's validator does (strip, split on '\n',
// at most 4 whitespace-separated tokens per line, every line parses, at least
// one occurrence after 2000-01-01T00:00Z before year 2200).
func Parse(expr string) (*Schedule, error) {
	stripped := pycompat.Strip(expr)
	if stripped == "" {
		return nil, errors.New("the schedule is empty")
	}
	raw := strings.Split(stripped, "\n")
	where := func(i int) string {
		if len(raw) == 1 {
			return ""
		}
		return fmt.Sprintf("line %d: ", i+1)
	}
	for i, ln := range raw {
		if n := pycompat.CountFields(ln); n > maxTokens {
			return nil, fmt.Errorf("%s%d fields, at most %d are allowed ([weekday] [date] [time] [zone])", where(i), n, maxTokens)
		}
	}
	zl := zoneLoader{}
	s := &Schedule{lines: make([]spec, 0, len(raw))}
	for i, ln := range raw {
		sp, err := parseLine(ln, zl)
		if err != nil {
			return nil, fmt.Errorf("%s%w", where(i), err)
		}
		s.lines = append(s.lines, sp)
	}
	if _, ok := s.Next(validationStart, time.UTC); !ok {
		return nil, ErrNeverOccurs
	}
	return s, nil
}

// Next returns the earliest occurrence over all lines strictly after `after`
// (sub-second part dropped, then +1s), evaluated in loc (nil = UTC) unless a
// line carries its own zone, returned in UTC. ok=false when there is none
// before 2200 ("never due").
//
// Like upstream, lines are compared by their wall-clock time in loc, not by
// instant: during a fall-back a later instant can win over an earlier one.
// The result can also precede `after` when `after` lies in the second pass
// of a repeated hour, because the search starts from the wall time.
func (s *Schedule) Next(after time.Time, loc *time.Location) (t time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	var best, bestWall int64
	for i := range s.lines {
		u, found := s.lines[i].next(after, loc)
		if !found {
			continue
		}
		w := wallClock(u, loc)
		if !ok || w < bestWall {
			best, bestWall, ok = u, w, true
		}
	}
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(best, 0).UTC(), true
}
