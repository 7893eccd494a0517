package alerts_test

// Audit of the compatibility spec §4 (flips, sendalerts, notify, nags)
// against the engine and the dispatcher: the rules no other test pinned.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// §4.4: a disabled channel is never notified, and nothing overwrites the
// error that says why it was disabled. A row queued before the channel was
// disabled (an unsubscribe, a bounce) is dropped without a send, and the
// channel keeps its last_error and last_notify.
func TestSpecDisabledChannelKeepsItsError(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			c := w.upstreamCheck(t, nil)
			unsubscribed := w.addChannel(t, model.Channel{Kind: "probe"})
			bounced := w.addChannel(t, model.Channel{Kind: "probe"})
			w.attach(t, c, unsubscribed, bounced)
			flipTo(t, w.st, c, w.clock.Now(), model.StatusDown, "fail")
			ns := notificationsOf(t, w.st, c)
			if len(ns) != 2 {
				t.Fatalf("%d notifications queued, want 2", len(ns))
			}
			if err := w.st.DisableChannel(ctx, unsubscribed.ID); err != nil {
				t.Fatal(err)
			}
			var bouncedRow model.Notification
			for _, n := range ns {
				if n.ChannelID == bounced.ID {
					bouncedRow = n
				}
			}
			const bounce = "Delivery failed (SMTP status code: 5.1.1)"
			if found, err := w.st.NotificationFeedback(ctx, bouncedRow.Code, w.clock.Now().Add(-time.Hour), bounce, true); err != nil || !found {
				t.Fatalf("feedback: %v %v", found, err)
			}

			rec := newRecorder()
			r := w.start(t, notify.Registry{"probe": rec}, nil)
			r.dispatcher.Wake()
			for range 2 {
				if res := r.recorded(t); !res.NotSent || res.Error != "Channel is disabled" {
					t.Errorf("result %+v, want a row dropped unsent", res)
				}
			}
			if len(rec.got) != 0 {
				t.Errorf("a disabled channel was sent to")
			}
			want := map[int64]string{unsubscribed.ID: "", bounced.ID: bounce}
			chans, err := w.st.ListChannels(ctx, w.project.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range chans {
				if !ch.Disabled || ch.LastError != want[ch.ID] || ch.LastNotify != nil {
					t.Errorf("channel %d: disabled %v last_error %q last_notify %v, want disabled, %q, never notified",
						ch.ID, ch.Disabled, ch.LastError, ch.LastNotify, want[ch.ID])
				}
			}
			for _, n := range notificationsOf(t, w.st, c) {
				if n.Status != store.NotifyFailed {
					t.Errorf("row %+v, want failed", n)
				}
			}
		})
	}
}

// §4.6: there is no "start" event, and a /log is none either: neither
// writes a flip nor a notification, on any channel.
func TestSpecStartAndLogNotifyNobody(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			c := w.check(t, "job")
			ch := w.addChannel(t, model.Channel{Kind: "probe"})
			w.attach(t, c, ch)
			r := w.start(t, notify.Registry{"probe": newRecorder()}, nil)
			for _, a := range []ping.Action{ping.ActionStart, ping.ActionLog} {
				if res := r.ping(t, c, a); res.Flip != nil {
					t.Errorf("%s: flip %+v", a, res.Flip)
				}
			}
			// Up from new notifies nobody either; then a start while up.
			r.ping(t, c, ping.ActionSuccess)
			if res := r.ping(t, c, ping.ActionStart); res.Flip != nil {
				t.Errorf("start while up: flip %+v", res.Flip)
			}
			if ns := notificationsOf(t, w.st, c); len(ns) != 0 {
				t.Errorf("notifications %+v, want none", ns)
			}
		})
	}
}

// §4.3: sendalerts looks for work every 2 s. Overdue sleeps until the
// earliest deadline it knows of, but never longer than 2 s, so a check or a
// notification written by another instance (no local wake-up) is handled
// within 2 s: the engine's and the dispatcher's default Poll.
func TestSpecPollsEveryTwoSeconds(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			rec := newRecorder()
			ch := w.addChannel(t, model.Channel{Kind: "probe"})
			r := w.start(t, notify.Registry{"probe": rec}, nil) // default Poll
			now := w.clock.Now()

			// Written by "another instance" while both loops sleep: an
			// overdue check, and a queued notification of another check.
			overdue := w.upstreamCheck(t, func(c *model.Check) {
				c.Timeout, c.Grace = time.Minute, time.Minute
				last, deadline := now.Add(-3*time.Minute), now.Add(-time.Minute)
				c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &last, &deadline
			})
			failing := w.upstreamCheck(t, nil)
			w.attach(t, overdue, ch)
			w.attach(t, failing, ch)
			flipTo(t, w.st, failing, now, model.StatusDown, "fail")

			w.clock.Advance(1900 * time.Millisecond)
			if got, _ := w.st.CheckByID(ctx, overdue.ID); got.Status != model.StatusUp {
				t.Errorf("the engine looked before its 2 s poll: status %s", got.Status)
			}
			select {
			case m := <-rec.got:
				t.Errorf("the dispatcher sent %s for %s before its 2 s poll", m.Status, m.Check.Name)
			default:
			}
			w.clock.Advance(100 * time.Millisecond)
			got := map[string]bool{}
			for range 2 {
				m := waitMsg(t, rec)
				got[m.Check.Code] = true
				r.recorded(t)
			}
			if !got[overdue.Code] || !got[failing.Code] {
				t.Errorf("sent for %v, want both checks", got)
			}
			if c, _ := w.st.CheckByID(ctx, overdue.ID); c.Status != model.StatusDown {
				t.Errorf("overdue check: status %s", c.Status)
			}
		})
	}
}

// §4.4: Channel.notify records last_notify as the time the send started,
// last_notify_duration as how long it took, and clears last_error on
// success; the notification keeps the same duration.
func TestSpecLastNotifyIsSendStart(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			c := w.upstreamCheck(t, nil)
			ch := w.addChannel(t, model.Channel{Kind: "probe", LastError: "Received status code 500"})
			w.attach(t, c, ch)
			start := w.clock.Now()
			rec := newRecorder()
			rec.fail = func(*notify.Message) error {
				w.clock.Advance(3 * time.Second) // the send takes 3 s
				return nil
			}
			flipTo(t, w.st, c, start, model.StatusDown, "fail")
			r := w.start(t, notify.Registry{"probe": rec}, nil)
			r.dispatcher.Wake()
			waitMsg(t, rec)
			r.recorded(t)
			got, err := w.st.ChannelByCode(ctx, ch.Code)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastNotify == nil || !got.LastNotify.Equal(start) || got.LastNotifyDuration == nil || *got.LastNotifyDuration != 3*time.Second || got.LastError != "" {
				t.Errorf("last_notify %v duration %v last_error %q, want %v, 3s, none", got.LastNotify, got.LastNotifyDuration, got.LastError, start)
			}
			if ns := notificationsOf(t, w.st, c); len(ns) != 1 || ns[0].Duration == nil || *ns[0].Duration != 3*time.Second || ns[0].Error != "" {
				t.Errorf("notification %+v, want sent in 3 s", ns)
			}
		})
	}
}

// §4.1: Notification.error and Channel.last_error are 200 characters at
// most (characters, not bytes).
func TestSpecErrorTextIsCutTo200Characters(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			c := w.upstreamCheck(t, nil)
			ch := w.addChannel(t, model.Channel{Kind: "probe"})
			w.attach(t, c, ch)
			long := strings.Repeat("é", 150) + strings.Repeat("x", 150)
			rec := newRecorder()
			rec.fail = func(*notify.Message) error { return notify.FailFinal(long) }
			flipTo(t, w.st, c, w.clock.Now(), model.StatusDown, "fail")
			r := w.start(t, notify.Registry{"probe": rec}, nil)
			r.dispatcher.Wake()
			r.recorded(t)
			want := strings.Repeat("é", 150) + strings.Repeat("x", 50)
			if ns := notificationsOf(t, w.st, c); len(ns) != 1 || ns[0].Error != want {
				t.Errorf("notification error %q", ns[0].Error)
			}
			if got, _ := w.st.ChannelByCode(context.Background(), ch.Code); got.LastError != want {
				t.Errorf("last_error %q", got.LastError)
			}
		})
	}
}

// §4.3: on SIGTERM sendalerts finishes the work in flight before it exits.
// The dispatcher lets a send that is under way finish and records it, so
// it is not sent again after a restart.
func TestSpecShutdownFinishesInFlightSends(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			c := w.upstreamCheck(t, nil)
			w.attach(t, c, w.addChannel(t, model.Channel{Kind: "probe"}))
			started, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			tr := notify.TransportFunc(func(ctx context.Context, m *notify.Message) error {
				once.Do(func() { close(started) })
				<-release
				return nil
			})
			d := alerts.NewDispatcher(alerts.DispatcherOptions{Store: w.st, Transports: notify.Registry{"probe": tr}, Clock: w.clock})
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			flipTo(t, w.st, c, w.clock.Now(), model.StatusDown, "fail")
			d.Wake()
			waitClosed(t, started, "the send to start")
			stop() // SIGTERM
			close(release)
			select {
			case <-done:
			case <-time.After(hangGuard):
				t.Fatal("the dispatcher did not stop")
			}
			if ns := notificationsOf(t, w.st, c); len(ns) != 1 || ns[0].Status != store.NotifySent {
				t.Errorf("after shutdown: %+v, want the in-flight send recorded as sent", ns)
			}
		})
	}
}

// §4.7 (from upstream's Profile.send_report, which nags go through): an
// account none of whose checks pinged in the last 180 days gets no
// reminder, and its reminder date is cleared; one with a recent ping does.
// The subject counts the down checks.
func TestSpecNagNeedsAPingInSixMonths(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			now := w.clock.Now()
			owner, err := w.st.UserByID(ctx, w.project.OwnerID)
			if err != nil {
				t.Fatal(err)
			}
			old := now.Add(-181 * 24 * time.Hour)
			a := w.upstreamCheck(t, func(c *model.Check) { c.Name, c.LastPing = "a", &old })
			b := w.upstreamCheck(t, func(c *model.Check) { c.Name = "b" })
			flipTo(t, w.st, a, now, model.StatusDown, "fail")
			flipTo(t, w.st, b, now, model.StatusDown, "fail")
			smtp := smtptest.Start(t, smtptest.Options{})
			n := alerts.NewNagger(alerts.NaggerOptions{Store: w.st, Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "alerts@example.org"}),
				Clock: w.clock, SiteRoot: "https://overdue.example", SiteName: "Overdue"})
			due := now.Add(-time.Second)
			owner.NagPeriod, owner.NextNagDate = time.Hour, &due
			if err := w.st.UpdateUser(ctx, &owner); err != nil {
				t.Fatal(err)
			}
			if sent, err := n.Tick(ctx); err != nil || sent != 0 {
				t.Errorf("quiet account: sent %d (%v), want none", sent, err)
			}
			if u, _ := w.st.UserByID(ctx, owner.ID); u.NextNagDate != nil {
				t.Errorf("quiet account: next_nag_date %v, want cleared", u.NextNagDate)
			}

			// A ping exactly 180 days ago is recent enough (upstream
			// compares with <).
			edge := now.Add(-180 * 24 * time.Hour)
			if a, err = w.st.CheckByID(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			a.LastPing = &edge
			if err := w.st.UpdateCheck(ctx, &a); err != nil {
				t.Fatal(err)
			}
			owner.NextNagDate = &due
			if err := w.st.UpdateUser(ctx, &owner); err != nil {
				t.Fatal(err)
			}
			if sent, err := n.Tick(ctx); err != nil || sent != 1 {
				t.Fatalf("recent ping: sent %d (%v), want 1", sent, err)
			}
			m := <-smtp.Received()
			if !strings.Contains(string(m.Data), "Subject: Reminder: 2 checks still down") {
				t.Errorf("reminder:\n%.400s", m.Data)
			}
			if u, _ := w.st.UserByID(ctx, owner.ID); u.NextNagDate == nil || !u.NextNagDate.Equal(now.Add(time.Hour)) {
				t.Errorf("next_nag_date %v, want now + 1 hour", u.NextNagDate)
			}
		})
	}
}
