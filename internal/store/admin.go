package store

import (
	"context"
	"fmt"
	"time"
)

// The operator's overview: every user and project with their sizes, for
// the superuser's admin page.

// AdminUser is a user as the admin page lists them.
type AdminUser struct {
	ID          int64
	Email       string
	IsSuperuser bool
	Created     time.Time
	Projects    int // owned
	Checks      int // in the projects they own
}

// AdminProject is a project as the admin page lists them.
type AdminProject struct {
	ID                        int64
	Code, Name, OwnerEmail    string
	Checks, Channels, Members int
}

// AdminOverview lists up to limit users and up to limit projects, oldest
// first, with their counts.
func (s *Store) AdminOverview(ctx context.Context, limit int) ([]AdminUser, []AdminProject, error) {
	users, err := queryRows(ctx, s, "admin: list users", "SELECT id, email, is_superuser, created FROM users ORDER BY id LIMIT ?",
		func(sc scanner, u *AdminUser) error {
			return sc.Scan(&u.ID, &u.Email, &u.IsSuperuser, timeScan{&u.Created})
		}, limit)
	if err != nil {
		return nil, nil, err
	}
	projects, err := queryRows(ctx, s, "admin: list projects", "SELECT p.id, p.code, p.name, u.email FROM projects p JOIN users u ON u.id = p.owner_id ORDER BY p.id LIMIT ?",
		func(sc scanner, p *AdminProject) error { return sc.Scan(&p.ID, &p.Code, &p.Name, &p.OwnerEmail) }, limit)
	if err != nil {
		return nil, nil, err
	}

	counts := map[string]map[int64]int{}
	for name, q := range map[string]string{
		"owned projects":     "SELECT owner_id, COUNT(*) FROM projects GROUP BY owner_id",
		"owned checks":       "SELECT p.owner_id, COUNT(*) FROM checks c JOIN projects p ON p.id = c.project_id GROUP BY p.owner_id",
		"checks per project": "SELECT project_id, COUNT(*) FROM checks GROUP BY project_id",
		"channels":           "SELECT project_id, COUNT(*) FROM channels GROUP BY project_id",
		"members":            "SELECT project_id, COUNT(*) FROM members GROUP BY project_id",
	} {
		if counts[name], err = s.countsByID(ctx, "admin: count "+name, q); err != nil {
			return nil, nil, err
		}
	}
	for i := range users {
		users[i].Projects, users[i].Checks = counts["owned projects"][users[i].ID], counts["owned checks"][users[i].ID]
	}
	for i := range projects {
		id := projects[i].ID
		projects[i].Checks, projects[i].Channels, projects[i].Members = counts["checks per project"][id], counts["channels"][id], counts["members"][id]
	}
	return users, projects, nil
}

type scanner interface{ Scan(...any) error }

// queryRows runs a read query and scans each row into a new T.
func queryRows[T any](ctx context.Context, s *Store, what, query string, scan func(scanner, *T) error, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		// Scanned in place: a T as large as model.Check is not copied once
		// more per row.
		var zero T
		out = append(out, zero)
		if err := scan(rows, &out[len(out)-1]); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
