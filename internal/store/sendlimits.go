package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// limitCols are the columns of each monthly counter: limit, sent, last.
var limitCols = map[model.LimitKind][3]string{
	model.LimitSMS:  {"sms_limit", "sms_sent", "last_sms_date"},
	model.LimitCall: {"call_limit", "calls_sent", "last_call_date"},
}

// maxQuotaTries bounds the compare-and-set loop of AuthorizeSend. Each lost
// round means another sender took a send meanwhile, so the loop only runs
// long under more concurrent senders of one account than this.
const maxQuotaTries = 50

// AuthorizeSend takes one send of kind from the monthly quota of the user
// who owns the project, as upstream's Profile.authorize_sms and
// authorize_call, by model.SendQuota.Authorize. The counter is written with
// a compare-and-set of the values it was computed from, so two instances
// (or two workers) asking at once can never both take the last allowed
// send: the loser reads the new count and asks again. A refusal also
// carries the owner's address and the project's team, for upstream's
// "limit reached" email.
func (s *Store) AuthorizeSend(ctx context.Context, projectID int64, kind model.LimitKind, now time.Time) (model.SendGrant, error) {
	cols, ok := limitCols[kind]
	if !ok {
		return model.SendGrant{}, fmt.Errorf("authorize send: unknown limit kind %q", kind)
	}
	what := fmt.Sprintf("authorize %s send for project %d", kind, projectID)
	for range maxQuotaTries {
		var (
			userID int64
			email  string
			q      model.SendQuota
		)
		// Read through the writer: the compare-and-set below must compare
		// with what it would overwrite, not a replica's older copy.
		err := s.w.QueryRowContext(ctx, s.d.rebind("SELECT u.id, u.email, u."+cols[0]+", u."+cols[1]+", u."+cols[2]+
			" FROM projects p JOIN users u ON u.id = p.owner_id WHERE p.id = ?"), projectID).
			Scan(&userID, &email, &q.Limit, &q.Sent, nullTimeScan{&q.Last})
		if errors.Is(err, sql.ErrNoRows) {
			return model.SendGrant{}, fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		if err != nil {
			return model.SendGrant{}, fmt.Errorf("%s: %w", what, err)
		}
		next, allowed := q.Authorize(now)
		if !allowed {
			team, err := s.teamEmails(ctx, projectID, email)
			if err != nil {
				return model.SendGrant{}, fmt.Errorf("%s: %w", what, err)
			}
			return model.SendGrant{Limit: q.Limit, OwnerEmail: email, Team: team}, nil
		}
		// The old values go in the WHERE clause: NULL needs IS NULL.
		cond, args := cols[2]+" IS NULL", []any{next.Sent, s.tsPtr(next.Last), userID, q.Sent}
		if q.Last != nil {
			cond = cols[2] + " = ?"
			args = append(args, s.ts(*q.Last))
		}
		res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET "+cols[1]+" = ?, "+cols[2]+" = ? WHERE id = ? AND "+cols[1]+" = ? AND "+cond), args...)
		if err != nil {
			return model.SendGrant{}, fmt.Errorf("%s: %w", what, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return model.SendGrant{}, fmt.Errorf("%s: %w", what, err)
		} else if n == 1 {
			return model.SendGrant{Allowed: true, Limit: q.Limit, OwnerEmail: email}, nil
		}
	}
	return model.SendGrant{}, fmt.Errorf("%s: the counter kept changing under %d tries", what, maxQuotaTries)
}

// teamEmails is upstream's Project.team_emails: the owner's address, then
// the members' in address order.
func (s *Store) teamEmails(ctx context.Context, projectID int64, owner string) ([]string, error) {
	members, err := queryRows(ctx, s, fmt.Sprintf("team of project %d", projectID),
		"SELECT u.email FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY u.email",
		func(sc scanner, e *string) error { return sc.Scan(e) }, projectID)
	return append([]string{owner}, members...), err
}

// SendQuota reads a user's counter of kind.
func (s *Store) SendQuota(ctx context.Context, userID int64, kind model.LimitKind) (model.SendQuota, error) {
	cols, ok := limitCols[kind]
	if !ok {
		return model.SendQuota{}, fmt.Errorf("send quota: unknown limit kind %q", kind)
	}
	var q model.SendQuota
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+cols[0]+", "+cols[1]+", "+cols[2]+" FROM users WHERE id = ?"), userID).
		Scan(&q.Limit, &q.Sent, nullTimeScan{&q.Last})
	if errors.Is(err, sql.ErrNoRows) {
		return q, fmt.Errorf("send quota of user %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return q, fmt.Errorf("send quota of user %d: %w", userID, err)
	}
	return q, nil
}

// SetSendQuota writes a user's counter of kind (an operator's change of
// the limit, an import of upstream's profile). A negative limit or count
// is refused: upstream's would refuse every send, or never count.
func (s *Store) SetSendQuota(ctx context.Context, userID int64, kind model.LimitKind, q model.SendQuota) error {
	return s.setSendQuota(ctx, s.w, userID, kind, q)
}

func (s *Store) setSendQuota(ctx context.Context, db queryer, userID int64, kind model.LimitKind, q model.SendQuota) error {
	cols, ok := limitCols[kind]
	if !ok {
		return fmt.Errorf("set send quota: unknown limit kind %q", kind)
	}
	if q.Limit < 0 || q.Sent < 0 {
		return fmt.Errorf("set %s quota of user %d: the limit and count must not be negative (%d, %d)", kind, userID, q.Limit, q.Sent)
	}
	res, err := db.ExecContext(ctx, s.d.rebind("UPDATE users SET "+cols[0]+" = ?, "+cols[1]+" = ?, "+cols[2]+" = ? WHERE id = ?"),
		q.Limit, q.Sent, s.tsPtr(q.Last), userID)
	if err != nil {
		return fmt.Errorf("set %s quota of user %d: %w", kind, userID, err)
	}
	return mustAffect(res, fmt.Sprintf("set %s quota of user %d", kind, userID))
}

// PutSendQuotas writes an imported user's monthly counters; a nil one
// leaves the user's as it is.
func (it *ImportTx) PutSendQuotas(ctx context.Context, userID int64, sms, call *model.SendQuota) error {
	for kind, q := range map[model.LimitKind]*model.SendQuota{model.LimitSMS: sms, model.LimitCall: call} {
		if q == nil {
			continue
		}
		if err := it.s.setSendQuota(ctx, it.tx, userID, kind, *q); err != nil {
			return err
		}
	}
	return nil
}
