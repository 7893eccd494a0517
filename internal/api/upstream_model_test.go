package api_test

// The check and ping model semantics of upstream's hc/api/models.py as the
// management API exposes them: ports of hc/api/tests/test_check_model.py
// (get_status, get_grace_start), test_ping_model.py (Ping.duration,
// prepare_durations) and of Check.ping's effect on a check (reference
// §1.6, §1.7, §2.2–§2.5), each asserted as `status`, `started`, `next_ping`
// and `last_duration` of API v1, v2 and v3 through the real router and store.
// internal/schedule/upstream_status_test.go holds the same status cases
// against the schedule package alone.

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// checkView is what the API shows of a check's run-time state. statusV1 is
// the status of API v1 (which reports "started"), status that of v2 and v3.
type checkView struct {
	status, statusV1 string
	started          bool
	next             string // next_ping, "" for null
	duration         string // last_duration, "" when the key is absent
}

// expectView reads check code through GET checks/<uuid> and GET checks/ of
// every API version, with the read-write and the read-only key, and compares
// the run-time fields with want.
func (e *apiEnv) expectView(t *testing.T, what, code string, want checkView) {
	t.Helper()
	for v := 1; v <= 3; v++ {
		wantStatus := want.status
		if v == 1 {
			wantStatus = want.statusV1
		}
		prefix := "/api/v" + strconv.Itoa(v) + "/checks/"
		for _, key := range []string{apiRW, apiRO} {
			// A read-only key reads the check by its unique_key, and finds
			// it in the list by that key too.
			idKey, id := "uuid", code
			if key == apiRO {
				idKey, id = "unique_key", (&model.Check{Code: code}).UniqueKey()
			}
			r := e.do("GET", prefix+id, key, "")
			if r.code != 200 {
				t.Errorf("%s: v%d GET: %d %s", what, v, r.code, r.body)
				continue
			}
			docs := []map[string]any{r.json(t)}
			list := e.do("GET", prefix, key, "")
			for _, it := range list.json(t)["checks"].([]any) {
				if m := it.(map[string]any); m[idKey] == id {
					docs = append(docs, m)
				}
			}
			if len(docs) != 2 {
				t.Errorf("%s: v%d list: the check is not listed once: %s", what, v, list.body)
			}
			for i, doc := range docs {
				where := [...]string{"GET", "list"}[i]
				if key == apiRO {
					where += " read-only"
				}
				next := ""
				if s, ok := doc["next_ping"].(string); ok {
					next = s
				} else if doc["next_ping"] != nil {
					t.Errorf("%s: v%d %s: next_ping %#v is neither a string nor null", what, v, where, doc["next_ping"])
				}
				duration := ""
				if d, ok := doc["last_duration"]; ok {
					duration = strconv.FormatFloat(d.(float64), 'f', -1, 64)
				}
				if doc["status"] != wantStatus || doc["started"] != want.started || next != want.next || duration != want.duration {
					t.Errorf("%s: v%d %s: status %v started %v next_ping %q last_duration %q; want %s %v %q %q",
						what, v, where, doc["status"], doc["started"], next, duration, wantStatus, want.started, want.next, want.duration)
				}
			}
		}
	}
}

// modelNow stands in for upstream's wall clock in the tests that use now().
var modelNow = time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC)

func utcAt(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func before(d time.Duration) *time.Time { return ptime(modelNow.Add(-d)) }

// TestUpstreamCheckModelThroughAPI: test_check_model.py's get_status and
// next-ping cases, each instant of a time_machine block as its own case.
func TestUpstreamCheckModelThroughAPI(t *testing.T) {
	t.Parallel()
	jan1 := utcAt(2000, 1, 1, 0, 0)
	riga := utcAt(2023, 10, 29, 0, 55)
	simple := func(status string, lastPing, lastStart *time.Time) func(*model.Check) {
		return func(c *model.Check) { c.Status, c.LastPing, c.LastStart = status, lastPing, lastStart }
	}
	scheduled := func(kind, sched, tz string, lastPing time.Time) func(*model.Check) {
		return func(c *model.Check) {
			c.Kind, c.Schedule, c.TZ, c.Status, c.LastPing = kind, sched, tz, model.StatusUp, ptime(lastPing)
		}
	}
	withGrace := func(g time.Duration, mut func(*model.Check)) func(*model.Check) {
		return func(c *model.Check) { mut(c); c.Grace = g }
	}
	withDuration := func(d time.Duration, mut func(*model.Check)) func(*model.Check) {
		return func(c *model.Check) { mut(c); c.LastDuration = &d }
	}
	cases := []struct {
		name string
		mut  func(*model.Check)
		now  time.Time
		want checkView
	}{
		// test_get_status_handles_new_check
		{"new", nil, modelNow, checkView{"new", "new", false, "", ""}},
		// test_status_works_with_grace_period
		{"grace period", simple("up", before(24*time.Hour+30*time.Minute), nil), modelNow,
			checkView{"grace", "grace", false, "2020-01-14T23:30:00+00:00", ""}},
		// test_get_status_handles_paused_check
		{"paused", simple("paused", before(24*time.Hour+30*time.Minute), nil), modelNow, checkView{"paused", "paused", false, "", ""}},
		// test_status_works_with_cron_syntax
		{"cron 23:59", scheduled("cron", "0 0 * * *", "UTC", jan1), utcAt(2000, 1, 1, 23, 59),
			checkView{"up", "up", false, "2000-01-02T00:00:00+00:00", ""}},
		{"cron 00:00", scheduled("cron", "0 0 * * *", "UTC", jan1), utcAt(2000, 1, 2, 0, 0),
			checkView{"grace", "grace", false, "2000-01-02T00:00:00+00:00", ""}},
		{"cron 01:00", scheduled("cron", "0 0 * * *", "UTC", jan1), utcAt(2000, 1, 2, 1, 0),
			checkView{"down", "down", false, "2000-01-02T00:00:00+00:00", ""}},
		// test_status_works_with_oncalendar_syntax
		{"oncalendar 23:59", scheduled("oncalendar", "00:00", "UTC", jan1), utcAt(2000, 1, 1, 23, 59),
			checkView{"up", "up", false, "2000-01-02T00:00:00+00:00", ""}},
		{"oncalendar 00:00", scheduled("oncalendar", "00:00", "UTC", jan1), utcAt(2000, 1, 2, 0, 0),
			checkView{"grace", "grace", false, "2000-01-02T00:00:00+00:00", ""}},
		{"oncalendar 01:00", scheduled("oncalendar", "00:00", "UTC", jan1), utcAt(2000, 1, 2, 1, 0),
			checkView{"down", "down", false, "2000-01-02T00:00:00+00:00", ""}},
		// test_status_handles_stopiteration
		{"oncalendar ran out", scheduled("oncalendar", "2019-01-01", "UTC", utcAt(2020, 1, 1, 0, 0)), utcAt(2020, 1, 1, 1, 0),
			checkView{"up", "up", false, "", ""}},
		// test_status_works_with_timezone
		{"cron Brisbane 09:59", scheduled("cron", "0 10 * * *", "Australia/Brisbane", jan1), utcAt(2000, 1, 1, 23, 59),
			checkView{"up", "up", false, "2000-01-02T00:00:00+00:00", ""}},
		{"cron Brisbane 10:00", scheduled("cron", "0 10 * * *", "Australia/Brisbane", jan1), utcAt(2000, 1, 2, 0, 0),
			checkView{"grace", "grace", false, "2000-01-02T00:00:00+00:00", ""}},
		{"cron Brisbane 11:00", scheduled("cron", "0 10 * * *", "Australia/Brisbane", jan1), utcAt(2000, 1, 2, 1, 0),
			checkView{"down", "down", false, "2000-01-02T00:00:00+00:00", ""}},
		// test_get_status_handles_past_grace
		{"past grace", simple("up", before(48*time.Hour), nil), modelNow, checkView{"down", "down", false, "2020-01-14T00:00:00+00:00", ""}},
		// test_get_status_obeys_down_status
		{"stored down", simple("down", before(time.Minute), nil), modelNow, checkView{"down", "down", false, "", ""}},
		// test_get_status_handles_started, for each stored status
		{"new and started", simple("new", before(2*time.Hour), before(5*time.Minute)), modelNow,
			checkView{"new", "started", true, "2020-01-14T23:55:00+00:00", ""}},
		{"paused and started", simple("paused", before(2*time.Hour), before(5*time.Minute)), modelNow,
			checkView{"paused", "started", true, "2020-01-14T23:55:00+00:00", ""}},
		{"up and started", simple("up", before(2*time.Hour), before(5*time.Minute)), modelNow,
			checkView{"up", "started", true, "2020-01-14T23:55:00+00:00", ""}},
		{"down and started", simple("down", before(2*time.Hour), before(5*time.Minute)), modelNow,
			checkView{"down", "started", true, "", ""}},
		// test_get_status_handles_down_then_started_and_expired
		{"down, started, expired", simple("down", before(48*time.Hour), before(2*time.Hour)), modelNow,
			checkView{"down", "down", true, "", ""}},
		// test_get_status_handles_up_then_started_and_expired
		{"up, started, expired", simple("up", before(3*time.Hour), before(2*time.Hour)), modelNow,
			checkView{"down", "down", true, "2020-01-14T22:00:00+00:00", ""}},
		// test_get_status_handles_paused_then_started_and_expired
		{"paused, started, expired", simple("paused", nil, before(2*time.Hour)), modelNow,
			checkView{"down", "down", true, "2020-01-14T22:00:00+00:00", ""}},
		// test_get_status_handles_started_and_mia
		{"new, started, missing", simple("new", nil, before(2*time.Hour)), modelNow,
			checkView{"down", "down", true, "2020-01-14T22:00:00+00:00", ""}},
		// test_next_ping_with_cron_syntax
		{"cron next_ping", scheduled("cron", "0 * * * *", "UTC", jan1), utcAt(2000, 1, 1, 0, 30),
			checkView{"up", "up", false, "2000-01-01T01:00:00+00:00", ""}},
		// test_get_grace_start_returns_utc, test_get_status_handles_autumn_dst_transition
		{"autumn DST 01:05", withGrace(5*time.Minute, scheduled("cron", "15 * * * *", "Europe/Riga", riga)), utcAt(2023, 10, 29, 1, 5),
			checkView{"up", "up", false, "2023-10-29T01:15:00+00:00", ""}},
		{"autumn DST 01:15", withGrace(5*time.Minute, scheduled("cron", "15 * * * *", "Europe/Riga", riga)), utcAt(2023, 10, 29, 1, 15),
			checkView{"grace", "grace", false, "2023-10-29T01:15:00+00:00", ""}},
		{"autumn DST 01:20", withGrace(5*time.Minute, scheduled("cron", "15 * * * *", "Europe/Riga", riga)), utcAt(2023, 10, 29, 1, 20),
			checkView{"down", "down", false, "2023-10-29T01:15:00+00:00", ""}},
		// Reference §2.6/§2.7: a spring-forward gap; a specific-time cron
		// job fires at the first minute after it, OnCalendar skips the day.
		{"spring gap, cron", scheduled("cron", "30 3 * * *", "Europe/Riga", utcAt(2023, 3, 25, 12, 0)), utcAt(2023, 3, 25, 12, 0),
			checkView{"up", "up", false, "2023-03-26T01:00:00+00:00", ""}},
		{"spring gap, oncalendar", scheduled("oncalendar", "03:30", "Europe/Riga", utcAt(2023, 3, 25, 12, 0)), utcAt(2023, 3, 25, 12, 0),
			checkView{"up", "up", false, "2023-03-27T00:30:00+00:00", ""}},
		// next_ping shows whole seconds (isostring drops microseconds).
		{"sub-second last ping", simple("up", ptime(modelNow.Add(-time.Hour+123456*time.Microsecond)), nil), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:00:00+00:00", ""}},

		// last_duration (reference §1.7): integer seconds, truncated, left
		// out when null or zero, not capped at 72 hours.
		{"last_duration", withDuration(93*time.Second, simple("up", before(time.Minute), nil)), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:59:00+00:00", "93"}},
		{"last_duration truncated", withDuration(1999*time.Millisecond, simple("up", before(time.Minute), nil)), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:59:00+00:00", "1"}},
		{"last_duration under a second", withDuration(500*time.Millisecond, simple("up", before(time.Minute), nil)), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:59:00+00:00", "0"}},
		{"last_duration zero", withDuration(0, simple("up", before(time.Minute), nil)), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:59:00+00:00", ""}},
		{"last_duration over 72 h", withDuration(100*time.Hour, simple("up", before(time.Minute), nil)), modelNow,
			checkView{"up", "up", false, "2020-01-15T23:59:00+00:00", "360000"}},
	}
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		for _, tc := range cases {
			c := e.addCheck(tc.mut)
			e.now = tc.now
			e.expectView(t, tc.name, c.Code, tc.want)
			// Only the check itself decides: one API call per case is enough
			// to keep the list small.
			if r := e.do("DELETE", "/api/v3/checks/"+c.Code, apiRW, ""); r.code != 200 {
				t.Fatalf("%s: delete: %d %s", tc.name, r.code, r.body)
			}
		}
	})
}

// newPingAPIEnv is newAPIEnv with the ping URLs mounted too, the ping writer
// and both handlers on the env's clock, so that a ping's effect can be read
// back through the API at chosen instants. The writer never lets its clock
// go back, so a test moves e.now forward only.
func newPingAPIEnv(t *testing.T, engine string) *apiEnv {
	t.Helper()
	cache := schedule.NewCache(100)
	writer := func(e *apiEnv) ping.WriterOptions {
		return ping.WriterOptions{Now: func() time.Time { return e.now }, AlertAfter: ping.ScheduleAlertAfter(cache, nil)}
	}
	return newAPIEnvWith(t, engine, writer, func(e *apiEnv, a *apptest.App) server.Surfaces {
		now := func() time.Time { return e.now }
		return server.Surfaces{Pings: api.NewPings(e.st, a.Writer, 10000, now, nil), API: api.NewAPI(api.APIDeps{Store: e.st, SiteRoot: siteRoot, PingEndpoint: "http://ping.example/", SecretKey: "s3cr3t",
			MetricsKey: "mk", Now: now, Cache: cache})}
	})
}

// TestUpstreamCheckPingThroughAPI: what Check.ping does to a check (start,
// success, fail, log, exit status, run ids, manual resume) as API v1-v3 show
// it afterwards.
func TestUpstreamCheckPingThroughAPI(t *testing.T) {
	t.Parallel()
	ridA, ridB := uuid.NewString(), uuid.NewString()
	type step struct {
		at   time.Duration // after the scenario's start
		ping string        // path after /ping/<uuid>; "-" for none (just look), "pause" or "resume" for that API call
		want checkView
	}
	iso := func(base time.Time, d time.Duration) string {
		return base.Add(d).Format("2006-01-02T15:04:05") + "+00:00"
	}
	const m, day = time.Minute, 24 * time.Hour
	scenarios := []struct {
		name  string
		mut   func(*model.Check)
		steps func(t0 time.Time) []step
	}{
		{"start, success, log, success", nil, func(t0 time.Time) []step {
			return []step{
				// start leaves status and last_ping alone; the run's start is the deadline.
				{0, "/start", checkView{"new", "started", true, iso(t0, 0), ""}},
				// success with the start's (null) run id times the run.
				{5 * m, "", checkView{"up", "up", false, iso(t0, 5*m+day), "300"}},
				{6 * m, "/log", checkView{"up", "up", false, iso(t0, 5*m+day), "300"}},
				// a success without a start clears last_duration.
				{7 * m, "", checkView{"up", "up", false, iso(t0, 7*m+day), ""}},
			}
		}},
		{"run ids", nil, func(t0 time.Time) []step {
			return []step{
				{0, "/start?rid=" + ridA, checkView{"new", "started", true, iso(t0, 0), ""}},
				// a success of another run leaves run A running.
				{1 * m, "?rid=" + ridB, checkView{"up", "started", true, iso(t0, 0), ""}},
				{2 * m, "?rid=" + ridA, checkView{"up", "up", false, iso(t0, 2*m+day), "120"}},
				{3 * m, "/start?rid=" + ridA, checkView{"up", "started", true, iso(t0, 3*m), "120"}},
				// a success without a run id ends a run that has one, untimed.
				{4 * m, "", checkView{"up", "up", false, iso(t0, 4*m+day), ""}},
			}
		}},
		{"fail, start on a down check", nil, func(t0 time.Time) []step {
			return []step{
				{0, "/start?rid=" + ridA, checkView{"new", "started", true, iso(t0, 0), ""}},
				// a failure of another run ends run A, untimed.
				{1 * m, "/fail?rid=" + ridB, checkView{"down", "down", false, "", ""}},
				// a down check that starts: no deadline, v1 says started.
				{2 * m, "/start", checkView{"down", "started", true, "", ""}},
				{3 * m, "", checkView{"up", "up", false, iso(t0, 3*m+day), "60"}},
				// an exit status above 0 is a failure, timed like one.
				{4 * m, "/start", checkView{"up", "started", true, iso(t0, 4*m), "60"}},
				{4*m + 30*time.Second, "/3", checkView{"down", "down", false, "", "30"}},
				{5 * m, "/0", checkView{"up", "up", false, iso(t0, 5*m+day), ""}},
			}
		}},
		{"paused check that starts", func(c *model.Check) { c.Status = model.StatusPaused }, func(t0 time.Time) []step {
			return []step{
				{0, "-", checkView{"paused", "paused", false, "", ""}},
				{1 * m, "/start", checkView{"paused", "started", true, iso(t0, 1*m), ""}},
				// the run outlives its grace time: down in every version,
				// though the stored status is still paused.
				{61 * m, "-", checkView{"down", "down", true, iso(t0, 1*m), ""}},
				{62 * m, "", checkView{"up", "up", false, iso(t0, 62*m+day), "3660"}},
			}
		}},
		{"manual resume", func(c *model.Check) { c.Status, c.ManualResume = model.StatusPaused, true }, func(t0 time.Time) []step {
			return []step{
				{0, "/start", checkView{"paused", "paused", false, "", ""}},
				{1 * m, "", checkView{"paused", "paused", false, "", ""}},
				{2 * m, "/fail", checkView{"paused", "paused", false, "", ""}},
			}
		}},
		{"pause and resume", nil, func(t0 time.Time) []step {
			return []step{
				{0, "/start", checkView{"new", "started", true, iso(t0, 0), ""}},
				{5 * m, "", checkView{"up", "up", false, iso(t0, 5*m+day), "300"}},
				{6 * m, "/start", checkView{"up", "started", true, iso(t0, 6*m), "300"}},
				// pause ends the run and the deadline; last_duration stays.
				{7 * m, "pause", checkView{"paused", "paused", false, "", "300"}},
				{8 * m, "/start", checkView{"paused", "started", true, iso(t0, 8*m), "300"}},
				// pausing a paused check changes nothing, not even last_start.
				{9 * m, "pause", checkView{"paused", "started", true, iso(t0, 8*m), "300"}},
				// resume clears last_start and last_ping, not last_duration.
				{10 * m, "resume", checkView{"new", "new", false, "", "300"}},
			}
		}},
		{"cron check", func(c *model.Check) { c.Kind, c.Schedule, c.TZ = model.KindCron, "0 * * * *", "Europe/Riga" }, func(t0 time.Time) []step {
			// t0 is at a round hour.
			return []step{
				{10 * m, "", checkView{"up", "up", false, iso(t0, 60*m), ""}},
				{60 * m, "-", checkView{"grace", "grace", false, iso(t0, 60*m), ""}},
				{120 * m, "-", checkView{"down", "down", false, iso(t0, 60*m), ""}},
				// started while late: v2/v3 still say down (the stored
				// status is up, the schedule is past its grace), next_ping
				// stays the missed slot, earlier than the start.
				{125 * m, "/start", checkView{"down", "started", true, iso(t0, 60*m), ""}},
				{126 * m, "", checkView{"up", "up", false, iso(t0, 180*m), "60"}},
			}
		}},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newPingAPIEnv(t, engine)
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			for _, sc := range scenarios {
				e.now = t0
				c := e.addCheck(sc.mut)
				for _, st := range sc.steps(t0) {
					e.now = t0.Add(st.at)
					what := sc.name + " +" + st.at.String() + " " + st.ping
					switch st.ping {
					case "-":
					case "pause", "resume":
						if r := e.do("POST", "/api/v3/checks/"+c.Code+"/"+st.ping, apiRW, ""); r.code != 200 {
							t.Fatalf("%s: %d %s", what, r.code, r.body)
						}
					default:
						if r := e.do("GET", "/ping/"+c.Code+st.ping, "", ""); r.code != 200 || r.body != "OK" {
							t.Fatalf("%s: ping: %d %q", what, r.code, r.body)
						}
					}
					e.expectView(t, what, c.Code, st.want)
				}
				if r := e.do("DELETE", "/api/v3/checks/"+c.Code, apiRW, ""); r.code != 200 {
					t.Fatalf("%s: delete: %d %s", sc.name, r.code, r.body)
				}
				t0 = t0.Add(10 * day)
			}
		})
	}
}

// TestUpstreamPingModelDurations: test_ping_model.py's Ping.duration and
// prepare_durations cases, as the "duration" of GET checks/<uuid>/pings/.
func TestUpstreamPingModelDurations(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	s := func(n int) time.Time { return epoch.Add(time.Duration(n) * time.Second) }
	ridA, ridB := "63832bb7-ddd5-4f2d-bf0a-cac885212963", "beecf8af-7bff-4cbe-b179-49693c15413b"
	const maxDuration = 72 * time.Hour
	cases := []struct {
		name     string
		pingLog  int // the owner's ping log limit; 0 keeps 100
		pings    []model.Ping
		want     string
		wantNone bool // no ping may show a duration
	}{
		// test_it_calculates_duration
		{name: "calculates duration", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Created: epoch.Add(5 * time.Minute)}},
			want: "2:300.0, 1:-"},
		// test_it_handles_no_adjacent_start_event, test_it_handles_consecutive_success_signals
		{name: "no adjacent start", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Created: s(1)}, {Created: s(2)}},
			want: "3:-, 2:1.0, 1:-"},
		// test_it_runs_no_queries_for_the_first_ping: ping 1 never has one.
		{name: "first ping", pings: []model.Ping{{Created: epoch}}, want: "1:-"},
		// test_it_works (prepare_durations)
		{name: "one second", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Created: s(1)}}, want: "2:1.0, 1:-"},
		// test_it_matches_start_event_by_rid
		{name: "matched by rid", pings: []model.Ping{{Kind: model.PingStart, RID: ridA, Created: epoch},
			{Kind: model.PingStart, RID: ridB, Created: s(1)}, {RID: ridA, Created: s(2)}}, want: "3:2.0, 2:-, 1:-"},
		// test_it_ignores_ign_event (and log events alike)
		{name: "ign skipped", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Kind: model.PingIgnored, Created: s(1)},
			{Created: s(2)}}, want: "3:2.0, 2:-, 1:-"},
		{name: "log skipped", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Kind: model.PingLog, Created: s(1)},
			{Kind: model.PingFail, Created: s(2)}}, want: "3:2.0, 2:-, 1:-"},
		// test_it_caps_misses: fifteen successes of fifteen runs, no starts.
		{name: "caps misses", pings: uniqueRunSuccesses(epoch, 15), wantNone: true},
		// test_it_applies_max_duration
		{name: "max duration", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Created: epoch.Add(maxDuration + time.Second)}},
			want: "2:-, 1:-"},
		{name: "just under max duration", pings: []model.Ping{{Kind: model.PingStart, Created: epoch}, {Created: epoch.Add(maxDuration - time.Second)}},
			want: "2:259199.0, 1:-"},
		// test_it_defers_to_duration_property: the start lies before the
		// listed page, and is looked up.
		{name: "start before the page", pingLog: 2, pings: []model.Ping{{Kind: model.PingStart, Created: epoch},
			{Kind: model.PingLog, Created: s(10)}, {Created: s(20)}}, want: "3:20.0, 2:-"},
		// test_it_checks_max_duration_before_deferring
		{name: "max duration before deferring", pingLog: 2, pings: []model.Ping{{Kind: model.PingStart, Created: epoch.Add(-time.Second)},
			{Kind: model.PingIgnored, Created: epoch}, {Created: epoch.Add(maxDuration + time.Second)}}, want: "3:-, 2:-"},
		// test_it_handles_empty_list
		{name: "no pings", pings: nil, want: ""},
	}
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		for _, tc := range cases {
			e.owner.PingLogLimit = 100
			if tc.pingLog != 0 {
				e.owner.PingLogLimit = tc.pingLog
			}
			if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
				t.Fatal(err)
			}
			c := e.addCheck(nil)
			if len(tc.pings) > 0 {
				e.addPings(c, tc.pings)
			}
			got := pingDurations(t, e, c)
			switch {
			case tc.wantNone:
				for _, p := range e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "").json(t)["pings"].([]any) {
					if d, ok := p.(map[string]any)["duration"]; ok {
						t.Errorf("%s: a ping shows duration %v: %s", tc.name, d, got)
					}
				}
			case got != tc.want:
				t.Errorf("%s: durations %q, want %q", tc.name, got, tc.want)
			}
		}
	})
}

// uniqueRunSuccesses returns n successes a second apart, each of its own run.
func uniqueRunSuccesses(t0 time.Time, n int) []model.Ping {
	var out []model.Ping
	for i := range n {
		out = append(out, model.Ping{RID: uuid.NewString(), Created: t0.Add(time.Duration(i) * time.Second)})
	}
	return out
}

// TestUpstreamTagsListThroughAPI: test_it_strips_tags. Tags split on single
// spaces and each is stripped as Python strips (U+001C..U+001F included);
// the ?tag= filter and the badge list see the stripped tags, while the
// check keeps its tags string as given.
func TestUpstreamTagsListThroughAPI(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		r := e.do("POST", "/api/v3/checks/", apiRW, `{"name": "t", "tags": "\u001cfoo\u001f  bar "}`)
		if r.code != 201 {
			t.Fatalf("create: %d %s", r.code, r.body)
		}
		code := r.json(t)["uuid"].(string)
		if got := r.json(t)["tags"]; got != "\x1cfoo\x1f  bar " {
			t.Errorf("tags = %q, want them as given", got)
		}
		e.addCheck(func(c *model.Check) { c.Tags = " " }) // no tags at all
		for _, q := range []string{"?tag=foo", "?tag=bar", "?tag=foo&tag=bar"} {
			checks := e.do("GET", "/api/v3/checks/"+q, apiRW, "").json(t)["checks"].([]any)
			if len(checks) != 1 || checks[0].(map[string]any)["uuid"] != code {
				t.Errorf("%s: %d checks, want just the tagged one", q, len(checks))
			}
		}
		badges := e.do("GET", "/api/v3/badges/", apiRW, "").json(t)["badges"].(map[string]any)
		if len(badges) != 3 || badges["foo"] == nil || badges["bar"] == nil || badges["*"] == nil {
			t.Errorf("badge tags %v, want foo, bar and *", keysOfMap(badges))
		}
	})
}

func keysOfMap(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, strconv.Quote(k))
	}
	return out
}
