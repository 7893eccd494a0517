package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// checkRow is one line of the dashboard.
type checkRow struct {
	Code, Name, Slug, Status, Schedule string
	Tags                               []string
	LastPing                           string
	Started                            bool
	PingURL                            string
	created                            time.Time
	lastPing                           *time.Time
	nameKey                            string // pycompat.NaturalNameKey(Name), for the name sorts
}

// dashQuery is the dashboard's query string, upstream's names: tag= and
// status= repeat (a check must have every tag and one of the statuses),
// search= is a substring of the name, slug or UUID, sort= orders the rest.
type dashQuery struct {
	Tags     []string
	Statuses []string
	Search   string
	Sort     string
}

// sorts are upstream's sort keys, with the labels the page shows.
var sorts = [][2]string{
	{"created", "Created"}, {"name", "Name"}, {"-name", "Name, Z to A"},
	{"last_ping", "Last ping, oldest first"}, {"-last_ping", "Last ping, newest first"},
}

func parseDashQuery(q url.Values) dashQuery {
	d := dashQuery{Search: strings.TrimSpace(q.Get("search")), Sort: "created"}
	for _, t := range q["tag"] {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(d.Tags, t) {
			d.Tags = append(d.Tags, t)
		}
	}
	for _, s := range q["status"] {
		switch s {
		case model.StatusNew, model.StatusUp, model.StatusGrace, model.StatusDown, model.StatusPaused, model.StatusStarted:
			if !slices.Contains(d.Statuses, s) {
				d.Statuses = append(d.Statuses, s)
			}
		}
	}
	for _, s := range sorts {
		if q.Get("sort") == s[0] {
			d.Sort = s[0]
		}
	}
	return d
}

// keep reports whether a row passes the filters.
func (d dashQuery) keep(r *checkRow) bool {
	for _, t := range d.Tags {
		if !slices.Contains(r.Tags, t) {
			return false
		}
	}
	if len(d.Statuses) > 0 && !slices.Contains(d.Statuses, r.Status) && !(r.Started && slices.Contains(d.Statuses, model.StatusStarted)) {
		return false
	}
	if d.Search != "" {
		s := strings.ToLower(d.Search)
		if !strings.Contains(strings.ToLower(r.Name), s) && !strings.Contains(r.Slug, s) && !strings.Contains(r.Code, s) {
			return false
		}
	}
	return true
}

// order sorts rows as upstream does: down checks first, then by the
// chosen key; names compare naturally ("job 9" before "job 10").
func (d dashQuery) order(rows []checkRow) {
	slices.SortStableFunc(rows, func(a, b checkRow) int {
		if ad, bd := a.Status == model.StatusDown, b.Status == model.StatusDown; ad != bd {
			if ad {
				return -1
			}
			return 1
		}
		switch d.Sort {
		case "name":
			return strings.Compare(a.nameKey, b.nameKey)
		case "-name":
			return strings.Compare(b.nameKey, a.nameKey)
		case "last_ping", "-last_ping":
			c := cmpTimes(a.lastPing, b.lastPing)
			if d.Sort == "-last_ping" {
				c = -c
			}
			return c
		}
		return a.created.Compare(b.created)
	})
}

// cmpTimes orders never-pinged checks before any ping.
func cmpTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

type tagCount struct {
	Tag        string
	Down, All  int
	Selected   bool
	ToggleLink string
}

type dashboard struct {
	Project  model.Project
	Role     model.Role
	Checks   []checkRow
	Total    int // checks in the project, before filtering
	Counts   map[string]int
	Tags     []tagCount
	Query    dashQuery
	Sorts    [][2]string
	Statuses []string
	Filtered bool
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

// rows are the project's checks as the dashboard shows them now, in the
// store's order (by creation).
func (w *Web) rows(r *http.Request, p model.Project, full bool) ([]checkRow, error) {
	list := w.d.Store.ListCheckStates
	if full {
		list = w.d.Store.ListChecks
	}
	checks, err := list(r.Context(), p.ID)
	if err != nil {
		return nil, err
	}
	now := w.d.Now()
	rows := make([]checkRow, 0, len(checks))
	for i := range checks {
		c := &checks[i]
		sch := w.scheduleOf(c)
		row := checkRow{Code: c.Code, Status: schedule.Status(c, sch, now, false), LastPing: lastPingText(c, now),
			Started: c.LastStart != nil && c.Status != model.StatusPaused}
		if full {
			// The live poll needs only the above.
			row.Name, row.Slug, row.Tags, row.Schedule = c.Name, c.Slug, c.TagsList(), describeSchedule(c)
			row.PingURL, row.created, row.lastPing = w.pingURL+c.Code, c.Created, c.LastPing
			row.nameKey = pycompat.NaturalNameKey(c.Name)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func lastPingText(c *model.Check, now time.Time) string {
	if c.LastPing == nil {
		return "never"
	}
	s := humanize.NaturalTime(*c.LastPing, now)
	if c.LastDuration != nil && *c.LastDuration > 0 {
		s += ", took " + humanize.Duration(c.LastDuration.Truncate(time.Second))
	}
	return s
}

// countDown is the title's number.
func countDown(rows []checkRow) int {
	n := 0
	for i := range rows {
		if rows[i].Status == model.StatusDown {
			n++
		}
	}
	return n
}

func dashTitle(p model.Project, down int) string {
	title := p.Name
	if title == "" {
		title = "Checks"
	}
	if down > 0 {
		title = fmt.Sprintf("%d down · %s", down, title)
	}
	return title
}

func (w *Web) checksPage(rw http.ResponseWriter, r *http.Request) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return
	}
	rows, err := w.rows(r, p, true)
	if err != nil {
		w.unavailable(rw, r, "list checks", err)
		return
	}
	q := parseDashQuery(r.URL.Query())
	d := dashboard{Project: p, Role: role, Total: len(rows), Counts: map[string]int{}, Query: q, Sorts: sorts,
		Statuses: []string{model.StatusUp, model.StatusGrace, model.StatusDown, model.StatusNew, model.StatusPaused, model.StatusStarted},
		Filtered: len(q.Tags) > 0 || len(q.Statuses) > 0 || q.Search != ""}
	tags := map[string]*tagCount{}
	for i := range rows {
		d.Counts[rows[i].Status]++
		if rows[i].Started {
			d.Counts[model.StatusStarted]++
		}
		for _, t := range rows[i].Tags {
			tc := tags[t]
			if tc == nil {
				tc = &tagCount{Tag: t, Selected: slices.Contains(q.Tags, t)}
				tags[t] = tc
			}
			tc.All++
			if rows[i].Status == model.StatusDown {
				tc.Down++
			}
		}
	}
	for _, tc := range tags {
		d.Tags = append(d.Tags, *tc)
	}
	// Upstream sorts tags by their lowercased text (not naturally); tags
	// differing only in case keep a fixed order.
	slices.SortFunc(d.Tags, func(a, b tagCount) int {
		return cmp.Or(strings.Compare(pycompat.Lower(a.Tag), pycompat.Lower(b.Tag)), strings.Compare(a.Tag, b.Tag))
	})
	down := countDown(rows)
	kept := rows[:0]
	for i := range rows {
		if q.keep(&rows[i]) {
			kept = append(kept, rows[i])
		}
	}
	q.order(kept)
	d.Checks = kept
	w.render(rw, r, http.StatusOK, "checks.html", dashTitle(p, down), d)
}

// statusJSON is the live update of a dashboard: every check's status and
// last-ping text, and the page title. The page's script polls it.
type statusJSON struct {
	Details []statusDetail `json:"details"`
	Title   string         `json:"title"`
}

type statusDetail struct {
	Code     string `json:"code"`
	Status   string `json:"status"`
	LastPing string `json:"last_ping"`
	Started  bool   `json:"started"`
}

func (w *Web) checksStatus(rw http.ResponseWriter, r *http.Request) {
	p, _, ok := w.projectFor(rw, r)
	if !ok {
		return
	}
	rows, err := w.rows(r, p, false)
	if err != nil {
		w.d.Log.Error("web: checks status", "err", err)
		http.Error(rw, `{"error": "the database could not be reached"}`, http.StatusServiceUnavailable)
		return
	}
	out := statusJSON{Details: make([]statusDetail, len(rows)), Title: dashTitle(p, countDown(rows)) + " · " + w.d.SiteName}
	for i := range rows {
		out.Details[i] = statusDetail{Code: rows[i].Code, Status: rows[i].Status, LastPing: rows[i].LastPing, Started: rows[i].Started}
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(out)
}

func describeSchedule(c *model.Check) string {
	if c.Kind == model.KindSimple {
		return "every " + humanize.Duration(c.Timeout) + ", grace " + humanize.Duration(c.Grace)
	}
	return c.Schedule + " (" + c.TZ + ")"
}

// scheduleOf is c's parsed schedule, through the pages' cache, for
// schedule.Status and its kin: nil for a simple check, whose period is on
// c. A stored expression that no longer parses also gives nil: a page
// shows the check rather than fail.
func (w *Web) scheduleOf(c *model.Check) schedule.Schedule {
	if c.Kind == model.KindSimple {
		return nil
	}
	sch, _ := w.d.Cache.Parse(c.Kind, c.Schedule, c.TZ)
	return sch
}
