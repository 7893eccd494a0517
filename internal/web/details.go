package web

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/reports"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// Pages of one check: details, events log, cloaked links. The edit forms
// are in checkedit.go.

const (
	detailsEvents = 20  // events on the details page
	logPage       = 100 // events per page of the log
	// maxFilteredEvents bounds a log of flips and notifications only
	// (upstream's log shows at most 1,000 events).
	maxFilteredEvents = 1000
	previewShown      = store.PreviewLen - 1
)

// checkAccess is a check as the logged-in user may see it.
type checkAccess struct {
	Check   model.Check
	Project model.Project
	Role    model.Role
}

// checkFor loads the check named by the request's {code} for the logged-in
// user, as upstream's _get_check_for_user: a check of a project the user
// cannot see is the same 404 as a missing one, and with write a read-only
// member gets 403. It writes the answer itself when it returns false.
func (w *Web) checkFor(rw http.ResponseWriter, r *http.Request, write bool) (checkAccess, bool) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return checkAccess{}, false
	}
	code := r.PathValue("code")
	if !ping.IsCanonicalUUID(code) {
		w.notFound(rw)
		return checkAccess{}, false
	}
	ctx := r.Context()
	c, err := w.d.Store.CheckByCode(ctx, code)
	var p model.Project
	var role model.Role
	if err == nil {
		if p, err = w.d.Store.ProjectByID(ctx, c.ProjectID); err == nil {
			p, role, err = w.d.Store.ProjectAccess(ctx, p.Code, u.ID)
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
		return checkAccess{}, false
	case err != nil:
		w.unavailable(rw, r, "read check", err)
		return checkAccess{}, false
	case write && !role.CanWrite():
		w.forbidden(rw, r)
		return checkAccess{}, false
	}
	return checkAccess{Check: c, Project: p, Role: role}, true
}

func (w *Web) forbidden(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusForbidden, "message.html", "Not allowed",
		"Your role in this project is read-only: you can look, but not change anything.")
}

// event is one line of an events list: a ping or a flip.
type event struct {
	Time     time.Time
	Ago      string
	Flip     bool
	Kind     string // success, fail, start, log, ign; for a flip its new status
	From     string // flips: the old status
	N        int64
	Scheme   string
	Method   string
	Remote   string
	UA       string
	Exit     *int
	Preview  string
	More     bool // the body is longer than the preview
	Duration string
	Link     string // the ping's own page
	// A notification: Kind is its state (queued, sending, sent, failed),
	// From the status it announced.
	Notif   bool
	Channel string
	Error   string
}

// kindName is a ping kind as the pages name it.
func kindName(k string) string {
	if k == model.PingSuccess {
		return "success"
	}
	return k
}

// events reads up to limit pings numbered below before (all when before
// <= 0) and the flips and notifications of the same stretch of time, newest
// first, and whether older pings remain; f says which kinds and which dates
// (allEvents for everything). Flips and notifications are bounded by the
// page's pings: from the oldest ping on the page (or the beginning, on the
// last page) to the ping just above the page (or now, on the first page),
// within f's range. When f shows no pings there are no pages: every flip
// and notification of the range is listed, up to maxFilteredEvents.
func (w *Web) events(r *http.Request, c *model.Check, f eventFilter, before int64, limit int) ([]event, bool, error) {
	ctx := r.Context()
	pf := store.PingFilter{Before: before, Kinds: f.pingKinds(), Since: f.Start, Until: f.End}
	pings, err := w.d.Store.ListPingPreviewsFiltered(ctx, c.ID, pf, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(pings) > limit
	if more {
		pings = pings[:limit]
	}
	since, until := f.Start, f.End
	if more {
		since = &pings[len(pings)-1].Created
	}
	if before > 0 {
		pf.Before = before + 1
		above, err := w.d.Store.ListPingPreviewsFiltered(ctx, c.ID, pf, 1)
		if err != nil {
			return nil, false, err
		}
		if len(above) == 1 {
			until = &above[0].Created
		}
	}
	var flips []model.Flip
	if f.Show["flip"] {
		if flips, err = w.d.Store.ListFlipsBetween(ctx, c.ID, since, until); err != nil {
			return nil, false, err
		}
	}
	infos := make([]store.PingInfo, len(pings))
	for i := range pings {
		infos[i] = pings[i].PingInfo
	}
	// A filter that hides the starts leaves the successes without theirs
	// on the page: look them up as for a full page.
	durations, err := checks.RunDurations(ctx, w.d.Store, c.ID, infos, more || pf.Kinds != nil)
	if err != nil {
		return nil, false, err
	}
	now := w.d.Now()
	out := make([]event, 0, len(pings)+len(flips))
	for i := range pings {
		p := &pings[i]
		e := event{Time: p.Created, Ago: humanize.NaturalTime(p.Created, now), Kind: kindName(p.Kind), N: p.N, Scheme: p.Scheme,
			Method: p.Method, Remote: p.RemoteAddr, UA: p.UA, Exit: p.ExitStatus,
			Link: w.base + "/checks/" + c.Code + "/pings/" + strconv.FormatInt(p.N, 10) + "/"}
		if len(p.Preview) > 0 {
			prev := p.Preview
			if len(prev) > previewShown {
				prev, e.More = prev[:previewShown], true
			}
			e.Preview = pycompat.DecodeUTF8(prev)
		}
		if d, ok := durations[i]; ok {
			e.Duration = humanize.DurationForSentence(d)
		}
		out = append(out, e)
	}
	for _, fl := range flips {
		out = append(out, event{Time: fl.Created, Ago: humanize.NaturalTime(fl.Created, now), Flip: true, Kind: fl.NewStatus, From: fl.OldStatus})
	}
	var notes []store.NotificationEvent
	if f.Show["notification"] {
		if notes, err = w.d.Store.ListNotificationEventsBetween(ctx, c.ID, since, until); err != nil {
			return nil, false, err
		}
	}
	for _, n := range notes {
		name := n.ChannelKind
		if n.ChannelName != "" {
			name += " “" + n.ChannelName + "”"
		}
		out = append(out, event{Time: n.Created, Ago: humanize.NaturalTime(n.Created, now), Notif: true, Kind: n.Status, From: n.CheckStatus,
			Channel: name, Error: n.Error})
	}
	// Newest first; at the same instant a notification comes after the
	// flip that caused it, and a flip after its ping, so each is listed
	// above its cause.
	rank := func(e *event) int {
		switch {
		case e.Notif:
			return 0
		case e.Flip:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b event) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return rank(&a) - rank(&b)
	})
	if len(out) > maxFilteredEvents {
		out = out[:maxFilteredEvents]
	}
	return out, more, nil
}

// channelSwitch is one channel of the project with its switch for the check.
type channelSwitch struct {
	Code, Kind, Name string
	On               bool
}

type badgeLink struct{ Label, URL string }

// detailsData is the details page. The three forms keep what was typed
// and their errors when a submission is refused.
type detailsData struct {
	Check      model.Check
	Tags       []string
	Project    model.Project
	Role       model.Role
	CanWrite   bool
	Status     string
	StatusText string
	LastPing   string
	NextPing   string
	Schedule   string
	PingURL    string
	PingBase   string // PING_ENDPOINT without its slash, as runitor takes it
	SlugURL    string
	NoPingKey  bool
	Email      string
	Channels   []channelSwitch
	Badges     []badgeLink
	// Downtimes are the last three months in the user's time zone,
	// newest first, as upstream's details page shows them.
	Downtimes  []downtimeRow
	TZ         string
	Events     []event
	MoreEvents bool
	// EventsVersion is what the live poll sends back as ?u= (checkevents.go).
	EventsVersion string
	Copied        bool
	// Transferred: the check has just moved here from another project.
	Transferred bool
	Name        nameForm
	Timing      timingForm
	Filters     filterForm
}

// statusText says in words what the status means.
func statusText(status string, c *model.Check) string {
	switch status {
	case model.StatusNew:
		return "New: this check has not received a ping yet."
	case model.StatusUp:
		return "Up: the last ping came in on time."
	case model.StatusGrace:
		return "Late: the ping is overdue, and the grace time is running."
	case model.StatusDown:
		return "Down: the ping did not come in time, or the job reported a failure."
	case model.StatusPaused:
		if c.ManualResume {
			return "Paused: pings are ignored until the check is resumed."
		}
		return "Paused: no alerts; the next ping resumes monitoring."
	case model.StatusStarted:
		return "Started: a run is in progress."
	}
	return status
}

// checkTiming is the part of the details page that changes with time: the
// status, and when the last ping came and the next is due.
type checkTiming struct{ Status, LastPing, NextPing string }

func (w *Web) timing(c *model.Check, sch schedule.Schedule, now time.Time) checkTiming {
	t := checkTiming{Status: schedule.Status(c, sch, now, true), LastPing: "never", NextPing: "—"}
	if c.LastPing != nil {
		t.LastPing = humanize.NaturalTime(*c.LastPing, now) + " (" + c.LastPing.UTC().Format("2006-01-02 15:04:05 UTC") + ")"
	}
	if next, ok := schedule.GraceStart(c, sch, true); ok {
		t.NextPing = next.UTC().Format("2006-01-02 15:04:05 UTC")
		if next.After(now) {
			t.NextPing += " (in " + humanize.TimeSince(now, next) + ")"
		}
	}
	return t
}

// detailsFor builds the page for ca; the forms start with the check's values.
func (w *Web) detailsFor(r *http.Request, ca *checkAccess) (detailsData, error) {
	ctx := r.Context()
	c := &ca.Check
	now := w.d.Now()
	sch := w.scheduleOf(c)
	t := w.timing(c, sch, now)
	d := detailsData{Check: *c, Project: ca.Project, Role: ca.Role, CanWrite: ca.Role.CanWrite(),
		Status: t.Status, Schedule: describeSchedule(c), LastPing: t.LastPing, NextPing: t.NextPing,
		PingURL: w.d.PingEndpoint + c.Code, PingBase: strings.TrimSuffix(w.d.PingEndpoint, "/")}
	d.StatusText = statusText(d.Status, c)
	d.Tags = c.TagsList()
	if c.Slug != "" {
		if ca.Project.PingKey != "" {
			d.SlugURL = w.d.PingEndpoint + ca.Project.PingKey + "/" + c.Slug
		} else {
			d.NoPingKey = true
		}
	}
	if w.d.PingEmailDomain != "" {
		d.Email = c.Code + "@" + w.d.PingEmailDomain
	}
	all, err := w.d.Store.ListChannels(ctx, c.ProjectID)
	if err != nil {
		return d, err
	}
	linked, err := w.d.Store.CheckChannelCodes(ctx, c.ID)
	if err != nil {
		return d, err
	}
	for _, ch := range all {
		d.Channels = append(d.Channels, channelSwitch{Code: ch.Code, Kind: ch.Kind, Name: ch.Name, On: slices.Contains(linked, ch.Code)})
	}
	if c.BadgeKey != "" {
		root := strings.TrimSuffix(w.d.SiteRoot, "/")
		for _, f := range []string{"svg", "json", "shields"} {
			d.Badges = append(d.Badges, badgeLink{strings.ToUpper(f), api.CheckBadgeURL(root, c.BadgeKey, f, false)},
				badgeLink{strings.ToUpper(f) + ", with late", api.CheckBadgeURL(root, c.BadgeKey, f, true)})
		}
	}
	if d.Downtimes, d.TZ, err = w.downtimes(r, c, now); err != nil {
		return d, err
	}
	// The version first: an event that lands between the two reads is
	// then sent by the first poll rather than missed.
	if d.EventsVersion, err = w.eventsVersion(r, c); err != nil {
		return d, err
	}
	if d.Events, d.MoreEvents, err = w.events(r, c, allEvents(), 0, detailsEvents); err != nil {
		return d, err
	}
	d.Name = nameForm{Name: c.Name, Slug: c.Slug, Tags: c.Tags, Desc: c.Desc}
	d.Timing = timingFormOf(c)
	d.Filters = filterFormOf(c)
	return d, nil
}

func (w *Web) details(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, false)
	if !ok {
		return
	}
	d, err := w.detailsFor(r, &ca)
	if err != nil {
		w.unavailable(rw, r, "read check details", err)
		return
	}
	d.Copied = r.URL.Query().Has("copied")
	d.Transferred = r.URL.Query().Has("transferred")
	w.render(rw, r, http.StatusOK, "details.html", checkTitle(&ca.Check, d.Status), d)
}

// renderDetails shows the details page with a refused form: edit changes
// the page's forms (to what was typed, with the errors).
func (w *Web) renderDetails(rw http.ResponseWriter, r *http.Request, ca *checkAccess, status int, edit func(d *detailsData)) {
	d, err := w.detailsFor(r, ca)
	if err != nil {
		w.unavailable(rw, r, "read check details", err)
		return
	}
	edit(&d)
	w.render(rw, r, status, "details.html", checkTitle(&ca.Check, d.Status), d)
}

type logData struct {
	Check  model.Check
	Events []event
	// Newest and Older are the paging links, with the filter; "" when
	// there is no such page. They are built here, whole, because
	// html/template would escape a query string inserted into an href.
	Newest, Older template.URL
	// Filter is the form (eventfilter.go), Kinds its checkboxes, TZ the
	// zone of its dates.
	Filter   eventFilter
	Kinds    []eventKind
	Narrowed bool
	TZ       string
}

// eventLog is /checks/<uuid>/log/: 100 events a page, newest first, and
// ?before=<ping number> for older ones, narrowed by the filter form's
// parameters (eventfilter.go). A bad parameter is a 400 that says which.
func (w *Web) eventLog(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, false)
	if !ok {
		return
	}
	q := r.URL.Query()
	var before int64
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", "The page number is not valid.")
			return
		}
		before = n
	}
	loc, tz := userLocation(r)
	f, err := parseEventFilter(q, loc)
	if err != nil {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", capitalize(err)+".")
		return
	}
	evs, more, err := w.events(r, &ca.Check, f, before, logPage)
	if err != nil {
		w.unavailable(rw, r, "read events", err)
		return
	}
	d := logData{Check: ca.Check, Events: evs, Filter: f, Kinds: eventKinds, Narrowed: f.narrowed(), TZ: tz}
	page := func(before int64) template.URL {
		fq := f.query()
		if before > 0 {
			fq.Set("before", strconv.FormatInt(before, 10))
		}
		u := w.base + "/checks/" + ca.Check.Code + "/log/"
		if len(fq) > 0 {
			u += "?" + fq.Encode()
		}
		return template.URL(u)
	}
	if before > 0 {
		d.Newest = page(0)
	}
	if more {
		for i := len(evs) - 1; i >= 0; i-- {
			if !evs[i].Flip && !evs[i].Notif {
				d.Older = page(evs[i].N)
				break
			}
		}
	}
	w.render(rw, r, http.StatusOK, "log.html", "Events · "+ca.Check.NameThenCode(), d)
}

// uncloak is /cloaked/<unique_key>/, the link alerts carry instead of the
// UUID: a logged-in user who can see the check goes to its details.
func (w *Web) uncloak(rw http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	}
	key := r.PathValue("key")
	if len(key) != 40 || strings.Trim(key, "0123456789abcdef") != "" {
		w.notFound(rw)
		return
	}
	ctx := r.Context()
	projects, err := w.d.Store.ProjectsForUser(ctx, u.ID)
	if err != nil {
		w.unavailable(rw, r, "list projects", err)
		return
	}
	for _, p := range projects {
		cs, err := w.d.Store.ListChecks(ctx, p.Project.ID)
		if err != nil {
			w.unavailable(rw, r, "list checks", err)
			return
		}
		for i := range cs {
			if subtle.ConstantTimeCompare([]byte(cs[i].UniqueKey()), []byte(key)) == 1 {
				http.Redirect(rw, r, w.base+"/checks/"+cs[i].Code+"/details/", http.StatusFound)
				return
			}
		}
	}
	w.notFound(rw)
}

// userLocation is the logged-in user's time zone (UTC when unset or
// unknown), with its name.
func userLocation(r *http.Request) (*time.Location, string) {
	tz := "UTC"
	if u := userFrom(r.Context()); u != nil && u.TZ != "" {
		tz = u.TZ
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC, "UTC"
	}
	return loc, tz
}

// downtimeRow is one month of the downtime summary.
type downtimeRow struct {
	Month string
	Text  string
	Down  bool
}

// downtimes summarises the check's last three months (the current one
// first) in the user's time zone, with the reports' rule (one copy).
func (w *Web) downtimes(r *http.Request, c *model.Check, now time.Time) ([]downtimeRow, string, error) {
	loc, tz := userLocation(r)
	bounds := reports.Boundaries(model.ReportsMonthly, 3, now, loc)
	flips, err := w.d.Store.FlipsSince(r.Context(), []int64{c.ID}, bounds[len(bounds)-1])
	if err != nil {
		return nil, "", err
	}
	var rows []downtimeRow
	for _, dt := range reports.Downtimes(bounds, c.Created, c.Status, flips[c.ID], now) {
		row := downtimeRow{Month: dt.Start.In(loc).Format("January 2006")}
		switch {
		case dt.NoData:
			row.Text = "no data (the check did not exist yet)"
		case dt.Count == 0:
			row.Text = "no downtime"
		default:
			row.Down = true
			row.Text = strconv.Itoa(dt.Count) + " downtime" + humanize.Plural(int64(dt.Count)) + ", " + humanize.Approx(dt.Duration) + " in all"
		}
		rows = append(rows, row)
	}
	return rows, tz, nil
}
