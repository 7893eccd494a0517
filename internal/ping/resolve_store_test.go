package ping_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// countingStore is the real store, counting the lookups the hot path must
// skip once a UUID is cached.
type countingStore struct {
	*store.Store
	byCode atomic.Int64
}

func (c *countingStore) CheckByCode(ctx context.Context, code string) (model.Check, error) {
	c.byCode.Add(1)
	return c.Store.CheckByCode(ctx, code)
}

// TestResolverOnStore runs every outcome of Resolve and Record on each
// engine.
func TestResolverOnStore(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := t.Context()
			sw := startStoreWriter(t, st, nil)
			cs := &countingStore{Store: st}
			r := ping.NewResolver(cs, store.ErrNotFound, sw.w, ping.ResolverOptions{Room: checks.RoomFunc(st)})

			checks := createChecks(t, st, 3)
			proj, err := st.ProjectByID(ctx, checks[0].ProjectID)
			if err != nil {
				t.Fatal(err)
			}
			for i, slug := range []string{"one", "twin", "twin"} {
				checks[i].Slug = slug
				if err := st.UpdateCheck(ctx, &checks[i]); err != nil {
					t.Fatal(err)
				}
			}

			resolve := func(a ping.Address, create bool) ping.Resolution {
				t.Helper()
				res, err := r.Resolve(ctx, a, create)
				if err != nil {
					t.Fatalf("Resolve(%+v, %v): %v", a, create, err)
				}
				return res
			}
			want := func(res ping.Resolution, o ping.Outcome, id int64) {
				t.Helper()
				if res.Outcome != o || res.CheckID != id {
					t.Fatalf("got %v id %d, want %v id %d", res.Outcome, res.CheckID, o, id)
				}
			}

			// By UUID: the second resolve is served from the cache.
			want(resolve(ping.Address{Code: checks[0].Code}, false), ping.Found, checks[0].ID)
			want(resolve(ping.Address{Code: checks[0].Code}, false), ping.Found, checks[0].ID)
			if n := cs.byCode.Load(); n != 1 {
				t.Errorf("CheckByCode called %d times, want 1 (cached)", n)
			}
			want(resolve(ping.Address{Code: "00000000-0000-4000-8000-000000000000"}, false), ping.NotFound, 0)

			// By slug.
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: "one"}, false), ping.Found, checks[0].ID)
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: "twin"}, true), ping.Ambiguous, 0)
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: "none"}, false), ping.NotFound, 0)
			want(resolve(ping.Address{PingKey: "nosuchkeynosuchkeynosu", Slug: "none"}, true), ping.NotFound, 0)
			long := strings.Repeat("a", ping.MaxSlugLen+1)
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: long}, false), ping.NotFound, 0)
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: long}, true), ping.SlugTooLong, 0)

			// Create, then the new check is found.
			res := resolve(ping.Address{PingKey: proj.PingKey, Slug: "fresh"}, true)
			if res.Outcome != ping.Created || res.CheckID == 0 {
				t.Fatalf("create: %v id %d", res.Outcome, res.CheckID)
			}
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: "fresh"}, true), ping.Found, res.CheckID)
			if _, err := r.Record(ctx, res, ping.Event{Action: ping.ActionSuccess}); err != nil {
				t.Fatalf("record on the created check: %v", err)
			}

			// The check limit: twice the limit for auto-created checks.
			owner, err := st.UserByID(ctx, proj.OwnerID)
			if err != nil {
				t.Fatal(err)
			}
			owner.CheckLimit = 2 // 4 checks exist: exactly 2×limit
			if err := st.UpdateUser(ctx, &owner); err != nil {
				t.Fatal(err)
			}
			want(resolve(ping.Address{PingKey: proj.PingKey, Slug: "over"}, true), ping.LimitReached, 0)

			// Record, then a deleted check is forgotten by the cache.
			found := resolve(ping.Address{Code: checks[0].Code}, false)
			out, err := r.Record(ctx, found, ping.Event{Action: ping.ActionFail, Email: true, Subject: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if out.Ping.Kind != model.PingFail || out.Check.Status != model.StatusDown {
				t.Errorf("recorded kind %q status %q", out.Ping.Kind, out.Check.Status)
			}
			if err := st.DeleteCheck(ctx, checks[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Record(ctx, found, ping.Event{Action: ping.ActionSuccess}); !errors.Is(err, ping.ErrCheckGone) {
				t.Fatalf("record on a deleted check: %v, want ErrCheckGone", err)
			}
			want(resolve(ping.Address{Code: checks[0].Code}, false), ping.NotFound, 0)
			if _, err := r.Record(ctx, ping.Resolution{Outcome: ping.NotFound}, ping.Event{Action: ping.ActionSuccess}); err == nil {
				t.Error("Record of a NotFound resolution succeeded")
			}
		})
	}
}
