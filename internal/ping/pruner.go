package ping

import (
	"context"
	"fmt"
	"log/slog"
)

// PingPruner deletes a check's pings with n <= n_pings - keep.
type PingPruner interface {
	PrunePings(ctx context.Context, checkID int64, keep int) error
}

// PruneEvery is upstream's cadence: a check's old pings are pruned each
// time its n_pings reaches a multiple of 100.
const PruneEvery = 100

// DefaultPingLogLimit is upstream's default Profile.ping_log_limit.
const DefaultPingLogLimit = 100

// PrunerOptions configure a Pruner.
type PrunerOptions struct {
	// Keep returns how many pings to keep for a check (its owner's ping
	// log limit). DefaultPingLogLimit for every check when nil.
	Keep func(ctx context.Context, checkID int64) (int, error)
	// QueueSize bounds the pending prunes; 256 when zero or less.
	QueueSize int
	Logger    *slog.Logger
}

// Pruner prunes old pings off the ping path. Observe (the Writer's
// OnCommit) queues a check whenever one of its pings lands on a multiple of
// PruneEvery and never blocks: when the queue is full the work is dropped,
// and the check's next multiple of PruneEvery catches up, since a prune
// deletes everything older than the limit, not just the last hundred.
type Pruner struct {
	p     PingPruner
	keep  func(ctx context.Context, checkID int64) (int, error)
	log   *slog.Logger
	queue chan int64
}

// NewPruner returns a Pruner; call Run to start its worker.
func NewPruner(p PingPruner, opts PrunerOptions) *Pruner {
	if opts.Keep == nil {
		opts.Keep = func(context.Context, int64) (int, error) { return DefaultPingLogLimit, nil }
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pruner{p: p, keep: opts.Keep, log: opts.Logger, queue: make(chan int64, opts.QueueSize)}
}

// Observe looks at a committed batch and queues the checks due for a prune.
func (pr *Pruner) Observe(results []Result) {
	for _, r := range results {
		// Each ping adds exactly one to n_pings, so every multiple is
		// reached by exactly one ping, even when a batch holds several
		// pings of one check.
		if r.Err != nil || r.Ping.N <= 0 || r.Ping.N%PruneEvery != 0 {
			continue
		}
		select {
		case pr.queue <- r.Ping.CheckID:
		default:
			pr.log.Warn("ping prune queue full; skipping", "check_id", r.Ping.CheckID)
		}
	}
}

// Run prunes queued checks one at a time until ctx is done. Work still
// queued then is dropped: it is only an optimisation of storage.
func (pr *Pruner) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-pr.queue:
			if err := pr.prune(ctx, id); err != nil {
				pr.log.Error("pruning pings failed", "check_id", id, "err", err)
			}
		}
	}
}

func (pr *Pruner) prune(ctx context.Context, checkID int64) error {
	keep, err := pr.keep(ctx, checkID)
	if err != nil {
		return fmt.Errorf("ping log limit of check %d: %w", checkID, err)
	}
	if keep < 1 {
		return fmt.Errorf("ping log limit of check %d is %d, want at least 1", checkID, keep)
	}
	if err := pr.p.PrunePings(ctx, checkID, keep); err != nil {
		return fmt.Errorf("pruning pings of check %d: %w", checkID, err)
	}
	return nil
}
