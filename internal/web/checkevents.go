package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/store"
)

// The check's live status, one ping's details, clearing the events and
// moving the check to another project: upstream's status/, pings/<n>/,
// last_ping/, clear_events/ and transfer/ under /checks/<uuid>/.

// statusSingle is the details page's poll. Like upstream's, it answers
// 403 rather than a redirect to an anonymous request (a script asks), and
// sends the events table only when it changed since the client's ?u=, the
// "updated" version (eventsVersion) the page or the last round gave it.
type statusSingle struct {
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	LastPing   string `json:"last_ping"`
	NextPing   string `json:"next_ping"`
	Title      string `json:"title"`
	Updated    string `json:"updated"`
	Started    bool   `json:"started"`
	NPings     int64  `json:"n_pings"`
	Events     string `json:"events,omitempty"`
}

func (w *Web) checkStatus(rw http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) == nil {
		http.Error(rw, `{"error": "not logged in"}`, http.StatusForbidden)
		return
	}
	ca, ok := w.checkFor(rw, r, false)
	if !ok {
		return
	}
	c := &ca.Check
	now := w.d.Now()
	sch := w.scheduleOf(c)
	ver, err := w.eventsVersion(r, c)
	if err != nil {
		w.d.Log.Error("web: check status", "err", err)
		http.Error(rw, `{"error": "the database could not be reached"}`, http.StatusServiceUnavailable)
		return
	}
	d := w.timing(c, sch, now)
	out := statusSingle{Status: d.Status, StatusText: statusText(d.Status, c), LastPing: d.LastPing, NextPing: d.NextPing,
		Title: checkTitle(c, d.Status) + " · " + w.d.SiteName, Updated: ver, Started: c.LastStart != nil, NPings: c.NPings}
	if ver != r.URL.Query().Get("u") {
		// Only now is the table read: most rounds find nothing new.
		evs, _, err := w.events(r, c, allEvents(), 0, detailsEvents)
		if err != nil {
			w.d.Log.Error("web: check status", "err", err)
			http.Error(rw, `{"error": "the database could not be reached"}`, http.StatusServiceUnavailable)
			return
		}
		var b bytes.Buffer
		if err := w.pages["details.html"].ExecuteTemplate(&b, "events", evs); err != nil {
			w.d.Log.Error("web: render events", "err", err)
			http.Error(rw, `{"error": "the events could not be shown"}`, http.StatusInternalServerError)
			return
		}
		out.Events = b.String()
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(out)
}

// eventsVersion is the details page's events version: the check's ping
// count (every ping raises it) and the store's fingerprint of its flips
// and notifications, one small query.
func (w *Web) eventsVersion(r *http.Request, c *model.Check) (string, error) {
	v, err := w.d.Store.EventsVersion(r.Context(), c.ID)
	if err != nil {
		return "", err
	}
	return "p" + strconv.FormatInt(c.NPings, 10) + "." + v, nil
}

// checkTitle is the details page's title: the name, and "DOWN" first when
// the check is down, as upstream's down_title.
func checkTitle(c *model.Check, status string) string {
	t := c.NameThenCode()
	if status == model.StatusDown {
		t = "DOWN · " + t
	}
	return t
}

// pingData is one ping, whole.
type pingData struct {
	Check    model.Check
	Ping     model.Ping
	Kind     string
	Ago      string
	Body     string
	Empty    bool
	Duration string
}

// pingDetails is /checks/<uuid>/pings/<n>/, and /last_ping/ for the latest
// success or failure.
func (w *Web) pingDetails(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, false)
	if !ok {
		return
	}
	var n int64
	if s := r.PathValue("n"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 1 {
			w.notFound(rw)
			return
		}
		n = v
	}
	ctx := r.Context()
	p, err := w.d.Store.PingByN(ctx, ca.Check.ID, n)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.render(rw, r, http.StatusNotFound, "message.html", "No such ping",
			"This ping is not in the log: it never happened, or it is older than the pings the check keeps.")
		return
	case err != nil:
		w.unavailable(rw, r, "read ping", err)
		return
	}
	d := pingData{Check: ca.Check, Ping: p, Kind: kindName(p.Kind), Ago: humanize.NaturalTime(p.Created, w.d.Now()),
		Body: pycompat.DecodeUTF8(p.Body), Empty: len(p.Body) == 0}
	durations, err := checks.RunDurations(ctx, w.d.Store, ca.Check.ID, []store.PingInfo{pingInfo(&p)}, true)
	if err != nil {
		w.unavailable(rw, r, "read ping", err)
		return
	}
	if dur, ok := durations[0]; ok {
		d.Duration = humanize.DurationForSentence(dur)
	}
	w.render(rw, r, http.StatusOK, "ping.html", "Ping #"+strconv.FormatInt(p.N, 10)+" · "+ca.Check.NameThenCode(), d)
}

// pingInfo is the part of a ping RunDurations reads.
func pingInfo(p *model.Ping) store.PingInfo {
	info := store.PingInfo{Ping: *p, HasBody: len(p.Body) > 0}
	info.Body = nil
	return info
}

// clearEvents is upstream's "Clear events" button.
func (w *Web) clearEvents(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	err := w.d.Store.ClearCheckEvents(r.Context(), ca.Check.ID)
	w.afterAction(rw, r, &ca, "clear events", err)
}

// transferData is the transfer form: the projects the check can move to.
type transferData struct {
	Check    model.Check
	Project  model.Project
	Targets  []model.Project
	Error    string
	Selected string
}

// transfer is upstream's "Transfer to another project": to a project where
// the user may write; when it belongs to another owner, that owner's check
// limit must have room.
func (w *Web) transfer(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	ctx := r.Context()
	targets, err := w.writableProjects(r, ca.Project.ID)
	if err != nil {
		w.unavailable(rw, r, "list projects", err)
		return
	}
	d := transferData{Check: ca.Check, Project: ca.Project, Targets: targets}
	title := "Transfer · " + ca.Check.NameThenCode()
	if r.Method != http.MethodPost {
		w.render(rw, r, http.StatusOK, "transfer.html", title, d)
		return
	}
	if !w.readForm(rw, r) {
		return
	}
	d.Selected = strings.TrimSpace(r.PostForm.Get("project"))
	target := pickProject(d.Targets, d.Selected)
	if target == nil {
		// A project the user cannot write to is the same answer as one
		// that does not exist.
		d.Error = "Choose one of the projects listed."
		w.render(rw, r, http.StatusBadRequest, "transfer.html", title, d)
		return
	}
	if target.OwnerID != ca.Project.OwnerID {
		if err := checks.EnsureRoom(ctx, w.d.Store, target.OwnerID); err != nil {
			if !errors.Is(err, checks.ErrCheckLimit) {
				w.unavailable(rw, r, "count checks", err)
				return
			}
			d.Error = "The owner of that project has reached their check limit."
			w.render(rw, r, http.StatusBadRequest, "transfer.html", title, d)
			return
		}
	}
	if err := w.d.Store.TransferCheck(ctx, ca.Check.ID, target.ID); err != nil {
		w.unavailable(rw, r, "transfer check", err)
		return
	}
	http.Redirect(rw, r, w.base+"/checks/"+ca.Check.Code+"/details/?transferred=1", http.StatusSeeOther)
}

// writableProjects are the logged-in user's projects where their role may
// add checks and integrations, but the one with id skip (0 for none).
func (w *Web) writableProjects(r *http.Request, skip int64) ([]model.Project, error) {
	all, err := w.d.Store.ProjectsForUser(r.Context(), userFrom(r.Context()).ID)
	if err != nil {
		return nil, err
	}
	var out []model.Project
	for _, pr := range all {
		if pr.Project.ID != skip && pr.Role.CanWrite() {
			out = append(out, pr.Project)
		}
	}
	return out, nil
}

// pickProject is the project of ps with this UUID, or nil: a form may only
// name a project it was offered.
func pickProject(ps []model.Project, code string) *model.Project {
	for i := range ps {
		if ps[i].Code == code {
			return &ps[i]
		}
	}
	return nil
}
