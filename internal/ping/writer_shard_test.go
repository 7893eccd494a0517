package ping

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

type shardedMem struct {
	*memStore
	n int
}

func (s shardedMem) PingWriterShards() int { return s.n }

func TestWriterShardCount(t *testing.T) {
	m := newMemStore(1)
	if w := NewWriter(shardedMem{m, 3}, WriterOptions{}); len(w.shards) != 3 {
		t.Errorf("committer asking for 3 shards: got %d", len(w.shards))
	}
	if w := NewWriter(shardedMem{m, 3}, WriterOptions{Shards: 1}); len(w.shards) != 0 {
		t.Errorf("Shards: 1 must override the committer, got %d shards", len(w.shards))
	}
	if w := NewWriter(m, WriterOptions{}); len(w.shards) != 0 {
		t.Errorf("plain committer: got %d shards, want none", len(w.shards))
	}
	w := NewWriter(m, WriterOptions{Shards: 4, QueueSize: 10})
	for _, sh := range w.shards {
		if cap(sh.slots) != 3 {
			t.Errorf("shard queue size %d, want 3 (10 shared by 4)", cap(sh.slots))
		}
	}
}

func TestShardedWriter(t *testing.T) {
	const shards, workers, each = 3, 24, 20
	ids := []int64{1, 2, 3, 4, 5, 6, 7}
	m := newMemStore(ids...)
	var inHook, overlaps, committed atomic.Int64
	h := startWriter(t, m, WriterOptions{Shards: shards, OnCommit: func(rs []Result) {
		if inHook.Add(1) > 1 {
			overlaps.Add(1)
		}
		committed.Add(int64(len(rs)))
		inHook.Add(-1)
	}})
	if len(h.w.shards) != shards {
		t.Fatalf("%d shards, want %d", len(h.w.shards), shards)
	}

	var (
		mu   sync.Mutex
		seen = map[int64]map[int64]bool{}
		wg   sync.WaitGroup
	)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				id := ids[(g+i)%len(ids)]
				res, err := h.w.Submit(context.Background(), Request{CheckID: id, Event: success})
				if err != nil {
					t.Errorf("Submit: %v", err)
					return
				}
				mu.Lock()
				if seen[id] == nil {
					seen[id] = map[int64]bool{}
				}
				if seen[id][res.Ping.N] {
					t.Errorf("check %d: ping n %d handed out twice", id, res.Ping.N)
				}
				seen[id][res.Ping.N] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Submit returns after the commit; OnCommit runs just after.
	h.stop()
	<-h.runErr
	h.runErr <- nil // for the harness's cleanup

	_, _, checks, pings, _ := m.snapshot()
	if len(pings) != workers*each || committed.Load() != workers*each {
		t.Errorf("%d ping rows, %d results to OnCommit, want %d", len(pings), committed.Load(), workers*each)
	}
	for _, id := range ids {
		if c := checks[id]; c.NPings != int64(len(seen[id])) {
			t.Errorf("check %d: n_pings %d, %d distinct n handed out", id, c.NPings, len(seen[id]))
		}
	}
	// Each check's rows must be in n order: one shard wrote them in order.
	last := map[int64]int64{}
	for _, p := range pings {
		if p.N != last[p.CheckID]+1 {
			t.Fatalf("check %d: ping n %d after %d", p.CheckID, p.N, last[p.CheckID])
		}
		last[p.CheckID] = p.N
	}
	if overlaps.Load() != 0 {
		t.Errorf("OnCommit ran concurrently %d times", overlaps.Load())
	}
}
