package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// fakeSchedule fires at fixed instants, so the status rules can be tested
// without depending on an engine.
type fakeSchedule []time.Time

func (f fakeSchedule) Next(after time.Time) (time.Time, bool) {
	for _, t := range f {
		if t.After(after) {
			return t, true
		}
	}
	return time.Time{}, false
}

var now0 = time.Date(2020, 1, 15, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := now0.Add(d)
	return &t
}

// check builds a check with upstream's defaults (timeout 1 day, grace 1 hour).
func check(kind, status string, lastPing, lastStart *time.Time) *model.Check {
	c := model.NewCheck(1, now0)
	c.Kind, c.Status, c.LastPing, c.LastStart = kind, status, lastPing, lastStart
	return &c
}

const (
	day  = 24 * time.Hour
	hour = time.Hour
)

func TestStatus(t *testing.T) {
	// The scheduled check expects pings at now0+1h and now0+5h.
	sched := fakeSchedule{now0.Add(hour), now0.Add(5 * hour)}
	tests := []struct {
		name        string
		c           *model.Check
		sch         Schedule
		now         time.Time
		want        string // withStarted false (API v2/v3, alerts)
		wantStarted string // withStarted true (API v1)
	}{
		{"new check", check("simple", "new", nil, nil), nil, now0, "new", "new"},
		{"up within period", check("simple", "up", at(-hour), nil), nil, now0, "up", "up"},
		{"up in grace", check("simple", "up", at(-day-30*time.Minute), nil), nil, now0, "grace", "grace"},
		{"up past grace", check("simple", "up", at(-2*day), nil), nil, now0, "down", "down"},
		{"paused stays paused", check("simple", "paused", at(-day-30*time.Minute), nil), nil, now0, "paused", "paused"},
		{"paused long ago stays paused", check("simple", "paused", at(-300*day), nil), nil, now0, "paused", "paused"},
		{"down stays down", check("simple", "down", at(-time.Minute), nil), nil, now0, "down", "down"},

		// Boundaries of a simple check: grace starts at last_ping+timeout and
		// ends at +grace, both inclusive.
		{"simple 1ns before grace", check("simple", "up", at(0), nil), nil, now0.Add(day - 1), "up", "up"},
		{"simple exactly at grace start", check("simple", "up", at(0), nil), nil, now0.Add(day), "grace", "grace"},
		{"simple 1ns before grace end", check("simple", "up", at(0), nil), nil, now0.Add(day + hour - 1), "grace", "grace"},
		{"simple exactly at grace end", check("simple", "up", at(0), nil), nil, now0.Add(day + hour), "down", "down"},

		// Runs in progress.
		{"new and started", check("simple", "new", at(-2*hour), at(-5*time.Minute)), nil, now0, "new", "started"},
		{"paused and started", check("simple", "paused", at(-2*hour), at(-5*time.Minute)), nil, now0, "paused", "started"},
		{"up and started", check("simple", "up", at(-2*hour), at(-5*time.Minute)), nil, now0, "up", "started"},
		{"down and started", check("simple", "down", at(-2*hour), at(-5*time.Minute)), nil, now0, "down", "started"},
		{"down, started and expired", check("simple", "down", at(-2*day), at(-2*hour)), nil, now0, "down", "down"},
		{"up, started and expired", check("simple", "up", at(-3*hour), at(-2*hour)), nil, now0, "down", "down"},
		{"paused, started and expired", check("simple", "paused", nil, at(-2*hour)), nil, now0, "down", "down"},
		{"new, started and missing", check("simple", "new", nil, at(-2*hour)), nil, now0, "down", "down"},
		{"started 1ns before grace end", check("simple", "up", at(-3*hour), at(0)), nil, now0.Add(hour - 1), "up", "started"},
		{"started exactly at grace end", check("simple", "new", nil, at(0)), nil, now0.Add(hour), "down", "down"},

		// Scheduled kinds: the grace start is the schedule's next fire time
		// after the last ping.
		{"cron before fire time", check("cron", "up", at(-time.Minute), nil), sched, now0.Add(hour - 1), "up", "up"},
		{"cron exactly at fire time", check("cron", "up", at(-time.Minute), nil), sched, now0.Add(hour), "grace", "grace"},
		{"cron exactly at grace end", check("cron", "up", at(-time.Minute), nil), sched, now0.Add(2 * hour), "down", "down"},
		{"oncalendar measured from last ping", check("oncalendar", "up", at(2*hour), nil), sched, now0.Add(5*hour + 30*time.Minute), "grace", "grace"},
		{"schedule ran out stays up", check("oncalendar", "up", at(10*hour), nil), sched, now0.Add(1000 * day), "up", "up"},
		{"schedule ran out, started and expired", check("oncalendar", "up", at(10*hour), at(11*hour)), sched, now0.Add(12 * hour), "down", "down"},
		{"scheduled kind without schedule never due", check("cron", "up", at(-300*day), nil), nil, now0, "up", "up"},
		{"up without last ping never due", check("simple", "up", nil, nil), nil, now0, "up", "up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.c, tt.sch, tt.now, false); got != tt.want {
				t.Errorf("Status(withStarted=false) = %q, want %q", got, tt.want)
			}
			if got := Status(tt.c, tt.sch, tt.now, true); got != tt.wantStarted {
				t.Errorf("Status(withStarted=true) = %q, want %q", got, tt.wantStarted)
			}
		})
	}
}

func TestGoingDownAfter(t *testing.T) {
	sched := fakeSchedule{now0.Add(hour), now0.Add(5 * hour)}
	tests := []struct {
		name string
		c    *model.Check
		sch  Schedule
		want *time.Time
	}{
		{"new", check("simple", "new", nil, nil), nil, nil},
		{"paused", check("simple", "paused", at(-2*day), nil), nil, nil},
		{"up", check("simple", "up", at(-hour), nil), nil, at(-hour + day + hour)},
		{"paused then started", check("simple", "paused", nil, at(-2*day)), nil, at(-2*day + hour)},
		{"new then started", check("simple", "new", nil, at(-10*time.Minute)), nil, at(-10*time.Minute + hour)},
		{"down", check("simple", "down", at(-hour), nil), nil, nil},
		{"down then started", check("simple", "down", nil, at(-10*time.Minute)), nil, nil},
		{"up, started before the deadline", check("simple", "up", at(-hour), at(-10*time.Minute)), nil, at(-10*time.Minute + hour)},
		{"up, deadline before the start", check("cron", "up", at(-time.Minute), at(2*hour)), sched, at(2 * hour)},
		{"cron", check("cron", "up", at(3*hour), nil), sched, at(6 * hour)},
		{"schedule ran out", check("oncalendar", "up", at(6*hour), nil), sched, nil},
		{"schedule ran out, started", check("oncalendar", "up", at(6*hour), at(7*hour)), sched, at(8 * hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GoingDownAfter(tt.c, tt.sch)
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil:
				t.Fatalf("GoingDownAfter = %v, want %v", got, tt.want)
			case !got.Equal(*tt.want):
				t.Fatalf("GoingDownAfter = %v, want %v", *got, *tt.want)
			}
		})
	}
}

func TestGraceStart(t *testing.T) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	localPing := now0.In(riga)
	sched := fakeSchedule{now0.Add(hour)}
	tests := []struct {
		name        string
		c           *model.Check
		sch         Schedule
		withStarted bool
		want        time.Time
		wantOK      bool
	}{
		{"simple is last ping plus timeout, in UTC", check("simple", "up", &localPing, nil), nil, true, now0.Add(day), true},
		{"scheduled is next fire time", check("cron", "up", at(0), nil), sched, true, now0.Add(hour), true},
		{"start ignored without withStarted", check("cron", "up", at(0), at(-time.Minute)), sched, false, now0.Add(hour), true},
		{"start brings deadline forward", check("cron", "up", at(0), at(-time.Minute)), sched, true, now0.Add(-time.Minute), true},
		{"later start doesn't postpone", check("cron", "up", at(0), at(2*hour)), sched, true, now0.Add(hour), true},
		{"new", check("simple", "new", nil, nil), nil, true, time.Time{}, false},
		{"new started without withStarted", check("simple", "new", nil, at(0)), nil, false, time.Time{}, false},
		{"down started", check("simple", "down", at(0), at(0)), nil, true, time.Time{}, false},
		{"unknown kind", check("weekly", "up", at(0), nil), nil, true, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := GraceStart(tt.c, tt.sch, tt.withStarted)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Fatalf("GraceStart = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("GraceStart location = %v, want UTC", got.Location())
			}
		})
	}
}

func TestValidatePeriod(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want error
	}{
		{59 * time.Second, ErrTooSmall},
		{time.Minute - 1, ErrTooSmall},
		{-time.Hour, ErrTooSmall},
		{time.Minute, nil},
		{DefaultGrace, nil},
		{DefaultTimeout, nil},
		{365 * day, nil},
		{365*day + time.Second, ErrTooLarge},
	}
	for _, tt := range tests {
		for name, f := range map[string]func(time.Duration) error{"timeout": ValidateTimeout, "grace": ValidateGrace} {
			err := f(tt.d)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Validate %s(%v) = %v, want %v", name, tt.d, err, tt.want)
			}
		}
	}
}

func TestEvaluateSimpleNeedsNoCache(t *testing.T) {
	c := check("simple", "up", at(-day-30*time.Minute), nil)
	status, aa, err := Evaluate(c, nil, now0)
	if err != nil {
		t.Fatal(err)
	}
	if status != "grace" || aa == nil || !aa.Equal(now0.Add(30*time.Minute)) {
		t.Fatalf("Evaluate = %q, %v; want grace, %v", status, aa, now0.Add(30*time.Minute))
	}
}

func TestEvaluateRejectsUnknownKind(t *testing.T) {
	c := check("hourly", "up", at(0), nil)
	if _, _, err := Evaluate(c, NewCache(8), now0); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("Evaluate error = %v, want ErrUnknownKind", err)
	}
}

// evaluate takes a shortcut (one schedule search); it must agree with Status
// and GoingDownAfter everywhere.
func TestEvaluateAgreesWithStatusAndGoingDownAfter(t *testing.T) {
	sched := fakeSchedule{now0.Add(hour), now0.Add(5 * hour)}
	pings := []*time.Time{nil, at(-2 * day), at(-day - 30*time.Minute), at(-2 * hour), at(-time.Minute), at(2 * hour), at(10 * hour)}
	var n int
	for _, kind := range []string{"simple", "cron", "oncalendar"} {
		for _, status := range []string{"new", "up", "down", "paused"} {
			for _, lastPing := range pings {
				for _, lastStart := range pings {
					for _, now := range []time.Time{now0, now0.Add(hour), now0.Add(90 * time.Minute), now0.Add(3 * day)} {
						c := check(kind, status, lastPing, lastStart)
						var sch Schedule
						if kind != "simple" {
							sch = sched
						}
						gotStatus, gotAA := evaluate(c, sch, now)
						wantStatus, wantAA := Status(c, sch, now, false), GoingDownAfter(c, sch)
						if gotStatus != wantStatus || (gotAA == nil) != (wantAA == nil) || (gotAA != nil && !gotAA.Equal(*wantAA)) {
							t.Fatalf("%s/%s ping %v start %v now %v: evaluate = %s, %v; want %s, %v",
								kind, status, lastPing, lastStart, now, gotStatus, gotAA, wantStatus, wantAA)
						}
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no combinations checked")
	}
}
