package ping_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestShardedWriterOnStore runs three writer shards against every engine
// (on SQLite they take turns on its one writer connection): no ping may be
// lost, doubled or written out of order, and PostgreSQL/MySQL must not
// deadlock.
func TestShardedWriterOnStore(t *testing.T) {
	const workers, each, nChecks = 32, 30, 8 // 120 pings per check
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t, engine)
			checks := createChecks(t, st, nChecks)
			if got, want := st.PingWriterShards(), map[string]int{"sqlite": 1, "postgres": 2, "mysql": 2}[engine]; got != want {
				t.Errorf("PingWriterShards = %d, want %d", got, want)
			}
			w := ping.NewWriter(st, ping.WriterOptions{
				Shards:     3,
				Now:        func() time.Time { return created.Add(time.Hour) },
				AlertAfter: ping.ScheduleAlertAfter(schedule.NewCache(0), nil),
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()

			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					for i := range each {
						c := checks[(g+i)%nChecks]
						if _, err := w.Submit(t.Context(), ping.Request{CheckID: c.ID, Event: ping.Event{Action: ping.ActionSuccess, Method: "GET"}}); err != nil {
							t.Errorf("Submit: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := int64(workers * each / nChecks)
			for _, c := range checks {
				got, err := st.CheckByID(t.Context(), c.ID)
				if err != nil {
					t.Fatal(err)
				}
				pings, err := st.ListPings(t.Context(), c.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got.NPings != want || int64(len(pings)) != want {
					t.Fatalf("check %d: n_pings %d, %d rows; want %d", c.ID, got.NPings, len(pings), want)
				}
				for i, p := range pings {
					if p.N != want-int64(i) {
						t.Fatalf("check %d: row %d has n %d", c.ID, i, p.N)
					}
				}
			}
		})
	}
}
