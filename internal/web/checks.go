package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// checkRow is one line of the dashboard.
type checkRow struct {
	Code, Name, Status, Schedule string
	Tags                         []string
	LastPing                     string
}

type dashboard struct {
	Project model.Project
	Role    model.Role
	Checks  []checkRow
	Down    int
}

// projectFor answers the request's project as the logged-in user may see
// it; it writes the answer itself (log-in redirect, 404, 503) when not.
func (w *Web) projectFor(rw http.ResponseWriter, r *http.Request) (model.Project, model.Role, bool) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return model.Project{}, "", false
	}
	code := r.PathValue("code")
	if !ping.IsCanonicalUUID(code) {
		w.notFound(rw)
		return model.Project{}, "", false
	}
	p, role, err := w.d.Store.ProjectAccess(r.Context(), code, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		w.notFound(rw)
		return model.Project{}, "", false
	}
	if err != nil {
		w.unavailable(rw, r, "read project", err)
		return model.Project{}, "", false
	}
	return p, role, true
}

func (w *Web) checksPage(rw http.ResponseWriter, r *http.Request) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return
	}
	checks, err := w.d.Store.ListChecks(r.Context(), p.ID)
	if err != nil {
		w.unavailable(rw, r, "list checks", err)
		return
	}
	now := w.d.Now()
	d := dashboard{Project: p, Role: role, Checks: make([]checkRow, 0, len(checks))}
	for i := range checks {
		c := &checks[i]
		var sch schedule.Schedule
		if c.Kind != model.KindSimple {
			sch, _ = w.d.Cache.Parse(c.Kind, c.Schedule, c.TZ)
		}
		row := checkRow{Code: c.Code, Name: c.Name, Status: schedule.Status(c, sch, now, false), Tags: c.TagsList(),
			Schedule: describeSchedule(c), LastPing: "never"}
		if c.LastPing != nil {
			row.LastPing = humanize.NaturalTime(*c.LastPing, now)
		}
		if row.Status == model.StatusDown {
			d.Down++
		}
		d.Checks = append(d.Checks, row)
	}
	title := p.Name
	if title == "" {
		title = "Checks"
	}
	if d.Down > 0 {
		title = fmt.Sprintf("%d down · %s", d.Down, title)
	}
	w.render(rw, r, http.StatusOK, "checks.html", title, d)
}

func describeSchedule(c *model.Check) string {
	if c.Kind == model.KindSimple {
		return "every " + humanize.Duration(c.Timeout) + ", grace " + humanize.Duration(c.Grace)
	}
	return c.Schedule + " (" + c.TZ + ")"
}
