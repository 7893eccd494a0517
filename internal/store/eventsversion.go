package store

import (
	"context"
	"fmt"
)

// EventsVersion is a cheap fingerprint of a check's flips and
// notifications: it changes when a flip or a notification is added or
// removed and when a notification is attempted, sent or fails. With the
// check's n_pings (which grows with every ping) it tells the details
// page's live poll whether the events table can have changed, so that the
// poll reads the table (pings, bodies, durations, flips, notifications)
// only then, instead of on every round.
func (s *Store) EventsVersion(ctx context.Context, checkID int64) (string, error) {
	// One statement: a scalar subquery over the flips index and one pass
	// over the check's notifications (notifications_check).
	q := "SELECT (SELECT COUNT(*) FROM flips WHERE check_id = ?), (SELECT COALESCE(MAX(id), 0) FROM flips WHERE check_id = ?), " +
		"COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(attempts), 0), " +
		"COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) " +
		"FROM notifications WHERE check_id = ?"
	var v [7]int64
	if err := s.r.QueryRowContext(ctx, s.d.rebind(q), checkID, checkID, checkID).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
		return "", fmt.Errorf("events version of check %d: %w", checkID, err)
	}
	return fmt.Sprintf("f%d-%d.n%d-%d-%d-%d-%d", v[0], v[1], v[2], v[3], v[4], v[5], v[6]), nil
}
