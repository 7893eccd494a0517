package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/opsmetrics"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// ingest is the path every ping transport writes through: one resolver (one
// UUID cache, one set of rules) in front of the group-commit writer, with
// the pruner watching what it commits. serve and smtpd both start it.
type ingest struct {
	res  *ping.Resolver
	done chan error
	log  *slog.Logger
}

// startIngest runs the writer and the pruner until bg ends; onCommit, if
// not nil, also sees every committed batch (the alert engine's wake-up).
//
// m, when not nil, counts every committed batch and times its transaction.
func startIngest(bg context.Context, cfg config.Config, st *store.Store, cache *schedule.Cache, log *slog.Logger, onCommit func([]ping.Result), m *opsmetrics.Metrics) *ingest {
	keep := cfg.PingLogLimit
	pruner := ping.NewPruner(st, ping.PrunerOptions{
		Keep:   func(context.Context, int64) (int, error) { return keep, nil },
		Logger: log,
	})
	observe := pruner.Observe
	if onCommit != nil {
		observe = func(rs []ping.Result) { pruner.Observe(rs); onCommit(rs) }
	}
	if m != nil {
		counted := observe
		observe = func(rs []ping.Result) { m.ObservePings(rs); counted(rs) }
	}
	writer := ping.NewWriter(m.PingStore(st), ping.WriterOptions{
		AlertAfter: ping.ScheduleAlertAfter(cache, log),
		Logger:     log,
		OnCommit:   observe,
	})
	in := &ingest{
		res:  ping.NewResolver(st, store.ErrNotFound, writer, ping.ResolverOptions{Logger: log, Room: checks.RoomFunc(st)}),
		done: make(chan error, 1),
		log:  log,
	}
	go func() { in.done <- writer.Run(bg) }()
	go pruner.Run(bg)
	return in
}

// wait returns once the writer has drained what it holds (after bg ended),
// so that the database can close.
func (in *ingest) wait() {
	if err := <-in.done; err != nil && !errors.Is(err, context.Canceled) {
		in.log.Error("ping writer", "err", err)
	}
}
