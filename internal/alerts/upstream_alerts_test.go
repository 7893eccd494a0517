package alerts_test

// Upstream's rules for when flips are made and who hears about them
// (hc/api/tests/test_sendalerts.py, test_flip_model.py, test_notify.py,
// test_check_going_down_after.py, the nag parts of test_sendreports.py and
// hc/accounts/tests/test_profile_model.py), against the real store on every
// engine and, where a message leaves the process, real SMTP and HTTP
// servers.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// upstreamCheck creates a check with upstream's defaults (a one-day period,
// one hour of grace), changed by fn before it is stored.
func (w *world) upstreamCheck(t testing.TB, fn func(c *model.Check)) model.Check {
	t.Helper()
	c := model.NewCheck(w.project.ID, w.clock.Now())
	c.Timeout, c.Grace = 24*time.Hour, time.Hour
	if fn != nil {
		fn(&c)
	}
	if err := w.st.CreateCheck(context.Background(), &c, false); err != nil {
		t.Fatal(err)
	}
	return c
}

// addChannel stores ch in the world's project.
func (w *world) addChannel(t testing.TB, ch model.Channel) model.Channel {
	t.Helper()
	ch.Code, ch.ProjectID, ch.Created = uuid.NewString(), w.project.ID, epoch
	if err := w.st.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

func (w *world) attach(t testing.TB, c model.Check, chans ...model.Channel) {
	t.Helper()
	ids := make([]int64, len(chans))
	for i, ch := range chans {
		ids[i] = ch.ID
	}
	if err := w.st.SetCheckChannels(context.Background(), c.ID, ids); err != nil {
		t.Fatal(err)
	}
}

// flipTo writes a flip of c to status at the given time (as a ping or the
// API would), which enqueues its notifications.
func flipTo(t testing.TB, st *store.Store, c model.Check, at time.Time, status, reason string) {
	t.Helper()
	err := st.ApplyPings(context.Background(), []int64{c.ID}, func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		ch := checks[c.ID]
		old := ch.Status
		ch.Status = status
		return nil, []model.Flip{{CheckID: c.ID, Created: at, OldStatus: old, NewStatus: status, Reason: reason}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func notificationsOf(t testing.TB, st *store.Store, c model.Check) []model.Notification {
	t.Helper()
	ns, err := st.ListNotifications(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// The going-down pass (sendalerts' handle_going_down): which due checks
// flip, the flip's time and reason, and the check's stored state after.
func TestUpstreamGoingDown(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }

			// test_it_handles_grace_period: late, but within grace.
			grace := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastPing = model.StatusUp, at(-24*time.Hour-30*time.Minute)
				c.AlertAfter = at(30 * time.Minute)
			})
			// test_it_updates_alert_after: a stale alert_after is moved to
			// the real deadline and nothing flips.
			stale := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastPing = model.StatusUp, at(-time.Hour)
				c.AlertAfter = c.LastPing
			})
			// test_it_creates_a_flip_when_check_goes_down
			gone := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastPing = model.StatusUp, at(-48*time.Hour)
				c.AlertAfter = at(-48*time.Hour + 25*time.Hour)
			})
			// A run that outlived its grace time takes a paused or a new
			// check down too, dated at last_start + grace.
			pausedRun := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastStart = model.StatusPaused, at(-48*time.Hour)
				c.AlertAfter = at(-47 * time.Hour)
			})
			newRun := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastStart = model.StatusNew, at(-2*time.Hour)
				c.AlertAfter = at(-time.Hour)
			})
			// Due at this very instant: down now (both boundaries inclusive).
			exact := w.upstreamCheck(t, func(c *model.Check) {
				c.Status, c.LastPing = model.StatusUp, at(-25*time.Hour)
				c.AlertAfter = at(0)
			})
			ch := w.addChannel(t, model.Channel{Kind: "email", Value: "alice@example.org", EmailVerified: true})
			for _, c := range []model.Check{grace, stale, gone, pausedRun, newRun, exact} {
				w.attach(t, c, ch)
			}

			e := alerts.NewEngine(alerts.EngineOptions{Store: w.st, Clock: w.clock})
			flips, err := e.Tick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]struct {
				old string
				at  time.Time
			}{
				gone.ID:      {model.StatusUp, *gone.AlertAfter},
				pausedRun.ID: {model.StatusPaused, now.Add(-47 * time.Hour)},
				newRun.ID:    {model.StatusNew, now.Add(-time.Hour)},
				exact.ID:     {model.StatusUp, now},
			}
			if len(flips) != len(want) {
				t.Fatalf("%d flips, want %d: %+v", len(flips), len(want), flips)
			}
			for id, wf := range want {
				stored, _ := w.st.ListFlips(ctx, id)
				if len(stored) != 1 {
					t.Fatalf("check %d: %d flips stored, want 1", id, len(stored))
				}
				f := stored[0]
				if !f.Created.Equal(wf.at) || f.OldStatus != wf.old || f.NewStatus != model.StatusDown || f.Reason != "timeout" {
					t.Errorf("check %d: flip %+v, want %s→down at %v, reason timeout", id, f, wf.old, wf.at)
				}
				c, _ := w.st.CheckByID(ctx, id)
				if c.Status != model.StatusDown || c.AlertAfter != nil {
					t.Errorf("check %d after going down: status %s alert_after %v, want down and none", id, c.Status, c.AlertAfter)
				}
				if ns := notificationsOf(t, w.st, c); len(ns) != 1 || ns[0].CheckStatus != model.StatusDown || ns[0].ChannelID != ch.ID {
					t.Errorf("check %d: notifications %+v, want one \"down\" for the email channel", id, ns)
				}
			}
			if c, _ := w.st.CheckByID(ctx, grace.ID); c.Status != model.StatusUp || !c.AlertAfter.Equal(*grace.AlertAfter) {
				t.Errorf("check in grace: status %s alert_after %v, want it untouched", c.Status, c.AlertAfter)
			}
			if c, _ := w.st.CheckByID(ctx, stale.ID); c.Status != model.StatusUp || c.AlertAfter == nil || !c.AlertAfter.Equal(stale.LastPing.Add(25*time.Hour)) {
				t.Errorf("stale deadline: status %s alert_after %v, want up and last_ping + 1 day + 1 hour", c.Status, c.AlertAfter)
			}
			for _, c := range []model.Check{grace, stale} {
				if ns := notificationsOf(t, w.st, c); len(ns) != 0 {
					t.Errorf("check %s that did not go down has notifications %+v", c.Name, ns)
				}
			}
			// Exactly one flip each: a second pass finds nothing to do.
			if again, err := e.Tick(ctx); err != nil || len(again) != 0 {
				t.Errorf("second pass: %+v %v", again, err)
			}
		})
	}
}

// test_check_going_down_after.py: the deadline that is stored as
// alert_after.
func TestUpstreamGoingDownAfter(t *testing.T) {
	now := epoch
	ago := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	cases := []struct {
		name string
		c    model.Check
		want *time.Time
	}{
		{"new", model.Check{Status: model.StatusNew}, nil},
		{"paused", model.Check{Status: model.StatusPaused, LastPing: ago(48 * time.Hour)}, nil},
		{"up", model.Check{Status: model.StatusUp, LastPing: ago(time.Hour)}, ago(time.Hour - 25*time.Hour)},
		{"paused, then started", model.Check{Status: model.StatusPaused, LastStart: ago(48 * time.Hour)}, ago(47 * time.Hour)},
		{"down", model.Check{Status: model.StatusDown, LastPing: ago(time.Hour)}, nil},
		{"down, then started", model.Check{Status: model.StatusDown, LastStart: ago(10 * time.Minute)}, nil},
	}
	for _, c := range cases {
		c.c.Kind, c.c.Timeout, c.c.Grace = model.KindSimple, 24*time.Hour, time.Hour
		got := schedule.GoingDownAfter(&c.c, nil)
		if (got == nil) != (c.want == nil) || got != nil && !got.Equal(*c.want) {
			t.Errorf("%s: going down after %v, want %v", c.name, got, c.want)
		}
	}
}

// Flip.select_channels: which channels of the check get a notification for
// which flip, and in which order.
func TestUpstreamSelectChannels(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			sec := func(n int) *time.Duration { d := time.Duration(n) * time.Second; return &d }

			plain := w.addChannel(t, model.Channel{Kind: "email", Value: "alice@example.org", EmailVerified: true})
			noop := w.addChannel(t, model.Channel{Kind: "email", Value: `{"value": "alice@example.org", "up": false, "down": false}`, EmailVerified: true})
			upOnly := w.addChannel(t, model.Channel{Kind: "email", Value: `{"value": "up@example.org", "up": true, "down": false}`, EmailVerified: true})
			disabled := w.addChannel(t, model.Channel{Kind: "email", Value: "alice@example.org", EmailVerified: true, Disabled: true})
			hookDown := w.addChannel(t, model.Channel{Kind: "webhook",
				Value: `{"method_down": "GET", "url_down": "http://a.example", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`})
			fast := w.addChannel(t, model.Channel{Kind: "email", Value: "fast@example.org", EmailVerified: true, LastNotifyDuration: sec(1)})
			slow := w.addChannel(t, model.Channel{Kind: "email", Value: "slow@example.org", EmailVerified: true, LastNotifyDuration: sec(9)})
			// Another check's channel: never notified for this one.
			w.addChannel(t, model.Channel{Kind: "email", Value: "other@example.org", EmailVerified: true})

			c := w.upstreamCheck(t, nil)
			w.attach(t, c, plain, noop, upOnly, disabled, hookDown, fast, slow)
			names := map[int64]string{plain.ID: "plain", noop.ID: "noop", upOnly.ID: "up-only", disabled.ID: "disabled", hookDown.ID: "webhook",
				fast.ID: "1 s", slow.ID: "9 s"}
			seen := 0
			expect := func(what string, want ...string) {
				t.Helper()
				ns := notificationsOf(t, w.st, c)[seen:]
				seen += len(ns)
				var got []string
				for _, n := range ns {
					got = append(got, names[n.ChannelID]+"/"+n.CheckStatus)
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s: notified %q, want %q", what, got, want)
				}
			}

			// new → up: nobody (test_send_alerts_handles_new_up_transition).
			flipTo(t, w.st, c, now, model.StatusUp, "")
			expect("new → up")
			// up → down: every enabled channel that takes "down", fastest
			// first, never-timed last (test_select_channels_works,
			// test_it_sorts_channels_by_last_notify_duration,
			// test_select_channels_handles_noop, test_it_skips_disabled_channels).
			flipTo(t, w.st, c, now.Add(time.Minute), model.StatusDown, "fail")
			expect("up → down", "1 s/down", "9 s/down", "plain/down", "webhook/down")
			// down → up: the webhook has no "up" URL; the up-only address
			// joins in.
			flipTo(t, w.st, c, now.Add(2*time.Minute), model.StatusUp, "")
			expect("down → up", "1 s/up", "9 s/up", "plain/up", "up-only/up")
			// Pausing and resuming are not events (select_channels
			// refuses other statuses), and up after a pause notifies no one.
			flipTo(t, w.st, c, now.Add(3*time.Minute), model.StatusPaused, "")
			expect("up → paused")
			flipTo(t, w.st, c, now.Add(4*time.Minute), model.StatusUp, "")
			expect("paused → up")
			flipTo(t, w.st, c, now.Add(5*time.Minute), model.StatusPaused, "")
			flipTo(t, w.st, c, now.Add(6*time.Minute), model.StatusNew, "")
			expect("paused → new")
			// paused → down does notify.
			flipTo(t, w.st, c, now.Add(7*time.Minute), model.StatusPaused, "")
			flipTo(t, w.st, c, now.Add(8*time.Minute), model.StatusDown, "fail")
			expect("paused → down", "1 s/down", "9 s/down", "plain/down", "webhook/down")

			// Every processed flip is marked processed.
			flips, _ := w.st.ListFlips(ctx, c.ID)
			for _, f := range flips {
				if f.Processed == nil {
					t.Errorf("flip %+v is not processed", f)
				}
			}
		})
	}
}

// Flip.down_duration: an "up" alert says how long the check was down when
// the flip before it went to "down", and nothing otherwise.
func TestUpstreamDownDuration(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			c := w.upstreamCheck(t, nil)
			flipTo(t, w.st, c, now, model.StatusUp, "")
			if since, err := w.st.DownSince(ctx, c.ID, now.Add(10*time.Minute)); err != nil || since != nil {
				t.Errorf("previous flip went up: down since %v (%v), want none", since, err)
			}
			flipTo(t, w.st, c, now.Add(time.Minute), model.StatusDown, "fail")
			if since, err := w.st.DownSince(ctx, c.ID, now.Add(11*time.Minute)); err != nil || since == nil || !since.Equal(now.Add(time.Minute)) {
				t.Errorf("down since %v (%v), want %v", since, err, now.Add(time.Minute))
			}
			// Down, then paused: the flip before the next "up" is the pause,
			// so the downtime is unknown (not counted from the older "down").
			flipTo(t, w.st, c, now.Add(2*time.Minute), model.StatusPaused, "")
			if since, err := w.st.DownSince(ctx, c.ID, now.Add(12*time.Minute)); err != nil || since != nil {
				t.Errorf("after a pause: down since %v (%v), want none", since, err)
			}
			// No flips at all.
			other := w.upstreamCheck(t, nil)
			if since, err := w.st.DownSince(ctx, other.ID, now); err != nil || since != nil {
				t.Errorf("no flips: %v %v", since, err)
			}
		})
	}
}

// The message a transport gets: the last ping is the newest one at or
// before the flip (test_it_ignores_ping_after_flip,
// test_it_handles_identical_ping_and_flip_timestamp), the check's status is
// its real one in $JSON (test_it_does_not_clobber_check_status), and an up
// alert carries the downtime (test_it_calculates_down_duration).
func TestUpstreamMessageContents(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			c := w.upstreamCheck(t, func(c *model.Check) { c.Name = "Hello World" })
			bodies := make(chan string, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodies <- string(b)
			}))
			defer srv.Close()
			hook := w.addChannel(t, model.Channel{Kind: "webhook", Value: `{"method_down": "POST", "url_down": "` + srv.URL + `", "body_down": "$JSON",
				"headers_down": {}, "method_up": "POST", "url_up": "` + srv.URL + `", "body_up": "$BODY", "headers_up": {}}`})
			rec := newRecorder()
			probe := w.addChannel(t, model.Channel{Kind: "probe"})
			w.attach(t, c, hook, probe)

			// One ping exactly at the flip, one after it.
			err := w.st.ApplyPings(ctx, []int64{c.ID}, func(cs map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				ch := cs[c.ID]
				ch.Status, ch.LastPing, ch.NPings = model.StatusDown, &now, 2
				return []model.Ping{
						{CheckID: c.ID, N: 1, Created: now, Kind: model.PingFail, Body: []byte("at the flip")},
						{CheckID: c.ID, N: 2, Created: now.Add(time.Second), Kind: model.PingFail, Body: []byte("after the flip")},
					},
					[]model.Flip{{CheckID: c.ID, Created: now, OldStatus: model.StatusNew, NewStatus: model.StatusDown, Reason: "fail"}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cache := schedule.NewCache(10)
			checkJSON := api.CheckJSON(api.APIDeps{Store: w.st, SiteRoot: "https://overdue.example", Cache: cache, Now: w.clock.Now})
			r := w.start(t, notify.Registry{"probe": rec, "webhook": &webhook.Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true})}},
				func(o *alerts.DispatcherOptions) { o.CheckJSON = checkJSON })
			m := waitMsg(t, rec)
			if m.LastPing == nil || m.LastPing.N != 1 || string(m.LastPing.Body) != "at the flip" {
				t.Errorf("last ping %+v, want the one at the flip's instant", m.LastPing)
			}
			if m.Status != model.StatusDown || m.Flip.Reason != "fail" || m.Flip.OldStatus != model.StatusNew || m.Check.Code != c.Code {
				t.Errorf("message status %s flip %+v", m.Status, m.Flip)
			}
			var doc map[string]any
			select {
			case b := <-bodies:
				if err := json.Unmarshal([]byte(b), &doc); err != nil {
					t.Fatalf("$JSON %q: %v", b, err)
				}
			case <-time.After(hangGuard):
				t.Fatal("no webhook")
			}
			if doc["name"] != "Hello World" || doc["status"] != "down" || doc["uuid"] != c.Code {
				t.Errorf("$JSON = %v", doc)
			}
			r.recorded(t)
			r.recorded(t)

			// Recovery ten minutes later: the downtime, and $BODY of the
			// last ping before the up flip.
			up := now.Add(10 * time.Minute)
			w.clock.Set(up)
			flipTo(t, w.st, c, up, model.StatusUp, "")
			r.dispatcher.Wake()
			m = waitMsg(t, rec)
			if m.Status != model.StatusUp || m.Downtime != 10*time.Minute {
				t.Errorf("up message: status %s downtime %v, want 10m", m.Status, m.Downtime)
			}
			select {
			case b := <-bodies:
				if b != "after the flip" {
					t.Errorf("up $BODY %q", b)
				}
			case <-time.After(hangGuard):
				t.Fatal("no up webhook")
			}
		})
	}
}

// What is recorded after a send (Channel.notify): the error text on the
// notification and as the channel's last error, the duration, and which
// errors disable the channel or are tried again later.
func TestUpstreamDeliveryOutcomes(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			smtp := smtptest.Start(t, smtptest.Options{})
			var mu sync.Mutex
			hits := 0
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits++
				mu.Unlock()
				rw.WriteHeader(http.StatusInternalServerError)
			}))
			defer srv.Close()
			registry := notify.Registry{
				"email": &email.Transport{Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "alerts@example.org"}),
					Overview: alerts.ProjectsOverview(w.st, "https://overdue.example")},
				"webhook": &webhook.Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true})},
			}
			owner, err := w.st.UserByID(ctx, w.project.OwnerID)
			if err != nil {
				t.Fatal(err)
			}
			verified := w.addChannel(t, model.Channel{Kind: "email", Value: owner.Email, EmailVerified: true})
			unverified := w.addChannel(t, model.Channel{Kind: "email", Value: "bob@example.org"})
			failing := w.addChannel(t, model.Channel{Kind: "webhook", Value: `{"method_down": "GET", "url_down": "` + srv.URL + `", "body_down": "", "headers_down": {}}`})
			unknown := w.addChannel(t, model.Channel{Kind: "invalid", Value: "dummy data"})
			c := w.upstreamCheck(t, func(c *model.Check) { c.Name = "Daily Backup" })
			w.attach(t, c, verified, unverified, failing, unknown)
			r := w.start(t, registry, nil)
			flipTo(t, w.st, c, w.clock.Now(), model.StatusDown, "fail")
			r.dispatcher.Wake()
			for range 4 {
				r.recorded(t)
			}
			select {
			case m := <-smtp.Received():
				// The owner's own address: the alert lists the owner's
				// projects, this one with its check down.
				if data := strings.ReplaceAll(string(m.Data), "=\r\n", ""); m.To[0] != owner.Email || !strings.Contains(data, "* Ops: 1 check down") ||
					!strings.Contains(data, "/projects/"+w.project.Code+"/checks/") {
					t.Errorf("email to %q:\n%s", m.To, m.Data)
				}
			case <-time.After(hangGuard):
				t.Fatal("no email")
			}
			if n := len(smtp.Mails()); n != 1 {
				t.Errorf("%d emails, want only the verified address's", n)
			}
			mu.Lock()
			if hits != 3 {
				t.Errorf("the failing webhook was tried %d times, want 3", hits)
			}
			mu.Unlock()

			type outcome struct {
				status, err string
				disabled    bool
			}
			want := map[int64]outcome{
				verified.ID:   {store.NotifySent, "", false},
				unverified.ID: {store.NotifyFailed, "Email not verified", false},
				failing.ID:    {store.NotifyQueued, "Received status code 500", false},
				unknown.ID:    {store.NotifyFailed, `Integration type "invalid" is not supported by this server`, false},
			}
			for _, n := range notificationsOf(t, w.st, c) {
				o := want[n.ChannelID]
				if n.Status != o.status || n.Error != o.err || n.Attempts != 1 || n.Duration == nil {
					t.Errorf("channel %d: notification status %q error %q attempts %d duration %v, want %q %q after 1 attempt",
						n.ChannelID, n.Status, n.Error, n.Attempts, n.Duration, o.status, o.err)
				}
			}
			chans, err := w.st.ListChannels(ctx, w.project.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range chans {
				o := want[ch.ID]
				if ch.LastError != o.err || ch.Disabled != o.disabled || ch.LastNotify == nil || ch.LastNotifyDuration == nil {
					t.Errorf("channel %s: last_error %q disabled %v last_notify %v, want %q, disabled %v, a send time",
						ch.Kind, ch.LastError, ch.Disabled, ch.LastNotify, o.err, o.disabled)
				}
			}
			// The disabled channel is left out of the next flip; the others
			// (failures included) are notified again.
			flipTo(t, w.st, c, w.clock.Now(), model.StatusUp, "")
			ns := notificationsOf(t, w.st, c)
			next := map[int64]bool{}
			for _, n := range ns[4:] {
				next[n.ChannelID] = true
			}
			// (In an order that depends on the durations just recorded.)
			if len(ns) != 7 || !next[verified.ID] || !next[unverified.ID] || !next[unknown.ID] {
				t.Errorf("the up flip notifies channels %v, want the two email channels and the unknown kind (the webhook has no up URL)", next)
			}
		})
	}
}

// A check deleted after its flip was written takes its notifications with
// it: nothing is sent (test_it_handles_deleted_channel).
func TestUpstreamDeletedCheckSendsNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			c := w.upstreamCheck(t, nil)
			w.attach(t, c, w.addChannel(t, model.Channel{Kind: "probe"}))
			flipTo(t, w.st, c, w.clock.Now(), model.StatusDown, "fail")
			if err := w.st.DeleteCheck(context.Background(), c.ID); err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			r := w.start(t, notify.Registry{"probe": rec}, nil)
			idle := r.dispatcher.Idle()
			r.dispatcher.Wake()
			waitClosed(t, idle, "the dispatcher to look")
			select {
			case m := <-rec.got:
				t.Errorf("sent %+v for a deleted check", m)
			default:
			}
			if next, err := w.st.NextNotificationTry(context.Background()); err != nil || next != nil {
				t.Errorf("outbox still has work: %v %v", next, err)
			}
		})
	}
}

// Profile.update_next_nag_date and sendreports' nag rules, for the
// project's owner: a reminder is planned when a check goes down, kept when
// one is already planned, cleared when every check is up again, and never
// planned with reminders off.
func TestUpstreamNagDates(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			owner, err := w.st.UserByID(ctx, w.project.OwnerID)
			if err != nil {
				t.Fatal(err)
			}
			setNag := func(period time.Duration, next *time.Time) {
				t.Helper()
				owner.NagPeriod, owner.NextNagDate = period, next
				if err := w.st.UpdateUser(ctx, &owner); err != nil {
					t.Fatal(err)
				}
			}
			nextNag := func() *time.Time {
				t.Helper()
				u, err := w.st.UserByID(ctx, owner.ID)
				if err != nil {
					t.Fatal(err)
				}
				return u.NextNagDate
			}
			c := w.upstreamCheck(t, nil)

			// Reminders off: no date even with a check down
			// (test_it_does_not_set_next_nag_date_if_no_nag_period).
			flipTo(t, w.st, c, now, model.StatusDown, "fail")
			if _, err := w.st.PlanNags(ctx, now); err != nil {
				t.Fatal(err)
			}
			if got := nextNag(); got != nil {
				t.Errorf("reminders off: next_nag_date %v", got)
			}
			// On: planned a period from now (test_it_sets_next_nag_date).
			setNag(time.Hour, nil)
			if _, err := w.st.PlanNags(ctx, now); err != nil {
				t.Fatal(err)
			}
			if got := nextNag(); got == nil || !got.Equal(now.Add(time.Hour)) {
				t.Errorf("next_nag_date %v, want %v", got, now.Add(time.Hour))
			}
			// An existing date is kept (test_it_does_not_touch_already_set_next_nag_dates).
			earlier := now.Add(-30 * time.Minute)
			setNag(time.Hour, &earlier)
			if _, err := w.st.PlanNags(ctx, now); err != nil {
				t.Fatal(err)
			}
			if got := nextNag(); got == nil || !got.Equal(earlier) {
				t.Errorf("existing next_nag_date changed to %v", got)
			}
			// All up again: cleared (test_it_clears_next_nag_date).
			flipTo(t, w.st, c, now.Add(time.Minute), model.StatusUp, "")
			if _, err := w.st.PlanNags(ctx, now); err != nil {
				t.Fatal(err)
			}
			if got := nextNag(); got != nil {
				t.Errorf("all up: next_nag_date %v, want none", got)
			}
		})
	}
}

// sendreports' handle_one_nag: a due reminder is sent once and the date
// moves a period on; one that is not due, or with reminders off, is not
// sent; with no check down it is cleared without an email.
func TestUpstreamNagSending(t *testing.T) {
	w := newWorld(t, "sqlite")
	ctx := context.Background()
	now := w.clock.Now()
	owner, err := w.st.UserByID(ctx, w.project.OwnerID)
	if err != nil {
		t.Fatal(err)
	}
	// As upstream's fixture, the check has been pinged: reminders (and
	// reports) go only to accounts with a ping in the last 180 days.
	c := w.upstreamCheck(t, func(c *model.Check) { c.Name, c.LastPing = "Foo", &now })
	flipTo(t, w.st, c, now, model.StatusDown, "fail")
	smtp := smtptest.Start(t, smtptest.Options{})
	n := alerts.NewNagger(alerts.NaggerOptions{Store: w.st, Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "alerts@example.org"}),
		Clock: w.clock, SiteRoot: "https://overdue.example", SiteName: "Overdue"})
	set := func(period time.Duration, next *time.Time) {
		t.Helper()
		owner.NagPeriod, owner.NextNagDate = period, next
		if err := w.st.UpdateUser(ctx, &owner); err != nil {
			t.Fatal(err)
		}
	}

	// Not due yet (test_it_obeys_next_nag_date).
	later := now.Add(24 * time.Hour)
	set(time.Hour, &later)
	if sent, err := n.Tick(ctx); err != nil || sent != 0 {
		t.Errorf("not due: sent %d (%v)", sent, err)
	}
	// Reminders off (test_it_obeys_nag_period).
	due := now.Add(-10 * time.Second)
	set(0, &due)
	if sent, err := n.Tick(ctx); err != nil || sent != 0 {
		t.Errorf("reminders off: sent %d (%v)", sent, err)
	}
	// Due (test_it_sends_nag).
	set(time.Hour, &due)
	if sent, err := n.Tick(ctx); err != nil || sent != 1 {
		t.Fatalf("due: sent %d (%v)", sent, err)
	}
	m := <-smtp.Received()
	if m.To[0] != owner.Email || !strings.Contains(string(m.Data), "Subject: Reminder: 1 check still down") {
		t.Errorf("nag to %q:\n%.300s", m.To, m.Data)
	}
	if u, _ := w.st.UserByID(ctx, owner.ID); u.NextNagDate == nil || !u.NextNagDate.After(now) {
		t.Errorf("next_nag_date after sending: %v, want later than now", u.NextNagDate)
	}
	// Nothing down: cleared, nothing sent (test_nags_require_down_checks).
	flipTo(t, w.st, c, now, model.StatusUp, "")
	set(time.Hour, &due)
	if sent, err := n.Tick(ctx); err != nil || sent != 0 {
		t.Errorf("none down: sent %d (%v)", sent, err)
	}
	if u, _ := w.st.UserByID(ctx, owner.ID); u.NextNagDate != nil {
		t.Errorf("none down: next_nag_date %v, want none", u.NextNagDate)
	}
	if n := len(smtp.Mails()); n != 1 {
		t.Errorf("%d reminders in all, want 1", n)
	}
}
