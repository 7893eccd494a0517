package retention_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/retention"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

const day = 24 * time.Hour

// now is a year ahead of the real clock, which stamps the notifications the
// store queues: every delivered one is then older than every ping.
var now = time.Now().UTC().Truncate(time.Second).Add(365 * day)

type env struct {
	t  *testing.T
	st *store.Store
	p  model.Project
	ch model.Channel
}

func newEnv(t *testing.T, engine string, pingLogLimit int) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, engine)
	u := model.User{Email: "alice@example.org", PingLogLimit: pingLogLimit, CheckLimit: 100}
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "P", PingKey: "pk-0000000000000000000001", BadgeKey: "bk"}
	if err := st.CreateAccount(ctx, &u, &p); err != nil {
		t.Fatal(err)
	}
	// Alice uses her account: the sweeps must not prune it as never used.
	if err := st.SetLastLogin(ctx, u.ID, now.Add(-400*day)); err != nil {
		t.Fatal(err)
	}
	ch := model.Channel{Code: "dddddddd-0000-4000-8000-000000000001", ProjectID: p.ID, Kind: "webhook",
		Value: `{"method_down": "GET", "url_down": "https://example.org/down", "method_up": "GET", "url_up": "https://example.org/up"}`}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	return &env{t, st, p, ch}
}

// check makes a check with the channel, nPings pings numbered
// nPings-count+1..nPings (the newest created at now, one minute apart) and
// the flips given.
func (e *env) check(i, nPings, count int, flips []model.Flip) model.Check {
	e.t.Helper()
	ctx := context.Background()
	c := model.NewCheck(e.p.ID, now.Add(-400*day))
	c.Code = fmt.Sprintf("cccccccc-0000-4000-8000-%012d", i)
	if err := e.st.CreateCheck(ctx, &c, true); err != nil {
		e.t.Fatal(err)
	}
	var pings []model.Ping
	for n := nPings - count + 1; n <= nPings; n++ {
		pings = append(pings, model.Ping{CheckID: c.ID, N: int64(n), Created: now.Add(-time.Duration(nPings-n) * time.Minute), Scheme: "http", Kind: model.PingSuccess})
	}
	for i := range flips {
		flips[i].CheckID = c.ID
	}
	// Several transactions: one statement has a bounded number of rows.
	for len(pings) > 0 || len(flips) > 0 {
		batch := pings[:min(500, len(pings))]
		pings = pings[len(batch):]
		fl := flips
		flips = nil
		err := e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			m[c.ID].NPings = int64(nPings)
			if len(fl) > 0 {
				m[c.ID].Status = fl[len(fl)-1].NewStatus
			}
			return batch, fl, nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return c
}

// deliverAll marks every queued notification sent.
func (e *env) deliverAll() {
	e.t.Helper()
	ctx := context.Background()
	claims, err := e.st.ClaimNotifications(ctx, now.Add(time.Hour), time.Minute, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var results []store.SendResult
	for _, cl := range claims {
		results = append(results, store.SendResult{NotificationID: cl.Notification.ID, Attempt: cl.Notification.Attempts, ChannelID: cl.Channel.ID, Started: now})
	}
	if _, err := e.st.RecordResults(ctx, results); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) counts(c model.Check) (pings, flips, notifications int, minN int64) {
	e.t.Helper()
	ctx := context.Background()
	ps, err := e.st.ListPings(ctx, c.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	fs, err := e.st.ListFlips(ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	ns, err := e.st.ListNotifications(ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	minN = -1
	if len(ps) > 0 {
		minN = ps[len(ps)-1].N
	}
	return len(ps), len(fs), len(ns), minN
}

func sweeper(st *store.Store) *retention.Sweeper {
	return retention.New(retention.Options{Store: st, Clock: alerts.NewFakeClock(now), Page: 2, Pause: -1})
}

// One sweep applies upstream's retention to every check: pings down to the
// owner's limit (also a backlog larger than one delete batch), then
// delivered notifications older than the oldest ping left, flips older than
// that ping and 93 days, expired sessions and login links. A second sweep
// finds nothing. Checks that never pinged keep their history.
func TestSweep(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, engine, 10)
			old := []model.Flip{
				{Created: now.Add(-100 * day), OldStatus: "new", NewStatus: "down", Reason: "fail"},
				{Created: now.Add(-99 * day), OldStatus: "down", NewStatus: "up"},
			}
			recent := func() []model.Flip {
				return []model.Flip{{Created: now.Add(-5 * day), OldStatus: "up", NewStatus: "down"}, {Created: now.Add(-time.Hour), OldStatus: "down", NewStatus: "up"}}
			}
			backlog := e.check(1, 2600, 2600, append(append([]model.Flip{}, old...), recent()...)) // 2590 pings to go, over two batches
			within := e.check(2, 8, 8, recent())                                                   // under the limit: nothing goes
			silent := e.check(3, 0, 0, append([]model.Flip{}, old...))                             // no pings: keeps its old flips
			for i := 4; i <= 6; i++ {                                                              // more candidates than one page
				e.check(i, 30, 30, nil)
			}
			e.deliverAll()
			// One notification still queued: never pruned, however old.
			queued := e.check(7, 20, 20, []model.Flip{{Created: now.Add(-200 * day), OldStatus: "up", NewStatus: "down"}})

			for _, s := range []struct {
				token   string
				expires time.Time
			}{{"expired", now.Add(-time.Second)}, {"live", now.Add(day)}} {
				if err := e.st.CreateSession(ctx, "session-"+s.token, e.p.OwnerID, now.Add(-30*day), s.expires); err != nil {
					t.Fatal(err)
				}
				if err := e.st.CreateLoginToken(ctx, "login-"+s.token, e.p.OwnerID, s.expires); err != nil {
					t.Fatal(err)
				}
			}

			r, err := sweeper(e.st).Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.Pings != 2590+3*20+10 || r.Sessions != 1 || r.LoginTokens != 1 || r.Flips != 3 || r.Notifications != 6 {
				t.Errorf("first sweep: %+v", r)
			}
			for _, tc := range []struct {
				name                 string
				c                    model.Check
				pings, flips, notifs int
				minN                 int64
			}{
				{"backlog", backlog, 10, 2, 0, 2591}, // the 100-day flips are gone
				{"within the limit", within, 8, 2, 0, 1},
				{"silent", silent, 0, 2, 2, -1},
				{"queued", queued, 10, 0, 1, 11},
			} {
				p, f, n, minN := e.counts(tc.c)
				if p != tc.pings || f != tc.flips || n != tc.notifs || minN != tc.minN {
					t.Errorf("%s: %d pings from n=%d, %d flips, %d notifications; want %d from %d, %d, %d", tc.name, p, minN, f, n, tc.pings, tc.minN, tc.flips, tc.notifs)
				}
			}
			if _, _, err := e.st.SessionUser(ctx, "session-live", now); err != nil {
				t.Errorf("live session pruned: %v", err)
			}
			if _, err := e.st.UseLoginToken(ctx, "login-live", now); err != nil {
				t.Errorf("live login link pruned: %v", err)
			}

			r, err = sweeper(e.st).Sweep(ctx)
			if err != nil || r != (retention.Result{}) {
				t.Errorf("second sweep: %+v, %v", r, err)
			}
		})
	}
}

// Run sweeps at once and then every hour of its clock.
func TestRunSweepsHourly(t *testing.T) {
	e := newEnv(t, "sqlite", 10)
	clock := alerts.NewFakeClock(now)
	s := retention.New(retention.Options{Store: e.st, Clock: clock, Pause: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-clock.Sleepers() // the first sweep is done
	c := e.check(1, 50, 50, nil)
	clock.Advance(59 * time.Minute)
	if p, _, _, _ := e.counts(c); p != 50 {
		t.Errorf("swept before the hour: %d pings", p)
	}
	clock.Advance(time.Minute)
	<-clock.Sleepers()
	if p, _, _, _ := e.counts(c); p != 10 {
		t.Errorf("after the hour: %d pings, want 10", p)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run: %v", err)
	}
}

func TestResultString(t *testing.T) {
	got := retention.Result{Pings: 1, Notifications: 2, Flips: 0, Sessions: 1, LoginTokens: 3, Users: 1}.String()
	want := "Pruned 1 ping, 2 notifications, 0 flips, 1 expired session, 3 expired login links and 1 never-logged-in account."
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Upstream's pruneusers: an account that joined more than 30 days ago,
// never logged in and is in no team goes, with its projects; everything
// else stays. Overdue also keeps superusers and owners of checks (accounts
// made by the CLI for API use). Five stale accounts with pages of two show
// that the sweep pages through them.
func TestPruneStaleUsers(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, engine, 10)
			cutoff := now.Add(-retention.StaleAccountAge)
			type account struct {
				name      string
				joined    time.Time
				lastLogin *time.Time
				superuser bool
				member    bool // of alice's project
				check     bool // owns a check
				pruned    bool
			}
			loggedIn := now.Add(-90 * day)
			accounts := []account{
				{name: "stale1", joined: cutoff.Add(-time.Second), pruned: true},
				{name: "stale2", joined: now.Add(-400 * day), pruned: true},
				{name: "stale3", joined: now.Add(-31 * day), pruned: true},
				{name: "stale4", joined: now.Add(-31 * day), pruned: true},
				{name: "stale5", joined: now.Add(-31 * day), pruned: true},
				{name: "exactly30days", joined: cutoff},
				{name: "new", joined: now.Add(-29 * day)},
				{name: "loggedin", joined: now.Add(-400 * day), lastLogin: &loggedIn},
				{name: "member", joined: now.Add(-400 * day), member: true},
				{name: "checkowner", joined: now.Add(-400 * day), check: true},
				{name: "superuser", joined: now.Add(-400 * day), superuser: true},
			}
			ids := map[string]int64{}
			projects := map[string]string{}
			for i, a := range accounts {
				u := model.User{Email: a.name + "@example.org", Created: a.joined, IsSuperuser: a.superuser, PingLogLimit: 100, CheckLimit: 20}
				p := model.Project{Code: fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i), Name: a.name}
				if err := e.st.CreateAccount(ctx, &u, &p); err != nil {
					t.Fatal(err)
				}
				ids[a.name], projects[a.name] = u.ID, p.Code
				if a.lastLogin != nil {
					if err := e.st.SetLastLogin(ctx, u.ID, *a.lastLogin); err != nil {
						t.Fatal(err)
					}
				}
				if a.member {
					if err := e.st.AddMember(ctx, e.p.ID, u.ID, model.RoleMember, now.Add(-300*day)); err != nil {
						t.Fatal(err)
					}
				}
				if a.check {
					c := model.NewCheck(p.ID, now.Add(-300*day))
					c.Code = fmt.Sprintf("cccccccc-1111-4000-8000-%012d", i)
					if err := e.st.CreateCheck(ctx, &c, false); err != nil {
						t.Fatal(err)
					}
				}
			}
			r, err := sweeper(e.st).Sweep(ctx)
			if err != nil || r.Users != 5 {
				t.Fatalf("sweep: %+v, %v; want 5 users", r, err)
			}
			for _, a := range accounts {
				_, err := e.st.UserByID(ctx, ids[a.name])
				_, perr := e.st.ProjectByCode(ctx, projects[a.name])
				if gone := errors.Is(err, store.ErrNotFound); gone != a.pruned || errors.Is(perr, store.ErrNotFound) != a.pruned {
					t.Errorf("%s: user %v, project %v; pruned %v", a.name, err, perr, a.pruned)
				}
			}
			if _, err := e.st.UserByID(ctx, e.p.OwnerID); err != nil {
				t.Errorf("alice: %v", err)
			}
			if r, err := sweeper(e.st).Sweep(ctx); err != nil || r != (retention.Result{}) {
				t.Errorf("second sweep: %+v, %v", r, err)
			}

			// A log-in between the listing and the delete keeps the account:
			// the delete tests the condition again.
			u := model.User{Email: "late@example.org", Created: now.Add(-40 * day), PingLogLimit: 100, CheckLimit: 20}
			if err := e.st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			stale, err := e.st.StaleUsers(ctx, cutoff, 0, 10)
			if err != nil || !slices.Equal(stale, []int64{u.ID}) {
				t.Fatalf("stale users: %v, %v; want [%d]", stale, err, u.ID)
			}
			if err := e.st.SetLastLogin(ctx, u.ID, now); err != nil {
				t.Fatal(err)
			}
			if deleted, err := e.st.PruneStaleUser(ctx, u.ID, cutoff); err != nil || deleted {
				t.Errorf("prune after a log-in: %v, %v", deleted, err)
			}
			if at, err := e.st.LastLogin(ctx, u.ID); err != nil || at == nil || !at.Equal(now) {
				t.Errorf("last log-in: %v, %v; want %v", at, err, now)
			}
		})
	}
}
