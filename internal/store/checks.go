package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

const checkCols = "id, code, project_id, name, slug, tags, description, created, kind, timeout_us, grace_us, schedule, tz, " +
	"filter_subject, filter_body, filter_http_body, filter_default_fail, start_kw, success_kw, failure_kw, methods, manual_resume, badge_key, " +
	"status, n_pings, last_ping, last_start, last_start_rid, last_duration_us, has_confirmation_link, alert_after"

func scanCheck(sc interface{ Scan(...any) error }) (model.Check, error) {
	var c model.Check
	err := sc.Scan(checkDest(&c)...)
	return c, err
}

// checkDest is the scan destinations of checkCols, in order, for queries
// that read more columns after a check's.
func checkDest(c *model.Check) []any {
	return []any{&c.ID, &c.Code, &c.ProjectID, &c.Name, &c.Slug, &c.Tags, &c.Desc, timeScan{&c.Created},
		&c.Kind, durScan{&c.Timeout}, durScan{&c.Grace}, &c.Schedule, &c.TZ,
		&c.FilterSubject, &c.FilterBody, &c.FilterHTTPBody, &c.FilterDefaultFail, &c.StartKw, &c.SuccessKw, &c.FailureKw,
		&c.Methods, &c.ManualResume, nullStrScan{&c.BadgeKey},
		&c.Status, &c.NPings, nullTimeScan{&c.LastPing}, nullTimeScan{&c.LastStart}, nullStrScan{&c.LastStartRID},
		nullDurScan{&c.LastDuration}, &c.HasConfirmationLink, nullTimeScan{&c.AlertAfter}}
}

func (s *Store) queryChecks(ctx context.Context, q queryer, what, query string, args ...any) ([]model.Check, error) {
	rows, err := q.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []model.Check
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// CreateCheck inserts c and sets its ID. With assignAllChannels the check is
// linked to every channel of its project, in the same transaction.
func (s *Store) CreateCheck(ctx context.Context, c *model.Check, assignAllChannels bool) error {
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	c.Created = c.Created.UTC().Truncate(time.Microsecond)
	c.Code = strings.ToLower(c.Code)
	err := s.WithTx(ctx, func(tx *Tx) error {
		id, err := s.insert(ctx, tx.tx, "INSERT INTO checks ("+checkCols[len("id, "):]+") VALUES (?"+strings.Repeat(", ?", 29)+")",
			s.checkArgs(c)...)
		if err != nil {
			return err
		}
		c.ID = id
		if assignAllChannels {
			_, err = tx.tx.ExecContext(ctx, s.d.rebind("INSERT INTO channel_checks (channel_id, check_id) SELECT id, ? FROM channels WHERE project_id = ?"), id, c.ProjectID)
		}
		return err
	})
	if err != nil {
		c.ID = 0
		if isDuplicate(err) {
			return fmt.Errorf("create check %q: %w", c.Code, ErrDuplicate)
		}
		return fmt.Errorf("create check %q: %w", c.Code, err)
	}
	return nil
}

// checkArgs lists every column but id, in checkCols order.
func (s *Store) checkArgs(c *model.Check) []any {
	return []any{c.Code, c.ProjectID, c.Name, c.Slug, c.Tags, c.Desc, s.ts(c.Created), c.Kind, us(c.Timeout), us(c.Grace), c.Schedule, c.TZ,
		c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail, c.StartKw, c.SuccessKw, c.FailureKw, c.Methods, c.ManualResume,
		nullIfEmpty(c.BadgeKey), c.Status, c.NPings, s.tsPtr(c.LastPing), s.tsPtr(c.LastStart), nullIfEmpty(c.LastStartRID),
		usPtr(c.LastDuration), c.HasConfirmationLink, s.tsPtr(c.AlertAfter)}
}

// CheckByCode finds a check by its ping UUID.
func (s *Store) CheckByCode(ctx context.Context, code string) (model.Check, error) {
	c, err := scanCheck(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+checkCols+" FROM checks WHERE code = ?"), strings.ToLower(code)))
	if err != nil {
		return c, notFound(err, fmt.Sprintf("check %q", code))
	}
	return c, nil
}

// CheckByID finds a check by id.
func (s *Store) CheckByID(ctx context.Context, id int64) (model.Check, error) {
	c, err := scanCheck(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+checkCols+" FROM checks WHERE id = ?"), id))
	if err != nil {
		return c, notFound(err, fmt.Sprintf("check %d", id))
	}
	return c, nil
}

// ChecksBySlug returns the project's checks with this slug, oldest first;
// more than one means the slug is ambiguous.
func (s *Store) ChecksBySlug(ctx context.Context, projectID int64, slug string) ([]model.Check, error) {
	return s.queryChecks(ctx, s.r, fmt.Sprintf("checks with slug %q", slug),
		"SELECT "+checkCols+" FROM checks WHERE project_id = ? AND slug = ? ORDER BY id", projectID, slug)
}

// ListChecks returns the project's checks, oldest first.
func (s *Store) ListChecks(ctx context.Context, projectID int64) ([]model.Check, error) {
	return s.queryChecks(ctx, s.r, fmt.Sprintf("checks of project %d", projectID),
		"SELECT "+checkCols+" FROM checks WHERE project_id = ? ORDER BY id", projectID)
}

// CountChecksOwnedBy counts the checks in every project the user owns, for
// the per-account check limit.
func (s *Store) CountChecksOwnedBy(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM checks c JOIN projects p ON p.id = c.project_id WHERE p.owner_id = ?"), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count checks of user %d: %w", userID, err)
	}
	return n, nil
}

// UpdateCheck writes every field of c except ID, Code, ProjectID and Created.
func (s *Store) UpdateCheck(ctx context.Context, c *model.Check) error {
	args := s.checkArgs(c)[2:] // from name on
	args = append(args[:4], args[5:]...)
	args = append(args, c.ID)
	res, err := s.w.ExecContext(ctx, s.d.rebind(updateCheckSQL), args...)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("update check %d: %w", c.ID, ErrDuplicate)
		}
		return fmt.Errorf("update check %d: %w", c.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("update check %d", c.ID))
}

const updateCheckSQL = "UPDATE checks SET name = ?, slug = ?, tags = ?, description = ?, kind = ?, timeout_us = ?, grace_us = ?, schedule = ?, tz = ?, " +
	"filter_subject = ?, filter_body = ?, filter_http_body = ?, filter_default_fail = ?, start_kw = ?, success_kw = ?, failure_kw = ?, methods = ?, " +
	"manual_resume = ?, badge_key = ?, status = ?, n_pings = ?, last_ping = ?, last_start = ?, last_start_rid = ?, last_duration_us = ?, " +
	"has_confirmation_link = ?, alert_after = ? WHERE id = ?"

// DeleteCheck deletes a check with its pings, flips, notifications and
// channel links (the foreign keys cascade).
func (s *Store) DeleteCheck(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM checks WHERE id = ?"), id)
	if err != nil {
		return fmt.Errorf("delete check %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("delete check %d", id))
}

// DueChecks returns up to limit checks whose alert_after is at or before
// now and that are not down, earliest first: the alert engine's scan.
func (s *Store) DueChecks(ctx context.Context, now time.Time, limit int) ([]model.Check, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("due checks: limit must be positive, got %d", limit)
	}
	return s.queryChecks(ctx, s.r, "due checks",
		"SELECT "+checkCols+" FROM checks WHERE alert_after <= ? AND status <> 'down' ORDER BY alert_after, id LIMIT ?", s.ts(now), limit)
}

// NextAlertAfter returns the earliest alert_after of the checks that are not
// down, or nil when no check can go down on its own.
func (s *Store) NextAlertAfter(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.r.QueryRowContext(ctx, "SELECT MIN(alert_after) FROM checks WHERE status <> 'down'").Scan(nullTimeScan{&t})
	if err != nil {
		return nil, fmt.Errorf("next alert_after: %w", err)
	}
	return t, nil
}

// ListCheckStates returns the project's checks, oldest first, with only
// what their current status depends on (and the last ping's time and
// duration): Code, Kind, Timeout, Grace, Schedule, TZ, Status, LastPing,
// LastStart and LastDuration. The dashboard's live poll asks for this
// every few seconds; reading all of checkCols made the store most of its
// cost (bench/RESULTS.md).
func (s *Store) ListCheckStates(ctx context.Context, projectID int64) ([]model.Check, error) {
	return s.checkStates(ctx, fmt.Sprintf("check states of project %d", projectID), "project_id = ?", projectID)
}

// checkStates reads ListCheckStates' columns (and the project) of the
// checks where the condition holds, oldest first.
func (s *Store) checkStates(ctx context.Context, what, where string, args ...any) ([]model.Check, error) {
	return queryRows(ctx, s, what,
		"SELECT id, project_id, code, kind, timeout_us, grace_us, schedule, tz, status, last_ping, last_start, last_duration_us FROM checks WHERE "+where+" ORDER BY id",
		func(r scanner, c *model.Check) error {
			return r.Scan(&c.ID, &c.ProjectID, &c.Code, &c.Kind, durScan{&c.Timeout}, durScan{&c.Grace}, &c.Schedule, &c.TZ,
				&c.Status, nullTimeScan{&c.LastPing}, nullTimeScan{&c.LastStart}, nullDurScan{&c.LastDuration})
		}, args...)
}
