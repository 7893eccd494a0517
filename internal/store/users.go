package store

import (
	"context"
	"fmt"

	"github.com/overdue/overdue/internal/model"
)

// themeOrDefault stores a user without a chosen theme as following the
// browser, as the column's default does.
func themeOrDefault(theme string) string {
	if theme == "" {
		return model.ThemeSystem
	}
	return theme
}

// SetUserPassword replaces a user's password hash and cancels the login
// links still outstanding for them (upstream clears profile.token when the
// password changes), in one transaction.
func (s *Store) SetUserPassword(ctx context.Context, userID int64, hash string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, "UPDATE users SET password = ? WHERE id = ?", hash, userID)
		if err != nil {
			return fmt.Errorf("set password of user %d: %w", userID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("set password of user %d", userID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM login_tokens WHERE user_id = ?", userID); err != nil {
			return fmt.Errorf("cancel login links of user %d: %w", userID, err)
		}
		return nil
	})
}

// SetUserEmail changes a user's email address. An address another user
// has (in any case) gives ErrDuplicate.
func (s *Store) SetUserEmail(ctx context.Context, userID int64, email string) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET email = ?, email_key = ? WHERE id = ?"), email, emailKey(email), userID)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("set email of user %d to %q: %w", userID, email, ErrDuplicate)
		}
		return fmt.Errorf("set email of user %d: %w", userID, err)
	}
	return mustAffect(res, fmt.Sprintf("set email of user %d", userID))
}

// SetUserTheme stores the theme a user picked.
func (s *Store) SetUserTheme(ctx context.Context, userID int64, theme string) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET theme = ? WHERE id = ?"), themeOrDefault(theme), userID)
	if err != nil {
		return fmt.Errorf("set theme of user %d: %w", userID, err)
	}
	return mustAffect(res, fmt.Sprintf("set theme of user %d", userID))
}

// DeleteUser deletes a user and every project they own, in one
// transaction. The foreign keys' cascades take the rest: the projects'
// checks, pings, flips, channels and notifications, and the user's
// sessions, login links and memberships in other people's projects. A
// user that does not exist is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		// Projects first and explicitly, so that the outcome does not
		// depend on the order in which an engine follows cascades.
		if _, err := tx.Exec(ctx, "DELETE FROM projects WHERE owner_id = ?", userID); err != nil {
			return fmt.Errorf("delete projects of user %d: %w", userID, err)
		}
		res, err := tx.Exec(ctx, "DELETE FROM users WHERE id = ?", userID)
		if err != nil {
			return fmt.Errorf("delete user %d: %w", userID, err)
		}
		return mustAffect(res, fmt.Sprintf("delete user %d", userID))
	})
}

// CreateSignedUpAccount writes a signed-up user, their first project and,
// when ch is not nil, that project's first integration (upstream gives a
// new account a verified email integration to its own address), in one
// transaction: a failure leaves none of them. Errors are CreateUser's,
// CreateProject's and CreateChannel's.
func (s *Store) CreateSignedUpAccount(ctx context.Context, u *model.User, p *model.Project, ch *model.Channel) error {
	err := s.WithTx(ctx, func(tx *Tx) error {
		if err := s.createUser(ctx, tx.tx, u); err != nil {
			return err
		}
		p.OwnerID = u.ID
		if err := s.createProject(ctx, tx.tx, p); err != nil {
			return err
		}
		if ch == nil {
			return nil
		}
		ch.ProjectID = p.ID
		return s.createChannel(ctx, tx.tx, ch)
	})
	if err != nil {
		u.ID, p.ID = 0, 0
		if ch != nil {
			ch.ID = 0
		}
	}
	return err
}
