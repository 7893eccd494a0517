package store

import (
	"context"
	"fmt"
	"time"
)

// SetLastLogin records a successful log-in of the user at at (upstream's
// auth_user.last_login, which Django's login() sets).
func (s *Store) SetLastLogin(ctx context.Context, userID int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET last_login = ? WHERE id = ?"), s.ts(at.UTC()), userID); err != nil {
		return fmt.Errorf("set last log-in of user %d: %w", userID, err)
	}
	return nil
}

// LastLogin returns when the user last logged in, nil if never.
func (s *Store) LastLogin(ctx context.Context, userID int64) (*time.Time, error) {
	var t *time.Time
	if err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT last_login FROM users WHERE id = ?"), userID).Scan(nullTimeScan{&t}); err != nil {
		return nil, notFound(err, fmt.Sprintf("last log-in of user %d", userID))
	}
	return t, nil
}

// staleUser is the condition on the users row u that upstream's
// pruneusers deletes by: joined before the cutoff (the first parameter),
// never logged in, a member of no team. Overdue also keeps superusers and
// anyone owning a check: `overdue createsuperuser` and `overdue project
// create` make accounts that may be used through the API only, which
// upstream's signup form never does.
func staleUser(u string) string {
	return u + ".created < ? AND " + u + ".last_login IS NULL AND " + u + ".is_superuser = ? " +
		"AND NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = " + u + ".id) " +
		"AND NOT EXISTS (SELECT 1 FROM checks c JOIN projects p ON p.id = c.project_id WHERE p.owner_id = " + u + ".id)"
}

// StaleUsers returns up to limit ids above afterID, in order, of accounts
// that joined before cutoff and never logged in (see PruneStaleUser).
func (s *Store) StaleUsers(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]int64, error) {
	return queryRows(ctx, s, "stale users", "SELECT u.id FROM users u WHERE u.id > ? AND "+staleUser("u")+" ORDER BY u.id LIMIT ?",
		func(r scanner, id *int64) error { return r.Scan(id) }, afterID, s.ts(cutoff.UTC()), false, limit)
}

// PruneStaleUser deletes the user, with the projects they own (by their ON
// DELETE CASCADE; a stale account's projects hold no checks), if the account
// is still stale at cutoff. The delete tests the condition itself, so a
// log-in since StaleUsers read it keeps the account. It reports whether
// the user was deleted.
func (s *Store) PruneStaleUser(ctx context.Context, userID int64, cutoff time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM users WHERE id = ? AND "+staleUser("users")), userID, s.ts(cutoff.UTC()), false)
	if err != nil {
		return false, fmt.Errorf("prune stale user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PutUpstreamLogin records an imported user's Django user name (which
// upstream's report unsubscribe links sign) and upstream's last_login.
// The log-in only moves forward: a re-run never replaces a later log-in
// here with upstream's older one, or with its "never". It reports whether
// anything changed.
func (it *ImportTx) PutUpstreamLogin(ctx context.Context, userID int64, username string, lastLogin *time.Time) (bool, error) {
	changed := false
	var name *string
	if username != "" {
		name = &username
	}
	res, err := it.exec(ctx, "UPDATE users SET upstream_username = ? WHERE id = ? AND (upstream_username IS NULL OR upstream_username <> ?)", name, userID, username)
	if err != nil {
		return false, duplicateConflict(err, fmt.Sprintf("user %d's upstream user name %q", userID, username))
	}
	if n, _ := res.RowsAffected(); n > 0 && username != "" {
		changed = true
	}
	if lastLogin != nil {
		at := it.s.ts(lastLogin.UTC().Truncate(time.Microsecond))
		res, err := it.exec(ctx, "UPDATE users SET last_login = ? WHERE id = ? AND (last_login IS NULL OR last_login < ?)", at, userID, at)
		if err != nil {
			return false, fmt.Errorf("set last log-in of user %d: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed = true
		}
	}
	return changed, nil
}

// UserByUpstreamUsername returns the imported user with this Django user
// name.
func (s *Store) UserByUpstreamUsername(ctx context.Context, username string) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT id FROM users WHERE upstream_username = ?"), username).Scan(&id); err != nil {
		return 0, notFound(err, fmt.Sprintf("user with upstream name %q", username))
	}
	return id, nil
}
