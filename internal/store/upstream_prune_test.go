package store_test

// Ports of the Check.prune tests of upstream's hc/api/tests/test_check_model.py:
// pings at or below n_pings - ping_log_limit go; notifications older than the
// oldest remaining ping go; flips go only when older than that ping and
// older than 93 days. test_it_prunes_object_storage is skipped: Overdue keeps
// ping bodies in the database only.

import (
	"context"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// storeHistory writes pings (n and created) and flips for c in one
// transaction and sets its n_pings.
func storeHistory(t *testing.T, st *store.Store, c model.Check, nPings int64, pings []model.Ping, flips []model.Flip) {
	t.Helper()
	for i := range pings {
		pings[i].CheckID, pings[i].Scheme = c.ID, "http"
	}
	for i := range flips {
		flips[i].CheckID = c.ID
	}
	err := st.ApplyPings(context.Background(), []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = nPings
		if len(flips) > 0 {
			m[c.ID].Status = flips[len(flips)-1].NewStatus
		}
		return pings, flips, nil
	})
	if err != nil {
		t.Fatalf("ApplyPings: %v", err)
	}
}

func flipTimes(t *testing.T, st *store.Store, c model.Check) map[time.Time]bool {
	t.Helper()
	flips, err := st.ListFlips(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[time.Time]bool{}
	for _, f := range flips {
		out[f.Created.UTC()] = true
	}
	return out
}

func pingNumbers(t *testing.T, st *store.Store, c model.Check) []int64 {
	t.Helper()
	pings, err := st.ListPings(context.Background(), c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, p := range pings {
		out = append(out, p.N)
	}
	return out
}

func TestUpstreamCheckPrune(t *testing.T) {
	const day = 24 * time.Hour
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		now := time.Now().UTC().Truncate(time.Second)

		// test_it_prunes
		c := addCheck(t, st, f, nil)
		addChannel(t, st, f, "webhook", `{"url_down": "https://example.org/d", "url_up": "https://example.org/u"}`, &c)
		old := now.Add(-93*day - time.Second)
		storeHistory(t, st, c, 1, []model.Ping{{N: 1, Created: now}},
			[]model.Flip{{Created: old, OldStatus: "new", NewStatus: "down"}})
		storeHistory(t, st, c, 101, []model.Ping{{N: 101, Created: now}},
			[]model.Flip{{Created: now.Add(-10 * time.Minute), OldStatus: "down", NewStatus: "up"}})
		// Deliver both notifications: one still to be sent is never pruned.
		claims, err := st.ClaimNotifications(ctx, now, time.Minute, 10)
		if err != nil || len(claims) != 2 {
			t.Fatalf("claims %d %v", len(claims), err)
		}
		var results []store.SendResult
		for _, cl := range claims {
			results = append(results, store.SendResult{NotificationID: cl.Notification.ID, Attempt: cl.Notification.Attempts,
				ChannelID: cl.Channel.ID, Started: now})
		}
		if _, err := st.RecordResults(ctx, results); err != nil {
			t.Fatal(err)
		}
		if err := st.PrunePings(ctx, c.ID, 100); err != nil {
			t.Fatal(err)
		}
		if got := pingNumbers(t, st, c); len(got) != 1 || got[0] != 101 {
			t.Errorf("test_it_prunes: pings %v, want [101]", got)
		}
		if ns, _ := st.ListNotifications(ctx, c.ID); len(ns) != 0 {
			t.Errorf("test_it_prunes: %d notifications left, want 0", len(ns))
		}
		if got := flipTimes(t, st, c); got[old] || !got[now.Add(-10*time.Minute)] {
			t.Errorf("test_it_prunes: flips %v; want the 93-day-old one gone, the recent one kept", got)
		}

		// test_it_does_not_prune_flips_less_than_93_days_old
		c = addCheck(t, st, f, nil)
		storeHistory(t, st, c, 101, []model.Ping{{N: 101, Created: now}},
			[]model.Flip{{Created: now.Add(-92 * day), OldStatus: "new", NewStatus: "down"}})
		if err := st.PrunePings(ctx, c.ID, 100); err != nil {
			t.Fatal(err)
		}
		if got := flipTimes(t, st, c); !got[now.Add(-92*day)] {
			t.Errorf("a 92-day-old flip was pruned: %v", got)
		}

		// test_it_does_not_prune_flips_newer_than_the_earliest_ping, also
		// with a flip older than 93 days but newer than that ping.
		c = addCheck(t, st, f, nil)
		storeHistory(t, st, c, 101, []model.Ping{{N: 100, Created: now.Add(-100 * day)}, {N: 101, Created: now}},
			[]model.Flip{{Created: now.Add(-95 * day), OldStatus: "new", NewStatus: "down"},
				{Created: now.Add(-92 * day), OldStatus: "down", NewStatus: "up"}})
		if err := st.PrunePings(ctx, c.ID, 100); err != nil {
			t.Fatal(err)
		}
		if got := flipTimes(t, st, c); !got[now.Add(-95*day)] || !got[now.Add(-92*day)] {
			t.Errorf("flips newer than the earliest ping were pruned: %v", got)
		}

		// Upstream prunes the history even when no ping is old enough to go
		// (n_pings <= ping_log_limit): a flip older than the oldest ping and
		// than 93 days goes.
		c = addCheck(t, st, f, nil)
		storeHistory(t, st, c, 2, []model.Ping{{N: 1, Created: now.Add(-50 * day)}, {N: 2, Created: now}},
			[]model.Flip{{Created: now.Add(-100 * day), OldStatus: "new", NewStatus: "paused"},
				{Created: now.Add(-50 * day), OldStatus: "paused", NewStatus: "up"}})
		if err := st.PrunePings(ctx, c.ID, 100); err != nil {
			t.Fatal(err)
		}
		if got := pingNumbers(t, st, c); len(got) != 2 {
			t.Errorf("pings %v, want both kept", got)
		}
		if got := flipTimes(t, st, c); got[now.Add(-100*day)] || !got[now.Add(-50*day)] {
			t.Errorf("flips %v; want the 100-day-old one gone, the 50-day-old one kept", got)
		}
	})
}
