package store

import (
	"context"
	"fmt"
)

// UserLimits are the limits an operator sets on a user, upstream's
// Profile fields of Django admin's "Limits" section: check_limit,
// ping_log_limit, sms_limit and call_limit. (Upstream v4.1 dropped
// team_limit; there is no column for it.)
type UserLimits struct {
	Checks  int // check_limit: checks across every project the user owns
	PingLog int // ping_log_limit: pings kept per check
	SMS     int // sms_limit: SMS and WhatsApp messages a month
	Calls   int // call_limit: phone calls a month
}

// LimitsOf reads a user's limits.
func (s *Store) LimitsOf(ctx context.Context, userID int64) (UserLimits, error) {
	var l UserLimits
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT check_limit, ping_log_limit, sms_limit, call_limit FROM users WHERE id = ?"), userID).
		Scan(&l.Checks, &l.PingLog, &l.SMS, &l.Calls)
	if err != nil {
		return l, notFound(err, fmt.Sprintf("limits of user %d", userID))
	}
	return l, nil
}

// SetLimits writes a user's four limits in one statement, and nothing
// else: the monthly counters (sms_sent, calls_sent and their dates) stay
// as the senders left them, so a change never loses a concurrent send's
// count. The caller validates the values (accounts.SetLimits).
func (s *Store) SetLimits(ctx context.Context, userID int64, l UserLimits) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET check_limit = ?, ping_log_limit = ?, sms_limit = ?, call_limit = ? WHERE id = ?"),
		l.Checks, l.PingLog, l.SMS, l.Calls, userID)
	if err != nil {
		return fmt.Errorf("set limits of user %d: %w", userID, err)
	}
	return mustAffect(res, fmt.Sprintf("set limits of user %d", userID))
}
