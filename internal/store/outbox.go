package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
)

// Notification statuses in the outbox.
const (
	NotifyQueued  = "queued"  // waiting for next_try
	NotifySending = "sending" // claimed; next_try is the lease's end
	NotifySent    = "sent"
	NotifyFailed  = "failed" // gave up: permanent error or out of retries
)

// enqueueFlips turns the unprocessed flips of the given checks into outbox
// rows, one per attached, enabled channel that wants the flip's event, and
// marks the flips processed. It runs inside the transaction that wrote the
// flips, so a flip and its notifications commit together or not at all.
// Callers hold the checks' rows (they just updated them), so no other
// transaction can be enqueueing the same flips.
func (s *Store) enqueueFlips(ctx context.Context, tx *sql.Tx, checkIDs []int64, now time.Time) error {
	if len(checkIDs) == 0 {
		return nil
	}
	type flip struct {
		id, checkID          int64
		oldStatus, newStatus string
	}
	type channel struct {
		id       int64
		up, down bool
	}
	var flips []flip
	byCheck := map[int64][]channel{}
	for start := 0; start < len(checkIDs); start += maxRowsPerInsert {
		chunk := checkIDs[start:min(start+maxRowsPerInsert, len(checkIDs))]
		in, args := inList(chunk)
		rows, err := tx.QueryContext(ctx, s.d.rebind("SELECT id, check_id, old_status, new_status FROM flips WHERE processed IS NULL AND check_id IN "+in+" ORDER BY id"), args...)
		if err != nil {
			return fmt.Errorf("enqueue: read flips: %w", err)
		}
		for rows.Next() {
			var f flip
			if err := rows.Scan(&f.id, &f.checkID, &f.oldStatus, &f.newStatus); err != nil {
				rows.Close()
				return fmt.Errorf("enqueue: read flips: %w", err)
			}
			flips = append(flips, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("enqueue: read flips: %w", err)
		}
		// Fastest channels first, as upstream's select_channels sorts them
		// (by last_notify_duration, never-notified last): rows are claimed
		// in id order, so a slow channel does not hold up the others.
		rows, err = tx.QueryContext(ctx, s.d.rebind("SELECT cc.check_id, ch.id, ch.kind, ch.value FROM channel_checks cc JOIN channels ch ON ch.id = cc.channel_id "+
			"WHERE ch.disabled = ? AND cc.check_id IN "+in+
			" ORDER BY CASE WHEN ch.last_notify_duration_us IS NULL THEN 1 ELSE 0 END, ch.last_notify_duration_us, ch.id"), append([]any{false}, args...)...)
		if err != nil {
			return fmt.Errorf("enqueue: read channels: %w", err)
		}
		for rows.Next() {
			var checkID int64
			var ch channel
			var kind, value string
			if err := rows.Scan(&checkID, &ch.id, &kind, &value); err != nil {
				rows.Close()
				return fmt.Errorf("enqueue: read channels: %w", err)
			}
			ch.up, ch.down = s.channelEvents(model.Channel{ID: ch.id, Kind: kind, Value: value})
			byCheck[checkID] = append(byCheck[checkID], ch)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("enqueue: read channels: %w", err)
		}
	}
	if len(flips) == 0 {
		return nil
	}

	var args []any
	flipIDs := make([]int64, 0, len(flips))
	for _, f := range flips {
		flipIDs = append(flipIDs, f.id)
		// As upstream's Flip.select_channels: nobody hears about a check
		// that comes up for the first time or after a pause, and only up
		// and down are events at all.
		if f.newStatus == model.StatusUp && (f.oldStatus == model.StatusNew || f.oldStatus == model.StatusPaused) {
			continue
		}
		if f.newStatus != model.StatusUp && f.newStatus != model.StatusDown {
			continue
		}
		for _, ch := range byCheck[f.checkID] {
			if (f.newStatus == model.StatusUp && !ch.up) || (f.newStatus == model.StatusDown && !ch.down) {
				continue
			}
			args = append(args, uuid.NewString(), f.checkID, ch.id, f.id, f.newStatus, s.ts(now), NotifyQueued, s.ts(now), "")
		}
	}
	const cols = 9
	for start := 0; start < len(args); start += maxRowsPerInsert * cols {
		chunk := args[start:min(start+maxRowsPerInsert*cols, len(args))]
		var b strings.Builder
		b.WriteString("INSERT INTO notifications (code, check_id, channel_id, flip_id, check_status, created, status, next_try, error) VALUES ")
		placeholders(&b, len(chunk)/cols, cols)
		if _, err := tx.ExecContext(ctx, s.d.rebind(b.String()), chunk...); err != nil {
			return fmt.Errorf("enqueue %d notifications: %w", len(chunk)/cols, err)
		}
	}
	for start := 0; start < len(flipIDs); start += maxRowsPerInsert {
		chunk := flipIDs[start:min(start+maxRowsPerInsert, len(flipIDs))]
		in, inArgs := inList(chunk)
		if _, err := tx.ExecContext(ctx, s.d.rebind("UPDATE flips SET processed = ? WHERE id IN "+in), append([]any{s.ts(now)}, inArgs...)...); err != nil {
			return fmt.Errorf("enqueue: mark %d flips processed: %w", len(chunk), err)
		}
	}
	return nil
}

// unprocessedCheckIDs lists the checks of flips that still need their
// notifications enqueued.
func unprocessedCheckIDs(flips []model.Flip) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, f := range flips {
		if f.Processed == nil && !seen[f.CheckID] {
			seen[f.CheckID] = true
			ids = append(ids, f.CheckID)
		}
	}
	return ids
}

// inList returns "(?,?,...)" and the ids as arguments.
func inList(ids []int64) (string, []any) {
	var b strings.Builder
	b.Grow(2 * len(ids))
	b.WriteByte('(')
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('?')
		args[i] = id
	}
	b.WriteByte(')')
	return b.String(), args
}

// Claim is one claimed outbox row with what is needed to send it.
type Claim struct {
	Notification model.Notification
	Check        model.Check
	Channel      model.Channel
	// Flip is zero when the flip row is gone (flips are pruned).
	Flip        model.Flip
	ProjectName string
}

// ClaimNotifications takes up to limit rows that are due (queued rows whose
// next_try has come, and claimed rows whose lease ran out because their
// claimer died), marks them "sending" with a lease until now+lease, and
// returns them. Several instances may claim at once: PostgreSQL and MySQL
// skip rows another claimer holds, so every row goes to one claimer; SQLite
// has one writer, so its claims are serial anyway.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Claim, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("claim notifications: limit must be positive, got %d", limit)
	}
	var ids []int64
	err := s.withTxIso(ctx, func(tx *sql.Tx) error {
		q := "SELECT id FROM notifications WHERE status IN ('queued', 'sending') AND next_try <= ? ORDER BY next_try, id LIMIT ?"
		if s.d.skipLocked {
			q += " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, s.d.rebind(q), s.ts(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		in, args := inList(ids)
		until := s.ts(now.Add(lease))
		_, err = tx.ExecContext(ctx, s.d.rebind("UPDATE notifications SET status = 'sending', attempts = attempts + 1, next_try = ?, lease_until = ? WHERE id IN "+in),
			append([]any{until, until}, args...)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.loadClaims(ctx, ids)
}

const claimCols = "n.id, n.code, n.check_id, n.channel_id, n.flip_id, n.check_status, n.created, n.status, n.attempts, n.next_try, n.lease_until, n.error, n.duration_us, " +
	"f.id, f.created, f.old_status, f.new_status, f.reason, p.name"

func (s *Store) loadClaims(ctx context.Context, ids []int64) ([]Claim, error) {
	in, args := inList(ids)
	checkPart := "c." + strings.ReplaceAll(checkCols, ", ", ", c.")
	chanPart := "ch." + strings.ReplaceAll(channelCols, ", ", ", ch.")
	// Read through the writer pool: on SQLite it is the connection that just
	// committed the claim, so the rows are certainly visible.
	rows, err := s.w.QueryContext(ctx, s.d.rebind("SELECT "+claimCols+", "+checkPart+", "+chanPart+
		" FROM notifications n JOIN checks c ON c.id = n.check_id JOIN channels ch ON ch.id = n.channel_id JOIN projects p ON p.id = c.project_id"+
		" LEFT JOIN flips f ON f.id = n.flip_id WHERE n.id IN "+in+" ORDER BY n.id"), args...)
	if err != nil {
		return nil, fmt.Errorf("load claimed notifications: %w", err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var cl Claim
		n := &cl.Notification
		var flipID sql.NullInt64
		var fOld, fNew, fReason sql.NullString
		var fCreated *time.Time
		var c model.Check
		var ch model.Channel
		dest := []any{&n.ID, &n.Code, &n.CheckID, &n.ChannelID, &nullInt{&n.FlipID}, &n.CheckStatus, timeScan{&n.Created}, &n.Status, &n.Attempts,
			timeScan{&n.NextTry}, nullTimeScan{&n.LeaseUntil}, &n.Error, nullDurScan{&n.Duration},
			&flipID, nullTimeScan{&fCreated}, &fOld, &fNew, &fReason, &cl.ProjectName}
		dest = append(dest, checkDest(&c)...)
		dest = append(dest,
			&ch.ID, &ch.Code, &ch.ProjectID, &ch.Name, &ch.Kind, &ch.Value, timeScan{&ch.Created}, &ch.EmailVerified,
			&ch.Disabled, &ch.LastError, nullTimeScan{&ch.LastNotify}, nullDurScan{&ch.LastNotifyDuration})
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load claimed notifications: %w", err)
		}
		if flipID.Valid {
			cl.Flip = model.Flip{ID: flipID.Int64, CheckID: c.ID, OldStatus: fOld.String, NewStatus: fNew.String, Reason: fReason.String}
			if fCreated != nil {
				cl.Flip.Created = *fCreated
			}
		}
		cl.Check, cl.Channel = c, ch
		out = append(out, cl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load claimed notifications: %w", err)
	}
	return out, nil
}

// nullInt scans a nullable integer into an *int64 pointer field.
type nullInt struct{ p **int64 }

func (n nullInt) Scan(src any) error {
	var v sql.NullInt64
	if err := v.Scan(src); err != nil {
		return err
	}
	if v.Valid {
		x := v.Int64
		*n.p = &x
	} else {
		*n.p = nil
	}
	return nil
}

// SendResult is the outcome of one delivery attempt.
type SendResult struct {
	NotificationID int64
	// Attempt is the claim's attempts value: a result whose row was claimed
	// again meanwhile (its lease ran out) is not recorded over the newer claim.
	Attempt   int
	ChannelID int64
	Started   time.Time
	Duration  time.Duration
	// Error is "" on success.
	Error string
	// Permanent disables the channel, as upstream does for errors such as a
	// deleted webhook or a revoked token.
	Permanent bool
	// RetryAt, when set, puts the row back in the queue for another attempt;
	// otherwise a failure is final.
	RetryAt *time.Time
	// NotSent marks a row that was dropped without a send (its channel was
	// disabled after the row was queued). Only the row is updated: the
	// channel keeps its last_notify and the last_error that disabled it,
	// as upstream never selects a disabled channel at all.
	NotSent bool
}

// RecordResults writes delivery outcomes, in one transaction: the
// notification's status, error text and duration, and the channel's
// last_notify, last_notify_duration and last_error (and disabled, on a
// permanent error), the newest result per channel winning. It returns how
// many results were stale (their row had been claimed again).
func (s *Store) RecordResults(ctx context.Context, results []SendResult) (stale int, err error) {
	if len(results) == 0 {
		return 0, nil
	}
	err = s.WithTx(ctx, func(tx *Tx) error {
		stale = 0
		latest := map[int64]SendResult{}
		for _, r := range results {
			status, nextTry := NotifySent, any(nil)
			switch {
			case r.Error == "":
			case r.RetryAt != nil && !r.Permanent:
				status, nextTry = NotifyQueued, s.ts(*r.RetryAt)
			default:
				status = NotifyFailed
			}
			res, err := tx.Exec(ctx, "UPDATE notifications SET status = ?, error = ?, duration_us = ?, lease_until = NULL, next_try = COALESCE(?, next_try) "+
				"WHERE id = ? AND attempts = ? AND status = 'sending'",
				status, r.Error, us(r.Duration), nextTry, r.NotificationID, r.Attempt)
			if err != nil {
				return fmt.Errorf("record result of notification %d: %w", r.NotificationID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				stale++
				continue
			}
			if r.NotSent {
				continue
			}
			if prev, ok := latest[r.ChannelID]; !ok || !r.Started.Before(prev.Started) {
				if ok && prev.Permanent {
					r.Permanent = true
				}
				latest[r.ChannelID] = r
			} else if r.Permanent {
				prev.Permanent = true
				latest[r.ChannelID] = prev
			}
		}
		for chID, r := range latest {
			_, err := tx.Exec(ctx, "UPDATE channels SET last_notify = ?, last_notify_duration_us = ?, last_error = ?, disabled = (disabled OR ?) WHERE id = ?",
				s.ts(r.Started), us(r.Duration), r.Error, r.Permanent, chID)
			if err != nil {
				return fmt.Errorf("record result on channel %d: %w", chID, err)
			}
		}
		return nil
	})
	return stale, err
}

// NextNotificationTry returns the earliest next_try of the rows still to be
// sent (queued, or claimed with a lease that may run out), or nil if none.
func (s *Store) NextNotificationTry(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.r.QueryRowContext(ctx, "SELECT MIN(next_try) FROM notifications WHERE status IN ('queued', 'sending')").Scan(nullTimeScan{&t})
	if err != nil {
		return nil, fmt.Errorf("next notification try: %w", err)
	}
	return t, nil
}

// LastPingBefore returns the newest ping of the check created at or before
// t, with its body, or nil when there is none: what alert messages show.
func (s *Store) LastPingBefore(ctx context.Context, checkID int64, t time.Time) (*model.Ping, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+pingCols+" FROM pings WHERE check_id = ? AND created <= ? ORDER BY n DESC LIMIT 1"), checkID, s.ts(t))
	if err != nil {
		return nil, fmt.Errorf("last ping of check %d: %w", checkID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	p, err := scanPing(rows)
	if err != nil {
		return nil, fmt.Errorf("last ping of check %d: %w", checkID, err)
	}
	return &p, nil
}

// ListNotifications returns a check's outbox rows, oldest first.
func (s *Store) ListNotifications(ctx context.Context, checkID int64) ([]model.Notification, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT id, code, check_id, channel_id, flip_id, check_status, created, status, attempts, next_try, lease_until, error, duration_us "+
		"FROM notifications WHERE check_id = ? ORDER BY id"), checkID)
	if err != nil {
		return nil, fmt.Errorf("notifications of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []model.Notification
	for rows.Next() {
		var n model.Notification
		if err := rows.Scan(&n.ID, &n.Code, &n.CheckID, &n.ChannelID, nullInt{&n.FlipID}, &n.CheckStatus, timeScan{&n.Created}, &n.Status, &n.Attempts,
			timeScan{&n.NextTry}, nullTimeScan{&n.LeaseUntil}, &n.Error, nullDurScan{&n.Duration}); err != nil {
			return nil, fmt.Errorf("notifications of check %d: %w", checkID, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// withTxIso runs fn in a write transaction. On MySQL it uses READ
// COMMITTED: claims and due-check scans lock rows with FOR UPDATE, and under
// MySQL's default REPEATABLE READ those range scans would also take gap
// locks that stall unrelated ping writes.
func (s *Store) withTxIso(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.d.name == "mysql" {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.w.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// NotificationFeedback records a delivery report that arrived after the
// send (upstream's notifications/<uuid>/status callback): the error goes on
// the notification and the channel, and disable also disables the channel.
// Only notifications created after since are considered; it reports
// whether one was found.
func (s *Store) NotificationFeedback(ctx context.Context, code string, since time.Time, errText string, disable bool) (bool, error) {
	found := false
	err := s.WithTx(ctx, func(tx *Tx) error {
		var id, channelID int64
		err := tx.QueryRow(ctx, "SELECT id, channel_id FROM notifications WHERE code = ? AND created > ?", strings.ToLower(code), s.ts(since)).Scan(&id, &channelID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if errText == "" {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE notifications SET error = ? WHERE id = ?", errText, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE channels SET last_error = ?, disabled = (disabled OR ?) WHERE id = ?", errText, disable, channelID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("notification feedback for %s: %w", code, err)
	}
	return found, nil
}

// DownSince returns when the check went down before t, or nil: as
// upstream's Flip.down_duration, the time of the check's newest flip before
// t if that flip went to "down" (when it went elsewhere, say to "paused",
// or flips were pruned, the downtime is unknown). An "up" alert uses it to
// say how long the downtime lasted.
func (s *Store) DownSince(ctx context.Context, checkID int64, t time.Time) (*time.Time, error) {
	var since *time.Time
	var status string
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT created, new_status FROM flips WHERE check_id = ? AND created < ? ORDER BY created DESC, id DESC LIMIT 1"), checkID, s.ts(t)).
		Scan(nullTimeScan{&since}, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("down since of check %d: %w", checkID, err)
	}
	if status != model.StatusDown {
		return nil, nil
	}
	return since, nil
}
