package alerts

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

// OverviewStore is the part of the store ProjectsOverview uses.
type OverviewStore interface {
	UserByEmail(ctx context.Context, email string) (model.User, error)
	ListProjectsOwnedBy(ctx context.Context, userID int64) ([]model.Project, error)
	DownCountsByProject(ctx context.Context, userID int64) (map[int64]int, error)
}

// ProjectsOverview returns the email transport's Overview: when an alert
// goes to the address of an account, upstream's alert lists that account's
// projects, by name, each with its number of down checks.
func ProjectsOverview(st OverviewStore, siteRoot string) func(ctx context.Context, address string) ([]email.ProjectSummary, error) {
	root := strings.TrimRight(siteRoot, "/")
	return func(ctx context.Context, address string) ([]email.ProjectSummary, error) {
		u, err := st.UserByEmail(ctx, address)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		projects, err := st.ListProjectsOwnedBy(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		down, err := st.DownCountsByProject(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(projects, func(i, j int) bool {
			return strings.ToLower(projects[i].Name) < strings.ToLower(projects[j].Name)
		})
		out := make([]email.ProjectSummary, 0, len(projects))
		for _, p := range projects {
			name := p.Name
			if name == "" {
				name = u.Email
			}
			out = append(out, email.ProjectSummary{Name: name, URL: root + "/projects/" + p.Code + "/checks/", Down: down[p.ID]})
		}
		return out, nil
	}
}
