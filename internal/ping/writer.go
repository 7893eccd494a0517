package ping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// Committer runs one transaction over a set of checks. ApplyPings locks and
// loads the checks that still exist (ids that vanished are simply absent
// from the map), calls fn, then writes back every check in the map and
// inserts the returned pings and flips, all in one transaction. fn may be
// called again if the store retries the transaction; it derives everything
// from the map it is given, so a retry is safe.
type Committer interface {
	ApplyPings(ctx context.Context, checkIDs []int64, fn func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error
}

// ClaimCommitter is a Committer that can also verify slug addresses in the
// ping transaction (*store.Store implements it): owners maps each of claims
// to the id of the one check it names now, or -1 when it names several; a
// claim that names none has no entry. A Writer over a ClaimCommitter
// verifies Request.Claim (see Writer.VerifiesClaims).
type ClaimCommitter interface {
	ApplyPingsClaimed(ctx context.Context, checkIDs []int64, claims []model.SlugAddress,
		fn func(checks map[int64]*model.Check, owners map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error)) error
}

// Request asks the writer to record one ping.
type Request struct {
	CheckID int64
	Event   Event
	// Claim, when set, is the slug address CheckID was found by from a
	// cache; the ping is written only if the address still names exactly
	// this check when its transaction runs, else its Result.Err is
	// ErrStaleClaim. Only a Writer whose VerifiesClaims is true takes it.
	Claim *model.SlugAddress
}

// Result is what recording a ping did. Err is ErrCheckGone when the check
// was deleted before the ping's transaction; nothing was written then.
// Check is the check as the committer loaded and the ping left it: with
// *store.Store only the columns a ping reads and writes (status, the ping
// times, n_pings, alert_after, the schedule and filters), not its name,
// slug, code or project.
type Result struct {
	Check model.Check
	Ping  model.Ping
	Flip  *model.Flip
	Err   error
}

// Errors a Submit can return besides the committer's and the context's.
var (
	ErrCheckGone    = errors.New("check no longer exists")
	ErrWriterClosed = errors.New("ping writer is shut down")
	// ErrStaleClaim: Request.Claim no longer names Request.CheckID (the
	// check was renamed, the slug became ambiguous, the ping key rotated);
	// nothing was written.
	ErrStaleClaim = errors.New("slug address no longer names this check")
)

// WriterOptions configure a Writer. AlertAfter is required.
type WriterOptions struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// AlertAfter computes a check's going-down time (schedule.GoingDownAfter).
	AlertAfter func(*model.Check) *time.Time
	// MaxBatch caps the pings per transaction; 500 when zero or less.
	MaxBatch int
	// QueueSize caps the pings waiting for a transaction; Submit blocks
	// when it is full, which pushes back on clients instead of growing
	// memory without bound. 8×MaxBatch when zero or less.
	QueueSize int
	Logger    *slog.Logger
	// Shards is the number of writer loops, each with its own queue and
	// transactions, that run side by side; a ping goes to the shard of its
	// check id, so one check's pings keep their order and every check is
	// written by one shard only (disjoint row sets: shards never wait for
	// or deadlock with each other). When zero, the Committer's
	// PingWriterShards method decides if it has one, else 1.
	Shards int
	// Linger bounds how long the writer waits for more requests before a
	// transaction while it is under concurrent load (see Run); 2 ms when
	// zero, no waiting when negative.
	Linger time.Duration
	// OnCommit is called on the writer goroutine after every committed
	// batch, once the submitters were released. It must not block: it is
	// meant for handing work off (Pruner.Observe, waking the alert engine).
	// With several shards it is called from each shard's goroutine, but
	// never concurrently.
	OnCommit func([]Result)
}

const (
	defaultMaxBatch = 500
	defaultLinger   = 2 * time.Millisecond
	// lingerQuiet ends a linger early: once no request arrived for this
	// long, the clients that were going to come are (most likely) queued.
	lingerQuiet = 200 * time.Microsecond
)

// Writer records pings with group commit: a single goroutine (Run) takes
// every request queued while the previous transaction ran, up to MaxBatch,
// and records them in one transaction, so one commit (one fsync) serves
// many pings. It never waits for a batch to fill under light load: a ping
// arriving at an idle writer is its own transaction, without added latency.
// Under concurrent load it lingers briefly between transactions (see Run).
type Writer struct {
	// shards, when set, are the writers doing the work; this one routes.
	shards []*Writer

	c          Committer
	cc         ClaimCommitter // c, when it verifies claims
	now        func() time.Time
	alertAfter func(*model.Check) *time.Time
	maxBatch   int
	linger     time.Duration
	quiet      time.Duration // lingerQuiet; tests lengthen it
	log        *slog.Logger
	onCommit   func([]Result)

	// slots bounds the queue; a Submit holds one slot from enqueueing until
	// Run takes its request.
	slots  chan struct{}
	wake   chan struct{} // capacity 1: "the queue may be non-empty"
	closed chan struct{} // closed when Run stops accepting requests

	mu      sync.Mutex
	queue   []*pending
	stopped bool

	// free recycles the pendings (and their channels) of requests that got
	// their answer: two allocations per ping otherwise, Submit's share of
	// the ping path's garbage.
	free sync.Pool

	running atomic.Bool
	// last is the previous batch's timestamp, touched only by Run; it keeps
	// Created non-decreasing if the wall clock steps back.
	last time.Time
}

// Request states: a queued request is either taken by a batch or
// cancelled by its submitter, whichever happens first.
const (
	stateQueued int32 = iota
	stateTaken
	stateCancelled
)

type pending struct {
	req   Request
	state atomic.Int32
	done  chan outcome // capacity 1, so Run never blocks on a gone submitter
}

type outcome struct {
	res Result
	err error
}

// ShardedCommitter is a Committer that suggests how many transactions the
// Writer should run at once (WriterOptions.Shards).
type ShardedCommitter interface {
	PingWriterShards() int
}

// NewWriter returns a Writer; call Run to start it.
func NewWriter(c Committer, opts WriterOptions) *Writer {
	if opts.Shards <= 0 {
		opts.Shards = 1
		if sc, ok := c.(ShardedCommitter); ok {
			opts.Shards = max(sc.PingWriterShards(), 1)
		}
	}
	if opts.Shards > 1 {
		return newShardedWriter(c, opts)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8 * opts.MaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Linger == 0 {
		opts.Linger = defaultLinger
	}
	cc, _ := c.(ClaimCommitter)
	return &Writer{
		c:          c,
		cc:         cc,
		now:        opts.Now,
		alertAfter: opts.AlertAfter,
		maxBatch:   opts.MaxBatch,
		linger:     max(opts.Linger, 0),
		quiet:      lingerQuiet,
		log:        opts.Logger,
		onCommit:   opts.OnCommit,
		slots:      make(chan struct{}, opts.QueueSize),
		wake:       make(chan struct{}, 1),
		closed:     make(chan struct{}),
	}
}

func newShardedWriter(c Committer, opts WriterOptions) *Writer {
	n := opts.Shards
	w := &Writer{shards: make([]*Writer, n)}
	if f := opts.OnCommit; f != nil {
		var mu sync.Mutex
		opts.OnCommit = func(rs []Result) {
			mu.Lock()
			defer mu.Unlock()
			f(rs)
		}
	}
	if opts.QueueSize > 0 {
		// The bound is on all the pings waiting, not per shard.
		opts.QueueSize = max((opts.QueueSize+n-1)/n, 1)
	} else if opts.MaxBatch > 0 {
		opts.QueueSize = max(8*opts.MaxBatch/n, 1)
	} else {
		opts.QueueSize = max(8*defaultMaxBatch/n, 1)
	}
	opts.Shards = 1
	for i := range w.shards {
		w.shards[i] = NewWriter(c, opts)
	}
	return w
}

// VerifiesClaims reports whether the writer checks Request.Claim in the
// ping's transaction; a Submit with a Claim fails on a Writer that does not.
func (w *Writer) VerifiesClaims() bool {
	if len(w.shards) > 0 {
		return w.shards[0].VerifiesClaims()
	}
	return w.cc != nil
}

// Submit queues r and waits until the batch holding it committed. A
// request whose ctx ends while it is still queued is dropped unwritten;
// once its batch has started it is written, but Submit returns ctx's error
// without waiting. When the check no longer exists, Submit returns a
// Result whose Err is ErrCheckGone, and that error.
func (w *Writer) Submit(ctx context.Context, r Request) (Result, error) {
	if len(w.shards) > 0 {
		return w.shards[uint64(r.CheckID)%uint64(len(w.shards))].Submit(ctx, r)
	}
	if err := r.Event.Validate(); err != nil {
		return Result{}, fmt.Errorf("ping for check %d: %w", r.CheckID, err)
	}
	if r.Claim != nil && w.cc == nil {
		return Result{}, fmt.Errorf("ping for check %d: this writer's store cannot verify slug addresses", r.CheckID)
	}
	// A request whose ctx is already done never queues: select alone would
	// pick at random between a free slot and the done ctx.
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	select {
	case w.slots <- struct{}{}:
	case <-w.closed:
		return Result{}, ErrWriterClosed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	p, _ := w.free.Get().(*pending)
	if p == nil {
		p = &pending{done: make(chan outcome, 1)}
	}
	p.req = r
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		<-w.slots
		w.recycle(p)
		return Result{}, ErrWriterClosed
	}
	w.queue = append(w.queue, p)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}

	select {
	case o := <-p.done:
		// Run sends the outcome as its last use of p: it can be reused.
		w.recycle(p)
		return o.res, o.err
	case <-ctx.Done():
		// Either we withdraw the request before a batch takes it, or it is
		// being written and only the answer is lost.
		p.state.CompareAndSwap(stateQueued, stateCancelled)
		return Result{}, ctx.Err()
	}
}

// recycle returns p, which Run no longer holds and whose channel is
// empty, to the free list. A withdrawn request's pending is never
// recycled: a batch may still hold it.
func (w *Writer) recycle(p *pending) {
	p.req = Request{}
	p.state.Store(stateQueued)
	w.free.Put(p)
}

// Run is the writer loop. It returns after ctx is done and every request
// queued by then was recorded (or failed). Transactions run with ctx's
// values but without its cancellation, so shutdown never aborts a batch
// whose submitters are waiting. Run must be called once.
//
// After a batch of more than one ping (so there are concurrent clients),
// Run lingers before the next transaction until as many requests are
// queued as it just answered, as long as they keep arriving (a gap of
// lingerQuiet ends it), at most Linger. The clients just answered are
// typically about to ping again; without the wait, on a CPU shared with
// other work the next transaction started with the one or two requests
// that happened to be queued, and the writer spent its time on tiny
// transactions (avg. 4 pings at 64 clients) while the HTTP goroutines
// starved for the CPU those commits took.
func (w *Writer) Run(ctx context.Context) error {
	if len(w.shards) > 0 {
		return w.runShards(ctx)
	}
	if w.alertAfter == nil {
		return errors.New("ping writer: WriterOptions.AlertAfter is required")
	}
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("ping writer: Run called twice")
	}
	txCtx := context.WithoutCancel(ctx)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-w.wake:
			for last := 0; ; {
				if last > 1 && w.linger > 0 {
					w.lingerFor(ctx, timer, last)
				}
				batch := w.take(w.maxBatch)
				if len(batch) == 0 {
					break
				}
				w.commit(txCtx, batch)
				last = len(batch)
			}
		case <-ctx.Done():
			w.mu.Lock()
			w.stopped = true
			close(w.closed)
			w.mu.Unlock()
			for {
				batch := w.take(w.maxBatch)
				if len(batch) == 0 {
					return nil
				}
				w.commit(txCtx, batch)
			}
		}
	}
}

// runShards runs every shard's loop until all have drained.
func (w *Writer) runShards(ctx context.Context) error {
	if w.shards[0].alertAfter == nil {
		return errors.New("ping writer: WriterOptions.AlertAfter is required")
	}
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("ping writer: Run called twice")
	}
	errs := make([]error, len(w.shards))
	var wg sync.WaitGroup
	for i, sh := range w.shards {
		wg.Go(func() { errs[i] = sh.Run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lingerFor waits while requests keep arriving: it returns once target
// requests (the previous batch's size: the clients just answered) or a full
// batch are queued, after a quiet gap of lingerQuiet, after w.linger in all,
// or when ctx is done (shutdown drains without waiting). When the writer is
// the bottleneck, the queue already holds that many and it does not wait.
func (w *Writer) lingerFor(ctx context.Context, timer *time.Timer, target int) {
	deadline := time.Now().Add(w.linger)
	for {
		w.mu.Lock()
		n := len(w.queue)
		w.mu.Unlock()
		wait := min(w.quiet, time.Until(deadline))
		if n >= min(target, w.maxBatch) || wait <= 0 {
			return
		}
		timer.Reset(wait)
		select {
		case <-w.wake:
			// Something arrived; Run's loop takes everything queued, so
			// consuming the wake-up here loses nothing.
			timer.Stop()
		case <-timer.C:
			return
		case <-ctx.Done():
			timer.Stop()
			return
		}
	}
}

// take removes up to n requests from the queue, skipping withdrawn ones.
func (w *Writer) take(n int) []*pending {
	w.mu.Lock()
	k := min(n, len(w.queue))
	got := w.queue[:k:k]
	rest := w.queue[k:]
	if len(rest) == 0 {
		rest = nil // let the backing array go once drained
	}
	w.queue = rest
	w.mu.Unlock()

	batch := got[:0:0]
	for _, p := range got {
		<-w.slots
		if p.state.CompareAndSwap(stateQueued, stateTaken) {
			batch = append(batch, p)
		}
	}
	// If every request in got was withdrawn, keep going while the queue
	// still has some: an empty return means "queue empty" to the caller.
	if len(batch) == 0 && len(got) > 0 {
		return w.take(n)
	}
	return batch
}

// commit records one batch and answers its submitters.
func (w *Writer) commit(ctx context.Context, batch []*pending) {
	now := w.now().UTC().Truncate(time.Microsecond) // the databases keep microseconds
	if now.Before(w.last) {
		now = w.last
	}
	w.last = now

	ids := make([]int64, 0, len(batch))
	seen := make(map[int64]struct{}, len(batch))
	var claims []model.SlugAddress
	for _, p := range batch {
		if _, ok := seen[p.req.CheckID]; !ok {
			seen[p.req.CheckID] = struct{}{}
			ids = append(ids, p.req.CheckID)
		}
		if p.req.Claim != nil {
			claims = append(claims, *p.req.Claim)
		}
	}

	results := make([]Result, len(batch))
	fn := func(checks map[int64]*model.Check, owners map[model.SlugAddress]int64) ([]model.Ping, []model.Flip, error) {
		// Start from scratch on every call: the store may retry.
		pings := make([]model.Ping, 0, len(batch))
		var flips []model.Flip
		for i, p := range batch {
			c, ok := checks[p.req.CheckID]
			if !ok || c == nil {
				results[i] = Result{Err: ErrCheckGone}
				continue
			}
			if p.req.Claim != nil && owners[*p.req.Claim] != p.req.CheckID {
				results[i] = Result{Err: ErrStaleClaim}
				continue
			}
			// Pings of one check chain: each sees the previous one's effect.
			nc, np, nf := Apply(*c, p.req.Event, now, w.alertAfter)
			*c = nc
			pings = append(pings, np)
			if nf != nil {
				flips = append(flips, *nf)
			}
			results[i] = Result{Check: nc, Ping: np, Flip: nf}
		}
		return pings, flips, nil
	}

	var err error
	if len(claims) > 0 {
		err = w.cc.ApplyPingsClaimed(ctx, ids, claims, fn)
	} else {
		err = w.c.ApplyPings(ctx, ids, func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error) { return fn(checks, nil) })
	}
	if err != nil {
		err = fmt.Errorf("recording %d pings: %w", len(batch), err)
		w.log.Error("ping batch failed", "pings", len(batch), "checks", len(ids), "err", err)
		for _, p := range batch {
			p.done <- outcome{err: err}
		}
		return
	}
	for i, p := range batch {
		p.done <- outcome{res: results[i], err: results[i].Err}
	}
	if w.onCommit != nil {
		w.onCommit(results)
	}
}
