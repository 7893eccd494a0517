package store

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds the rows one pruning statement deletes, so that on
// PostgreSQL and MySQL no delete holds locks (or, on SQLite, the single
// writer) long enough to delay pings.
const pruneBatch = 1000

// deleteBatched deletes the rows of table matching where (with args), at
// most pruneBatch rows per statement, until none is left or ctx ends, and
// returns how many went. Each statement commits on its own: a prune that
// stops half-way leaves nothing inconsistent, only rows for the next one.
func (s *Store) deleteBatched(ctx context.Context, table, where string, args ...any) (int64, error) {
	var q string
	if s.d.name == "mysql" {
		// MySQL has DELETE ... LIMIT but no LIMIT in an IN subquery.
		q = "DELETE FROM " + table + " WHERE " + where + " LIMIT ?"
	} else {
		q = "DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table + " WHERE " + where + " LIMIT ?)"
	}
	q = s.d.rebind(q)
	args = append(args[:len(args):len(args)], pruneBatch)
	var total int64
	for {
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// PingPrune is a check that holds pings beyond its owner's ping log limit.
type PingPrune struct {
	CheckID int64
	Keep    int
}

// PingPruneCandidates returns up to limit checks with id > afterID, in id
// order, that still hold a ping at or below n_pings - ping_log_limit of
// their project's owner: the pings the per-ping pruner has not caught yet
// (its queue overflowed, the limit was lowered, or the pings were imported).
func (s *Store) PingPruneCandidates(ctx context.Context, afterID int64, limit int) ([]PingPrune, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT c.id, u.ping_log_limit FROM checks c JOIN projects pr ON pr.id = c.project_id JOIN users u ON u.id = pr.owner_id "+
		"WHERE c.id > ? AND c.n_pings > u.ping_log_limit AND EXISTS (SELECT 1 FROM pings p WHERE p.check_id = c.id AND p.n <= c.n_pings - u.ping_log_limit) "+
		"ORDER BY c.id LIMIT ?"), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("checks with pings to prune: %w", err)
	}
	defer rows.Close()
	var out []PingPrune
	for rows.Next() {
		var p PingPrune
		if err := rows.Scan(&p.CheckID, &p.Keep); err != nil {
			return nil, fmt.Errorf("checks with pings to prune: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PruneHistory deletes, across all checks, the notifications and flips
// that upstream's retention lets go (see flipsPrunable), in bounded
// batches, and returns how many of each went.
func (s *Store) PruneHistory(ctx context.Context, now time.Time) (notifications, flips int64, err error) {
	notifications, err = s.deleteBatched(ctx, "notifications", notificationsPrunable)
	if err != nil {
		return notifications, 0, fmt.Errorf("prune notifications: %w", err)
	}
	flips, err = s.deleteBatched(ctx, "flips", flipsPrunable, s.ts(now.Add(-flipRetention).UTC()))
	if err != nil {
		return notifications, flips, fmt.Errorf("prune flips: %w", err)
	}
	return notifications, flips, nil
}

// PruneLoginTokens deletes the login links that expired before now
// (upstream keeps one per user in its profile row and never prunes it).
func (s *Store) PruneLoginTokens(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM login_tokens WHERE expires <= ?"), s.ts(now.UTC()))
	if err != nil {
		return 0, fmt.Errorf("prune login tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
