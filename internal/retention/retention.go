// Package retention deletes what upstream Healthchecks lets go of: pings
// beyond each check's ping log limit, the notifications and flips older
// than a check's remaining pings (flips only after 93 days, for the
// downtime statistics), expired sessions and login links, and accounts
// that never logged in within 30 days of signing up (upstream's
// pruneusers). The ping path
// already prunes a check's pings at every 100th ping (ping.Pruner); the
// sweep here catches what that missed and the history of checks that stopped
// pinging, and is what `overdue prune` runs. Every delete is bounded, so a
// sweep never holds the database long enough to delay pings.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/store"
)

// Store is the part of the store a sweep uses.
type Store interface {
	PingPruneCandidates(ctx context.Context, afterID int64, limit int) ([]store.PingPrune, error)
	PruneCheckPings(ctx context.Context, checkID int64, keep int) (int64, error)
	PruneHistory(ctx context.Context, now time.Time) (notifications, flips int64, err error)
	PruneSessions(ctx context.Context, now time.Time) (int64, error)
	PruneLoginTokens(ctx context.Context, now time.Time) (int64, error)
	StaleUsers(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]int64, error)
	PruneStaleUser(ctx context.Context, userID int64, cutoff time.Time) (bool, error)
}

// StaleAccountAge is how long a new account may go without a first log-in
// before a sweep deletes it (upstream's pruneusers: a month, 30 days).
const StaleAccountAge = 30 * 24 * time.Hour

// Options configure a Sweeper. Store is required.
type Options struct {
	Store Store
	Clock alerts.Clock
	// Every is the time between sweeps in Run: an hour when zero.
	Every time.Duration
	// Page is how many checks are pruned between pauses: 100 when zero.
	Page int
	// Pause is the rest between pages, which lets the ping writer in: 10
	// ms when zero, none when negative.
	Pause time.Duration
	Log   *slog.Logger
}

// Sweeper runs sweeps.
type Sweeper struct{ o Options }

// New returns a sweeper; call Sweep or Run.
func New(o Options) *Sweeper {
	if o.Clock == nil {
		o.Clock = alerts.RealClock{}
	}
	if o.Every <= 0 {
		o.Every = time.Hour
	}
	if o.Page <= 0 {
		o.Page = 100
	}
	if o.Pause == 0 {
		o.Pause = 10 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{o: o}
}

// Result counts what one sweep deleted.
type Result struct {
	Pings, Notifications, Flips, Sessions, LoginTokens, Users int64
}

// Sweep prunes everything once. Several instances may sweep at the same
// time: every delete only removes what is already past keeping.
func (s *Sweeper) Sweep(ctx context.Context) (Result, error) {
	var r Result
	now := s.o.Clock.Now()
	var after int64
	for {
		page, err := s.o.Store.PingPruneCandidates(ctx, after, s.o.Page)
		if err != nil {
			return r, err
		}
		for _, c := range page {
			n, err := s.o.Store.PruneCheckPings(ctx, c.CheckID, c.Keep)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return r, err // a check deleted meanwhile is no error
			}
			r.Pings += n
			after = c.CheckID
		}
		if len(page) < s.o.Page {
			break
		}
		if err := s.rest(ctx); err != nil {
			return r, err
		}
	}
	var err error
	if r.Notifications, r.Flips, err = s.o.Store.PruneHistory(ctx, now); err != nil {
		return r, err
	}
	if r.Sessions, err = s.o.Store.PruneSessions(ctx, now); err != nil {
		return r, err
	}
	if r.LoginTokens, err = s.o.Store.PruneLoginTokens(ctx, now); err != nil {
		return r, err
	}
	r.Users, err = s.pruneUsers(ctx, now.Add(-StaleAccountAge))
	return r, err
}

// pruneUsers deletes the accounts that joined before cutoff and never
// logged in, a page of ids at a time with a rest between pages.
func (s *Sweeper) pruneUsers(ctx context.Context, cutoff time.Time) (int64, error) {
	var n, after int64
	for {
		ids, err := s.o.Store.StaleUsers(ctx, cutoff, after, s.o.Page)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			deleted, err := s.o.Store.PruneStaleUser(ctx, id, cutoff)
			if err != nil {
				return n, err
			}
			if deleted {
				n++
				s.o.Log.Info("retention: deleted an account that never logged in", "user_id", id)
			}
			after = id
		}
		if len(ids) < s.o.Page {
			return n, nil
		}
		if err := s.rest(ctx); err != nil {
			return n, err
		}
	}
}

func (s *Sweeper) rest(ctx context.Context) error {
	if s.o.Pause < 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.o.Clock.After(s.o.Pause):
		return nil
	}
}

// Run sweeps at once and then every Every until ctx ends.
func (s *Sweeper) Run(ctx context.Context) error {
	for {
		r, err := s.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			s.o.Log.Error("retention sweep", "err", err)
		default:
			s.o.Log.Info("retention sweep", "pings", r.Pings, "notifications", r.Notifications, "flips", r.Flips, "sessions", r.Sessions, "login_tokens", r.LoginTokens, "users", r.Users)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.o.Clock.After(s.o.Every):
		}
	}
}

// String is the one-line summary `overdue prune` prints.
func (r Result) String() string {
	return fmt.Sprintf("Pruned %d ping%s, %d notification%s, %d flip%s, %d expired session%s, %d expired login link%s and %d never-logged-in account%s.",
		r.Pings, humanize.Plural(r.Pings), r.Notifications, humanize.Plural(r.Notifications), r.Flips, humanize.Plural(r.Flips),
		r.Sessions, humanize.Plural(r.Sessions), r.LoginTokens, humanize.Plural(r.LoginTokens), r.Users, humanize.Plural(r.Users))
}
