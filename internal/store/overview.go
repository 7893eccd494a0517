package store

import (
	"context"
	"fmt"
)

// DownCountsByProject returns, for every project the user owns, how many
// of its checks are stored as down (projects without one are absent):
// the "Projects Overview" of upstream's alert emails (Project.get_n_down).
func (s *Store) DownCountsByProject(ctx context.Context, userID int64) (map[int64]int, error) {
	return s.countsByID(ctx, fmt.Sprintf("down checks per project of user %d", userID),
		"SELECT c.project_id, COUNT(*) FROM checks c JOIN projects p ON p.id = c.project_id "+
			"WHERE p.owner_id = ? AND c.status = 'down' GROUP BY c.project_id", userID)
}

// countsByID runs a query answering (id, count) rows and maps them.
func (s *Store) countsByID(ctx context.Context, what, query string, args ...any) (map[int64]int, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
