package store

import (
	"context"
	"fmt"
	"time"
)

// TOTP is a user's authenticator-app secret (base32, as enrolled).
type TOTP struct {
	UserID  int64
	Secret  string
	Created time.Time
}

// WebAuthnCredential is one registered security key. Data is the WebAuthn
// library's credential record (JSON), opaque to the store.
type WebAuthnCredential struct {
	ID      int64
	Code    string // UUID, in URLs
	UserID  int64
	Name    string
	Data    string
	Created time.Time
}

// MarkSessionAuth records that the session's user has just proved who they
// are (a second factor, a re-authentication), for sudo mode.
func (s *Store) MarkSessionAuth(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE sessions SET last_auth = ? WHERE token_hash = ?"), s.ts(at), tokenHash); err != nil {
		return fmt.Errorf("mark session authentication: %w", err)
	}
	return nil
}

// SessionAuthTime is when the session's user last authenticated; nil for a
// session made before that was recorded.
func (s *Store) SessionAuthTime(ctx context.Context, tokenHash string) (*time.Time, error) {
	var t *time.Time
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT last_auth FROM sessions WHERE token_hash = ?"), tokenHash).Scan(nullTimeScan{&t})
	if err != nil {
		return nil, notFound(err, "session")
	}
	return t, nil
}

// SetTOTP stores the user's TOTP secret. It fails with ErrDuplicate when
// one is already set: enrolling twice needs a removal first, as upstream.
func (s *Store) SetTOTP(ctx context.Context, userID int64, secret string, created time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO totp_secrets (user_id, secret, last_step, created) VALUES (?, ?, 0, ?)"),
		userID, secret, s.ts(created))
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("set TOTP of user %d: %w", userID, ErrDuplicate)
		}
		return fmt.Errorf("set TOTP of user %d: %w", userID, err)
	}
	return nil
}

// TOTPOf returns the user's TOTP secret; ErrNotFound when there is none.
func (s *Store) TOTPOf(ctx context.Context, userID int64) (TOTP, error) {
	t := TOTP{UserID: userID}
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT secret, created FROM totp_secrets WHERE user_id = ?"), userID).
		Scan(&t.Secret, timeScan{&t.Created})
	if err != nil {
		return TOTP{}, notFound(err, "TOTP secret")
	}
	return t, nil
}

// UseTOTPStep claims a TOTP time step for the user: it reports true only
// when step is later than every step used before, so that a code (and any
// older code) cannot be used again (RFC 6238 §5.2). Two requests racing
// with the same code cannot both win: only one update matches.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE totp_secrets SET last_step = ? WHERE user_id = ? AND last_step < ?"), step, userID, step)
	if err != nil {
		return false, fmt.Errorf("use TOTP step of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use TOTP step of user %d: %w", userID, err)
	}
	return n == 1, nil
}

// DeleteTOTP removes the user's TOTP secret; it reports whether there was one.
func (s *Store) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM totp_secrets WHERE user_id = ?"), userID)
	if err != nil {
		return false, fmt.Errorf("delete TOTP of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AddWebAuthnCredential stores a new security key; c.ID is set.
func (s *Store) AddWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error {
	id, err := s.insert(ctx, s.w, "INSERT INTO webauthn_credentials (code, user_id, name, data, created) VALUES (?, ?, ?, ?, ?)",
		c.Code, c.UserID, c.Name, c.Data, s.ts(c.Created))
	if err != nil {
		return fmt.Errorf("add security key for user %d: %w", c.UserID, err)
	}
	c.ID = id
	return nil
}

// WebAuthnCredentials lists the user's security keys, oldest first.
func (s *Store) WebAuthnCredentials(ctx context.Context, userID int64) ([]WebAuthnCredential, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT id, code, user_id, name, data, created FROM webauthn_credentials WHERE user_id = ? ORDER BY id"), userID)
	if err != nil {
		return nil, fmt.Errorf("list security keys of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []WebAuthnCredential
	for rows.Next() {
		var c WebAuthnCredential
		if err := rows.Scan(&c.ID, &c.Code, &c.UserID, &c.Name, &c.Data, timeScan{&c.Created}); err != nil {
			return nil, fmt.Errorf("list security keys of user %d: %w", userID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list security keys of user %d: %w", userID, err)
	}
	return out, nil
}

// UpdateWebAuthnData replaces a key's record (its signature counter moves
// on every use).
func (s *Store) UpdateWebAuthnData(ctx context.Context, userID, id int64, data string) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE webauthn_credentials SET data = ? WHERE id = ? AND user_id = ?"), data, id, userID)
	if err != nil {
		return fmt.Errorf("update security key %d: %w", id, err)
	}
	return nil
}

// DeleteWebAuthnCredential removes the user's key with this code; a code
// of another user's key is ErrNotFound, as a missing one.
func (s *Store) DeleteWebAuthnCredential(ctx context.Context, userID int64, code string) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM webauthn_credentials WHERE user_id = ? AND code = ?"), userID, code)
	if err != nil {
		return fmt.Errorf("delete security key: %w", err)
	}
	return mustAffect(res, "delete security key")
}

// DeleteSecondFactors removes every second factor of the user (the
// operator's recovery command) and reports how many there were.
func (s *Store) DeleteSecondFactors(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.WithTx(ctx, func(tx *Tx) error {
		for _, q := range []string{"DELETE FROM totp_secrets WHERE user_id = ?", "DELETE FROM webauthn_credentials WHERE user_id = ?"} {
			res, err := tx.Exec(ctx, q, userID)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete second factors of user %d: %w", userID, err)
	}
	return n, nil
}

// PutAuthState stores (or replaces) a short-lived ceremony state. Expired
// states are swept at the same time, so the table stays small without a
// job.
func (s *Store) PutAuthState(ctx context.Context, key string, userID int64, data string, expires, now time.Time) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM auth_states WHERE expires <= ? OR state_key = ?", s.ts(now), key); err != nil {
			return fmt.Errorf("put auth state: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO auth_states (state_key, user_id, data, expires) VALUES (?, ?, ?, ?)", key, userID, data, s.ts(expires)); err != nil {
			return fmt.Errorf("put auth state: %w", err)
		}
		return nil
	})
}

// AuthState returns a state's user and data when it has not expired at now.
func (s *Store) AuthState(ctx context.Context, key string, now time.Time) (int64, string, error) {
	var userID int64
	var data string
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT user_id, data FROM auth_states WHERE state_key = ? AND expires > ?"), key, s.ts(now)).
		Scan(&userID, &data)
	if err != nil {
		return 0, "", notFound(err, "auth state")
	}
	return userID, data, nil
}

// DeleteAuthState ends a state; it reports whether this call removed it,
// so that of two racing requests only one completes a ceremony.
func (s *Store) DeleteAuthState(ctx context.Context, key string) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM auth_states WHERE state_key = ?"), key)
	if err != nil {
		return false, fmt.Errorf("delete auth state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
