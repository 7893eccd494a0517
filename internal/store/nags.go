package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// downInOwnedProjects is true for a user who owns a project with a down check.
const downInOwnedProjects = "EXISTS (SELECT 1 FROM checks c JOIN projects p ON p.id = c.project_id WHERE p.owner_id = users.id AND c.status = 'down')"

// PlanNags keeps next_nag_date in step with the checks, as upstream's
// update_next_nag_date does when a check flips: a user with reminders on
// who has a down check and no date gets now+period, and a user whose checks
// are all up again loses the date. It returns how many users changed.
func (s *Store) PlanNags(ctx context.Context, now time.Time) (int, error) {
	return s.planNags(ctx, now, "")
}

// PlanNagsOfUser is PlanNags for one user, right away: upstream's
// Project.update_next_nag_dates, which the API's pause calls so that pausing
// the last down check clears the reminder date (and pausing one of several
// down checks plans it).
func (s *Store) PlanNagsOfUser(ctx context.Context, userID int64, now time.Time) error {
	if _, err := s.planNags(ctx, now, " AND id = ?", userID); err != nil {
		return fmt.Errorf("user %d: %w", userID, err)
	}
	return nil
}

// planNags is PlanNags over the users that the extra condition (and its
// arguments) selects.
func (s *Store) planNags(ctx context.Context, now time.Time, cond string, args ...any) (int, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT id, nag_period_us FROM users WHERE nag_period_us > 0 AND next_nag_date IS NULL AND "+downInOwnedProjects+cond), args...)
	if err != nil {
		return 0, fmt.Errorf("plan reminders: %w", err)
	}
	type plan struct {
		id     int64
		period time.Duration
	}
	var plans []plan
	for rows.Next() {
		var p plan
		if err := rows.Scan(&p.id, durScan{&p.period}); err != nil {
			rows.Close()
			return 0, fmt.Errorf("plan reminders: %w", err)
		}
		plans = append(plans, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("plan reminders: %w", err)
	}
	changed := 0
	for _, p := range plans {
		res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET next_nag_date = ? WHERE id = ? AND next_nag_date IS NULL"), s.ts(now.Add(p.period)), p.id)
		if err != nil {
			return changed, fmt.Errorf("plan reminders for user %d: %w", p.id, err)
		}
		n, _ := res.RowsAffected()
		changed += int(n)
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET next_nag_date = NULL WHERE next_nag_date IS NOT NULL AND NOT "+downInOwnedProjects+cond), args...)
	if err != nil {
		return changed, fmt.Errorf("clear reminders: %w", err)
	}
	n, _ := res.RowsAffected()
	return changed + int(n), nil
}

// DueNags returns the users with reminders on whose next_nag_date has come.
func (s *Store) DueNags(ctx context.Context, now time.Time) ([]model.User, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+userCols+" FROM users WHERE nag_period_us > 0 AND next_nag_date <= ? ORDER BY next_nag_date"), s.ts(now))
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("due reminders: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AdvanceNag moves a user's next_nag_date from old to next (nil clears it)
// with a compare-and-set, so that of several instances exactly one sends
// each reminder. It reports whether this caller won.
func (s *Store) AdvanceNag(ctx context.Context, userID int64, old time.Time, next *time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET next_nag_date = ? WHERE id = ? AND next_nag_date = ?"), s.tsPtr(next), userID, s.ts(old))
	if err != nil {
		return false, fmt.Errorf("advance reminder of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DownCheck is a check that is down, with its project's name.
type DownCheck struct {
	Check   model.Check
	Project string
}

// DownChecksOfUser returns the down checks in the projects the user owns,
// by project name and check name.
func (s *Store) DownChecksOfUser(ctx context.Context, userID int64) ([]DownCheck, error) {
	cols := "c." + strings.ReplaceAll(checkCols, ", ", ", c.")
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+cols+", p.name FROM checks c JOIN projects p ON p.id = c.project_id "+
		"WHERE p.owner_id = ? AND c.status = 'down' ORDER BY p.name, c.name, c.id"), userID)
	if err != nil {
		return nil, fmt.Errorf("down checks of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []DownCheck
	for rows.Next() {
		var d DownCheck
		c := &d.Check
		err := rows.Scan(append(checkDest(c), &d.Project)...)
		if err != nil {
			return nil, fmt.Errorf("down checks of user %d: %w", userID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// LastPingOfUser returns the newest last_ping of the checks in the
// projects the user owns, or nil when none was ever pinged: upstream sends
// no reminder (nor report) to an account whose checks have all been
// silent for 180 days (Profile.send_report).
func (s *Store) LastPingOfUser(ctx context.Context, userID int64) (*time.Time, error) {
	var t *time.Time
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT MAX(c.last_ping) FROM checks c JOIN projects p ON p.id = c.project_id WHERE p.owner_id = ?"), userID).
		Scan(nullTimeScan{&t})
	if err != nil {
		return nil, fmt.Errorf("last ping of user %d: %w", userID, err)
	}
	return t, nil
}
