// Package alerts turns missed deadlines into flips and flips into delivered
// notifications.
//
// The Engine finds checks whose alert_after has passed, re-evaluates them
// with the schedule engine and writes status=down with a "timeout" flip. It
// sleeps until the earliest alert_after instead of scanning on a timer, is
// woken early by local pings that move a deadline earlier, and re-reads the
// database at least every Poll so it sees work created by other instances.
//
// Flips (from the engine, from /fail pings and from recoveries) enqueue their
// notifications in the same transaction (the outbox, internal/store). The
// Dispatcher claims those rows, sends them through notify transports, and
// records each outcome; failures are retried with backoff, and rows whose
// claimer died are claimed again when their lease runs out.
package alerts

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// DueStore is the part of the store the engine uses.
type DueStore interface {
	ProcessDue(ctx context.Context, now time.Time, limit int, decide func(c *model.Check) store.DueDecision) (int, []model.Flip, error)
	NextAlertAfter(ctx context.Context) (*time.Time, error)
}

// EngineOptions configure an Engine. Store is required.
type EngineOptions struct {
	Store DueStore
	// Cache memoizes parsed schedules; nil parses every time.
	Cache *schedule.Cache
	Clock Clock
	// Poll bounds every sleep, so that deadlines created by other instances
	// are seen within Poll; 2 s when zero.
	Poll time.Duration
	// Batch is how many due checks one transaction handles; 500 when zero.
	Batch int
	// OnFlips is called after flips were committed (to wake the dispatcher).
	OnFlips func([]model.Flip)
	Log     *slog.Logger
}

// Engine detects checks that went down by time.
type Engine struct {
	o    EngineOptions
	wake chan struct{}
	// planned is the UnixNano of the instant the engine will next look, so
	// Hint can tell whether a new deadline is earlier.
	planned atomic.Int64
	// idle is closed-and-replaced each time the engine goes to sleep; tests
	// wait on it (see Idle).
	mu   sync.Mutex
	idle chan struct{}
}

// NewEngine returns an engine; call Run to start it.
func NewEngine(o EngineOptions) *Engine {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{o: o, wake: make(chan struct{}, 1), idle: make(chan struct{})}
	e.planned.Store(0)
	return e
}

// Wake makes a sleeping engine look at the database now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Hint tells the engine about a deadline that was just written locally (a
// ping moved a check's alert_after). If it is earlier than the engine's
// planned wake-up, the engine wakes and re-plans; otherwise nothing happens,
// so the ping path pays one atomic load.
func (e *Engine) Hint(alertAfter time.Time) {
	if p := e.planned.Load(); p == 0 || alertAfter.UnixNano() < p {
		e.Wake()
	}
}

// Idle returns a channel closed the next time the engine goes to sleep.
func (e *Engine) Idle() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.idle
}

// Run processes due checks until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	for {
		_, seen, tickErr := e.tick(ctx)
		if tickErr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.o.Log.Error("alert engine pass failed", "err", tickErr)
		}
		wait := e.o.Poll
		now := e.o.Clock.Now()
		next, err := e.o.Store.NextAlertAfter(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.o.Log.Error("alert engine: next deadline", "err", err)
		} else if next != nil {
			wait = min(wait, max(next.Sub(now), 0))
		}
		switch {
		case tickErr != nil:
			// Don't retry a failing database in a tight loop.
			wait = max(wait, min(e.o.Poll, time.Second))
		case wait == 0 && seen == 0:
			// Something is due but this engine got none of it: another
			// instance holds those rows for a moment. Look again shortly.
			wait = min(e.o.Poll, 50*time.Millisecond)
		}
		e.planned.Store(now.Add(wait).UnixNano())
		timer := e.o.Clock.Until(now.Add(wait))
		e.mu.Lock()
		close(e.idle)
		e.idle = make(chan struct{})
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer:
		case <-e.wake:
		}
	}
}

// Tick handles every check that is due now, in batches, and returns the
// flips it wrote.
func (e *Engine) Tick(ctx context.Context) ([]model.Flip, error) {
	flips, _, err := e.tick(ctx)
	return flips, err
}

// tick is Tick that also counts the due checks it looked at.
func (e *Engine) tick(ctx context.Context) (all []model.Flip, total int, err error) {
	for {
		now := e.o.Clock.Now()
		seen, flips, err := e.o.Store.ProcessDue(ctx, now, e.o.Batch, func(c *model.Check) store.DueDecision {
			return e.decide(c, now)
		})
		total += seen
		if err != nil {
			return all, total, err
		}
		if len(flips) > 0 {
			all = append(all, flips...)
			e.o.Log.Info("checks went down", "count", len(flips))
			if e.o.OnFlips != nil {
				e.o.OnFlips(flips)
			}
		}
		if seen < e.o.Batch {
			return all, total, nil
		}
		if ctx.Err() != nil {
			return all, total, ctx.Err()
		}
	}
}

// errorRetry is how long a check whose schedule no longer evaluates is left
// alone (upstream's crash-loop guard), so one bad row can't spin the engine.
const errorRetry = time.Hour

func (e *Engine) decide(c *model.Check, now time.Time) store.DueDecision {
	status, alertAfter, err := schedule.Evaluate(c, e.o.Cache, now)
	if err != nil {
		e.o.Log.Warn("alert engine: cannot evaluate check; retrying in an hour", "check", c.Code, "err", err)
		t := now.Add(errorRetry)
		return store.DueDecision{AlertAfter: &t}
	}
	if status == model.StatusDown {
		at := now
		if alertAfter != nil && !alertAfter.After(now) {
			at = *alertAfter
		}
		return store.DueDecision{Down: true, DownAt: at}
	}
	if alertAfter != nil && !alertAfter.After(now) {
		// The status says "not down" but the deadline has passed: the two
		// disagree, and taking the deadline as is would select the check
		// again at once, forever. Look again a minute later.
		e.o.Log.Warn("alert engine: check not down past its deadline", "check", c.Code, "status", status, "alert_after", alertAfter)
		t := now.Add(time.Minute)
		return store.DueDecision{AlertAfter: &t}
	}
	return store.DueDecision{AlertAfter: alertAfter}
}

// PingHook returns a ping.WriterOptions.OnCommit callback: it wakes the
// engine when a committed ping moved a deadline earlier than the engine's
// plan, and the dispatcher when a ping wrote a flip (a /fail, a recovery),
// so those notifications leave at once instead of at the next poll.
func PingHook(e *Engine, d *Dispatcher) func([]ping.Result) {
	return func(rs []ping.Result) {
		flipped := false
		for i := range rs {
			r := &rs[i]
			if r.Err != nil {
				continue
			}
			if r.Flip != nil {
				flipped = true
			}
			if e != nil && r.Check.AlertAfter != nil {
				e.Hint(*r.Check.AlertAfter)
			}
		}
		if flipped && d != nil {
			d.Wake()
		}
	}
}
