package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteProject deletes a project with everything in it, in one
// transaction: its checks' notifications, channel links, flips and pings,
// its checks, its channels, its team and the project. Children go first,
// each with one statement, so that no engine's cascade depth or ordering
// matters and a failure leaves the project whole.
func (s *Store) DeleteProject(ctx context.Context, projectID int64) error {
	const ofChecks = "check_id IN (SELECT id FROM checks WHERE project_id = ?)"
	steps := []string{
		"DELETE FROM notifications WHERE " + ofChecks,
		"DELETE FROM notifications WHERE channel_id IN (SELECT id FROM channels WHERE project_id = ?)",
		"DELETE FROM channel_checks WHERE " + ofChecks,
		"DELETE FROM channel_checks WHERE channel_id IN (SELECT id FROM channels WHERE project_id = ?)",
		"DELETE FROM flips WHERE " + ofChecks,
		"DELETE FROM pings WHERE " + ofChecks,
		"DELETE FROM checks WHERE project_id = ?",
		"DELETE FROM channels WHERE project_id = ?",
		"DELETE FROM members WHERE project_id = ?",
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		for _, q := range steps {
			if _, err := tx.Exec(ctx, q, projectID); err != nil {
				return fmt.Errorf("delete project %d: %w", projectID, err)
			}
		}
		res, err := tx.Exec(ctx, "DELETE FROM projects WHERE id = ?", projectID)
		if err != nil {
			return fmt.Errorf("delete project %d: %w", projectID, err)
		}
		return mustAffect(res, fmt.Sprintf("delete project %d", projectID))
	})
}

// CountProjectChecks counts a project's checks (what an ownership transfer
// adds to the new owner's total).
func (s *Store) CountProjectChecks(ctx context.Context, projectID int64) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM checks WHERE project_id = ?"), projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count checks of project %d: %w", projectID, err)
	}
	return n, nil
}

// InviteSuggestions lists, by email, the users who are members of another
// project of the same owner but not of this one: upstream's
// Project.invite_suggestions, people the owner already works with.
func (s *Store) InviteSuggestions(ctx context.Context, projectID, ownerID int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT DISTINCT u.email FROM users u JOIN members m ON m.user_id = u.id "+
		"JOIN projects p ON p.id = m.project_id WHERE p.owner_id = ? AND p.id <> ? "+
		"AND u.id NOT IN (SELECT user_id FROM members WHERE project_id = ?) ORDER BY u.email"), ownerID, projectID, projectID)
	if err != nil {
		return nil, fmt.Errorf("invite suggestions for project %d: %w", projectID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("invite suggestions for project %d: %w", projectID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("invite suggestions for project %d: %w", projectID, err)
	}
	return out, nil
}

// RequestTransfer offers the project to one of its members: any earlier
// offer is withdrawn, as upstream keeps at most one. A user who is not a
// member gives ErrNotFound and changes nothing.
func (s *Store) RequestTransfer(ctx context.Context, projectID, userID int64, now time.Time) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE members SET transfer_request = NULL WHERE project_id = ?", projectID); err != nil {
			return fmt.Errorf("request transfer of project %d: %w", projectID, err)
		}
		res, err := tx.Exec(ctx, "UPDATE members SET transfer_request = ? WHERE project_id = ? AND user_id = ?",
			s.ts(now.UTC().Truncate(time.Microsecond)), projectID, userID)
		if err != nil {
			return fmt.Errorf("request transfer of project %d: %w", projectID, err)
		}
		return mustAffect(res, fmt.Sprintf("request transfer of project %d to user %d", projectID, userID))
	})
}

// CancelTransfer withdraws any pending offer of the project.
func (s *Store) CancelTransfer(ctx context.Context, projectID int64) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE members SET transfer_request = NULL WHERE project_id = ?"), projectID); err != nil {
		return fmt.Errorf("cancel transfer of project %d: %w", projectID, err)
	}
	return nil
}

// RejectTransfer turns down the offer made to userID; without one it is
// ErrNotFound.
func (s *Store) RejectTransfer(ctx context.Context, projectID, userID int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE members SET transfer_request = NULL WHERE project_id = ? AND user_id = ? AND transfer_request IS NOT NULL"), projectID, userID)
	if err != nil {
		return fmt.Errorf("reject transfer of project %d: %w", projectID, err)
	}
	return mustAffect(res, fmt.Sprintf("reject transfer of project %d by user %d", projectID, userID))
}

// AcceptTransfer makes newOwner, who holds the pending offer, the owner of
// the project, and the old owner a member with the regular role ("w"), as
// upstream reuses the membership row. Both writes are conditional on the
// state the caller saw (the old owner, the pending offer), so a transfer
// that was cancelled or already accepted meanwhile is ErrNotFound and
// changes nothing.
func (s *Store) AcceptTransfer(ctx context.Context, projectID, oldOwner, newOwner int64) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		what := fmt.Sprintf("transfer project %d from user %d to user %d", projectID, oldOwner, newOwner)
		// The owner first: once it is known to be oldOwner, who is then no
		// member, the membership can become theirs without a conflict.
		res, err := tx.Exec(ctx, "UPDATE projects SET owner_id = ? WHERE id = ? AND owner_id = ?", newOwner, projectID, oldOwner)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := mustAffect(res, what); err != nil {
			return err
		}
		res, err = tx.Exec(ctx, "UPDATE members SET user_id = ?, role = 'w', transfer_request = NULL WHERE project_id = ? AND user_id = ? AND transfer_request IS NOT NULL",
			oldOwner, projectID, newOwner)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return mustAffect(res, what)
	})
}

// RenameProject sets only the project's name, so that a rename never
// writes back keys read before a concurrent rotation or revocation.
func (s *Store) RenameProject(ctx context.Context, projectID int64, name string) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE projects SET name = ? WHERE id = ?"), name, projectID)
	if err != nil {
		return fmt.Errorf("rename project %d: %w", projectID, err)
	}
	return mustAffect(res, fmt.Sprintf("rename project %d", projectID))
}

// ProjectKey names a key column of projects.
type ProjectKey string

const (
	KeyAPI         ProjectKey = "api_key"
	KeyAPIReadonly ProjectKey = "api_key_readonly"
	KeyPing        ProjectKey = "ping_key"
)

// SetProjectKey sets one key column (a digest for the API keys, the key
// itself for the ping key; "" clears it), and nothing else. A ping key
// another project holds gives ErrDuplicate.
func (s *Store) SetProjectKey(ctx context.Context, projectID int64, key ProjectKey, value string) error {
	var v any = value
	switch key {
	case KeyAPI, KeyAPIReadonly:
	case KeyPing:
		v = nullIfEmpty(value)
	default:
		return fmt.Errorf("set project key: no key %q", key)
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE projects SET "+string(key)+" = ? WHERE id = ?"), v, projectID)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("set %s of project %d: %w", key, projectID, ErrDuplicate)
		}
		return fmt.Errorf("set %s of project %d: %w", key, projectID, err)
	}
	return mustAffect(res, fmt.Sprintf("set %s of project %d", key, projectID))
}
