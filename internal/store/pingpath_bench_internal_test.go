package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
)

// BenchmarkPingBatchSQLite is the ping writer's transaction as bench/run.sh
// loads it: batches of 64 pings, each to a different one of 1,000 checks
// that already hold 100 pings each (so the pings index has its steady-state
// size, and a batch's index entries land on many leaf pages). Besides the
// time it reports wal-frames/batch, the pages the transaction dirtied (each
// is one WAL frame written at commit), read from the WAL after each batch
// with the background checkpointer stopped. That count depends only on the
// data, not on the machine's load, so it compares two versions of the
// store's ping statements exactly. cpu-us/batch is the process's CPU time
// (user and system, getrusage) over the batches: on a machine shared with
// other work it varies far less than the wall time, which includes the
// time the process waited for a core.
func BenchmarkPingBatchSQLite(b *testing.B) {
	const (
		nChecks = 1000
		perPrep = 100
		batch   = 64
	)
	ctx := context.Background()
	s, err := Open(ctx, Config{Engine: "sqlite", Path: filepath.Join(b.TempDir(), "bench.sqlite")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	u := model.User{Email: "bench@example.org", Password: "!", PingLogLimit: 100, CheckLimit: nChecks, Created: now}
	if err := s.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	p := model.Project{Code: uuid.NewString(), Name: "bench", OwnerID: u.ID, PingKey: "benchbenchbenchbenchbe", BadgeKey: uuid.NewString(), Created: now}
	if err := s.CreateProject(ctx, &p); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, nChecks)
	for i := range ids {
		c := model.NewCheck(p.ID, now)
		c.Name, c.Slug = fmt.Sprintf("check %d", i), fmt.Sprintf("check-%d", i)
		if err := s.CreateCheck(ctx, &c, false); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	// What ping.Apply does to a simple check for a success ping.
	ping := func(picked []int64) func(map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		return func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			now = now.Add(time.Millisecond)
			pings := make([]model.Ping, 0, len(picked))
			for _, id := range picked {
				c := m[id]
				t, due := now, now.Add(c.Timeout+c.Grace)
				c.NPings++
				c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &t, &due
				pings = append(pings, model.Ping{CheckID: id, N: c.NPings, Created: now, Kind: model.PingSuccess, Scheme: "http",
					RemoteAddr: "127.0.0.1", Method: "GET", UA: "wrk", Body: []byte{}})
			}
			return pings, nil, nil
		}
	}
	for range perPrep {
		if err := s.ApplyPings(ctx, ids, ping(ids)); err != nil {
			b.Fatal(err)
		}
	}
	s.stopCheckpoints()
	s.stopCheckpoints = nil
	walFrames := func(mode string) int {
		var busy, frames, copied int
		if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied); err != nil {
			b.Fatal(err)
		}
		return frames
	}
	rng := rand.New(rand.NewPCG(1, 2))
	picked := make([]int64, batch)
	frames := 0
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		walFrames("TRUNCATE")
		for j, k := range rng.Perm(nChecks)[:batch] {
			picked[j] = ids[k]
		}
		b.StartTimer()
		c0 := cpuTime(b)
		if err := s.ApplyPings(ctx, picked, ping(picked)); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
		b.StopTimer()
		frames += walFrames("PASSIVE")
		b.StartTimer()
	}
	b.ReportMetric(float64(frames)/float64(b.N), "wal-frames/batch")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/batch")
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "pings/s")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
