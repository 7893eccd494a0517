package store

import (
	"context"
	"fmt"

	"github.com/overdue/overdue/internal/model"
)

// ListUserCheckStates returns ListCheckStates' columns of every check in the
// projects the user owns or is a member of, in one query, as upstream's
// projects page reads checks_from_all_projects once: the projects list
// counts each project's checks and works out its overall status from them
// without a query per project.
func (s *Store) ListUserCheckStates(ctx context.Context, userID int64) ([]model.Check, error) {
	return s.checkStates(ctx, fmt.Sprintf("check states of user %d", userID),
		"project_id IN (SELECT id FROM projects WHERE owner_id = ? UNION SELECT project_id FROM members WHERE user_id = ?)", userID, userID)
}
