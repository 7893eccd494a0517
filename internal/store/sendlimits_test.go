package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestSendQuota(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		// A new account gets upstream's no-payments limits.
		for _, kind := range []model.LimitKind{model.LimitSMS, model.LimitCall} {
			q, err := st.SendQuota(ctx, f.user.ID, kind)
			if err != nil || q.Limit != model.DefaultSendLimit || q.Sent != 0 || q.Last != nil {
				t.Fatalf("%s quota of a new user: %+v %v", kind, q, err)
			}
		}
		member := model.User{Email: "bob@example.org", Password: "x", Created: t0}
		if err := st.CreateUser(ctx, &member); err != nil {
			t.Fatal(err)
		}
		if err := st.AddMember(ctx, f.project.ID, member.ID, model.RoleMember, t0); err != nil {
			t.Fatal(err)
		}
		last := t0us().Add(-time.Hour) // same month as t0
		if err := st.SetSendQuota(ctx, f.user.ID, model.LimitSMS, model.SendQuota{Limit: 2, Sent: 1, Last: &last}); err != nil {
			t.Fatal(err)
		}
		g, err := st.AuthorizeSend(ctx, f.project.ID, model.LimitSMS, t0)
		if err != nil || !g.Allowed || g.Limit != 2 || g.OwnerEmail != f.user.Email {
			t.Fatalf("second SMS of the month: %+v %v", g, err)
		}
		q, _ := st.SendQuota(ctx, f.user.ID, model.LimitSMS)
		if q.Sent != 2 || q.Last == nil || !q.Last.Equal(t0us()) {
			t.Fatalf("after a send: %+v", q)
		}
		g, err = st.AuthorizeSend(ctx, f.project.ID, model.LimitSMS, t0.Add(time.Second))
		if err != nil || g.Allowed || g.Limit != 2 || !slices.Equal(g.Team, []string{f.user.Email, "bob@example.org"}) {
			t.Fatalf("third SMS of the month: %+v %v", g, err)
		}
		if q2, _ := st.SendQuota(ctx, f.user.ID, model.LimitSMS); q2.Sent != 2 || !q2.Last.Equal(*q.Last) {
			t.Errorf("a refusal changed the counter: %+v", q2)
		}
		// Calls count apart from messages.
		if g, err := st.AuthorizeSend(ctx, f.project.ID, model.LimitCall, t0); err != nil || !g.Allowed {
			t.Errorf("a call while SMS are used up: %+v %v", g, err)
		}
		// Next month starts again.
		next := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		if g, err := st.AuthorizeSend(ctx, f.project.ID, model.LimitSMS, next); err != nil || !g.Allowed {
			t.Errorf("first SMS of April: %+v %v", g, err)
		}
		if q, _ := st.SendQuota(ctx, f.user.ID, model.LimitSMS); q.Sent != 1 || !q.Last.Equal(next) {
			t.Errorf("April's counter: %+v", q)
		}
		if _, err := st.AuthorizeSend(ctx, 999999, model.LimitSMS, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown project: %v", err)
		}
		if _, err := st.AuthorizeSend(ctx, f.project.ID, "fax", t0); err == nil {
			t.Error("an unknown kind was accepted")
		}
		if err := st.SetSendQuota(ctx, f.user.ID, model.LimitCall, model.SendQuota{Limit: -1}); err == nil {
			t.Error("a negative limit was stored")
		}
	})
}

// TestSendQuotaRace: two instances on one database, each with several
// workers, ask for more sends than the limit allows at once. Exactly the
// limit's worth is granted, and the stored count says so.
func TestSendQuotaRace(t *testing.T) {
	const limit, instances, workers, asks = 5, 2, 3, 3 // 18 asks for 5 sends
	for _, e := range storetest.Engines() {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			stores := storetest.OpenShared(t, e, instances)
			f := newFixture(t, stores[0])
			if err := stores[0].SetSendQuota(ctx, f.user.ID, model.LimitCall, model.SendQuota{Limit: limit}); err != nil {
				t.Fatal(err)
			}
			var (
				mu      sync.Mutex
				granted int
				wg      sync.WaitGroup
				start   = make(chan struct{})
			)
			for _, st := range stores {
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						for range asks {
							g, err := st.AuthorizeSend(ctx, f.project.ID, model.LimitCall, t0)
							if err != nil {
								t.Error(err)
								return
							}
							if g.Allowed {
								mu.Lock()
								granted++
								mu.Unlock()
							}
						}
					}()
				}
			}
			close(start)
			wg.Wait()
			q, err := stores[1].SendQuota(ctx, f.user.ID, model.LimitCall)
			if granted != limit || err != nil || q.Sent != limit {
				t.Errorf("granted %d sends, counter %+v (%v); want exactly %d", granted, q, err, limit)
			}
		})
	}
}
