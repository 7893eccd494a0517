package web

import (
	"context"
	"slices"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// indexProject is one project of the projects list, with upstream's
// summary: how many checks it has, its overall status and whether a run
// is in progress.
type indexProject struct {
	store.ProjectRole
	NChecks int
	// Status is down when any check is down, else grace when any is
	// late, else up (also for a project without checks), as upstream's
	// _get_project_summary.
	Status  string
	Started bool
}

// summarizeProjects adds the summaries to the user's projects from one
// read of all their checks' states, and moves the projects that are down
// to the front, keeping the order otherwise, as upstream's index does.
func (w *Web) summarizeProjects(ctx context.Context, userID int64, projects []store.ProjectRole) ([]indexProject, error) {
	states, err := w.d.Store.ListUserCheckStates(ctx, userID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*indexProject, len(projects))
	out := make([]indexProject, len(projects))
	for i := range projects {
		out[i] = indexProject{ProjectRole: projects[i], Status: model.StatusUp}
		byID[projects[i].Project.ID] = &out[i]
	}
	now := w.d.Now()
	for i := range states {
		c := &states[i]
		p := byID[c.ProjectID]
		if p == nil { // a project that appeared between the two reads
			continue
		}
		p.NChecks++
		if c.LastStart != nil {
			p.Started = true
		}
		if p.Status == model.StatusDown {
			continue
		}
		sch := w.scheduleOf(c)
		switch schedule.Status(c, sch, now, false) {
		case model.StatusDown:
			p.Status = model.StatusDown
		case model.StatusGrace:
			p.Status = model.StatusGrace
		}
	}
	slices.SortStableFunc(out, func(a, b indexProject) int {
		return boolRank(b.Status == model.StatusDown) - boolRank(a.Status == model.StatusDown)
	})
	return out, nil
}
