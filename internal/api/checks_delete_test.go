package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestAPIRateLimitPerMinute: with API_RATE_LIMIT=100 (the hosted service's
// figure) the 101st request of a key within the minute is refused with 429
// and a JSON error; with 0 nothing is refused. The clock is the test's.
func TestAPIRateLimitPerMinute(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 100)
	for i := range 100 {
		if r := e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.code, r.body)
		}
		e.now = e.now.Add(time.Millisecond)
	}
	r := e.do("GET", "/api/v3/checks/", apiRW, "")
	if r.code != 429 || r.hdr.Get("Content-Type") != "application/json" || r.body != `{"error": "rate limit exceeded"}` ||
		r.hdr.Get("Retry-After") != "1" {
		t.Errorf("101st request: %d %v %q", r.code, r.hdr, r.body)
	}
	// Every kind of request of that key counts, writes too.
	if r = e.do("POST", "/api/v3/checks/", apiRW, `{"name": "x"}`); r.code != 429 {
		t.Errorf("create over the limit: %d", r.code)
	}
	// The bucket refills at 100 per minute: one more request after 0.6 s.
	e.now = e.now.Add(600 * time.Millisecond)
	if r = e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
		t.Errorf("after 0.6 s: %d", r.code)
	}
	if r = e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 429 {
		t.Errorf("second request after 0.6 s: %d", r.code)
	}

	unlimited := newAPIEnv(t, "sqlite", 0)
	for i := range 1000 {
		if r := unlimited.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
			t.Fatalf("API_RATE_LIMIT=0, request %d: %d %s", i+1, r.code, r.body)
		}
	}
}

// TestAPIPingDurationLookBack: like upstream, a success or failure whose
// start ping lies before the listed page still gets its duration, looked
// up among the older pings (within 72 hours, and only when the latest older
// ping of that run is a start).
func TestAPIPingDurationLookBack(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testAPIPingDurationLookBack(t, engine)
		})
	}
}

func testAPIPingDurationLookBack(t *testing.T, engine string) {
	e := newAPIEnv(t, engine, 0)
	ctx := context.Background()
	e.owner.PingLogLimit = 5
	if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
		t.Fatal(err)
	}
	ridA, ridB, ridC := uuid.NewString(), uuid.NewString(), uuid.NewString()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := e.addCheck(nil)
	e.addPings(c, []model.Ping{
		// Before the page (the newest 5):
		{Kind: model.PingStart, RID: ridC, Created: t0.Add(-73 * time.Hour)},
		{Kind: model.PingStart, RID: ridA, Created: at(0)},
		{Kind: model.PingStart, Created: at(10)},
		{Kind: model.PingStart, RID: ridB, Created: at(20)},
		{Kind: model.PingSuccess, RID: ridB, Created: at(30)},
		// The page:
		{Kind: model.PingSuccess, RID: ridC, Created: at(100)}, // its start is 73 h old: none
		{Kind: model.PingSuccess, RID: ridA, Created: at(110)}, // 110 s after ping 2
		{Kind: model.PingFail, Created: at(130)},               // 120 s after ping 3 (no run id)
		{Kind: model.PingSuccess, RID: ridB, Created: at(140)}, // ping 5 ended run B: none
		{Kind: model.PingLog, RID: ridA, Created: at(150)},     // logs have none
	})
	got := pingDurations(t, e, c)
	want := "10:-, 9:-, 8:120.0, 7:110.0, 6:-"
	if got != want {
		t.Errorf("durations %s, want %s", got, want)
	}

	// Upstream's cut-off: with more than ten successes or failures to look
	// up, the page shows no durations at all, not even those paired on the
	// page; with ten it shows them.
	for _, misses := range []int{10, 11} {
		e.owner.PingLogLimit = misses + 2
		if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
			t.Fatal(err)
		}
		c := e.addCheck(nil)
		rid := uuid.NewString()
		pings := []model.Ping{{Kind: model.PingStart, RID: rid, Created: at(0)}, // before the page
			{Kind: model.PingStart, Created: at(1)}, {Kind: model.PingSuccess, Created: at(3)}}
		for i := range misses {
			pings = append(pings, model.Ping{Kind: model.PingSuccess, RID: rid, Created: at(10 + i)})
			rid = uuid.NewString()
		}
		e.addPings(c, pings)
		got := pingDurations(t, e, c)
		wantPaired := strings.Contains(got, "3:2.0")
		if wantPaired != (misses <= 10) || strings.Contains(got, "4:10.0") != (misses <= 10) {
			t.Errorf("%d look-ups: durations %s", misses, got)
		}
	}
}

// addPings stores pings numbered from 1 for c, oldest first.
func (e *apiEnv) addPings(c model.Check, pings []model.Ping) {
	e.t.Helper()
	for i := range pings {
		pings[i].CheckID, pings[i].N, pings[i].Scheme = c.ID, int64(i+1), "http"
	}
	err := e.st.ApplyPings(context.Background(), []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = int64(len(pings))
		return pings, nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// pingDurations lists the ping list's "n:duration" pairs, "-" for none.
func pingDurations(t *testing.T, e *apiEnv, c model.Check) string {
	t.Helper()
	r := e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
	if r.code != 200 {
		t.Fatalf("pings: %d %s", r.code, r.body)
	}
	var parts []string
	for _, p := range r.json(t)["pings"].([]any) {
		p := p.(map[string]any)
		d := "-"
		if v, ok := p["duration"]; ok {
			d = fmt.Sprintf("%.1f", v)
		}
		parts = append(parts, fmt.Sprintf("%v:%s", p["n"], d))
	}
	return strings.Join(parts, ", ")
}

// TestAPIDeleteRenamesFirst: DELETE checks/<uuid> renames the check before
// deleting it, as upstream, so that while a slow delete cascades (here held
// up by another transaction's lock on one of the check's flips) pings by
// UUID and by slug answer 404 at once instead of waiting on the check's row.
// It needs row locks, so it runs on PostgreSQL and MySQL/MariaDB.
func TestAPIDeleteRenamesFirst(t *testing.T) {
	t.Parallel()
	ran := false
	for _, engine := range storetest.Engines() {
		if engine == "sqlite" {
			continue // one writer: the lock below would hold up the rename too
		}
		ran = true
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testAPIDeleteRenamesFirst(t, engine)
		})
	}
	if !ran {
		t.Skip("needs OVERDUE_TEST_POSTGRES or OVERDUE_TEST_MYSQL")
	}
}

func testAPIDeleteRenamesFirst(t *testing.T, engine string) {
	ctx := context.Background()
	// Two stores on one database: the app's, and the locker's, whose
	// transaction holds a row the delete needs.
	stores := storetest.OpenShared(t, engine, 2)
	st, locker := stores[0], stores[1]
	cache := schedule.NewCache(10)
	app := apptest.New(t, apptest.Options{Store: st, NoServer: true, Writer: &ping.WriterOptions{AlertAfter: ping.ScheduleAlertAfter(cache, nil)},
		Surfaces: func(a *apptest.App) server.Surfaces {
			return server.Surfaces{Pings: api.NewPings(st, a.Writer, 10000, nil, nil), API: api.NewAPI(api.APIDeps{Store: st, SiteRoot: "http://hc.example", Cache: cache})}
		}})
	_, proj := newProject(t, st, func(p *model.Project) { p.APIKey = auth.HashAPIKey(apiRW) })
	c := app.AddCheck(proj.ID, time.Now(), func(c *model.Check) { c.Slug = "nightly" })
	now := time.Now().UTC()
	if _, err := st.EditCheckState(ctx, c.ID, func(c *model.Check) (*model.Flip, error) {
		return &model.Flip{Created: now, OldStatus: "new", NewStatus: "paused", Processed: &now}, nil
	}); err != nil {
		t.Fatal(err)
	}

	serve := func(method, path string) (int, string) {
		req := httptest.NewRequest(method, "http://hc.example"+path, nil)
		req.Header.Set("X-Api-Key", apiRW)
		rec := app.Record(req)
		return rec.Code, rec.Body.String()
	}

	// Another transaction holds a lock on the check's flip, so the delete's
	// cascade must wait for it.
	locked, release, lockDone := make(chan error, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		lockDone <- locker.WithTx(ctx, func(tx *store.Tx) error {
			var id int64
			err := tx.QueryRow(ctx, "SELECT id FROM flips WHERE check_id = ? FOR UPDATE", c.ID).Scan(&id)
			locked <- err
			<-release
			return err
		})
	}()
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	released := false
	releaseLock := func() {
		if !released {
			released = true
			close(release)
			if err := <-lockDone; err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(releaseLock)

	type answer struct {
		code int
		body string
	}
	deleted := make(chan answer, 1)
	go func() {
		code, body := serve("DELETE", "/api/v3/checks/"+c.Code)
		deleted <- answer{code, body}
	}()
	// The rename commits on its own: the UUID stops naming a check while
	// the delete still waits.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := st.CheckByCode(ctx, c.Code); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the check still has its UUID 10 s into the delete: it was not renamed first")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case a := <-deleted:
		t.Fatalf("the delete finished while its cascade was locked out: %d %s", a.code, a.body)
	default:
	}
	pinged := make(chan answer, 2)
	go func() {
		for _, p := range []string{"/ping/" + c.Code, "/ping/" + proj.PingKey + "/nightly"} {
			code, body := serve("POST", p)
			pinged <- answer{code, body}
		}
	}()
	for range 2 {
		select {
		case a := <-pinged:
			if a.code != 404 || a.body != "not found" {
				t.Errorf("ping during the delete: %d %q, want 404 not found", a.code, a.body)
			}
		// A ping that waits for the delete waits until releaseLock below,
		// so the bound decides nothing but when to report it; it is long
		// enough that a loaded machine's stall is not taken for a wait.
		case <-time.After(30 * time.Second):
			t.Fatal("a ping during the delete waited for it instead of answering 404")
		}
	}

	releaseLock()
	a := <-deleted
	if a.code != 200 || !strings.Contains(a.body, `"uuid": "`+c.Code+`"`) || !strings.Contains(a.body, `"slug": "nightly"`) {
		t.Errorf("delete: %d %s", a.code, a.body)
	}
	if _, err := st.CheckByID(ctx, c.ID); err == nil {
		t.Error("the check is still there")
	}
	// As upstream, deleting a check that is already gone is not an error.
	if err := st.RenameAndDeleteCheck(ctx, c.ID); err != nil {
		t.Errorf("delete again: %v", err)
	}
}
