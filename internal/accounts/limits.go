package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/overdue/overdue/internal/store"
)

// MaxLimit bounds every user limit: far above upstream's no-payments
// 10,000, and far below the 32-bit columns' range, so that a typo of a few
// extra digits is refused rather than stored.
const MaxLimit = 1_000_000

// ErrNoSuchUser: no user has the email address given.
var ErrNoSuchUser = errors.New("there is no user with this email address")

// LimitChange is an operator's change of a user's limits: nil leaves a
// limit as it is.
type LimitChange struct {
	Checks, PingLog, SMS, Calls *int
}

// LimitError is a limit out of its range. Field is upstream's profile
// field ("check_limit"), so the CLI can name its flag.
type LimitError struct {
	Field    string
	Min, Max int
	Value    int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s must be a whole number from %d to %d, not %d", e.Field, e.Min, e.Max, e.Value)
}

// limitRule is one limit: its field, its range, and where it is in
// UserLimits and LimitChange.
type limitRule struct {
	field string
	min   int
	get   func(c LimitChange) *int
	set   func(l *store.UserLimits) *int
}

// limitRules are upstream's "Limits" fields of Django admin. A check limit
// or a monthly send limit of 0 is an operator's way to stop a user adding
// checks or sending SMS and calls; a ping log of 0 would delete every ping
// at the next sweep, so at least one is kept (PING_LOG_LIMIT's minimum).
func limitRules() []limitRule {
	return []limitRule{
		{"check_limit", 0, func(c LimitChange) *int { return c.Checks }, func(l *store.UserLimits) *int { return &l.Checks }},
		{"ping_log_limit", 1, func(c LimitChange) *int { return c.PingLog }, func(l *store.UserLimits) *int { return &l.PingLog }},
		{"sms_limit", 0, func(c LimitChange) *int { return c.SMS }, func(l *store.UserLimits) *int { return &l.SMS }},
		{"call_limit", 0, func(c LimitChange) *int { return c.Calls }, func(l *store.UserLimits) *int { return &l.Calls }},
	}
}

// Limit is one of a user's limits by upstream's profile field name.
type Limit struct {
	Field string
	Value int
}

// ListLimits is l as its fields, in upstream's order (the order of
// Django admin's "Limits" section), for printing.
func ListLimits(l store.UserLimits) []Limit {
	rules := limitRules()
	out := make([]Limit, len(rules))
	for i, r := range rules {
		out[i] = Limit{Field: r.field, Value: *r.set(&l)}
	}
	return out
}

// CheckLimits refuses the first limit of c out of its range, as a
// *LimitError, before anything is read or written.
func CheckLimits(c LimitChange) error {
	for _, r := range limitRules() {
		if v := r.get(c); v != nil && (*v < r.min || *v > MaxLimit) {
			return &LimitError{Field: r.field, Min: r.min, Max: MaxLimit, Value: *v}
		}
	}
	return nil
}

// Limits reads the limits of the user with this email address
// (ErrNoSuchUser when there is none), and the address as stored.
func (a *Accounts) Limits(ctx context.Context, address string) (string, store.UserLimits, error) {
	u, err := a.o.Store.UserByEmail(ctx, address)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.UserLimits{}, fmt.Errorf("%q: %w", address, ErrNoSuchUser)
	}
	if err != nil {
		return "", store.UserLimits{}, err
	}
	l, err := a.o.Store.LimitsOf(ctx, u.ID)
	return u.Email, l, err
}

// SetLimits applies c to the limits of the user with this email address
// and returns the address as stored and the limits before and after. Input out of range changes
// nothing (a *LimitError); the four limits are written in one statement,
// and the monthly send counters are left alone. Lowering a limit below
// what the user has takes nothing away: as upstream, it stops new checks
// or sends until the user is under it again.
func (a *Accounts) SetLimits(ctx context.Context, address string, c LimitChange) (email string, before, after store.UserLimits, err error) {
	if err := CheckLimits(c); err != nil {
		return "", before, after, err
	}
	u, err := a.o.Store.UserByEmail(ctx, address)
	if errors.Is(err, store.ErrNotFound) {
		return "", before, after, fmt.Errorf("%q: %w", address, ErrNoSuchUser)
	}
	if err != nil {
		return "", before, after, err
	}
	if before, err = a.o.Store.LimitsOf(ctx, u.ID); err != nil {
		return "", before, after, err
	}
	after = before
	for _, r := range limitRules() {
		if v := r.get(c); v != nil {
			*r.set(&after) = *v
		}
	}
	if after == before {
		return u.Email, before, after, nil
	}
	return u.Email, before, after, a.o.Store.SetLimits(ctx, u.ID, after)
}
