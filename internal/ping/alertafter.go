package ping

import (
	"log/slog"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
)

// ScheduleAlertAfter returns the WriterOptions.AlertAfter production uses:
// upstream's going_down_after through the schedule package, with parsed
// schedules memoized in cache (nil parses every time).
//
// A stored schedule that no longer parses can't give a deadline. Rather than
// nil, which would mean "never goes down" and silence the check for good,
// the previous alert_after is kept, so the alert engine still looks at the
// check and reports the problem there.
func ScheduleAlertAfter(cache *schedule.Cache, log *slog.Logger) func(*model.Check) *time.Time {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(c *model.Check) *time.Time {
		var sch schedule.Schedule
		if c.Kind != model.KindSimple {
			var err error
			if cache != nil {
				sch, err = cache.Parse(c.Kind, c.Schedule, c.TZ)
			} else {
				sch, err = schedule.Parse(c.Kind, c.Schedule, c.TZ)
			}
			if err != nil {
				log.Warn("check schedule does not parse; alert_after left as it was",
					"check_id", c.ID, "kind", c.Kind, "schedule", c.Schedule, "err", err)
				return c.AlertAfter
			}
		}
		return schedule.GoingDownAfter(c, sch)
	}
}
