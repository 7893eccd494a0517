package ping_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// slugCountingStore counts the slug lookups that a cached slug address
// must skip.
type slugCountingStore struct {
	*store.Store
	lookups atomic.Int64
}

func (c *slugCountingStore) ChecksBySlug(ctx context.Context, projectID int64, slug string) ([]model.Check, error) {
	c.lookups.Add(1)
	return c.Store.ChecksBySlug(ctx, projectID, slug)
}

// instance is one Overdue process's ingest path: its own store handle,
// writer and resolver (with its caches) over a database shared with others.
type instance struct {
	st  *slugCountingStore
	res *ping.Resolver
}

func newInstance(t *testing.T, cfg store.Config, clock func() time.Time) *instance {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := ping.NewWriter(st, ping.WriterOptions{Now: clock, AlertAfter: ping.ScheduleAlertAfter(schedule.NewCache(0), nil)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("writer: %v", err)
		}
	})
	cs := &slugCountingStore{Store: st}
	return &instance{st: cs, res: ping.NewResolver(cs, store.ErrNotFound, w, ping.ResolverOptions{Now: clock, Room: checks.RoomFunc(st)})}
}

// ping resolves and records one ping the way the HTTP handler does, and
// returns the final outcome and the id of the check that got the ping (0
// when none did).
func (in *instance) ping(t *testing.T, key, slug string, create bool) (ping.Outcome, int64) {
	t.Helper()
	ctx := t.Context()
	res, err := in.res.Resolve(ctx, ping.Address{PingKey: key, Slug: slug}, create)
	if err != nil {
		t.Fatalf("Resolve(%s/%s): %v", key, slug, err)
	}
	if res.Outcome != ping.Found && res.Outcome != ping.Created {
		return res.Outcome, 0
	}
	o, out, err := in.res.RecordOutcome(ctx, res, ping.Event{Action: ping.ActionSuccess})
	switch {
	case err == nil:
		if out.Check.ID == 0 {
			t.Fatalf("RecordOutcome(%s/%s) = %v without a check", key, slug, o)
		}
		return o, out.Check.ID
	case errors.Is(err, ping.ErrAmbiguous):
		if o != ping.Ambiguous {
			t.Errorf("RecordOutcome(%s/%s): ErrAmbiguous with outcome %v", key, slug, o)
		}
		return o, 0
	case errors.Is(err, ping.ErrCheckGone):
		if o != ping.NotFound && o != ping.LimitReached && o != ping.Found {
			t.Errorf("RecordOutcome(%s/%s): ErrCheckGone with outcome %v", key, slug, o)
		}
		return ping.NotFound, 0
	default:
		t.Fatalf("RecordOutcome(%s/%s): %v", key, slug, err)
		return 0, 0
	}
}

// TestSlugCacheAcrossInstances: instance B caches a slug address; instance
// A (another process on the same database) then changes what the address
// names. B's next ping must get the answer an uncached lookup gives at that
// moment, with no waiting: the writer verifies the cached mapping in the
// ping's transaction and refuses it when stale. Runs on every engine; a
// SQLite file shared by two handles stands for two processes on one host.
func TestSlugCacheAcrossInstances(t *testing.T) {
	clock := func() time.Time { return created }
	cases := []struct {
		name   string
		change func(t *testing.T, st *store.Store, w *world) // on instance A
		key    func(w *world) string                         // nil: the project's key as it was
		slug   string
		create bool
		want   ping.Outcome
		wantID func(w *world) int64 // the check that gets the ping; nil: none, or a new one for Created
	}{
		{name: "no change: cache hit", change: func(*testing.T, *store.Store, *world) {},
			slug: "a", want: ping.Found, wantID: func(w *world) int64 { return w.x.ID }},
		{name: "rename away", change: setSlug(func(w *world) *model.Check { return &w.x }, "renamed"),
			slug: "a", want: ping.NotFound},
		{name: "rename away, create=1", change: setSlug(func(w *world) *model.Check { return &w.x }, "renamed"),
			slug: "a", create: true, want: ping.Created},
		{name: "slug moves to another check", change: func(t *testing.T, st *store.Store, w *world) {
			setSlug(func(w *world) *model.Check { return &w.x }, "old")(t, st, w)
			setSlug(func(w *world) *model.Check { return &w.y }, "a")(t, st, w)
		}, slug: "a", want: ping.Found, wantID: func(w *world) int64 { return w.y.ID }},
		{name: "second check given the slug", change: setSlug(func(w *world) *model.Check { return &w.y }, "a"),
			slug: "a", want: ping.Ambiguous},
		{name: "new check created with the slug", change: func(t *testing.T, st *store.Store, w *world) {
			c := model.NewCheck(w.proj.ID, created)
			c.Slug = "a"
			if err := st.CreateCheck(t.Context(), &c, false); err != nil {
				t.Fatal(err)
			}
		}, slug: "a", want: ping.Ambiguous},
		{name: "check deleted", change: func(t *testing.T, st *store.Store, w *world) {
			if err := st.DeleteCheck(t.Context(), w.x.ID); err != nil {
				t.Fatal(err)
			}
		}, slug: "a", want: ping.NotFound},
		{name: "check deleted, create=1", change: func(t *testing.T, st *store.Store, w *world) {
			if err := st.DeleteCheck(t.Context(), w.x.ID); err != nil {
				t.Fatal(err)
			}
		}, slug: "a", create: true, want: ping.Created},
		{name: "ping key rotated: old key", change: rotateKey, slug: "a", want: ping.NotFound},
		{name: "ping key rotated: new key", change: rotateKey, key: func(w *world) string { return w.proj.PingKey },
			slug: "a", want: ping.Found, wantID: func(w *world) int64 { return w.x.ID }},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg := storetest.NewDatabase(t, engine)
			a := newInstance(t, cfg, clock)
			b := newInstance(t, cfg, clock)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					checks := createChecks(t, a.st.Store, 2)
					w := &world{x: checks[0], y: checks[1]}
					proj, err := a.st.ProjectByID(t.Context(), w.x.ProjectID)
					if err != nil {
						t.Fatal(err)
					}
					w.proj = proj
					setSlug(func(w *world) *model.Check { return &w.x }, "a")(t, a.st.Store, w)
					setSlug(func(w *world) *model.Check { return &w.y }, "b")(t, a.st.Store, w)
					oldKey := w.proj.PingKey

					// Warm B's cache; a second ping is answered from it.
					if o, id := b.ping(t, oldKey, "a", false); o != ping.Found || id != w.x.ID {
						t.Fatalf("warm-up ping = %v on %d, want found on %d", o, id, w.x.ID)
					}
					before := b.st.lookups.Load()
					if o, id := b.ping(t, oldKey, "a", false); o != ping.Found || id != w.x.ID {
						t.Fatalf("cached ping = %v on %d, want found on %d", o, id, w.x.ID)
					}
					if n := b.st.lookups.Load() - before; n != 0 {
						t.Fatalf("cached ping made %d slug lookups, want 0", n)
					}
					pingsBefore := nPings(t, a.st.Store, w.x.ID)

					tc.change(t, a.st.Store, w)
					key := oldKey
					if tc.key != nil {
						key = tc.key(w)
					}
					o, id := b.ping(t, key, tc.slug, tc.create)
					if o != tc.want {
						t.Fatalf("ping after the change = %v, want %v", o, tc.want)
					}
					switch {
					case tc.wantID != nil:
						if id != tc.wantID(w) {
							t.Errorf("ping went to check %d, want %d", id, tc.wantID(w))
						}
					case tc.want == ping.Created:
						if id == 0 || id == w.x.ID || id == w.y.ID {
							t.Errorf("ping went to check %d, want a new one", id)
						}
					case id != 0:
						t.Errorf("ping went to check %d, want none", id)
					}
					// The stale mapping wrote nothing to the check it named.
					if tc.wantID == nil || tc.wantID(w) != w.x.ID {
						if got := nPings(t, a.st.Store, w.x.ID); got != pingsBefore && got != -1 {
							t.Errorf("check x has %d pings after the change, want %d (the stale mapping wrote one)", got, pingsBefore)
						}
					}
					// A's own resolver, which never cached the address, agrees.
					if o2, _ := a.ping(t, key, tc.slug, false); tc.want != ping.Created && o2 != tc.want {
						t.Errorf("uncached instance A answers %v, B answered %v", o2, tc.want)
					}
				})
			}
		})
	}
}

// world is what each case of TestSlugCacheAcrossInstances starts from.
type world struct {
	proj model.Project
	x, y model.Check // slugs "a" and "b"
}

func setSlug(pick func(*world) *model.Check, slug string) func(*testing.T, *store.Store, *world) {
	return func(t *testing.T, st *store.Store, w *world) {
		t.Helper()
		// Re-read first: UpdateCheck writes every field, n_pings too.
		fresh, err := st.CheckByID(t.Context(), pick(w).ID)
		if err != nil {
			t.Fatal(err)
		}
		fresh.Slug = slug
		if err := st.UpdateCheck(t.Context(), &fresh); err != nil {
			t.Fatal(err)
		}
		*pick(w) = fresh
	}
}

func rotateKey(t *testing.T, st *store.Store, w *world) {
	t.Helper()
	w.proj.PingKey = uuid.NewString()[:22]
	if err := st.UpdateProject(t.Context(), &w.proj); err != nil {
		t.Fatal(err)
	}
}

// nPings is the check's n_pings, or -1 when it is gone.
func nPings(t *testing.T, st *store.Store, id int64) int64 {
	t.Helper()
	c, err := st.CheckByID(t.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.NPings
}
