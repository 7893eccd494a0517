package schedule

// Ports of the status and next-expected-time tests of upstream's
// hc/api/tests/test_check_model.py (Check.get_status, get_grace_start), run
// against the real cron and OnCalendar engines rather than a fake schedule,
// plus the DST and sub-second cases that reference §2.3 and §2.6 describe.
// internal/api/upstream_model_test.go replays the same cases through the API.

import (
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// upstreamNow stands in for upstream's wall clock in the tests that use now().
var upstreamNow = time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC)

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func ago(d time.Duration) *time.Time {
	t := upstreamNow.Add(-d)
	return &t
}

// modelCase is one check at one instant: the status API v2/v3 report, the
// one v1 reports, and next_ping ("" for null).
type modelCase struct {
	name                string
	kind, sched, tz     string
	grace               time.Duration // 0: upstream's default, one hour
	status              string
	lastPing, lastStart *time.Time
	now                 time.Time
	want, wantV1        string
	wantNext            string
}

func (tc modelCase) check(t *testing.T) (*model.Check, Schedule) {
	t.Helper()
	c := model.NewCheck(1, upstreamNow.Add(-100*24*time.Hour))
	if tc.kind != "" {
		c.Kind, c.Schedule, c.TZ = tc.kind, tc.sched, tc.tz
	}
	if c.TZ == "" {
		c.TZ = "UTC"
	}
	if tc.grace != 0 {
		c.Grace = tc.grace
	}
	c.Status, c.LastPing, c.LastStart = tc.status, tc.lastPing, tc.lastStart
	sch, err := Parse(c.Kind, c.Schedule, c.TZ)
	if err != nil {
		t.Fatalf("Parse(%s, %q, %s): %v", c.Kind, c.Schedule, c.TZ, err)
	}
	return &c, sch
}

// upstreamModelCases holds the cases of test_check_model.py that concern
// the status and the next expected ping, in upstream's order, each instant
// of a time_machine block as its own case.
func upstreamModelCases() []modelCase {
	const cron, onc = model.KindCron, model.KindOnCalendar
	jan1 := utc(2000, 1, 1, 0, 0)
	riga := utc(2023, 10, 29, 0, 55)
	return []modelCase{
		// test_get_status_handles_new_check
		{name: "new", status: "new", now: upstreamNow, want: "new", wantV1: "new"},
		// test_status_works_with_grace_period
		{name: "grace period", status: "up", lastPing: ago(24*time.Hour + 30*time.Minute), now: upstreamNow,
			want: "grace", wantV1: "grace", wantNext: "2020-01-14T23:30:00Z"},
		// test_get_status_handles_paused_check
		{name: "paused", status: "paused", lastPing: ago(24*time.Hour + 30*time.Minute), now: upstreamNow, want: "paused", wantV1: "paused"},
		// test_status_works_with_cron_syntax
		{name: "cron 23:59", kind: cron, sched: "0 0 * * *", status: "up", lastPing: &jan1, now: utc(2000, 1, 1, 23, 59),
			want: "up", wantV1: "up", wantNext: "2000-01-02T00:00:00Z"},
		{name: "cron 00:00", kind: cron, sched: "0 0 * * *", status: "up", lastPing: &jan1, now: utc(2000, 1, 2, 0, 0),
			want: "grace", wantV1: "grace", wantNext: "2000-01-02T00:00:00Z"},
		{name: "cron 01:00", kind: cron, sched: "0 0 * * *", status: "up", lastPing: &jan1, now: utc(2000, 1, 2, 1, 0),
			want: "down", wantV1: "down", wantNext: "2000-01-02T00:00:00Z"},
		// test_status_works_with_oncalendar_syntax
		{name: "oncalendar 23:59", kind: onc, sched: "00:00", status: "up", lastPing: &jan1, now: utc(2000, 1, 1, 23, 59),
			want: "up", wantV1: "up", wantNext: "2000-01-02T00:00:00Z"},
		{name: "oncalendar 00:00", kind: onc, sched: "00:00", status: "up", lastPing: &jan1, now: utc(2000, 1, 2, 0, 0),
			want: "grace", wantV1: "grace", wantNext: "2000-01-02T00:00:00Z"},
		{name: "oncalendar 01:00", kind: onc, sched: "00:00", status: "up", lastPing: &jan1, now: utc(2000, 1, 2, 1, 0),
			want: "down", wantV1: "down", wantNext: "2000-01-02T00:00:00Z"},
		// test_status_handles_stopiteration: the schedule has no fire time
		// after the last ping, so the check stays up and next_ping is null.
		{name: "oncalendar ran out", kind: onc, sched: "2019-01-01", status: "up", lastPing: new(utc(2020, 1, 1, 0, 0)),
			now: utc(2020, 1, 1, 1, 0), want: "up", wantV1: "up"},
		// test_status_works_with_timezone (Brisbane is UTC+10, no DST)
		{name: "cron Brisbane 09:59", kind: cron, sched: "0 10 * * *", tz: "Australia/Brisbane", status: "up", lastPing: &jan1,
			now: utc(2000, 1, 1, 23, 59), want: "up", wantV1: "up", wantNext: "2000-01-02T00:00:00Z"},
		{name: "cron Brisbane 10:00", kind: cron, sched: "0 10 * * *", tz: "Australia/Brisbane", status: "up", lastPing: &jan1,
			now: utc(2000, 1, 2, 0, 0), want: "grace", wantV1: "grace", wantNext: "2000-01-02T00:00:00Z"},
		{name: "cron Brisbane 11:00", kind: cron, sched: "0 10 * * *", tz: "Australia/Brisbane", status: "up", lastPing: &jan1,
			now: utc(2000, 1, 2, 1, 0), want: "down", wantV1: "down", wantNext: "2000-01-02T00:00:00Z"},
		// test_get_status_handles_past_grace: next_ping stays the (past)
		// start of the grace period.
		{name: "past grace", status: "up", lastPing: ago(48 * time.Hour), now: upstreamNow,
			want: "down", wantV1: "down", wantNext: "2020-01-14T00:00:00Z"},
		// test_get_status_obeys_down_status
		{name: "stored down", status: "down", lastPing: ago(time.Minute), now: upstreamNow, want: "down", wantV1: "down"},
		// test_get_status_handles_started: v1 says started whatever the
		// stored status; the run brings next_ping forward to its start,
		// except for a check that is down.
		{name: "new and started", status: "new", lastPing: ago(2 * time.Hour), lastStart: ago(5 * time.Minute), now: upstreamNow,
			want: "new", wantV1: "started", wantNext: "2020-01-14T23:55:00Z"},
		{name: "paused and started", status: "paused", lastPing: ago(2 * time.Hour), lastStart: ago(5 * time.Minute), now: upstreamNow,
			want: "paused", wantV1: "started", wantNext: "2020-01-14T23:55:00Z"},
		{name: "up and started", status: "up", lastPing: ago(2 * time.Hour), lastStart: ago(5 * time.Minute), now: upstreamNow,
			want: "up", wantV1: "started", wantNext: "2020-01-14T23:55:00Z"},
		{name: "down and started", status: "down", lastPing: ago(2 * time.Hour), lastStart: ago(5 * time.Minute), now: upstreamNow,
			want: "down", wantV1: "started"},
		// test_get_status_handles_down_then_started_and_expired
		{name: "down, started, expired", status: "down", lastPing: ago(48 * time.Hour), lastStart: ago(2 * time.Hour), now: upstreamNow,
			want: "down", wantV1: "down"},
		// test_get_status_handles_up_then_started: a running check is still up.
		{name: "up then started", status: "up", lastPing: ago(2 * time.Hour), lastStart: ago(5 * time.Minute), now: upstreamNow,
			want: "up", wantV1: "started", wantNext: "2020-01-14T23:55:00Z"},
		// test_get_status_handles_up_then_started_and_expired
		{name: "up, started, expired", status: "up", lastPing: ago(3 * time.Hour), lastStart: ago(2 * time.Hour), now: upstreamNow,
			want: "down", wantV1: "down", wantNext: "2020-01-14T22:00:00Z"},
		// test_get_status_handles_paused_then_started_and_expired
		{name: "paused, started, expired", status: "paused", lastStart: ago(2 * time.Hour), now: upstreamNow,
			want: "down", wantV1: "down", wantNext: "2020-01-14T22:00:00Z"},
		// test_get_status_handles_started_and_mia
		{name: "new, started, missing", status: "new", lastStart: ago(2 * time.Hour), now: upstreamNow,
			want: "down", wantV1: "down", wantNext: "2020-01-14T22:00:00Z"},
		// test_next_ping_with_cron_syntax
		{name: "cron next_ping", kind: cron, sched: "0 * * * *", status: "up", lastPing: &jan1, now: utc(2000, 1, 1, 0, 30),
			want: "up", wantV1: "up", wantNext: "2000-01-01T01:00:00Z"},
		// test_get_grace_start_returns_utc and
		// test_get_status_handles_autumn_dst_transition: Riga leaves DST at
		// 04:00 local (01:00 UTC), and "15 * * * *" follows real time, so
		// after 03:55 EEST the next run is 03:15 EET, ten minutes later.
		{name: "autumn DST 01:05", kind: cron, sched: "15 * * * *", tz: "Europe/Riga", grace: 5 * time.Minute, status: "up",
			lastPing: &riga, now: utc(2023, 10, 29, 1, 5), want: "up", wantV1: "up", wantNext: "2023-10-29T01:15:00Z"},
		{name: "autumn DST 01:15", kind: cron, sched: "15 * * * *", tz: "Europe/Riga", grace: 5 * time.Minute, status: "up",
			lastPing: &riga, now: utc(2023, 10, 29, 1, 15), want: "grace", wantV1: "grace", wantNext: "2023-10-29T01:15:00Z"},
		{name: "autumn DST 01:20", kind: cron, sched: "15 * * * *", tz: "Europe/Riga", grace: 5 * time.Minute, status: "up",
			lastPing: &riga, now: utc(2023, 10, 29, 1, 20), want: "down", wantV1: "down", wantNext: "2023-10-29T01:15:00Z"},

		// Beyond upstream's tests (reference §2.6, §2.7): a specific-time
		// cron job in a spring-forward gap fires at the first minute after
		// it, OnCalendar skips the day; an ambiguous fall-back time fires
		// once, at its first occurrence.
		{name: "spring gap, cron", kind: cron, sched: "30 3 * * *", tz: "Europe/Riga", status: "up", lastPing: new(utc(2023, 3, 25, 12, 0)),
			now: utc(2023, 3, 25, 12, 0), want: "up", wantV1: "up", wantNext: "2023-03-26T01:00:00Z"},
		{name: "spring gap, oncalendar", kind: onc, sched: "03:30", tz: "Europe/Riga", status: "up", lastPing: new(utc(2023, 3, 25, 12, 0)),
			now: utc(2023, 3, 25, 12, 0), want: "up", wantV1: "up", wantNext: "2023-03-27T00:30:00Z"},
		{name: "fall-back, cron at a specific time", kind: cron, sched: "30 3 * * *", tz: "Europe/Riga", status: "up",
			lastPing: new(utc(2023, 10, 28, 12, 0)), now: utc(2023, 10, 28, 12, 0), want: "up", wantV1: "up", wantNext: "2023-10-29T00:30:00Z"},
		{name: "fall-back, cron every hour", kind: cron, sched: "30 * * * *", tz: "Europe/Riga", status: "up",
			lastPing: new(utc(2023, 10, 29, 0, 35)), now: utc(2023, 10, 29, 0, 35), want: "up", wantV1: "up", wantNext: "2023-10-29T01:30:00Z"},
		// The search starts after the last ping's whole second: a ping a
		// fraction of a second after a fire time doesn't count it, a ping
		// just before does.
		{name: "cron, ping just before the hour", kind: cron, sched: "0 * * * *", status: "up",
			lastPing: new(utc(2000, 1, 1, 0, 0).Add(-time.Millisecond)), now: utc(2000, 1, 1, 0, 0), want: "grace", wantV1: "grace",
			wantNext: "2000-01-01T00:00:00Z"},
		{name: "oncalendar, ping just after midnight", kind: onc, sched: "00:00", status: "up",
			lastPing: new(utc(2000, 1, 1, 0, 0).Add(500 * time.Millisecond)), now: utc(2000, 1, 1, 1, 0), want: "up", wantV1: "up",
			wantNext: "2000-01-02T00:00:00Z"},
		// A cron check that was never pinged (status up without last_ping
		// can't happen upstream) and one paused with a schedule.
		{name: "cron paused", kind: cron, sched: "0 * * * *", status: "paused", lastPing: &jan1, now: utc(2000, 1, 3, 0, 0),
			want: "paused", wantV1: "paused"},
		{name: "cron new and started", kind: cron, sched: "0 * * * *", status: "new", lastStart: new(utc(2000, 1, 1, 0, 10)),
			now: utc(2000, 1, 1, 0, 20), want: "new", wantV1: "started", wantNext: "2000-01-01T00:10:00Z"},
	}
}

func TestUpstreamCheckModelStatus(t *testing.T) {
	for _, tc := range upstreamModelCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, sch := tc.check(t)
			if got := Status(c, sch, tc.now, false); got != tc.want {
				t.Errorf("get_status() = %q, want %q", got, tc.want)
			}
			if got := Status(c, sch, tc.now, true); got != tc.wantV1 {
				t.Errorf("get_status(with_started=True) = %q, want %q", got, tc.wantV1)
			}
			next, ok := GraceStart(c, sch, true)
			got := ""
			if ok {
				got = next.Format(time.RFC3339Nano)
				if next.Location() != time.UTC {
					t.Errorf("get_grace_start() in %v, want UTC", next.Location())
				}
			}
			if got != tc.wantNext {
				t.Errorf("get_grace_start() = %q, want %q", got, tc.wantNext)
			}
			// Evaluate (the alert engine's and the API's path) agrees.
			status, aa, err := Evaluate(c, NewCache(4), tc.now)
			if err != nil || status != tc.want {
				t.Errorf("Evaluate = %q, %v; want %q", status, err, tc.want)
			}
			if want := GoingDownAfter(c, sch); (aa == nil) != (want == nil) || aa != nil && !aa.Equal(*want) {
				t.Errorf("Evaluate alert_after = %v, want %v", aa, want)
			}
		})
	}
}

// going_down_after is the grace start plus the grace time (reference §2.5);
// upstream's test_check_going_down_after.py, on real schedules.
func TestUpstreamGoingDownAfterRealSchedules(t *testing.T) {
	for _, tc := range upstreamModelCases() {
		c, sch := tc.check(t)
		got := GoingDownAfter(c, sch)
		if tc.wantNext == "" {
			if got != nil {
				t.Errorf("%s: going_down_after = %v, want nil", tc.name, got)
			}
			continue
		}
		next, err := time.Parse(time.RFC3339, tc.wantNext)
		if err != nil {
			t.Fatal(err)
		}
		if want := next.Add(c.Grace); got == nil || !got.Equal(want) {
			t.Errorf("%s: going_down_after = %v, want %v", tc.name, got, want)
		}
	}
}
