package store

// Queries of the web UI's check pages (details, events log, channel
// switches).

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// SetCheckChannel links (on) or unlinks one channel and one check; a link
// between a check and a channel of another project is never made. Linking a
// linked pair or unlinking an unlinked one changes nothing.
func (s *Store) SetCheckChannel(ctx context.Context, checkID, channelID int64, on bool) error {
	q := "DELETE FROM channel_checks WHERE channel_id = ? AND check_id = ?"
	if on {
		q = s.d.insertIgnore("INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ? AND c.id = ?")
	}
	if _, err := s.w.ExecContext(ctx, s.d.rebind(q), channelID, checkID); err != nil {
		return fmt.Errorf("switch channel %d of check %d: %w", channelID, checkID, err)
	}
	return nil
}

// PreviewLen is how many bytes of a ping's body ListPingPreviews reads:
// upstream's event list reads 151 to show 150 and tell that there is more.
const PreviewLen = 151

// PingPreview is a ping with the first PreviewLen bytes of its body.
type PingPreview struct {
	PingInfo
	Preview []byte
}

// ListPingPreviews returns up to limit of a check's pings numbered below
// before (every ping when before <= 0), newest first, each with the start of
// its body: a page of the events log.
func (s *Store) ListPingPreviews(ctx context.Context, checkID, before int64, limit int) ([]PingPreview, error) {
	return s.ListPingPreviewsFiltered(ctx, checkID, PingFilter{Before: before}, limit)
}

// PingFilter narrows a page of the events log, as upstream's log filters.
type PingFilter struct {
	Before int64 // only pings numbered below Before, when > 0
	// Kinds are the stored kinds to list (model.PingSuccess is ""); nil
	// lists every kind, an empty slice none.
	Kinds []string
	// Since and Until bound the pings' time: Since <= created < Until,
	// each end open when nil.
	Since, Until *time.Time
}

// ListPingPreviewsFiltered is ListPingPreviews with upstream's log
// filters. Sorting by n rather than id keeps the per-check index in use, as
// upstream notes.
func (s *Store) ListPingPreviewsFiltered(ctx context.Context, checkID int64, f PingFilter, limit int) ([]PingPreview, error) {
	if limit <= 0 || (f.Kinds != nil && len(f.Kinds) == 0) {
		return nil, nil
	}
	q := "SELECT id, check_id, n, created, kind, scheme, remote_addr, method, ua, COALESCE(LENGTH(body), 0), " +
		"SUBSTR(body, 1, ?), rid, exit_status FROM pings WHERE check_id = ?" // pingInfoCols with the preview
	args := []any{PreviewLen, checkID}
	if f.Before > 0 {
		q += " AND n < ?"
		args = append(args, f.Before)
	}
	if f.Kinds != nil {
		q += " AND kind IN (?" + strings.Repeat(", ?", len(f.Kinds)-1) + ")"
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.Since != nil {
		q += " AND created >= ?"
		args = append(args, s.ts(*f.Since))
	}
	if f.Until != nil {
		q += " AND created < ?"
		args = append(args, s.ts(*f.Until))
	}
	q += " ORDER BY n DESC LIMIT ?"
	args = append(args, limit)
	return queryRows(ctx, s, fmt.Sprintf("list ping previews of check %d", checkID), q,
		func(sc scanner, p *PingPreview) error { return scanPingInfo(sc, &p.PingInfo, &p.Preview) }, args...)
}

// PingByN returns the check's ping number n with its whole body; n <= 0
// means the latest success or failure (upstream's "last ping" dialog skips
// start, log and ignored pings). ErrNotFound when there is none.
func (s *Store) PingByN(ctx context.Context, checkID, n int64) (model.Ping, error) {
	q := "SELECT " + pingCols + " FROM pings WHERE check_id = ? AND n = ? ORDER BY id DESC LIMIT 1"
	args := []any{checkID, n}
	if n <= 0 {
		q = "SELECT " + pingCols + " FROM pings WHERE check_id = ? AND kind IN (?, ?) ORDER BY n DESC LIMIT 1"
		args = []any{checkID, model.PingSuccess, model.PingFail}
	}
	p, err := scanPing(s.r.QueryRowContext(ctx, s.d.rebind(q), args...))
	if err != nil {
		return p, notFound(err, fmt.Sprintf("ping %d of check %d", n, checkID))
	}
	return p, nil
}

// ClearCheckEvents is upstream's "Clear events": the check becomes new, as
// if it had never been pinged, and its pings, flips and delivered
// notifications are deleted, in one transaction. Unlike upstream, a flip
// the alert engine has not handled yet and a notification still waiting in
// the outbox are kept, so that an alert already on its way is not lost.
// The ping numbers keep counting (n_pings is not reset), as upstream's do.
func (s *Store) ClearCheckEvents(ctx context.Context, checkID int64) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, "UPDATE checks SET status = 'new', last_ping = NULL, last_start = NULL, last_start_rid = NULL, "+
			"last_duration_us = NULL, has_confirmation_link = ?, alert_after = NULL WHERE id = ?", false, checkID)
		if err != nil {
			return fmt.Errorf("clear events of check %d: %w", checkID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("clear events of check %d", checkID)); err != nil {
			return err
		}
		for _, q := range []string{
			"DELETE FROM pings WHERE check_id = ?",
			"DELETE FROM flips WHERE check_id = ? AND processed IS NOT NULL",
			"DELETE FROM notifications WHERE check_id = ? AND status IN ('sent', 'failed')",
		} {
			if _, err := tx.Exec(ctx, q, checkID); err != nil {
				return fmt.Errorf("clear events of check %d: %w", checkID, err)
			}
		}
		return nil
	})
}

// TransferCheck moves a check to another project, as upstream's transfer:
// it leaves the old project's channels and is linked to every channel of
// the new one, in one transaction.
func (s *Store) TransferCheck(ctx context.Context, checkID, toProjectID int64) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, "UPDATE checks SET project_id = ? WHERE id = ?", toProjectID, checkID)
		if err != nil {
			return fmt.Errorf("transfer check %d: %w", checkID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("transfer check %d", checkID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM channel_checks WHERE check_id = ?", checkID); err != nil {
			return fmt.Errorf("transfer check %d: %w", checkID, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO channel_checks (channel_id, check_id) SELECT id, ? FROM channels WHERE project_id = ?", checkID, toProjectID); err != nil {
			return fmt.Errorf("transfer check %d: %w", checkID, err)
		}
		return nil
	})
}

// NotificationEvent is a notification as the events log shows it: when it
// was queued, through which channel, and how it went.
type NotificationEvent struct {
	Created     time.Time
	ChannelKind string
	ChannelName string
	CheckStatus string // the status it announced: down or up
	Status      string // queued, sending, sent or failed
	Error       string
}

// ListNotificationEventsBetween returns the check's notifications created
// in [since, until) (either end open when nil), newest first, with their
// channel's kind and name: the events log's third kind of line.
func (s *Store) ListNotificationEventsBetween(ctx context.Context, checkID int64, since, until *time.Time) ([]NotificationEvent, error) {
	q := "SELECT n.created, ch.kind, ch.name, n.check_status, n.status, n.error FROM notifications n JOIN channels ch ON ch.id = n.channel_id WHERE n.check_id = ?"
	args := []any{checkID}
	if since != nil {
		q += " AND n.created >= ?"
		args = append(args, s.ts(*since))
	}
	if until != nil {
		q += " AND n.created < ?"
		args = append(args, s.ts(*until))
	}
	return queryRows(ctx, s, fmt.Sprintf("list notifications of check %d", checkID), q+" ORDER BY n.id DESC",
		func(sc scanner, e *NotificationEvent) error {
			return sc.Scan(timeScan{&e.Created}, &e.ChannelKind, &e.ChannelName, &e.CheckStatus, &e.Status, &e.Error)
		}, args...)
}
