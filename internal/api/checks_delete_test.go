package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
