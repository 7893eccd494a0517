package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns an instance-wide setting, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SettingOrInit returns the stored value of a setting, storing value first
// when there is none. When several instances start at once, all of them get
// the value of whichever stored first.
func (s *Store) SettingOrInit(ctx context.Context, name, value string) (string, error) {
	q := s.d.rebind(s.d.insertIgnore("INSERT INTO settings (name, value) VALUES (?, ?)"))
	if _, err := s.w.ExecContext(ctx, q, name, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	// Read through the writer: on SQLite the read pool may not see a commit
	// made a moment ago by another process until its next transaction anyway,
	// and this keeps the answer consistent with the insert just made.
	var v string
	err := s.w.QueryRowContext(ctx, s.d.rebind("SELECT value FROM settings WHERE name = ?"), name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}
