package store

import (
	"context"
	"fmt"

	"github.com/overdue/overdue/internal/model"
)

// ProjectByBadgeKey finds the project whose badge URLs carry key.
func (s *Store) ProjectByBadgeKey(ctx context.Context, key string) (model.Project, error) {
	if key == "" {
		return model.Project{}, fmt.Errorf("project with an empty badge key: %w", ErrNotFound)
	}
	return s.projectWhere(ctx, "project by badge key", "badge_key = ?", key)
}

// CheckByBadgeKey finds the check whose own badge URL carries key.
func (s *Store) CheckByBadgeKey(ctx context.Context, key string) (model.Check, error) {
	if key == "" {
		return model.Check{}, fmt.Errorf("check with an empty badge key: %w", ErrNotFound)
	}
	c, err := scanCheck(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+checkCols+" FROM checks WHERE badge_key = ?"), key))
	if err != nil {
		return c, notFound(err, "check by badge key")
	}
	return c, nil
}
