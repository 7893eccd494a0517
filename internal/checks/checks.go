// Package checks holds the rules about checks that both the Management API
// and the web UI apply: the check limit, pausing and resuming, copying,
// deleting and the limits of each field. Handlers translate the results
// into their own answers (the API keeps upstream's JSON errors, the UI
// shows messages next to form fields); the rules live here once.
package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// Errors of the actions below.
var (
	// ErrCheckLimit: the project's owner has no room for another check.
	ErrCheckLimit = errors.New("check limit reached")
	// ErrNotPaused: only a paused check can be resumed.
	ErrNotPaused = errors.New("check is not paused")
)

// RoomStore is what Room reads; *store.Store implements it.
type RoomStore interface {
	UserByID(ctx context.Context, id int64) (model.User, error)
	CountChecksOwnedBy(ctx context.Context, userID int64) (int, error)
}

// Room returns how many checks the user owns (across every project they
// own, as upstream counts) and their check limit.
func Room(ctx context.Context, st RoomStore, ownerID int64) (used, limit int, err error) {
	owner, err := st.UserByID(ctx, ownerID)
	if err != nil {
		return 0, 0, fmt.Errorf("check limit: read owner %d: %w", ownerID, err)
	}
	used, err = st.CountChecksOwnedBy(ctx, ownerID)
	if err != nil {
		return 0, 0, fmt.Errorf("check limit: %w", err)
	}
	return used, owner.CheckLimit, nil
}

// HasRoom is upstream's num_checks_available() > 0: the rule for a check
// made by hand (API, UI, copy). Checks made by a ping with ?create=1 may go
// to twice the limit (see ping.Resolver).
func HasRoom(used, limit int) bool { return limit-used > 0 }

// EnsureRoom answers ErrCheckLimit when the owner may not make one more check.
func EnsureRoom(ctx context.Context, st RoomStore, ownerID int64) error {
	used, limit, err := Room(ctx, st, ownerID)
	if err != nil {
		return err
	}
	if !HasRoom(used, limit) {
		return ErrCheckLimit
	}
	return nil
}

// RoomFunc binds Room to st, in the shape ping.ResolverOptions.Room takes.
func RoomFunc(st RoomStore) func(ctx context.Context, ownerID int64) (used, limit int, err error) {
	return func(ctx context.Context, ownerID int64) (int, int, error) { return Room(ctx, st, ownerID) }
}

// Pause pauses the check with the given id, as upstream: an
// already-processed flip to "paused" (it only feeds downtime statistics),
// the running start and the deadline cleared. Pausing a paused check
// writes nothing. After a pause the owner's reminder dates are planned
// again, since the last down check may just have been paused; a failure
// there is only logged (the pause is saved, and the nagger's next pass plans
// the same dates). paused reports whether anything changed.
func Pause(ctx context.Context, st *store.Store, id, ownerID int64, now time.Time, log *slog.Logger) (c model.Check, paused bool, err error) {
	now = now.UTC()
	c, err = st.EditCheckState(ctx, id, func(c *model.Check) (*model.Flip, error) {
		if c.Status == model.StatusPaused {
			return nil, store.ErrUnchanged
		}
		paused = true
		flip := &model.Flip{Created: now, OldStatus: c.Status, NewStatus: model.StatusPaused, Processed: &now}
		c.Status, c.LastStart, c.AlertAfter = model.StatusPaused, nil, nil
		return flip, nil
	})
	if err != nil {
		return c, false, err
	}
	if paused {
		if err := st.PlanNagsOfUser(ctx, ownerID, now); err != nil && log != nil {
			log.Warn("reminder dates after a pause", "check", c.Code, "err", err)
		}
	}
	return c, paused, nil
}

// Resume ends a pause: an already-processed flip to "new", and the check
// forgets its last ping and start, as upstream. A check that is not paused
// gives ErrNotPaused and is not written.
func Resume(ctx context.Context, st *store.Store, id int64, now time.Time) (model.Check, error) {
	now = now.UTC()
	return st.EditCheckState(ctx, id, func(c *model.Check) (*model.Flip, error) {
		if c.Status != model.StatusPaused {
			return nil, ErrNotPaused
		}
		flip := &model.Flip{Created: now, OldStatus: c.Status, NewStatus: model.StatusNew, Processed: &now}
		c.Status, c.LastStart, c.LastPing, c.AlertAfter = model.StatusNew, nil, nil, nil
		return flip, nil
	})
}

// Delete removes a check the way upstream's API and UI do
// (store.RenameAndDeleteCheck: pings find nothing at once, then the rows
// go); a check that is gone already is not an error.
func Delete(ctx context.Context, st *store.Store, id int64) error {
	return st.RenameAndDeleteCheck(ctx, id)
}

// copySuffix is what upstream's "Create a copy" appends to the name.
const copySuffix = " (copy)"

// CopyName is the copy's name: name + " (copy)", or, when that passes the
// 100-character limit, the first 90 characters + "... (copy)".
func CopyName(name string) string {
	n := name + copySuffix
	if utf8.RuneCountInString(n) <= MaxNameLen {
		return n
	}
	return string([]rune(name)[:MaxNameLen-10]) + "..." + copySuffix
}

// CopySlug is the copy's slug: slug + "-copy", or "" when that is too long.
func CopySlug(slug string) string {
	s := slug + "-copy"
	if len(s) > MaxSlugLen {
		return ""
	}
	return s
}

// Copy makes a copy of src in the same project, as upstream's "Create a
// copy": name and slug as CopyName and CopySlug, the description, tags,
// every filter and keyword, methods, manual_resume, kind, timeout, grace,
// schedule and zone, and the same channels; a new UUID and badge key and
// no history. The owner's check limit applies (ErrCheckLimit).
func Copy(ctx context.Context, st *store.Store, src *model.Check, ownerID int64, now time.Time) (model.Check, error) {
	if err := EnsureRoom(ctx, st, ownerID); err != nil {
		return model.Check{}, err
	}
	chans, err := st.ChannelsForCheck(ctx, src.ID)
	if err != nil {
		return model.Check{}, fmt.Errorf("copy check: %w", err)
	}
	ids := make([]int64, len(chans))
	for i, ch := range chans {
		ids[i] = ch.ID
	}
	c := model.NewCheck(src.ProjectID, now)
	c.Name, c.Slug = CopyName(src.Name), CopySlug(src.Slug)
	c.Desc, c.Tags = src.Desc, src.Tags
	c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail = src.FilterSubject, src.FilterBody, src.FilterHTTPBody, src.FilterDefaultFail
	c.StartKw, c.SuccessKw, c.FailureKw = src.StartKw, src.SuccessKw, src.FailureKw
	c.Methods, c.ManualResume = src.Methods, src.ManualResume
	c.Kind, c.Timeout, c.Grace, c.Schedule, c.TZ = src.Kind, src.Timeout, src.Grace, src.Schedule, src.TZ
	if err := st.CreateCheckWithChannels(ctx, &c, ids); err != nil {
		return model.Check{}, fmt.Errorf("copy check: %w", err)
	}
	return c, nil
}

// Create inserts a new check made by hand, linked to every channel of its
// project (as upstream's "Add check"), within the owner's check limit.
func Create(ctx context.Context, st *store.Store, c *model.Check, ownerID int64) error {
	if err := EnsureRoom(ctx, st, ownerID); err != nil {
		return err
	}
	return st.CreateCheck(ctx, c, true)
}

// SetSchedule changes a check's kind, period, grace, schedule and zone with
// edit and recomputes its deadline. As upstream's UI does, an up check that
// the new schedule makes overdue goes down at once, with an
// already-processed flip and no alert (one is not wanted for an interactive
// edit), and the owner's reminder dates are planned again.
func SetSchedule(ctx context.Context, st *store.Store, cache *schedule.Cache, id, ownerID int64, edit func(c *model.Check), now time.Time, log *slog.Logger) (model.Check, error) {
	now = now.UTC()
	c, err := st.EditCheckConfig(ctx, id, func(c *model.Check) (store.CheckEdit, error) {
		edit(c)
		sch, err := cache.Parse(c.Kind, c.Schedule, c.TZ)
		if err != nil {
			return store.CheckEdit{}, fmt.Errorf("set schedule: %w", err)
		}
		c.AlertAfter = schedule.GoingDownAfter(c, sch)
		return store.CheckEdit{}, nil
	})
	if err != nil || c.Status != model.StatusUp || c.AlertAfter == nil || !c.AlertAfter.Before(now) {
		return c, err
	}
	wentDown := false
	c, err = st.EditCheckState(ctx, id, func(c *model.Check) (*model.Flip, error) {
		// A ping may have come meanwhile: decide again on the locked row.
		if c.Status != model.StatusUp || c.AlertAfter == nil || !c.AlertAfter.Before(now) {
			return nil, store.ErrUnchanged
		}
		wentDown = true
		flip := &model.Flip{Created: now, OldStatus: c.Status, NewStatus: model.StatusDown, Processed: &now}
		c.Status, c.AlertAfter = model.StatusDown, nil
		return flip, nil
	})
	if err == nil && wentDown {
		if err := st.PlanNagsOfUser(ctx, ownerID, now); err != nil && log != nil {
			log.Warn("reminder dates after a schedule change", "check", c.Code, "err", err)
		}
	}
	return c, err
}

// SetChannel links (on) or unlinks a channel of the check's project.
func SetChannel(ctx context.Context, st *store.Store, c *model.Check, ch *model.Channel, on bool) error {
	if ch.ProjectID != c.ProjectID {
		return fmt.Errorf("channel %s is not in the check's project", ch.Code)
	}
	return st.SetCheckChannel(ctx, c.ID, ch.ID, on)
}

// MaxSlugLen is the longest slug (upstream's column width, which the ping
// resolver also knows).
const MaxSlugLen = ping.MaxSlugLen
