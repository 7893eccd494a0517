package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// DueDecision is what the alert engine decided about one due check.
type DueDecision struct {
	// Down: the check is down; DownAt is the deadline it missed, which
	// becomes the flip's time as upstream records it.
	Down   bool
	DownAt time.Time
	// AlertAfter is the check's next look-at time when it is not down
	// (nil: it cannot go down on its own any more).
	AlertAfter *time.Time
}

// ProcessDue takes up to limit checks whose alert_after is at or before now
// and that are not down, earliest first, and writes decide's verdict for
// each: either status=down with a "timeout" flip and its notifications, or a
// new alert_after. Everything happens in one transaction.
//
// Two safeguards keep several engines from writing the same flip. On
// PostgreSQL and MySQL the rows are read FOR UPDATE SKIP LOCKED, so engines
// split the due checks between them instead of queueing on each other. And
// every write is a compare-and-set on the status and alert_after that were
// read: a ping or another engine that changed the check meanwhile makes the
// update miss, and no flip is written for it.
func (s *Store) ProcessDue(ctx context.Context, now time.Time, limit int, decide func(c *model.Check) DueDecision) (seen int, flips []model.Flip, err error) {
	if limit <= 0 {
		return 0, nil, fmt.Errorf("process due checks: limit must be positive, got %d", limit)
	}
	err = s.withTxIso(ctx, func(tx *sql.Tx) error {
		seen, flips = 0, nil
		q := "SELECT " + checkCols + " FROM checks WHERE alert_after <= ? AND status <> 'down' ORDER BY alert_after, id LIMIT ?"
		if s.d.skipLocked {
			q += " FOR UPDATE SKIP LOCKED"
		}
		checks, err := s.queryChecks(ctx, tx, "due checks", q, s.ts(now), limit)
		if err != nil {
			return err
		}
		seen = len(checks)
		var downIDs []int64
		for i := range checks {
			c := &checks[i]
			d := decide(c)
			if d.Down {
				res, err := tx.ExecContext(ctx, s.d.rebind("UPDATE checks SET status = 'down', alert_after = NULL WHERE id = ? AND status = ? AND alert_after = ?"),
					c.ID, c.Status, s.tsPtr(c.AlertAfter))
				if err != nil {
					return fmt.Errorf("mark check %d down: %w", c.ID, err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					continue
				}
				flips = append(flips, model.Flip{CheckID: c.ID, Created: d.DownAt.UTC(), OldStatus: c.Status, NewStatus: model.StatusDown, Reason: "timeout"})
				downIDs = append(downIDs, c.ID)
				continue
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind("UPDATE checks SET alert_after = ? WHERE id = ? AND status = ? AND alert_after = ?"),
				s.tsPtr(d.AlertAfter), c.ID, c.Status, s.tsPtr(c.AlertAfter)); err != nil {
				return fmt.Errorf("move alert_after of check %d: %w", c.ID, err)
			}
		}
		if err := s.insertFlips(ctx, tx, flips); err != nil {
			return err
		}
		return s.enqueueFlips(ctx, tx, downIDs, now)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("process due checks: %w", err)
	}
	return seen, flips, nil
}
