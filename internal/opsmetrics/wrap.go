package opsmetrics

import (
	"context"
	"runtime/metrics"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// PingStore is what the ping writer uses of *store.Store.
type PingStore interface {
	ping.Committer
	ping.ClaimCommitter
	ping.ShardedCommitter
}

// PingStore returns s timing each ingest transaction
// (overdue_db_duration_seconds{op="ping_batch"}); s itself when m is nil.
func (m *Metrics) PingStore(s PingStore) PingStore {
	if m == nil {
		return s
	}
	return timedPingStore{s: s, h: m.batchTime}
}

type timedPingStore struct {
	s PingStore
	h *histogram
}

func (t timedPingStore) ApplyPings(ctx context.Context, ids []int64, fn func(map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	start := time.Now()
	err := t.s.ApplyPings(ctx, ids, fn)
	t.h.Observe(time.Since(start).Seconds())
	return err
}

func (t timedPingStore) ApplyPingsClaimed(ctx context.Context, ids []int64, claims []model.SlugAddress,
	fn func(map[int64]*model.Check, map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error)) error {
	start := time.Now()
	err := t.s.ApplyPingsClaimed(ctx, ids, claims, fn)
	t.h.Observe(time.Since(start).Seconds())
	return err
}

func (t timedPingStore) PingWriterShards() int { return t.s.PingWriterShards() }

// DueStore is what the alert engine uses of *store.Store (alerts.DueStore).
type DueStore interface {
	ProcessDue(ctx context.Context, now time.Time, limit int, decide func(c *model.Check) store.DueDecision) (int, []model.Flip, error)
	NextAlertAfter(ctx context.Context) (*time.Time, error)
}

// DueStore returns s timing each pass of the alert engine over due checks
// (overdue_db_duration_seconds{op="alert_pass"}); s itself when m is nil.
func (m *Metrics) DueStore(s DueStore) DueStore {
	if m == nil {
		return s
	}
	return timedDueStore{DueStore: s, h: m.alertPass}
}

type timedDueStore struct {
	DueStore
	h *histogram
}

func (t timedDueStore) ProcessDue(ctx context.Context, now time.Time, limit int, decide func(c *model.Check) store.DueDecision) (int, []model.Flip, error) {
	start := time.Now()
	n, flips, err := t.DueStore.ProcessDue(ctx, now, limit, decide)
	t.h.Observe(time.Since(start).Seconds())
	return n, flips, err
}

// Transports returns a registry whose transports count their sends by
// kind (overdue_notifications_{sent,failed}_total); r itself when m is nil.
// Wrap only the dispatcher's registry: a user's "test" button is not an
// alert.
func (m *Metrics) Transports(r notify.Registry) notify.Registry {
	if m == nil {
		return r
	}
	out := make(notify.Registry, len(r))
	for kind, t := range r {
		if t == nil {
			out[kind] = nil // Lookup's "not supported" stays as it was
			continue
		}
		out[kind] = notify.TransportFunc(func(ctx context.Context, msg *notify.Message) error {
			start := time.Now()
			err := t.Send(ctx, msg)
			m.ObserveSend(kind, time.Since(start), err)
			return err
		})
	}
	return out
}

func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
