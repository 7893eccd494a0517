package ping

import (
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

var (
	t0  = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now = t0.Add(time.Hour)
	// started is when the running job (if any) sent /start: 10 minutes ago.
	started = now.Add(-10 * time.Minute)
)

const (
	ridA = "5f2d2a6e-1b4c-4e6f-9a3b-0c1d2e3f4a5b"
	ridB = "0aa11bb2-2cc3-4dd4-8ee5-6ff7a8b9c0d1"
)

// simpleAlertAfter is upstream's going_down_after for the simple kind,
// enough to check that Apply feeds it the updated check.
func simpleAlertAfter(c *model.Check) *time.Time {
	var res *time.Time
	if c.Status == model.StatusUp && c.LastPing != nil {
		t := c.LastPing.Add(c.Timeout)
		res = &t
	}
	if c.LastStart != nil && c.Status != model.StatusDown && (res == nil || c.LastStart.Before(*res)) {
		t := *c.LastStart
		res = &t
	}
	if res == nil {
		return nil
	}
	t := res.Add(c.Grace)
	return &t
}

func baseCheck(status string) model.Check {
	c := model.NewCheck(7, t0.Add(-time.Hour))
	c.ID = 42
	c.Status = status
	c.NPings = 9
	if status != model.StatusNew {
		c.LastPing = new(t0)
	}
	return c
}

func intp(i int) *int { return &i }

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339)
}

func TestApplyStatusTransitions(t *testing.T) {
	type flipWant struct{ old, new, reason string }
	tests := []struct {
		status        string
		manualResume  bool
		ev            Event
		wantKind      string
		wantStatus    string
		wantFlip      *flipWant
		wantLastPing  bool // last_ping becomes now (else unchanged)
		wantLastStart bool // last_start becomes now (else stays nil)
	}{
		{status: "new", ev: Event{Action: ActionSuccess}, wantKind: "", wantStatus: "up", wantFlip: &flipWant{"new", "up", ""}, wantLastPing: true},
		{status: "new", ev: Event{Action: ActionStart}, wantKind: "start", wantStatus: "new", wantLastStart: true},
		{status: "new", ev: Event{Action: ActionFail}, wantKind: "fail", wantStatus: "down", wantFlip: &flipWant{"new", "down", "fail"}, wantLastPing: true},
		{status: "new", ev: Event{Action: ActionLog}, wantKind: "log", wantStatus: "new"},
		{status: "up", ev: Event{Action: ActionSuccess}, wantKind: "", wantStatus: "up", wantLastPing: true},
		{status: "up", ev: Event{Action: ActionStart}, wantKind: "start", wantStatus: "up", wantLastStart: true},
		{status: "up", ev: Event{Action: ActionFail}, wantKind: "fail", wantStatus: "down", wantFlip: &flipWant{"up", "down", "fail"}, wantLastPing: true},
		{status: "up", ev: Event{Action: ActionLog}, wantKind: "log", wantStatus: "up"},
		{status: "up", ev: Event{Action: ActionSuccess, ExitStatus: intp(0)}, wantKind: "", wantStatus: "up", wantLastPing: true},
		{status: "up", ev: Event{Action: ActionSuccess, ExitStatus: intp(3)}, wantKind: "fail", wantStatus: "down", wantFlip: &flipWant{"up", "down", "fail"}, wantLastPing: true},
		{status: "down", ev: Event{Action: ActionSuccess}, wantKind: "", wantStatus: "up", wantFlip: &flipWant{"down", "up", ""}, wantLastPing: true},
		{status: "down", ev: Event{Action: ActionStart}, wantKind: "start", wantStatus: "down", wantLastStart: true},
		{status: "down", ev: Event{Action: ActionFail}, wantKind: "fail", wantStatus: "down", wantLastPing: true},
		{status: "down", ev: Event{Action: ActionLog}, wantKind: "log", wantStatus: "down"},
		{status: "paused", ev: Event{Action: ActionSuccess}, wantKind: "", wantStatus: "up", wantFlip: &flipWant{"paused", "up", ""}, wantLastPing: true},
		{status: "paused", ev: Event{Action: ActionStart}, wantKind: "start", wantStatus: "paused", wantLastStart: true},
		{status: "paused", ev: Event{Action: ActionFail}, wantKind: "fail", wantStatus: "down", wantFlip: &flipWant{"paused", "down", "fail"}, wantLastPing: true},
		{status: "paused", ev: Event{Action: ActionLog}, wantKind: "log", wantStatus: "paused"},
		// manual_resume: a paused check ignores everything until resumed by hand.
		{status: "paused", manualResume: true, ev: Event{Action: ActionSuccess}, wantKind: "ign", wantStatus: "paused"},
		{status: "paused", manualResume: true, ev: Event{Action: ActionStart}, wantKind: "ign", wantStatus: "paused"},
		{status: "paused", manualResume: true, ev: Event{Action: ActionFail}, wantKind: "ign", wantStatus: "paused"},
		{status: "paused", manualResume: true, ev: Event{Action: ActionLog}, wantKind: "ign", wantStatus: "paused"},
		{status: "paused", manualResume: true, ev: Event{Action: ActionSuccess, ExitStatus: intp(1)}, wantKind: "ign", wantStatus: "paused"},
		// ...but only while paused.
		{status: "up", manualResume: true, ev: Event{Action: ActionFail}, wantKind: "fail", wantStatus: "down", wantFlip: &flipWant{"up", "down", "fail"}, wantLastPing: true},
		{status: "down", manualResume: true, ev: Event{Action: ActionSuccess}, wantKind: "", wantStatus: "up", wantFlip: &flipWant{"down", "up", ""}, wantLastPing: true},
	}
	for _, tt := range tests {
		name := tt.status + "/" + string(tt.ev.Action)
		if tt.ev.ExitStatus != nil {
			name += "/exit" + string(rune('0'+*tt.ev.ExitStatus))
		}
		if tt.manualResume {
			name += "/manual_resume"
		}
		t.Run(name, func(t *testing.T) {
			c := baseCheck(tt.status)
			c.ManualResume = tt.manualResume
			before := c
			got, p, flip := Apply(c, tt.ev, now, simpleAlertAfter)

			if p.Kind != tt.wantKind {
				t.Errorf("ping kind = %q, want %q", p.Kind, tt.wantKind)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", got.Status, tt.wantStatus)
			}
			switch {
			case tt.wantFlip == nil && flip != nil:
				t.Errorf("unexpected flip %+v", *flip)
			case tt.wantFlip != nil && flip == nil:
				t.Errorf("no flip, want %+v", *tt.wantFlip)
			case flip != nil:
				if flip.OldStatus != tt.wantFlip.old || flip.NewStatus != tt.wantFlip.new || flip.Reason != tt.wantFlip.reason {
					t.Errorf("flip %s->%s reason %q, want %+v", flip.OldStatus, flip.NewStatus, flip.Reason, *tt.wantFlip)
				}
				if flip.CheckID != 42 || !flip.Created.Equal(now) || flip.Processed != nil {
					t.Errorf("flip check %d created %v processed %v", flip.CheckID, flip.Created, flip.Processed)
				}
			}
			wantLastPing := before.LastPing
			if tt.wantLastPing {
				wantLastPing = &now
			}
			if !eqTime(got.LastPing, wantLastPing) {
				t.Errorf("last_ping = %s, want %s", fmtTime(got.LastPing), fmtTime(wantLastPing))
			}
			var wantLastStart *time.Time
			if tt.wantLastStart {
				wantLastStart = &now
			}
			if !eqTime(got.LastStart, wantLastStart) {
				t.Errorf("last_start = %s, want %s", fmtTime(got.LastStart), fmtTime(wantLastStart))
			}
			if got.NPings != 10 || p.N != 10 {
				t.Errorf("n_pings %d, ping.n %d, want 10 and 10", got.NPings, p.N)
			}
			if !eqTime(got.AlertAfter, simpleAlertAfter(&got)) {
				t.Errorf("alert_after = %s, not recomputed from the new state", fmtTime(got.AlertAfter))
			}
		})
	}
}

func TestApplyRunIDs(t *testing.T) {
	prevDuration := 5 * time.Second
	tenMin := 10 * time.Minute
	tests := []struct {
		name          string
		hasStart      bool
		storedRID     string
		ev            Event
		wantLastStart *time.Time
		wantRID       string
		wantDuration  *time.Duration
	}{
		{"success NULL==NULL times the run", true, "", Event{Action: ActionSuccess}, nil, "", &tenMin},
		{"success matching rid times the run", true, ridA, Event{Action: ActionSuccess, RID: ridA}, nil, ridA, &tenMin},
		{"fail matching rid times the run", true, ridA, Event{Action: ActionFail, RID: ridA}, nil, ridA, &tenMin},
		{"exit status matching rid times the run", true, ridA, Event{Action: ActionSuccess, ExitStatus: intp(2), RID: ridA}, nil, ridA, &tenMin},
		{"success of another run keeps the start", true, ridA, Event{Action: ActionSuccess, RID: ridB}, &started, ridA, nil},
		{"success with rid when start had none keeps it", true, "", Event{Action: ActionSuccess, RID: ridB}, &started, "", nil},
		{"success without rid ends a rid run", true, ridA, Event{Action: ActionSuccess}, nil, ridA, nil},
		{"fail of another run ends the start", true, ridA, Event{Action: ActionFail, RID: ridB}, nil, ridA, nil},
		{"fail with rid ends a rid-less start", true, "", Event{Action: ActionFail, RID: ridB}, nil, "", nil},
		{"success without a start clears last_duration", false, "", Event{Action: ActionSuccess}, nil, "", nil},
		{"fail without a start clears last_duration", false, ridA, Event{Action: ActionFail, RID: ridA}, nil, ridA, nil},
		{"log leaves everything", true, ridA, Event{Action: ActionLog, RID: ridB}, &started, ridA, &prevDuration},
		{"start restarts the clock with its rid", true, ridA, Event{Action: ActionStart, RID: ridB}, &now, ridB, &prevDuration},
		{"start without rid clears the stored rid", true, ridA, Event{Action: ActionStart}, &now, "", &prevDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCheck(model.StatusUp)
			c.LastDuration = &prevDuration
			c.LastStartRID = tt.storedRID
			if tt.hasStart {
				c.LastStart = new(started)
			}
			got, p, _ := Apply(c, tt.ev, now, simpleAlertAfter)
			if !eqTime(got.LastStart, tt.wantLastStart) {
				t.Errorf("last_start = %s, want %s", fmtTime(got.LastStart), fmtTime(tt.wantLastStart))
			}
			if got.LastStartRID != tt.wantRID {
				t.Errorf("last_start_rid = %q, want %q", got.LastStartRID, tt.wantRID)
			}
			switch {
			case (got.LastDuration == nil) != (tt.wantDuration == nil):
				t.Errorf("last_duration = %v, want %v", got.LastDuration, tt.wantDuration)
			case got.LastDuration != nil && *got.LastDuration != *tt.wantDuration:
				t.Errorf("last_duration = %v, want %v", *got.LastDuration, *tt.wantDuration)
			}
			if p.RID != tt.ev.RID {
				t.Errorf("ping rid = %q, want %q", p.RID, tt.ev.RID)
			}
		})
	}
}

func TestApplyAlertAfter(t *testing.T) {
	day, hour := model.DefaultTimeout, model.DefaultGrace
	tests := []struct {
		name   string
		status string
		start  bool
		ev     Event
		want   *time.Time
	}{
		{"success: last_ping + timeout + grace", "new", false, Event{Action: ActionSuccess}, new(now.Add(day + hour))},
		{"start on a new check: start + grace", "new", false, Event{Action: ActionStart}, new(now.Add(hour))},
		{"start on a paused check: start + grace", "paused", false, Event{Action: ActionStart}, new(now.Add(hour))},
		{"start on a down check: never", "down", false, Event{Action: ActionStart}, nil},
		{"fail: never", "up", false, Event{Action: ActionFail}, nil},
		{"log on an up check with a running job", "up", true, Event{Action: ActionLog}, new(started.Add(hour))},
		{"log on a new check", "new", false, Event{Action: ActionLog}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCheck(tt.status)
			if tt.start {
				c.LastStart = new(started)
				c.LastPing = new(now.Add(-time.Minute))
			}
			got, _, _ := Apply(c, tt.ev, now, simpleAlertAfter)
			if !eqTime(got.AlertAfter, tt.want) {
				t.Errorf("alert_after = %s, want %s", fmtTime(got.AlertAfter), fmtTime(tt.want))
			}
		})
	}
}

func TestClassify(t *testing.T) {
	filter := func(fail, success, start string, defaultFail bool) func(*model.Check) {
		return func(c *model.Check) {
			c.FilterHTTPBody = true
			c.FailureKw, c.SuccessKw, c.StartKw = fail, success, start
			c.FilterDefaultFail = defaultFail
		}
	}
	postOnly := func(c *model.Check) { c.Methods = "POST" }
	both := func(a, b func(*model.Check)) func(*model.Check) {
		return func(c *model.Check) { a(c); b(c) }
	}
	get := func(a Action, body string) Event { return Event{Action: a, Method: "GET", Body: []byte(body)} }
	post := func(a Action, body string) Event { return Event{Action: a, Method: "POST", Body: []byte(body)} }

	tests := []struct {
		name  string
		check func(*model.Check)
		ev    Event
		want  string
	}{
		{"success", nil, get(ActionSuccess, ""), model.PingSuccess},
		{"start", nil, get(ActionStart, ""), model.PingStart},
		{"fail", nil, get(ActionFail, ""), model.PingFail},
		{"log", nil, get(ActionLog, ""), model.PingLog},
		{"exit 0 is success", nil, Event{Action: ActionSuccess, ExitStatus: intp(0)}, model.PingSuccess},
		{"exit 1 is fail", nil, Event{Action: ActionSuccess, ExitStatus: intp(1)}, model.PingFail},
		{"exit 255 is fail", nil, Event{Action: ActionSuccess, ExitStatus: intp(255)}, model.PingFail},

		{"methods=POST ignores GET", postOnly, get(ActionSuccess, ""), model.PingIgnored},
		{"methods=POST ignores HEAD fail", postOnly, Event{Action: ActionFail, Method: "HEAD"}, model.PingIgnored},
		{"methods=POST accepts POST", postOnly, post(ActionStart, ""), model.PingStart},
		{"methods=POST does not apply to email", postOnly, Event{Action: ActionSuccess, Email: true}, model.PingSuccess},
		{"methods=POST wins over keywords", both(postOnly, filter("", "ok", "", false)), get(ActionSuccess, "ok"), model.PingIgnored},

		{"failure keyword", filter("ERROR", "ok", "", false), post(ActionSuccess, "ok... ERROR"), model.PingFail},
		{"success keyword", filter("ERROR", "ok", "", false), post(ActionSuccess, "all ok"), model.PingSuccess},
		{"start keyword", filter("ERROR", "ok", "begin", false), post(ActionSuccess, "begin"), model.PingStart},
		{"no match ignores", filter("ERROR", "ok", "begin", false), post(ActionSuccess, "meh"), model.PingIgnored},
		{"no match with default fail", filter("ERROR", "ok", "begin", true), post(ActionSuccess, "meh"), model.PingFail},
		{"no keywords at all ignores", filter("", "", "", false), post(ActionSuccess, "anything"), model.PingIgnored},
		{"no keywords with default fail", filter("", "", "", true), post(ActionSuccess, "anything"), model.PingFail},
		{"keyword overrides /log", filter("", "ok", "", false), post(ActionLog, "ok"), model.PingSuccess},
		{"keyword overrides /fail", filter("", "ok", "", false), post(ActionFail, "ok"), model.PingSuccess},
		{"keyword overrides /start", filter("ERROR", "", "", false), post(ActionStart, "ERROR"), model.PingFail},
		{"keyword overrides exit status", filter("", "ok", "", false), Event{Action: ActionSuccess, ExitStatus: intp(4), Body: []byte("ok")}, model.PingSuccess},
		{"no match overrides /fail too", filter("", "ok", "", false), post(ActionFail, "bad"), model.PingIgnored},
		{"keywords are trimmed", filter("", " foo , bar ", "", false), post(ActionSuccess, "xbarx"), model.PingSuccess},
		// Python's str.strip also trims U+001C..U+001F, strings.TrimSpace doesn't.
		{"keywords are trimmed of Python's whitespace", filter("", "\x1cok\x1f", "", false), post(ActionSuccess, "all ok"), model.PingSuccess},
		{"empty keywords are skipped", filter(",, ,", "ok", "", false), post(ActionSuccess, "ok"), model.PingSuccess},
		{"matching is case-sensitive", filter("", "OK", "", false), post(ActionSuccess, "ok"), model.PingIgnored},
		{"invalid UTF-8 body still matches", filter("", "ok", "", false), post(ActionSuccess, "\xff\xfeok\xc3"), model.PingSuccess},
		{"unicode keyword", filter("", "", "začetek", false), post(ActionSuccess, "– začetek –"), model.PingStart},
		{"email ignores the HTTP body filter", filter("ERROR", "", "", false), Event{Action: ActionSuccess, Email: true, Body: []byte("ERROR")}, model.PingSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCheck(model.StatusUp)
			if tt.check != nil {
				tt.check(&c)
			}
			if got := Classify(&c, tt.ev); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
			// Apply must agree, and record the exit status whatever the kind.
			_, p, _ := Apply(c, tt.ev, now, simpleAlertAfter)
			if p.Kind != tt.want {
				t.Errorf("Apply ping kind = %q, want %q", p.Kind, tt.want)
			}
			if (p.ExitStatus == nil) != (tt.ev.ExitStatus == nil) || p.ExitStatus != nil && *p.ExitStatus != *tt.ev.ExitStatus {
				t.Errorf("exit status %v, want %v", p.ExitStatus, tt.ev.ExitStatus)
			}
		})
	}
}

func TestApplyManualResumeBeatsKeywords(t *testing.T) {
	c := baseCheck(model.StatusPaused)
	c.ManualResume = true
	c.FilterHTTPBody, c.SuccessKw = true, "ok"
	got, p, flip := Apply(c, Event{Action: ActionSuccess, Method: "POST", Body: []byte("ok")}, now, simpleAlertAfter)
	if p.Kind != model.PingIgnored || got.Status != model.StatusPaused || flip != nil {
		t.Errorf("kind %q status %q flip %v, want ign, paused, no flip", p.Kind, got.Status, flip)
	}
}

func TestConfirmationLink(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"", false},
		{"confirm", true},
		{"Please CONFIRM your subscription", true},
		{"https://example.org/ConFirm?x=1", true},
		{"conf irm", false},
		{"confir", false},
		{"\xffcOnFiRm\xfe", true},
		{"conf\u0130rm", false}, // Python lowers U+0130 to two code points
	}
	for _, tt := range tests {
		c := baseCheck(model.StatusUp)
		c.HasConfirmationLink = !tt.want // must be overwritten either way
		got, _, _ := Apply(c, Event{Action: ActionLog, Body: []byte(tt.body)}, now, simpleAlertAfter)
		if got.HasConfirmationLink != tt.want {
			t.Errorf("body %q: has_confirmation_link = %v, want %v", tt.body, got.HasConfirmationLink, tt.want)
		}
	}
}

func TestApplyPingRow(t *testing.T) {
	c := baseCheck(model.StatusUp)
	ev := Event{
		Action: ActionSuccess, ExitStatus: intp(0), RID: ridA,
		Method: "POST", Scheme: "https", RemoteAddr: "192.0.2.1",
		UA: strings.Repeat("é", 250),
	}
	got, p, _ := Apply(c, ev, now, simpleAlertAfter)
	if p.CheckID != 42 || p.N != got.NPings || p.N != 10 || !p.Created.Equal(now) {
		t.Errorf("check %d n %d created %v, want 42, 10, %v", p.CheckID, p.N, p.Created, now)
	}
	if p.Method != "POST" || p.Scheme != "https" || p.RemoteAddr != "192.0.2.1" || p.RID != ridA {
		t.Errorf("request fields not copied: %+v", p)
	}
	if p.ExitStatus == nil || *p.ExitStatus != 0 {
		t.Errorf("exit status %v, want 0", p.ExitStatus)
	}
	if p.Body == nil || len(p.Body) != 0 {
		t.Errorf("body = %#v, want empty non-nil", p.Body)
	}
	if n := len([]rune(p.UA)); n != 200 {
		t.Errorf("ua has %d characters, want 200", n)
	}
	if c.NPings != 9 || c.LastPing.Equal(now) {
		t.Error("Apply modified its input")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		ok   bool
	}{
		{"plain", Event{Action: ActionSuccess}, true},
		{"all fields", Event{Action: ActionLog, ExitStatus: intp(255), RID: ridA}, true},
		{"empty action", Event{}, false},
		{"unknown action", Event{Action: "resume"}, false},
		{"negative exit", Event{Action: ActionSuccess, ExitStatus: intp(-1)}, false},
		{"exit 256", Event{Action: ActionSuccess, ExitStatus: intp(256)}, false},
		{"uppercase rid", Event{Action: ActionSuccess, RID: strings.ToUpper(ridA)}, false},
		{"rid without hyphens", Event{Action: ActionSuccess, RID: strings.ReplaceAll(ridA, "-", "")}, false},
	}
	for _, tt := range tests {
		if err := tt.ev.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	c := baseCheck(model.StatusUp)
	c.FilterHTTPBody, c.FailureKw, c.SuccessKw = true, "ERROR, FATAL", "done"
	ev := Event{Action: ActionSuccess, Method: "POST", Body: []byte(strings.Repeat("x", 1000) + " done"), UA: "curl/8.0"}
	b.ReportAllocs()
	for b.Loop() {
		c, _, _ = Apply(c, ev, now, simpleAlertAfter)
	}
}
