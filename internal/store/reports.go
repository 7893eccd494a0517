package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// reportDefaults fills in upstream's defaults for a new profile: monthly
// reports in UTC.
func reportDefaults(u *model.User) {
	if u.Reports == "" {
		u.Reports = model.ReportsMonthly
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
}

// DueReports returns up to limit users with reports on whose
// next_report_date has passed or was never planned, oldest date first
// (unplanned ones first of all), as upstream's sendreports picks them.
func (s *Store) DueReports(ctx context.Context, now time.Time, limit int) ([]model.User, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+userCols+" FROM users WHERE reports <> 'off' AND (next_report_date IS NULL OR next_report_date < ?) "+
		"ORDER BY next_report_date IS NOT NULL, next_report_date, id LIMIT ?"), s.ts(now.UTC()), limit)
	if err != nil {
		return nil, fmt.Errorf("due reports: %w", err)
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("due reports: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ClaimReport moves a user's next_report_date from old (nil: not planned)
// to next with a compare-and-set that also requires the frequency to still
// be freq, so that of several instances exactly one sends each report, and
// a user who changed the setting meanwhile is not sent the old kind. It
// reports whether this caller won.
func (s *Store) ClaimReport(ctx context.Context, userID int64, freq string, old, next *time.Time) (bool, error) {
	q := "UPDATE users SET next_report_date = ? WHERE id = ? AND reports = ? AND "
	args := []any{s.tsPtr(next), userID, freq}
	if old == nil {
		q += "next_report_date IS NULL"
	} else {
		q += "next_report_date = ?"
		args = append(args, s.ts(old.UTC()))
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return false, fmt.Errorf("claim report of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnsubscribeReports turns off a user's reports and reminders, as
// upstream's unsubscribe link and a report's permanent bounce do. A user
// that does not exist is ErrNotFound.
func (s *Store) UnsubscribeReports(ctx context.Context, userID int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET reports = 'off', next_report_date = NULL, nag_period_us = 0, next_nag_date = NULL WHERE id = ?"), userID)
	if err != nil {
		return fmt.Errorf("unsubscribe user %d from reports: %w", userID, err)
	}
	// MySQL connections count matched rows (ClientFoundRows), so a second
	// unsubscribe still affects one.
	return mustAffect(res, fmt.Sprintf("unsubscribe user %d from reports", userID))
}

// UserCheck is a check with the project it is in.
type UserCheck struct {
	Check       model.Check
	ProjectName string
	ProjectCode string
}

// ChecksOfUser returns every check of every project the user owns or is a
// member of (upstream's Profile.checks_from_all_projects), by project name
// and id (projects may share a name), then check id.
func (s *Store) ChecksOfUser(ctx context.Context, userID int64) ([]UserCheck, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+prefixCols("c.", checkCols)+", p.name, p.code FROM checks c JOIN projects p ON p.id = c.project_id "+
		"WHERE p.owner_id = ? OR p.id IN (SELECT project_id FROM members WHERE user_id = ?) ORDER BY p.name, p.id, c.id"), userID, userID)
	if err != nil {
		return nil, fmt.Errorf("checks of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []UserCheck
	for rows.Next() {
		var uc UserCheck
		if err := rows.Scan(append(checkDest(&uc.Check), &uc.ProjectName, &uc.ProjectCode)...); err != nil {
			return nil, fmt.Errorf("checks of user %d: %w", userID, err)
		}
		out = append(out, uc)
	}
	return out, rows.Err()
}

// FlipsSince returns the flips created after since of the given checks,
// by check id, each check's oldest first.
func (s *Store) FlipsSince(ctx context.Context, checkIDs []int64, since time.Time) (map[int64][]model.Flip, error) {
	out := map[int64][]model.Flip{}
	const chunk = 500
	for len(checkIDs) > 0 {
		ids := checkIDs[:min(chunk, len(checkIDs))]
		checkIDs = checkIDs[len(ids):]
		args := make([]any, 0, len(ids)+1)
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, s.ts(since.UTC()))
		q := "SELECT " + flipCols + " FROM flips WHERE check_id IN (?" + strings.Repeat(", ?", len(ids)-1) + ") AND created > ? ORDER BY check_id, created, id"
		rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("flips since %s: %w", since.Format(time.RFC3339), err)
		}
		for rows.Next() {
			var f model.Flip
			if err := rows.Scan(&f.ID, &f.CheckID, timeScan{&f.Created}, &f.OldStatus, &f.NewStatus, &f.Reason, nullTimeScan{&f.Processed}); err != nil {
				rows.Close()
				return nil, fmt.Errorf("flips since %s: %w", since.Format(time.RFC3339), err)
			}
			out[f.CheckID] = append(out[f.CheckID], f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("flips since %s: %w", since.Format(time.RFC3339), err)
		}
	}
	return out, nil
}
