package alerts_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// hitCounter is a webhook endpoint that counts deliveries per check.
type hitCounter struct {
	mu    sync.Mutex
	hits  map[string]int
	total int
	all   chan struct{} // closed once want distinct checks were hit
	want  int
}

func newHitCounter(want int) *hitCounter {
	return &hitCounter{hits: map[string]int{}, all: make(chan struct{}), want: want}
}

func (h *hitCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.hits[string(body)]++
	h.total++
	if len(h.hits) == h.want && h.hits[string(body)] == 1 {
		close(h.all)
	}
	h.mu.Unlock()
}

// postTransport sends the check's code to url over a real socket: a
// stand-in for the webhook integration with a fixed request shape, so the
// test counts deliveries exactly.
func postTransport(url string) notify.Transport {
	client := &http.Client{Timeout: 10 * time.Second}
	return notify.TransportFunc(func(ctx context.Context, m *notify.Message) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(m.Check.Code))
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return notify.Fail("Connection failed")
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return notify.Fail("Received status code " + resp.Status)
		}
		return nil
	})
}

// Three engines (each with its own dispatcher and connection pool) share
// one database; 500 checks go down at the same instant. Every check must get
// exactly one flip and every notification must be delivered; deliveries
// beyond one per check are duplicates, reported, and (without a crash)
// there must be none.
func TestSeveralEnginesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("several engines: skipped with -short")
	}
	for _, engine := range storetest.Engines() {
		if engine == "sqlite" {
			continue // several instances share only PostgreSQL or MySQL
		}
		t.Run(engine, func(t *testing.T) {
			const nChecks, nEngines = 500, 3
			ctx := context.Background()
			cfg := storetest.NewDatabase(t, engine)
			var stores []*store.Store
			for i := 0; i < nEngines; i++ {
				st, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				stores = append(stores, st)
			}
			if err := stores[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			st := stores[0]
			u := model.User{Email: "ops@example.org", Created: time.Now()}
			if err := st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			p := model.Project{Code: uuid.NewString(), Name: "P", OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: time.Now()}
			if err := st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			hits := newHitCounter(nChecks)
			srv := httptest.NewServer(hits)
			defer srv.Close()
			ch := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "webhook", Value: `{"url_down": "` + srv.URL + `"}`, Created: time.Now()}
			if err := st.CreateChannel(ctx, &ch); err != nil {
				t.Fatal(err)
			}
			// Every check is overdue from the same instant, a moment after
			// the engines have started.
			now := time.Now()
			lastPing := now.Add(-2 * time.Minute)
			due := now.Add(time.Second).UTC().Truncate(time.Microsecond)
			codes := map[string]bool{}
			var ids []int64
			for i := 0; i < nChecks; i++ {
				c := model.NewCheck(p.ID, now)
				c.Timeout, c.Grace = time.Minute, time.Minute
				c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &lastPing, &due
				if err := st.CreateCheckWithChannels(ctx, &c, []int64{ch.ID}); err != nil {
					t.Fatal(err)
				}
				codes[c.Code] = true
				ids = append(ids, c.ID)
			}

			runCtx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			var flipsMu sync.Mutex
			engineFlips := make([]int, nEngines)
			for i, st := range stores {
				d := alerts.NewDispatcher(alerts.DispatcherOptions{Store: st, Transports: notify.Registry{"webhook": postTransport(srv.URL)},
					Workers: 16, Poll: 200 * time.Millisecond})
				e := alerts.NewEngine(alerts.EngineOptions{Store: st, Cache: schedule.NewCache(100), Poll: 200 * time.Millisecond, Batch: 100,
					OnFlips: func(f []model.Flip) {
						flipsMu.Lock()
						engineFlips[i] += len(f)
						flipsMu.Unlock()
						d.Wake()
					}})
				for _, run := range []func(context.Context) error{e.Run, d.Run} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
							t.Errorf("engine %d: %v", i, err)
						}
					}()
				}
			}
			select {
			case <-hits.all:
			case <-time.After(60 * time.Second):
				t.Errorf("only %d of %d checks were notified", len(hits.hits), nChecks)
			}
			// Let every dispatcher finish recording, then stop them all.
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if next, err := st.NextNotificationTry(ctx); err == nil && next == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			wg.Wait()

			hits.mu.Lock()
			defer hits.mu.Unlock()
			dupes := hits.total - len(hits.hits)
			t.Logf("%s: %d engines, %d checks: flips per engine %v, %d deliveries, %d duplicates", engine, nEngines, nChecks, engineFlips, hits.total, dupes)
			if dupes != 0 {
				t.Errorf("%d duplicate deliveries without a crash, want 0", dupes)
			}
			for code := range hits.hits {
				if !codes[code] {
					t.Errorf("delivery for unknown check %q", code)
				}
			}
			total := 0
			for _, n := range engineFlips {
				total += n
			}
			if total != nChecks {
				t.Errorf("engines wrote %d flips in all, want exactly %d", total, nChecks)
			}
			for _, id := range ids {
				flips, err := st.ListFlips(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				ns, err := st.ListNotifications(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(flips) != 1 || len(ns) != 1 || ns[0].Status != store.NotifySent {
					t.Errorf("check %d: %d flips and notifications %+v; want one flip and one sent notification", id, len(flips), ns)
					break
				}
			}
		})
	}
}
