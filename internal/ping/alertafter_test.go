package ping

import (
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
)

func TestScheduleAlertAfter(t *testing.T) {
	kept := now.Add(-time.Hour)
	tests := []struct {
		name     string
		kind     string
		sched    string
		tz       string
		status   string
		ev       Event
		want     *time.Time
		cacheLen int
	}{
		{"simple success", model.KindSimple, "", "UTC", "new", Event{Action: ActionSuccess}, new(now.Add(25 * time.Hour)), 0},
		{"cron success: next slot after the ping + grace", model.KindCron, "0 5 * * *", "UTC", "up", Event{Action: ActionSuccess},
			new(time.Date(2026, 1, 2, 6, 0, 0, 0, time.UTC)), 1},
		{"cron in a zone", model.KindCron, "0 5 * * *", "Europe/Riga", "up", Event{Action: ActionSuccess},
			new(time.Date(2026, 1, 3, 4, 0, 0, 0, time.UTC)), 1},
		{"oncalendar success", model.KindOnCalendar, "*-*-* 04:30:00", "UTC", "up", Event{Action: ActionSuccess},
			new(time.Date(2026, 1, 2, 5, 30, 0, 0, time.UTC)), 1},
		{"cron start on a new check: start + grace", model.KindCron, "0 5 * * *", "UTC", "new", Event{Action: ActionStart}, new(now.Add(time.Hour)), 1},
		{"cron fail: never", model.KindCron, "0 5 * * *", "UTC", "up", Event{Action: ActionFail}, nil, 1},
		{"broken schedule keeps the old deadline", model.KindCron, "61 * * * *", "UTC", "up", Event{Action: ActionSuccess}, &kept, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := schedule.NewCache(8)
			fn := ScheduleAlertAfter(cache, nil)
			c := baseCheck(tt.status)
			c.Kind, c.Schedule, c.TZ = tt.kind, tt.sched, tt.tz
			c.AlertAfter = &kept
			got, _, _ := Apply(c, tt.ev, now, fn)
			if !eqTime(got.AlertAfter, tt.want) {
				t.Errorf("alert_after = %s, want %s", fmtTime(got.AlertAfter), fmtTime(tt.want))
			}
			if cache.Len() != tt.cacheLen {
				t.Errorf("cache holds %d schedules, want %d", cache.Len(), tt.cacheLen)
			}
		})
	}
}
