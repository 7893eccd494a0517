package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/overdue/overdue/internal/model"
)

// callbackError marks an error that came from ApplyPings' fn, so that it is
// returned untouched and never retried.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// maxApplyAttempts bounds the re-runs of a batch that lost a deadlock or a
// serialisation race on PostgreSQL/MySQL.
const maxApplyAttempts = 5

// ApplyPings is the ping writer's one call. In one transaction it loads the
// checks (locked, in id order, where the engine has row locks), calls fn,
// which mutates them in place and returns the pings and flips to insert,
// writes the ping-related columns of every loaded check back, inserts the
// rows, and commits. Ids that don't exist are absent from the map. fn may run
// more than once if the transaction has to be retried, so it must derive
// everything from the checks it is given. An error from fn aborts the
// transaction and is returned as is.
func (s *Store) ApplyPings(ctx context.Context, checkIDs []int64, fn func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	ids := slices.Clone(checkIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var err error
	for attempt := 1; attempt <= maxApplyAttempts; attempt++ {
		err = s.applyPingsOnce(ctx, ids, fn)
		var cbErr callbackError
		if errors.As(err, &cbErr) {
			return cbErr.err
		}
		if err == nil || !isRetryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("apply pings to %d checks: %w", len(ids), err)
	}
	return nil
}

func (s *Store) applyPingsOnce(ctx context.Context, ids []int64, fn func(map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	checks := make(map[int64]*model.Check, len(ids))
	if len(ids) > 0 {
		var b strings.Builder
		b.WriteString("SELECT " + checkCols + " FROM checks WHERE id IN (?")
		b.WriteString(strings.Repeat(",?", len(ids)-1))
		b.WriteString(") ORDER BY id" + s.d.lockClause())
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		list, err := s.queryChecks(ctx, tx, "load checks", b.String(), args...)
		if err != nil {
			return err
		}
		for i := range list {
			checks[list[i].ID] = &list[i]
		}
	}

	pings, flips, err := fn(checks)
	if err != nil {
		return callbackError{err}
	}
	for _, p := range pings {
		if _, ok := checks[p.CheckID]; !ok {
			return callbackError{fmt.Errorf("ping for check %d, which was not loaded", p.CheckID)}
		}
	}
	for _, f := range flips {
		if _, ok := checks[f.CheckID]; !ok {
			return callbackError{fmt.Errorf("flip for check %d, which was not loaded", f.CheckID)}
		}
	}

	if err := s.writeBackChecks(ctx, tx, ids, checks); err != nil {
		return err
	}
	if err := s.insertPings(ctx, tx, pings); err != nil {
		return err
	}
	if err := s.insertFlips(ctx, tx, flips); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

const pingUpdateSQL = "UPDATE checks SET status = ?, n_pings = ?, last_ping = ?, last_start = ?, last_start_rid = ?, " +
	"last_duration_us = ?, has_confirmation_link = ?, alert_after = ? WHERE id = ?"

// writeBackChecks updates the columns a ping can change, in id order (the
// order the locks were taken in). One prepared statement serves the batch.
func (s *Store) writeBackChecks(ctx context.Context, tx *sql.Tx, ids []int64, checks map[int64]*model.Check) error {
	if len(checks) == 0 {
		return nil
	}
	var stmt *sql.Stmt
	exec := func(args ...any) error {
		if len(checks) == 1 {
			_, err := tx.ExecContext(ctx, s.d.rebind(pingUpdateSQL), args...)
			return err
		}
		if stmt == nil {
			var err error
			if stmt, err = tx.PrepareContext(ctx, s.d.rebind(pingUpdateSQL)); err != nil {
				return err
			}
		}
		_, err := stmt.ExecContext(ctx, args...)
		return err
	}
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	for _, id := range ids {
		c, ok := checks[id]
		if !ok {
			continue
		}
		err := exec(c.Status, c.NPings, s.tsPtr(c.LastPing), s.tsPtr(c.LastStart), nullIfEmpty(c.LastStartRID),
			usPtr(c.LastDuration), c.HasConfirmationLink, s.tsPtr(c.AlertAfter), c.ID)
		if err != nil {
			return fmt.Errorf("update check %d: %w", id, err)
		}
	}
	return nil
}

const (
	pingInsertCols = 11
	// maxRowsPerInsert keeps multi-row statements to a size every engine
	// parses quickly and far below its placeholder limit.
	maxRowsPerInsert = 500
)

// insertPings writes the pings with multi-row INSERTs.
func (s *Store) insertPings(ctx context.Context, tx *sql.Tx, pings []model.Ping) error {
	args := make([]any, 0, min(len(pings), maxRowsPerInsert)*pingInsertCols)
	for start := 0; start < len(pings); start += maxRowsPerInsert {
		chunk := pings[start:min(start+maxRowsPerInsert, len(pings))]
		var b strings.Builder
		b.WriteString("INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, rid, exit_status) VALUES ")
		placeholders(&b, len(chunk), pingInsertCols)
		args = args[:0]
		for i := range chunk {
			p := &chunk[i]
			var exit any
			if p.ExitStatus != nil {
				exit = *p.ExitStatus
			}
			args = append(args, p.CheckID, p.N, s.ts(p.Created), p.Kind, p.Scheme, p.RemoteAddr, p.Method, p.UA, p.Body, nullIfEmpty(p.RID), exit)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert %d pings: %w", len(chunk), err)
		}
	}
	return nil
}

// insertFlips writes the flips with multi-row INSERTs.
func (s *Store) insertFlips(ctx context.Context, tx *sql.Tx, flips []model.Flip) error {
	for start := 0; start < len(flips); start += maxRowsPerInsert {
		chunk := flips[start:min(start+maxRowsPerInsert, len(flips))]
		var b strings.Builder
		b.WriteString("INSERT INTO flips (check_id, created, old_status, new_status, reason, processed) VALUES ")
		placeholders(&b, len(chunk), 6)
		args := make([]any, 0, len(chunk)*6)
		for _, f := range chunk {
			args = append(args, f.CheckID, s.ts(f.Created), f.OldStatus, f.NewStatus, f.Reason, s.tsPtr(f.Processed))
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert %d flips: %w", len(chunk), err)
		}
	}
	return nil
}

const pingCols = "id, check_id, n, created, kind, scheme, remote_addr, method, ua, body, rid, exit_status"

// ListPings returns a check's pings, newest first; limit <= 0 means all.
func (s *Store) ListPings(ctx context.Context, checkID int64, limit int) ([]model.Ping, error) {
	q := "SELECT " + pingCols + " FROM pings WHERE check_id = ? ORDER BY n DESC"
	args := []any{checkID}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []model.Ping
	for rows.Next() {
		var (
			p    model.Ping
			exit sql.NullInt64
		)
		err := rows.Scan(&p.ID, &p.CheckID, &p.N, timeScan{&p.Created}, &p.Kind, &p.Scheme, &p.RemoteAddr, &p.Method, &p.UA,
			&p.Body, nullStrScan{&p.RID}, &exit)
		if err != nil {
			return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
		}
		if exit.Valid {
			v := int(exit.Int64)
			p.ExitStatus = &v
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pings of check %d: %w", checkID, err)
	}
	return out, nil
}

// PrunePings deletes the check's pings older than the newest keep ones
// (those with n <= n_pings - keep).
func (s *Store) PrunePings(ctx context.Context, checkID int64, keep int) error {
	if keep < 0 {
		return fmt.Errorf("prune pings of check %d: keep must not be negative, got %d", checkID, keep)
	}
	var nPings int64
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT n_pings FROM checks WHERE id = ?"), checkID).Scan(&nPings)
	if err != nil {
		return notFound(err, fmt.Sprintf("prune pings of check %d", checkID))
	}
	if nPings <= int64(keep) {
		return nil
	}
	_, err = s.w.ExecContext(ctx, s.d.rebind("DELETE FROM pings WHERE check_id = ? AND n <= ?"), checkID, nPings-int64(keep))
	if err != nil {
		return fmt.Errorf("prune pings of check %d: %w", checkID, err)
	}
	return nil
}

const flipCols = "id, check_id, created, old_status, new_status, reason, processed"

// ListFlips returns a check's flips, newest first.
func (s *Store) ListFlips(ctx context.Context, checkID int64) ([]model.Flip, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+flipCols+" FROM flips WHERE check_id = ? ORDER BY created DESC, id DESC"), checkID)
	if err != nil {
		return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []model.Flip
	for rows.Next() {
		var f model.Flip
		if err := rows.Scan(&f.ID, &f.CheckID, timeScan{&f.Created}, &f.OldStatus, &f.NewStatus, &f.Reason, nullTimeScan{&f.Processed}); err != nil {
			return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flips of check %d: %w", checkID, err)
	}
	return out, nil
}
