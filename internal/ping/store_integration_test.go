package ping_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

var created = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func createChecks(t *testing.T, st *store.Store, n int) []model.Check {
	t.Helper()
	ctx := t.Context()
	u := model.User{Email: "ping-" + uuid.NewString() + "@example.org", Password: "x", PingLogLimit: 100, CheckLimit: 20, Created: created}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	p := model.Project{Code: uuid.NewString(), Name: "p", OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: created}
	if err := st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	checks := make([]model.Check, n)
	for i := range checks {
		checks[i] = model.NewCheck(p.ID, created)
		if i%2 == 1 {
			checks[i].Kind, checks[i].Schedule = model.KindCron, "*/5 * * * *"
		}
		if err := st.CreateCheck(ctx, &checks[i], false); err != nil {
			t.Fatal(err)
		}
	}
	return checks
}

// countingPruner counts finished prunes so a test can wait for them.
type countingPruner struct {
	st *store.Store
	n  atomic.Int64
}

func (c *countingPruner) PrunePings(ctx context.Context, id int64, keep int) error {
	defer c.n.Add(1)
	return c.st.PrunePings(ctx, id, keep)
}

type storeWriter struct {
	w       *ping.Writer
	prunes  *countingPruner
	batches atomic.Int64
}

// startStoreWriter runs a Writer (and a Pruner fed by it) on st until the
// test ends.
func startStoreWriter(t *testing.T, st *store.Store, clock func() time.Time) *storeWriter {
	t.Helper()
	sw := &storeWriter{prunes: &countingPruner{st: st}}
	pr := ping.NewPruner(sw.prunes, ping.PrunerOptions{})
	w := ping.NewWriter(st, ping.WriterOptions{
		Now:        clock,
		AlertAfter: ping.ScheduleAlertAfter(schedule.NewCache(0), nil),
		OnCommit: func(rs []ping.Result) {
			sw.batches.Add(1)
			pr.Observe(rs)
		},
	})
	sw.w = w
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.Run(ctx); err != nil {
			t.Errorf("writer: %v", err)
		}
	})
	wg.Go(func() {
		if err := pr.Run(ctx); err != nil {
			t.Errorf("pruner: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return sw
}

// TestWriterOnStore hammers every engine with concurrent pings and checks
// that nothing is lost or doubled.
func TestWriterOnStore(t *testing.T) {
	if testing.Short() {
		t.Skip("writes thousands of pings")
	}
	const workers, each, nChecks = 64, 50, 4
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			checks := createChecks(t, st, nChecks)
			var mu sync.Mutex
			// Recent times: pruning also drops flips older than 93 days
			// (upstream's retention), and this test counts the flips.
			tick := time.Now().UTC().Truncate(time.Second)
			clock := func() time.Time { // a second per batch, whatever the machine's speed
				mu.Lock()
				defer mu.Unlock()
				tick = tick.Add(time.Second)
				return tick
			}
			sw := startStoreWriter(t, st, clock)
			w := sw.w

			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for g := range workers {
				wg.Go(func() {
					for i := range each {
						c := checks[(g+i)%nChecks]
						rid := uuid.NewString()
						for _, a := range []ping.Action{ping.ActionStart, ping.ActionSuccess} {
							if i%2 == 1 && a == ping.ActionStart {
								continue // half of the runs send no /start
							}
							ev := ping.Event{Action: a, RID: rid, Method: "POST", Scheme: "http", RemoteAddr: "192.0.2.9", Body: []byte("ok")}
							if _, err := w.Submit(t.Context(), ping.Request{CheckID: c.ID, Event: ev}); err != nil {
								errs <- fmt.Errorf("check %d: %w", c.ID, err)
								return
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}

			// 64×50 runs spread evenly, 3 pings per two runs.
			wantN := int64(workers * each / nChecks * 3 / 2)
			t.Logf("%d pings in %d transactions", wantN*nChecks, sw.batches.Load())
			// Every check crossed wantN/100 multiples of 100; the pruner
			// works in the background, so wait for it (the test timeout
			// bounds this if a prune were lost).
			for sw.prunes.n.Load() < wantN/100*nChecks {
				time.Sleep(time.Millisecond)
			}
			for _, c := range checks {
				got, err := st.CheckByID(t.Context(), c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.NPings != wantN || got.Status != model.StatusUp || got.LastPing == nil || got.AlertAfter == nil {
					t.Errorf("check %d: n_pings %d status %q last_ping %v alert_after %v, want %d, up, set, set",
						c.ID, got.NPings, got.Status, got.LastPing, got.AlertAfter, wantN)
				}
				pings, err := st.ListPings(t.Context(), c.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				// wantN is a multiple of 100, so the last prune left exactly
				// the newest 100.
				if len(pings) != 100 {
					t.Errorf("check %d: %d ping rows after pruning, want 100", c.ID, len(pings))
				}
				for i, p := range pings {
					if p.N != wantN-int64(i) {
						t.Fatalf("check %d: ping row %d has n %d, want %d", c.ID, i, p.N, wantN-int64(i))
					}
				}
				flips, err := st.ListFlips(t.Context(), c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(flips) != 1 || flips[0].OldStatus != model.StatusNew || flips[0].NewStatus != model.StatusUp {
					t.Errorf("check %d: flips %+v, want one new->up", c.ID, flips)
				}
			}
		})
	}
}

func TestWriterOnStoreDeletedCheck(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			checks := createChecks(t, st, 2)
			w := startStoreWriter(t, st, func() time.Time { return created.Add(time.Minute) }).w
			if err := st.DeleteCheck(t.Context(), checks[0].ID); err != nil {
				t.Fatal(err)
			}
			_, err := w.Submit(t.Context(), ping.Request{CheckID: checks[0].ID, Event: ping.Event{Action: ping.ActionFail}})
			if !errors.Is(err, ping.ErrCheckGone) {
				t.Errorf("ping of a deleted check: %v, want ErrCheckGone", err)
			}
			exit := 3
			res, err := w.Submit(t.Context(), ping.Request{CheckID: checks[1].ID, Event: ping.Event{Action: ping.ActionSuccess, ExitStatus: &exit}})
			if err != nil || res.Flip == nil || res.Flip.Reason != "fail" {
				t.Fatalf("exit status 3: err %v flip %+v", err, res.Flip)
			}
			pings, err := st.ListPings(t.Context(), checks[1].ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(pings) != 1 || pings[0].Kind != model.PingFail || pings[0].ExitStatus == nil || *pings[0].ExitStatus != 3 {
				t.Errorf("stored %+v, want one fail ping with exit status 3", pings)
			}
		})
	}
}

// BenchmarkWriterSQLite is the end-to-end cost of a ping on the default
// engine: 64 concurrent submitters, group commit, real transactions.
func BenchmarkWriterSQLite(b *testing.B) {
	st := storetest.Open(b, "sqlite")
	ctx := context.Background()
	u := model.User{Email: "bench@example.org", Password: "x", PingLogLimit: 100, CheckLimit: 20, Created: created}
	if err := st.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	p := model.Project{Code: uuid.NewString(), Name: "p", OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: created}
	if err := st.CreateProject(ctx, &p); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 16)
	for i := range ids {
		c := model.NewCheck(p.ID, created)
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	var batches atomic.Int64
	w := ping.NewWriter(st, ping.WriterOptions{
		AlertAfter: ping.ScheduleAlertAfter(schedule.NewCache(0), nil),
		OnCommit:   func([]ping.Result) { batches.Add(1) },
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ev := ping.Event{Action: ping.ActionSuccess, Method: "POST", Body: []byte("ok")}
		i := 0
		for pb.Next() {
			i++
			if _, err := w.Submit(ctx, ping.Request{CheckID: ids[i%len(ids)], Event: ev}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/float64(max(batches.Load(), 1)), "pings/tx")
}
