package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// memCommitter is a ping.ClaimCommitter over checks held in memory. It
// stands in for the database in BenchmarkPingHandler only, so that what the
// benchmark counts is the handler's, the resolver's and the writer's own
// work: it reuses its map between batches and allocates nothing per ping.
type memCommitter struct {
	checks map[int64]model.Check
	owners map[model.SlugAddress]int64
	batch  map[int64]*model.Check
	store  []model.Check
}

func (m *memCommitter) ApplyPings(ctx context.Context, ids []int64, fn func(map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	return m.ApplyPingsClaimed(ctx, ids, nil, func(c map[int64]*model.Check, _ map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error) {
		return fn(c)
	})
}

func (m *memCommitter) ApplyPingsClaimed(_ context.Context, ids []int64, _ []model.SlugAddress,
	fn func(map[int64]*model.Check, map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error)) error {
	clear(m.batch)
	m.store = m.store[:0]
	for _, id := range ids {
		if c, ok := m.checks[id]; ok {
			m.store = append(m.store, c)
			m.batch[id] = &m.store[len(m.store)-1]
		}
	}
	if _, _, err := fn(m.batch, m.owners); err != nil {
		return err
	}
	for id, c := range m.batch {
		m.checks[id] = *c
	}
	return nil
}

// BenchmarkPingHandler is one client's pings through the router, the ping
// handler, the resolver (both caches warm) and the writer, whose store is
// memCommitter: it measures the CPU and the allocations of the ping path
// outside the database, which BenchmarkPing and bench/run.sh cannot
// separate from SQLite's work and the machine's load. One client means one
// ping per batch, so allocs/op does not depend on how pings happened to
// batch: run it with -benchmem and -count to compare two commits. It also
// reports cpu-ns/op, the process's CPU time (getrusage) per ping, which on
// a shared machine varies much less than ns/op (that includes waiting for
// a core, twice per ping: the handler hands over to the writer and back).
func BenchmarkPingHandler(b *testing.B) {
	seed := apptest.Seed{T: b, Store: storetest.Open(b, "sqlite")}
	now := time.Now()
	owner := seed.AddUser(model.User{Email: "bench@example.org"}, "")
	proj := seed.AddProject(model.Project{OwnerID: owner.ID, PingKey: "benchbenchbenchbenchbe", BadgeKey: "bench", Created: now})
	c := seed.AddCheck(proj.ID, now, func(c *model.Check) { c.Slug = "nightly-backup" })
	mem := &memCommitter{
		checks: map[int64]model.Check{c.ID: c},
		owners: map[model.SlugAddress]int64{{PingKey: proj.PingKey, Slug: c.Slug}: c.ID},
		batch:  map[int64]*model.Check{},
	}
	w := apptest.StartWriter(b, mem, ping.WriterOptions{})
	st := seed.Store
	h := server.Handler(server.Options{Groups: []server.Group{server.Compat(server.Surfaces{Pings: api.NewPings(st, w, 10000, nil, nil)})}})

	for _, tc := range []struct{ name, path string }{
		{"uuid", c.Code},
		{"slug", proj.PingKey + "/" + c.Slug},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// As wrk's requests do: a User-Agent, no body, a GET.
			req := httptest.NewRequest("GET", "http://hc.example/ping/"+tc.path, nil)
			req.Header.Set("User-Agent", "wrk")
			rw := &countingWriter{hdr: http.Header{}}
			serve := func() {
				clear(rw.hdr)
				rw.code = 0
				h.ServeHTTP(rw, req)
				if rw.code != http.StatusOK {
					b.Fatalf("status %d", rw.code)
				}
			}
			serve() // fills the caches
			b.ReportAllocs()
			c0 := cpuTime(b)
			for b.Loop() {
				serve()
			}
			b.ReportMetric(float64((cpuTime(b)-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
