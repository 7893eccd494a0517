package store

// Queries of the Management API (internal/api). They exist apart from the
// generic check queries because the API has its own needs: the check list
// must fetch every channel link of a project in one query, edits must change
// only the configuration columns (a concurrent ping owns n_pings, last_ping
// and friends), and the ping list must not load ping bodies.

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

// ChannelCodesByCheck returns the UUIDs of the channels linked to each check
// of the project, in one query, so that listing checks costs two queries
// whatever their number.
func (s *Store) ChannelCodesByCheck(ctx context.Context, projectID int64) (map[int64][]string, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(
		"SELECT cc.check_id, ch.code FROM channel_checks cc JOIN channels ch ON ch.id = cc.channel_id WHERE ch.project_id = ?"), projectID)
	if err != nil {
		return nil, fmt.Errorf("channel links of project %d: %w", projectID, err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var (
			id   int64
			code string
		)
		if err := rows.Scan(&id, &code); err != nil {
			return nil, fmt.Errorf("channel links of project %d: %w", projectID, err)
		}
		out[id] = append(out[id], code)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("channel links of project %d: %w", projectID, err)
	}
	return out, nil
}

// CheckChannelCodes returns the UUIDs of the channels linked to one check.
func (s *Store) CheckChannelCodes(ctx context.Context, checkID int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(
		"SELECT ch.code FROM channel_checks cc JOIN channels ch ON ch.id = cc.channel_id WHERE cc.check_id = ?"), checkID)
	if err != nil {
		return nil, fmt.Errorf("channel links of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, fmt.Errorf("channel links of check %d: %w", checkID, err)
		}
		out = append(out, code)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("channel links of check %d: %w", checkID, err)
	}
	return out, nil
}

// CreateCheckWithChannels inserts c and links it to channelIDs (channels of
// other projects are skipped) in one transaction, so a failed link leaves no
// half-made check behind.
func (s *Store) CreateCheckWithChannels(ctx context.Context, c *model.Check, channelIDs []int64) error {
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
		return s.linkChannels(ctx, tx, id, channelIDs)
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

func (s *Store) linkChannels(ctx context.Context, tx *Tx, checkID int64, channelIDs []int64) error {
	q := s.d.insertIgnore("INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ? AND c.id = ?")
	for _, chID := range channelIDs {
		if _, err := tx.Exec(ctx, q, chID, checkID); err != nil {
			return fmt.Errorf("link channel %d: %w", chID, err)
		}
	}
	return nil
}

// ErrUnchanged may be returned by an EditCheckConfig or EditCheckState
// callback to end the transaction without writing; the edit then succeeds and
// returns the check as read.
var ErrUnchanged = errors.New("unchanged")

// lockCheck reads a check inside tx, locking its row where the engine can
// (SQLite's single writer connection already serialises writers).
func (s *Store) lockCheck(ctx context.Context, tx *Tx, id int64) (model.Check, error) {
	c, err := scanCheck(tx.QueryRow(ctx, "SELECT "+checkCols+" FROM checks WHERE id = ?"+s.d.lockClause(), id))
	if err != nil {
		return c, notFound(err, fmt.Sprintf("check %d", id))
	}
	return c, nil
}

// CheckEdit is what an EditCheckConfig callback decided.
type CheckEdit struct {
	// SetChannels replaces the check's channel links with ChannelIDs.
	SetChannels bool
	ChannelIDs  []int64
}

// EditCheckConfig reads the check with the given id under a row lock, lets
// fn change it, and writes back only the configuration columns (name, slug,
// tags, description, kind, timeout, grace, schedule, tz, filters, keywords,
// methods, manual_resume) and alert_after, so that a ping committed meanwhile
// is not overwritten. fn's error is returned unwrapped (ErrUnchanged means
// success without a write); a check that does not exist gives ErrNotFound.
func (s *Store) EditCheckConfig(ctx context.Context, id int64, fn func(c *model.Check) (CheckEdit, error)) (model.Check, error) {
	var out model.Check
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, err := s.lockCheck(ctx, tx, id)
		if err != nil {
			return err
		}
		edit, err := fn(&c)
		if err != nil {
			out = c
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE checks SET name = ?, slug = ?, tags = ?, description = ?, kind = ?, timeout_us = ?, grace_us = ?, schedule = ?, tz = ?, "+
			"filter_subject = ?, filter_body = ?, filter_http_body = ?, filter_default_fail = ?, start_kw = ?, success_kw = ?, failure_kw = ?, "+
			"methods = ?, manual_resume = ?, alert_after = ? WHERE id = ?",
			c.Name, c.Slug, c.Tags, c.Desc, c.Kind, us(c.Timeout), us(c.Grace), c.Schedule, c.TZ,
			c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail, c.StartKw, c.SuccessKw, c.FailureKw,
			c.Methods, c.ManualResume, s.tsPtr(c.AlertAfter), id)
		if err != nil {
			return fmt.Errorf("update check %d: %w", id, err)
		}
		if edit.SetChannels {
			if _, err := tx.Exec(ctx, "DELETE FROM channel_checks WHERE check_id = ?", id); err != nil {
				return fmt.Errorf("unlink channels of check %d: %w", id, err)
			}
			if err := s.linkChannels(ctx, tx, id, edit.ChannelIDs); err != nil {
				return fmt.Errorf("check %d: %w", id, err)
			}
		}
		out = c
		return nil
	})
	if errors.Is(err, ErrUnchanged) {
		return out, nil
	}
	return out, err
}

// EditCheckState reads the check under a row lock, lets fn change its state
// and optionally return a flip to record, and writes back status,
// last_ping, last_start and alert_after with the flip in one transaction:
// pausing and resuming. fn's error is returned unwrapped (ErrUnchanged
// means success without a write).
func (s *Store) EditCheckState(ctx context.Context, id int64, fn func(c *model.Check) (*model.Flip, error)) (model.Check, error) {
	var out model.Check
	err := s.WithTx(ctx, func(tx *Tx) error {
		c, err := s.lockCheck(ctx, tx, id)
		if err != nil {
			return err
		}
		flip, err := fn(&c)
		out = c
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE checks SET status = ?, last_ping = ?, last_start = ?, alert_after = ? WHERE id = ?",
			c.Status, s.tsPtr(c.LastPing), s.tsPtr(c.LastStart), s.tsPtr(c.AlertAfter), id)
		if err != nil {
			return fmt.Errorf("update state of check %d: %w", id, err)
		}
		if flip != nil {
			flip.CheckID = id
			if err := s.insertFlips(ctx, tx.tx, []model.Flip{*flip}); err != nil {
				return fmt.Errorf("check %d: %w", id, err)
			}
		}
		return nil
	})
	if errors.Is(err, ErrUnchanged) {
		return out, nil
	}
	return out, err
}

// ListFlipsBetween returns a check's flips, newest first by id as upstream's
// API orders them, optionally only those created at or after since and
// before until.
func (s *Store) ListFlipsBetween(ctx context.Context, checkID int64, since, until *time.Time) ([]model.Flip, error) {
	q := "SELECT " + flipCols + " FROM flips WHERE check_id = ?"
	args := []any{checkID}
	if since != nil {
		q += " AND created >= ?"
		args = append(args, s.ts(*since))
	}
	if until != nil {
		q += " AND created < ?"
		args = append(args, s.ts(*until))
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q+" ORDER BY id DESC"), args...)
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

// PingInfo is a ping without its body, and whether it has one.
type PingInfo struct {
	model.Ping
	HasBody bool
}

// ListPingInfos returns up to limit of a check's pings, newest first by id,
// without their bodies (only whether each has one): the API's ping list
// shows at most a link to the body.
func (s *Store) ListPingInfos(ctx context.Context, checkID int64, limit int) ([]PingInfo, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryRows(ctx, s, fmt.Sprintf("list pings of check %d", checkID),
		"SELECT "+pingInfoCols+" FROM pings WHERE check_id = ? ORDER BY id DESC LIMIT ?",
		func(sc scanner, p *PingInfo) error { return scanPingInfo(sc, p, nil) }, checkID, limit)
}

// pingInfoCols are a ping's columns without its body but with the body's
// length; scanPingInfo reads them (with the preview column, when asked,
// between the length and rid).
const pingInfoCols = "id, check_id, n, created, kind, scheme, remote_addr, method, ua, COALESCE(LENGTH(body), 0), rid, exit_status"

func scanPingInfo(sc scanner, p *PingInfo, preview *[]byte) error {
	var (
		bodyLen int64
		exit    sql.NullInt64
	)
	dest := []any{&p.ID, &p.CheckID, &p.N, timeScan{&p.Created}, &p.Kind, &p.Scheme, &p.RemoteAddr, &p.Method, &p.UA, &bodyLen}
	if preview != nil {
		dest = append(dest, preview)
	}
	if err := sc.Scan(append(dest, nullStrScan{&p.RID}, &exit)...); err != nil {
		return err
	}
	p.HasBody = bodyLen > 0
	if exit.Valid {
		v := int(exit.Int64)
		p.ExitStatus = &v
	}
	return nil
}

// PingBody returns the body of the check's ping number n; ErrNotFound when
// there is no such ping. An empty or NULL body comes back as nil.
func (s *Store) PingBody(ctx context.Context, checkID, n int64) ([]byte, error) {
	var body []byte
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT body FROM pings WHERE check_id = ? AND n = ? ORDER BY id DESC LIMIT 1"), checkID, n).Scan(&body)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("ping %d of check %d", n, checkID))
	}
	return body, nil
}

// OpsCounters are the numbers of upstream's operator metrics endpoint
// (/api/v3/metrics/): the largest ping and notification ids (nil when the
// table is empty) and how many flips wait for the alert engine.
type OpsCounters struct {
	MaxPingID           *int64
	MaxNotificationID   *int64
	NumUnprocessedFlips int64
}

// Ops reads the operator counters.
func (s *Store) Ops(ctx context.Context) (OpsCounters, error) {
	var (
		o         OpsCounters
		ping, ntf sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, "SELECT (SELECT MAX(id) FROM pings), (SELECT MAX(id) FROM notifications), "+
		"(SELECT COUNT(*) FROM flips WHERE processed IS NULL)").Scan(&ping, &ntf, &o.NumUnprocessedFlips)
	if err != nil {
		return o, fmt.Errorf("operator counters: %w", err)
	}
	if ping.Valid {
		o.MaxPingID = &ping.Int64
	}
	if ntf.Valid {
		o.MaxNotificationID = &ntf.Int64
	}
	return o, nil
}

// RenameAndDeleteCheck is upstream's Check.rename_and_delete, which its API
// and UI use to delete a check. It first gives the check a throw-away code
// and slug in a statement of its own, so that from then on pings by UUID
// or by slug find nothing and answer 404 at once, instead of queueing
// behind the delete's row lock (and, in a batched ping transaction, holding
// up every other check's pings) while the delete cascades through the
// check's pings, flips and notifications. Then it deletes the check, and
// retries the delete once if it fails (a deadlock with a concurrent writer,
// say). A check that is already gone is not an error, as upstream.
func (s *Store) RenameAndDeleteCheck(ctx context.Context, id int64) error {
	throwaway := uuid.NewString()
	if _, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE checks SET code = ?, slug = ? WHERE id = ?"), throwaway, throwaway, id); err != nil {
		return fmt.Errorf("rename check %d before deleting it: %w", id, err)
	}
	del := s.d.rebind("DELETE FROM checks WHERE id = ?")
	if _, err := s.w.ExecContext(ctx, del, id); err != nil {
		if _, err := s.w.ExecContext(ctx, del, id); err != nil {
			return fmt.Errorf("delete check %d: %w", id, err)
		}
	}
	return nil
}

// RunLookup asks for the latest start, success or failure ping of run RID
// ("" for pings without a run id) among the check's pings with an id below
// Before and created at or after Since.
type RunLookup struct {
	Before int64
	Since  time.Time
	RID    string
}

// RunEvent is what a RunLookup found: the ping's kind and time.
type RunEvent struct {
	Kind    string
	Created time.Time
}

// LatestRunEvents answers lookups for one check in one query (a UNION ALL
// of one single-row subquery per lookup), keyed by RID; a RID with no such
// ping is absent. This is the look-back of upstream's Ping.duration for the
// successes and failures of a ping list page whose start may lie before
// the page. The lookups must have distinct RIDs; callers keep them few (the
// API asks for at most ten).
func (s *Store) LatestRunEvents(ctx context.Context, checkID int64, lookups []RunLookup) (map[string]RunEvent, error) {
	out := map[string]RunEvent{}
	if len(lookups) == 0 {
		return out, nil
	}
	var (
		q    strings.Builder
		args []any
	)
	for i, l := range lookups {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		ridCond := "rid = ?"
		if l.RID == "" {
			ridCond = "rid IS NULL"
		}
		fmt.Fprintf(&q, "SELECT * FROM (SELECT rid, kind, created FROM pings WHERE check_id = ? AND id < ? AND created >= ? AND %s "+
			"AND kind IN ('start', '', 'fail') ORDER BY id DESC LIMIT 1) AS r%d", ridCond, i)
		args = append(args, checkID, l.Before, s.ts(l.Since))
		if l.RID != "" {
			args = append(args, l.RID)
		}
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("run look-back for check %d: %w", checkID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rid string
			ev  RunEvent
		)
		if err := rows.Scan(nullStrScan{&rid}, &ev.Kind, timeScan{&ev.Created}); err != nil {
			return nil, fmt.Errorf("run look-back for check %d: %w", checkID, err)
		}
		out[rid] = ev
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run look-back for check %d: %w", checkID, err)
	}
	return out, nil
}

// apiCheckCols are the columns the API's check list shows or needs to
// compute a status; reading five fewer columns than checkCols (two of them
// timestamps to parse) is a sixth less work per row, which is most of the
// cost of listing many checks on SQLite.
const apiCheckCols = "id, code, name, slug, tags, description, kind, timeout_us, grace_us, schedule, tz, " +
	"filter_subject, filter_body, filter_http_body, filter_default_fail, start_kw, success_kw, failure_kw, methods, manual_resume, badge_key, " +
	"status, n_pings, last_ping, last_start, last_duration_us"

// ListChecksForAPI returns the project's checks, oldest first, for the
// API's check list: every field the list shows is set, plus ProjectID;
// Created, LastStartRID, HasConfirmationLink and AlertAfter are left zero.
// (Fetching the channel links in the same query, as an aggregated column,
// was measured too: no faster on SQLite, half again slower on PostgreSQL.)
func (s *Store) ListChecksForAPI(ctx context.Context, projectID int64) ([]model.Check, error) {
	return queryRows(ctx, s, fmt.Sprintf("checks of project %d", projectID), "SELECT "+apiCheckCols+" FROM checks WHERE project_id = ? ORDER BY id",
		func(r scanner, c *model.Check) error {
			c.ProjectID = projectID
			return r.Scan(&c.ID, &c.Code, &c.Name, &c.Slug, &c.Tags, &c.Desc, &c.Kind, durScan{&c.Timeout}, durScan{&c.Grace}, &c.Schedule, &c.TZ,
				&c.FilterSubject, &c.FilterBody, &c.FilterHTTPBody, &c.FilterDefaultFail, &c.StartKw, &c.SuccessKw, &c.FailureKw,
				&c.Methods, &c.ManualResume, nullStrScan{&c.BadgeKey},
				&c.Status, &c.NPings, nullTimeScan{&c.LastPing}, nullTimeScan{&c.LastStart}, nullDurScan{&c.LastDuration})
		}, projectID)
}
