package api

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
)

// checkDictReference is the generic-encoder version of appendCheck that
// the API used before appendCheck: upstream's Check.to_dict as an ordered
// key/value list, encoded by appendJSON.
func (a *API) checkDictReference(c *model.Check, channels []string, v int, readonly bool, now time.Time) obj {
	sch := a.parsed(c)
	var next any
	if t, ok := schedule.GraceStart(c, sch, true); ok {
		next = isoSeconds(&t)
	}
	subject, subjectFail := "", ""
	if c.FilterSubject {
		subject, subjectFail = c.SuccessKw, c.FailureKw
	}
	o := make(obj, 0, 31)
	o = append(o,
		kv{"name", c.Name}, kv{"slug", c.Slug}, kv{"tags", c.Tags}, kv{"desc", c.Desc},
		kv{"grace", int64(c.Grace / time.Second)}, kv{"n_pings", c.NPings},
		kv{"status", schedule.Status(c, sch, now, v == 1)}, kv{"started", c.LastStart != nil},
		kv{"last_ping", isoSeconds(c.LastPing)}, kv{"next_ping", next},
		kv{"manual_resume", c.ManualResume}, kv{"methods", c.Methods},
		kv{"subject", subject}, kv{"subject_fail", subjectFail},
		kv{"start_kw", c.StartKw}, kv{"success_kw", c.SuccessKw}, kv{"failure_kw", c.FailureKw},
		kv{"filter_subject", c.FilterSubject}, kv{"filter_body", c.FilterBody},
		kv{"filter_http_body", c.FilterHTTPBody}, kv{"filter_default_fail", c.FilterDefaultFail},
		kv{"badge_url", a.siteRoot + "/b/2/" + c.BadgeKey + ".svg"})
	// Upstream tests the duration's truth value: zero is left out too.
	if c.LastDuration != nil && *c.LastDuration != 0 {
		o = append(o, kv{"last_duration", int64(*c.LastDuration / time.Second)})
	}
	if readonly {
		o = append(o, kv{"unique_key", c.UniqueKey()})
	} else {
		update := a.siteRoot + "/api/v" + string(rune('0'+v)) + "/checks/" + c.Code
		sorted := slices.Clone(channels)
		slices.Sort(sorted)
		o = append(o, kv{"uuid", c.Code}, kv{"ping_url", a.pingURL + c.Code}, kv{"update_url", update},
			kv{"pause_url", update + "/pause"}, kv{"resume_url", update + "/resume"}, kv{"channels", strings.Join(sorted, ",")})
	}
	switch c.Kind {
	case model.KindSimple:
		o = append(o, kv{"timeout", int64(c.Timeout / time.Second)})
	case model.KindCron, model.KindOnCalendar:
		o = append(o, kv{"schedule", c.Schedule}, kv{"tz", c.TZ})
	}
	return o
}

// TestAppendCheckMatchesReference holds the hand-written check encoder to
// the generic one, byte for byte, over checks that exercise every branch:
// kinds, statuses, nil and zero times and durations, a run in progress,
// subject filters, text that needs escaping, keys, versions and channels.
func TestAppendCheckMatchesReference(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, root := range []string{"http://hc.example", "https://example.org/hc"} {
		a := NewAPI(APIDeps{SiteRoot: root, PingEndpoint: "https://ping.example/p/", Now: func() time.Time { return now },
			Cache: schedule.NewCache(10)}).(*API)
		lastPing := now.Add(-90*time.Minute + 500*time.Millisecond)
		start := now.Add(-time.Minute)
		zero, dur := time.Duration(0), 2500*time.Millisecond
		var checks []model.Check
		for i := range 24 {
			c := model.NewCheck(1, now.Add(-48*time.Hour))
			c.ID, c.Code, c.BadgeKey = int64(i+1), "0b4a2cde-1f00-4c6b-9a8e-6b0f5e0c3a1"+string(rune('0'+i%10)), "9d1c"
			c.Name = []string{"", "Backups", "\u00dcn\u00efcode \"quoted\" \\ \U0001f389", "tab\there\nnl", "<b>&amp;</b>", "\x7f\x01\u2028\xff"}[i%6]
			c.Slug, c.Tags, c.Desc = "slug-"+c.Name[:min(len(c.Name), 3)], []string{"", "prod db", " a  b "}[i%3], "d\u00e9sc"
			c.Grace, c.Timeout, c.NPings = time.Duration(60+i)*time.Second, time.Duration(3600+i)*time.Second+time.Millisecond, int64(i*1000)
			switch i % 4 {
			case 1:
				c.Kind, c.Schedule, c.TZ = model.KindCron, "*/5 * * * *", "Europe/Riga"
			case 2:
				c.Kind, c.Schedule, c.TZ = model.KindOnCalendar, "Mon..Fri 09:00", "UTC"
			case 3:
				c.Kind, c.Schedule = model.KindCron, "not a schedule" // stored but unparsable
			}
			c.Status = []string{model.StatusNew, model.StatusUp, model.StatusDown, model.StatusPaused, model.StatusUp}[i%5]
			if i%5 != 0 {
				c.LastPing = &lastPing
			}
			if i%7 == 3 {
				c.LastStart = &start
			}
			c.LastDuration = []*time.Duration{nil, &zero, &dur}[i%3]
			c.FilterSubject, c.SuccessKw, c.FailureKw, c.StartKw = i%2 == 0, "ok", "FAIL, err", "go"
			c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail, c.ManualResume = i%3 == 0, i%4 == 0, i%5 == 0, i%6 == 0
			c.Methods = []string{"", "POST"}[i%2]
			checks = append(checks, c)
		}
		channelSets := [][]string{nil, {}, {"b-channel", "a-channel", "c\u00e9"}}
		for i := range checks {
			for v := 1; v <= 3; v++ {
				for _, ro := range []bool{false, true} {
					c := &checks[i]
					chans := channelSets[(i+v)%3]
					want := string(appendJSON(nil, a.checkDictReference(c, slices.Clone(chans), v, ro, now)))
					got := string(a.appendCheck(nil, c, slices.Clone(chans), v, ro, now))
					if got != want {
						t.Fatalf("root %s check %d v%d readonly=%v:\n got %s\nwant %s", root, i, v, ro, got, want)
					}
					if !strings.HasPrefix(got, `{"name": `) {
						t.Fatalf("unexpected output %s", got)
					}
				}
			}
		}
	}
}
