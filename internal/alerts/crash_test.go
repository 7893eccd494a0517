package alerts_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// The dispatcher dies in the middle of sending (the endpoint hangs and the
// process is cut off without a chance to clean up). Nothing was recorded as
// sent, and after a restart every notification is delivered once the dead
// claims' leases run out: none is lost.
func TestCrashMidSendLosesNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			const n = 3
			var hanging atomic.Bool
			hanging.Store(true)
			arrived := make(chan struct{}, 100)
			var delivered sync.Map
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				// The body is read first: only then does the server watch the
				// connection and cancel r.Context() when the client goes away.
				body, _ := io.ReadAll(r.Body)
				if hanging.Load() {
					arrived <- struct{}{}
					<-r.Context().Done() // hangs until the client gives up
					return
				}
				v, _ := delivered.LoadOrStore(string(body), new(atomic.Int32))
				v.(*atomic.Int32).Add(1)
			}))
			defer srv.Close()
			registry := notify.Registry{"webhook": postTransport(srv.URL)}

			var checks []model.Check
			for i := 0; i < n; i++ {
				checks = append(checks, w.check(t, "job"))
			}
			w.channel(t, "webhook", `{"url_down": "`+srv.URL+`"}`, checks...)
			lease := 2 * time.Minute
			first := alerts.NewDispatcher(alerts.DispatcherOptions{Store: w.st, Transports: registry, Clock: w.clock, Lease: lease, Drain: -1})
			ctx1, crash := context.WithCancel(context.Background())
			done1 := make(chan struct{})
			go func() { defer close(done1); _ = first.Run(ctx1) }()

			for _, c := range checks {
				failFlip(t, w.st, c, w.clock.Now())
			}
			first.Wake()
			for i := 0; i < n; i++ {
				select {
				case <-arrived:
				case <-time.After(hangGuard):
					t.Fatalf("only %d of %d sends reached the endpoint", i, n)
				}
			}
			crash()
			<-done1
			for _, c := range checks {
				ns, _ := w.st.ListNotifications(context.Background(), c.ID)
				if len(ns) != 1 || ns[0].Status != store.NotifySending || ns[0].Attempts != 1 {
					t.Fatalf("after the crash: %+v, want one row still claimed (never marked done before the transport answered)", ns)
				}
			}

			hanging.Store(false)
			results := make(chan store.SendResult, 10)
			ctx2, stop := context.WithCancel(context.Background())
			defer stop()
			second := alerts.NewDispatcher(alerts.DispatcherOptions{Store: w.st, Transports: registry, Clock: w.clock, Lease: lease,
				OnResult: func(r store.SendResult) { results <- r }})
			idle := second.Idle()
			done2 := make(chan struct{})
			go func() { defer close(done2); _ = second.Run(ctx2) }()
			waitClosed(t, idle, "the restarted dispatcher's first sleep")
			if len(results) != 0 {
				t.Fatalf("rows were sent again while the dead claims' leases lasted")
			}
			w.clock.Advance(lease + time.Second)
			for i := 0; i < n; i++ {
				select {
				case r := <-results:
					if r.Error != "" || r.Attempt != 2 {
						t.Errorf("after restart: %+v, want success on attempt 2", r)
					}
				case <-time.After(hangGuard):
					t.Fatalf("only %d of %d notifications were delivered after the restart", i, n)
				}
			}
			stop()
			<-done2
			for _, c := range checks {
				v, ok := delivered.Load(c.Code)
				if !ok || v.(*atomic.Int32).Load() != 1 {
					t.Errorf("check %s: delivered %v times after the restart, want 1", c.Code, v)
				}
				ns, _ := w.st.ListNotifications(context.Background(), c.ID)
				if len(ns) != 1 || ns[0].Status != store.NotifySent {
					t.Errorf("check %s rows %+v, want one sent", c.Code, ns)
				}
			}
		})
	}
}

// failFlip records a /fail for c: status down, a flip, and its outbox rows.
func failFlip(t *testing.T, st *store.Store, c model.Check, at time.Time) {
	t.Helper()
	err := st.ApplyPings(context.Background(), []int64{c.ID}, func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		ch := checks[c.ID]
		old := ch.Status
		ch.Status = model.StatusDown
		ch.NPings++
		ch.LastPing = &at
		return []model.Ping{{CheckID: c.ID, N: ch.NPings, Created: at, Kind: model.PingFail}},
			[]model.Flip{{CheckID: c.ID, Created: at, OldStatus: old, NewStatus: model.StatusDown, Reason: "fail"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
