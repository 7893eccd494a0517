package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// addChannel creates a channel of the fixture's project linked to the checks.
func addChannel(t *testing.T, st *store.Store, f fixture, kind, value string, checks ...*model.Check) model.Channel {
	t.Helper()
	ctx := context.Background()
	ch := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Kind: kind, Value: value, EmailVerified: true, Created: t0}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	for _, c := range checks {
		codes, err := st.ChannelsForCheck(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{ch.ID}
		for _, o := range codes {
			ids = append(ids, o.ID)
		}
		if err := st.SetCheckChannels(ctx, c.ID, ids); err != nil {
			t.Fatalf("SetCheckChannels: %v", err)
		}
	}
	return ch
}

func addCheck(t *testing.T, st *store.Store, f fixture, mutate func(c *model.Check)) model.Check {
	t.Helper()
	c := model.NewCheck(f.project.ID, t0)
	if mutate != nil {
		mutate(&c)
	}
	if err := st.CreateCheck(context.Background(), &c, false); err != nil {
		t.Fatalf("CreateCheck: %v", err)
	}
	return c
}

// flipVia writes a flip for c through the ping path, as a /fail or a
// recovering success ping would.
func flipVia(t *testing.T, st *store.Store, c model.Check, oldStatus, newStatus string, at time.Time) {
	t.Helper()
	err := st.ApplyPings(context.Background(), []int64{c.ID}, func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		ch := checks[c.ID]
		ch.Status = newStatus
		ch.NPings++
		ch.LastPing = &at
		return []model.Ping{{CheckID: c.ID, N: ch.NPings, Created: at, Kind: model.PingFail}},
			[]model.Flip{{CheckID: c.ID, Created: at, OldStatus: oldStatus, NewStatus: newStatus, Reason: "fail"}}, nil
	})
	if err != nil {
		t.Fatalf("ApplyPings: %v", err)
	}
}

func TestOutboxEnqueueFollowsChannelEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		c := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp })
		other := addCheck(t, st, f, nil)
		both := addChannel(t, st, f, "email", `{"value": "a@example.org", "up": true, "down": true}`, &c)
		downOnly := addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/d", "url_up": ""}`, &c)
		upOnly := addChannel(t, st, f, "email", `{"value": "b@example.org", "up": true, "down": false}`, &c)
		disabled := addChannel(t, st, f, "email", `{"value": "c@example.org", "up": true, "down": true}`, &c)
		if err := st.DisableChannel(ctx, disabled.ID); err != nil {
			t.Fatal(err)
		}
		addChannel(t, st, f, "email", "unlinked@example.org", &other) // linked to another check only

		flipVia(t, st, c, model.StatusUp, model.StatusDown, t0.Add(time.Minute))
		got := notificationChannels(t, st, c.ID)
		want := []int64{both.ID, downOnly.ID}
		if !slices.Equal(got, want) {
			t.Errorf("after up→down: notifications to channels %v, want %v", got, want)
		}
		flipVia(t, st, c, model.StatusDown, model.StatusUp, t0.Add(2*time.Minute))
		got = notificationChannels(t, st, c.ID)
		want = []int64{both.ID, downOnly.ID, both.ID, upOnly.ID}
		if !slices.Equal(got, want) {
			t.Errorf("after down→up: notifications to channels %v, want %v", got, want)
		}
		// A check that comes up for the first time notifies nobody, and its
		// flip is still marked processed.
		flipVia(t, st, other, model.StatusNew, model.StatusUp, t0.Add(3*time.Minute))
		if got := notificationChannels(t, st, other.ID); len(got) != 0 {
			t.Errorf("new→up notified channels %v, want none", got)
		}
		flips, err := st.ListFlips(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range flips {
			if fl.Processed == nil {
				t.Errorf("flip %d %s→%s not marked processed", fl.ID, fl.OldStatus, fl.NewStatus)
			}
		}
		ns, err := st.ListNotifications(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Status != store.NotifyQueued || n.FlipID == nil || n.Code == "" || n.Attempts != 0 {
				t.Errorf("new notification %+v: want queued, with a flip and a code, 0 attempts", n)
			}
		}
		if ns[0].CheckStatus != "down" || ns[2].CheckStatus != "up" {
			t.Errorf("check_status = %q, %q; want down, up", ns[0].CheckStatus, ns[2].CheckStatus)
		}
	})
}

func notificationChannels(t *testing.T, st *store.Store, checkID int64) []int64 {
	t.Helper()
	ns, err := st.ListNotifications(context.Background(), checkID)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, n := range ns {
		out = append(out, n.ChannelID)
	}
	return out
}

func TestOutboxClaimRecordRetryLease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		c := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp; c.Name = "backup" })
		a := addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/a"}`, &c)
		b := addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/b"}`, &c)
		at := t0.Add(time.Minute)
		flipVia(t, st, c, model.StatusUp, model.StatusDown, at)

		now := at.Add(time.Second)
		claims, err := st.ClaimNotifications(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 2 {
			t.Fatalf("claimed %d rows, want 2", len(claims))
		}
		sort.Slice(claims, func(i, j int) bool { return claims[i].Channel.ID < claims[j].Channel.ID })
		for i, cl := range claims {
			if cl.Check.Name != "backup" || cl.ProjectName != "Default" || cl.Flip.NewStatus != "down" || cl.Flip.Reason != "fail" ||
				cl.Notification.Attempts != 1 || cl.Notification.Status != store.NotifySending {
				t.Errorf("claim %d = %+v", i, cl)
			}
			if !cl.Flip.Created.Equal(at.UTC().Truncate(time.Microsecond)) {
				t.Errorf("claim %d flip created %v, want %v", i, cl.Flip.Created, at)
			}
		}
		if claims[0].Channel.ID != a.ID || claims[1].Channel.ID != b.ID {
			t.Errorf("claimed channels %d, %d; want %d, %d", claims[0].Channel.ID, claims[1].Channel.ID, a.ID, b.ID)
		}
		// Claimed rows are not handed out again while the lease lasts.
		if again, err := st.ClaimNotifications(ctx, now.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("second claim during the lease: %d rows, err %v; want none", len(again), err)
		}
		// a succeeds; b fails and is retried 10 s later.
		retry := now.Add(10 * time.Second)
		stale, err := st.RecordResults(ctx, []store.SendResult{
			{NotificationID: claims[0].Notification.ID, Attempt: 1, ChannelID: a.ID, Started: now, Duration: 15 * time.Millisecond},
			{NotificationID: claims[1].Notification.ID, Attempt: 1, ChannelID: b.ID, Started: now, Duration: 20 * time.Millisecond,
				Error: "Received status code 500", RetryAt: &retry},
		})
		if err != nil || stale != 0 {
			t.Fatalf("RecordResults: stale %d, err %v", stale, err)
		}
		chans, err := st.ListChannels(ctx, f.project.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chans {
			switch ch.ID {
			case a.ID:
				if ch.LastError != "" || ch.LastNotify == nil || ch.LastNotifyDuration == nil || *ch.LastNotifyDuration != 15*time.Millisecond {
					t.Errorf("channel a after success: %+v", ch)
				}
			case b.ID:
				if ch.LastError != "Received status code 500" || ch.Disabled {
					t.Errorf("channel b after a failure: last_error %q disabled %v", ch.LastError, ch.Disabled)
				}
			}
		}
		if early, _ := st.ClaimNotifications(ctx, retry.Add(-time.Millisecond), time.Minute, 10); len(early) != 0 {
			t.Errorf("the retry was claimed before its time")
		}
		next, err := st.NextNotificationTry(ctx)
		if err != nil || next == nil || !next.Equal(retry.UTC().Truncate(time.Microsecond)) {
			t.Errorf("NextNotificationTry = %v, %v; want %v", next, err, retry)
		}
		second, err := st.ClaimNotifications(ctx, retry, time.Minute, 10)
		if err != nil || len(second) != 1 || second[0].Notification.Attempts != 2 {
			t.Fatalf("retry claim: %+v, %v", second, err)
		}
		// The claimer dies: after the lease the row is claimed again, and
		// the dead claimer's late result is refused as stale.
		third, err := st.ClaimNotifications(ctx, retry.Add(time.Minute), time.Minute, 10)
		if err != nil || len(third) != 1 || third[0].Notification.Attempts != 3 {
			t.Fatalf("claim after the lease ran out: %+v, %v", third, err)
		}
		stale, err = st.RecordResults(ctx, []store.SendResult{{NotificationID: second[0].Notification.ID, Attempt: 2, ChannelID: b.ID, Started: retry}})
		if err != nil || stale != 1 {
			t.Errorf("a result from the expired claim: stale %d err %v, want 1 stale", stale, err)
		}
		// A permanent error ends the row and disables the channel.
		stale, err = st.RecordResults(ctx, []store.SendResult{{NotificationID: third[0].Notification.ID, Attempt: 3, ChannelID: b.ID,
			Started: retry.Add(time.Minute), Error: "Integration deleted", Permanent: true, RetryAt: &retry}})
		if err != nil || stale != 0 {
			t.Fatalf("RecordResults: %d %v", stale, err)
		}
		ns, err := st.ListNotifications(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[int64]string{}
		for _, n := range ns {
			statuses[n.ChannelID] = n.Status + "/" + n.Error
		}
		if statuses[a.ID] != "sent/" || statuses[b.ID] != "failed/Integration deleted" {
			t.Errorf("final statuses %v", statuses)
		}
		chans, _ = st.ListChannels(ctx, f.project.ID)
		for _, ch := range chans {
			if ch.ID == b.ID && (!ch.Disabled || ch.LastError != "Integration deleted") {
				t.Errorf("channel b after a permanent error: disabled %v last_error %q", ch.Disabled, ch.LastError)
			}
		}
		if next, err := st.NextNotificationTry(ctx); err != nil || next != nil {
			t.Errorf("NextNotificationTry with nothing left = %v, %v", next, err)
		}
	})
}

func TestProcessDue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		deadline := t0.Add(time.Hour).UTC().Truncate(time.Microsecond)
		later := deadline.Add(time.Hour)
		down := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp; c.AlertAfter = &deadline })
		notYet := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp; c.AlertAfter = &deadline })
		future := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp; c.AlertAfter = &later })
		ch := addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/a"}`, &down, &notYet)

		moved := later.Add(time.Hour)
		seen, flips, err := st.ProcessDue(ctx, deadline.Add(time.Second), 10, func(c *model.Check) store.DueDecision {
			if c.ID == future.ID {
				t.Errorf("check with a future alert_after was selected")
			}
			if c.ID == down.ID {
				return store.DueDecision{Down: true, DownAt: deadline}
			}
			return store.DueDecision{AlertAfter: &moved}
		})
		if err != nil || seen != 2 || len(flips) != 1 {
			t.Fatalf("ProcessDue: seen %d flips %d err %v; want 2, 1", seen, len(flips), err)
		}
		got, _ := st.CheckByID(ctx, down.ID)
		if got.Status != model.StatusDown || got.AlertAfter != nil {
			t.Errorf("down check: status %s alert_after %v", got.Status, got.AlertAfter)
		}
		fl, _ := st.ListFlips(ctx, down.ID)
		if len(fl) != 1 || fl[0].Reason != "timeout" || !fl[0].Created.Equal(deadline) || fl[0].OldStatus != "up" || fl[0].Processed == nil {
			t.Errorf("flips of the down check: %+v", fl)
		}
		if got := notificationChannels(t, st, down.ID); len(got) != 1 || got[0] != ch.ID {
			t.Errorf("notifications of the down check: %v", got)
		}
		got, _ = st.CheckByID(ctx, notYet.ID)
		if got.Status != model.StatusUp || got.AlertAfter == nil || !got.AlertAfter.Equal(moved) {
			t.Errorf("not-yet check: status %s alert_after %v, want up, %v", got.Status, got.AlertAfter, moved)
		}
		// Nothing is due any more; a second engine finds no work.
		seen, flips, err = st.ProcessDue(ctx, deadline.Add(time.Second), 10, func(c *model.Check) store.DueDecision {
			t.Errorf("check %d selected again", c.ID)
			return store.DueDecision{}
		})
		if err != nil || seen != 0 || len(flips) != 0 {
			t.Errorf("second pass: seen %d flips %d err %v", seen, len(flips), err)
		}
	})
}

// A ping that lands between the engine's read and its write moves
// alert_after: the compare-and-set misses and no flip is written.
func TestProcessDueCompareAndSet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		deadline := t0.Add(time.Hour).UTC().Truncate(time.Microsecond)
		c := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp; c.AlertAfter = &deadline })
		next := deadline.Add(24 * time.Hour)
		// decide changes the engine's copy, so the compare-and-set looks for
		// an alert_after the row does not have: the row is as a concurrent
		// ping would have left it relative to what the engine holds.
		_, flips, err := st.ProcessDue(ctx, deadline.Add(time.Second), 10, func(got *model.Check) store.DueDecision {
			got.AlertAfter = &next // what the engine read no longer matches the row
			return store.DueDecision{Down: true, DownAt: deadline}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(flips) != 0 {
			t.Errorf("a stale read wrote %d flips, want 0", len(flips))
		}
		got, _ := st.CheckByID(ctx, c.ID)
		if got.Status != model.StatusUp {
			t.Errorf("status = %s, want up (unchanged)", got.Status)
		}
	})
}

// Pruning follows upstream: notifications older than the oldest kept ping
// go (except those still to be delivered), flips only when older than that
// ping and 93 days.
func TestPruneHistory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		c := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp })
		ch := addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/d", "url_up": "https://example.org/u"}`, &c)
		now := time.Now().UTC().Truncate(time.Second)
		// Flips (with notifications) long ago, 10 days ago and an hour ago.
		old, recent := now.Add(-100*24*time.Hour), now.Add(-10*24*time.Hour)
		flipVia(t, st, c, model.StatusUp, model.StatusDown, old)
		flipVia(t, st, c, model.StatusDown, model.StatusUp, recent)
		// Deliver those two; a third stays queued.
		claims, err := st.ClaimNotifications(ctx, now, time.Minute, 10)
		if err != nil || len(claims) != 2 {
			t.Fatalf("claims %d %v", len(claims), err)
		}
		var results []store.SendResult
		for _, cl := range claims {
			results = append(results, store.SendResult{NotificationID: cl.Notification.ID, Attempt: 1, ChannelID: ch.ID, Started: now})
		}
		if _, err := st.RecordResults(ctx, results); err != nil {
			t.Fatal(err)
		}
		flipVia(t, st, c, model.StatusUp, model.StatusDown, now.Add(-time.Hour)) // queued, never sent
		// Four more pings without flips: n runs 1..7, and keeping 5 leaves the
		// ping of the last flip, an hour ago, as the oldest.
		for i := 0; i < 4; i++ {
			at := now.Add(time.Duration(i-4) * time.Minute)
			err := st.ApplyPings(ctx, []int64{c.ID}, func(cs map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				cs[c.ID].NPings++
				return []model.Ping{{CheckID: c.ID, N: cs[c.ID].NPings, Created: at}}, nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := st.PrunePings(ctx, c.ID, 5); err != nil {
			t.Fatal(err)
		}
		ns, _ := st.ListNotifications(ctx, c.ID)
		if len(ns) != 1 || ns[0].Status != store.NotifyQueued {
			t.Errorf("notifications after pruning: %+v; want only the undelivered one", ns)
		}
		flips, _ := st.ListFlips(ctx, c.ID)
		for _, fl := range flips {
			if fl.Created.Before(now.Add(-93 * 24 * time.Hour)) {
				t.Errorf("a flip from %v survived", fl.Created)
			}
		}
		found10d := false
		for _, fl := range flips {
			found10d = found10d || fl.Created.Equal(recent)
		}
		if !found10d {
			t.Errorf("the 10-day-old flip was pruned; flips are kept for 93 days")
		}
	})
}

// The outbox asks Config.ChannelEvents about each attached channel, with
// its kind and value, and follows the answer; without one, every channel
// takes both events.
func TestOutboxAsksChannelEvents(t *testing.T) {
	for _, e := range storetest.Engines() {
		for _, custom := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/custom=%v", e, custom), func(t *testing.T) {
				ctx := context.Background()
				cfg := storetest.NewDatabase(t, e)
				var asked []model.Channel
				cfg.ChannelEvents = nil
				if custom {
					cfg.ChannelEvents = func(ch model.Channel) (bool, bool) {
						asked = append(asked, ch)
						return false, ch.Kind == "loud"
					}
				}
				st, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				f := newFixture(t, st)
				c := addCheck(t, st, f, func(c *model.Check) { c.Status = model.StatusUp })
				loud := addChannel(t, st, f, "loud", "v1", &c)
				quiet := addChannel(t, st, f, "webhook", "not json", &c)
				flipVia(t, st, c, model.StatusUp, model.StatusDown, t0.Add(time.Minute))
				got := notificationChannels(t, st, c.ID)
				want := []int64{loud.ID, quiet.ID}
				if custom {
					want = []int64{loud.ID}
					if len(asked) != 2 || asked[0].ID != loud.ID || asked[0].Kind != "loud" || asked[0].Value != "v1" || asked[1].Kind != "webhook" {
						t.Errorf("ChannelEvents was asked about %+v", asked)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("notifications to %v, want %v", got, want)
				}
			})
		}
	}
}
