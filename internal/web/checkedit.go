package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// The forms of a check: add, name and tags, schedule, filtering rules,
// and the actions (pause, resume, copy, remove, channel switches). Each is
// a POST that redirects on success and answers 400 with the page and the
// messages next to the fields on failure; the rules are package checks'.

// maxForm bounds a form body (the description has no limit of its own).
const maxForm = 64 << 10

// fieldErrors maps a form field to its message.
type fieldErrors map[string]string

func (f fieldErrors) check(field string, err error) {
	if err != nil && f[field] == "" {
		f[field] = err.Error()
	}
}

// readForm parses a POST body; false (the answer written) when it cannot.
func (w *Web) readForm(rw http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request",
			"The form could not be read (it may be too large: at most 64 KiB).")
		return false
	}
	return true
}

type nameForm struct {
	Name, Slug, Tags, Desc string
	Errors                 fieldErrors
}

func readNameForm(r *http.Request) nameForm {
	f := nameForm{Name: r.PostForm.Get("name"), Slug: r.PostForm.Get("slug"), Tags: r.PostForm.Get("tags"),
		Desc: r.PostForm.Get("desc"), Errors: fieldErrors{}}
	f.Name = strings.TrimSpace(f.Name)
	f.Slug = strings.TrimSpace(f.Slug)
	f.Errors.check("name", checks.ValidateName(f.Name))
	f.Errors.check("slug", checks.ValidateSlug(f.Slug))
	tags, err := checks.NormalizeTags(f.Tags)
	if f.Errors.check("tags", err); err == nil {
		f.Tags = tags
	}
	f.Errors.check("desc", checks.ValidateDesc(f.Desc))
	return f
}

// timeUnits are the choices next to a period field, in seconds.
var timeUnits = []struct {
	Label string
	Secs  int64
}{{"minutes", 60}, {"hours", 3600}, {"days", 86400}}

// period is a duration as a form shows it: a number and a unit.
type period struct {
	Value string
	Unit  int64
}

func periodOf(d time.Duration) period {
	secs := int64(d / time.Second)
	for i := len(timeUnits) - 1; i >= 0; i-- {
		if u := timeUnits[i].Secs; secs%u == 0 {
			return period{strconv.FormatInt(secs/u, 10), u}
		}
	}
	return period{strconv.FormatInt(secs, 10), 1}
}

// readPeriod reads field (a number) and field_unit (seconds per unit; 1
// when absent, so upstream's form, in seconds, works too).
func readPeriod(r *http.Request, field string, errs fieldErrors) (period, time.Duration) {
	p := period{Value: strings.TrimSpace(r.PostForm.Get(field)), Unit: 1}
	if u := r.PostForm.Get(field + "_unit"); u != "" {
		n, err := strconv.ParseInt(u, 10, 64)
		ok := false
		for _, tu := range timeUnits {
			ok = ok || (err == nil && n == tu.Secs)
		}
		if !ok {
			errs[field] = "Choose minutes, hours or days."
			return p, 0
		}
		p.Unit = n
	}
	v, err := strconv.ParseInt(p.Value, 10, 64)
	if err != nil || v < 0 || v > int64(checks.MaxPeriod/time.Second) {
		errs[field] = "Enter a whole number."
		return p, 0
	}
	// Capped, so that a huge value times a day is "too large", not an overflow.
	maxSecs := int64(checks.MaxPeriod / time.Second)
	d := time.Duration(min(v*p.Unit, maxSecs+1)) * time.Second
	errs.check(field, checks.ValidatePeriod(d))
	return p, d
}

type timingForm struct {
	Kind           string
	Timeout, Grace period
	Schedule, TZ   string
	Errors         fieldErrors
	Units          any
}

func timingFormOf(c *model.Check) timingForm {
	f := timingForm{Kind: c.Kind, Timeout: periodOf(c.Timeout), Grace: periodOf(c.Grace), Schedule: c.Schedule, TZ: c.TZ}
	if c.Kind == model.KindSimple {
		f.Schedule = ""
	}
	return f.withUnits()
}

func (f timingForm) withUnits() timingForm {
	f.Units = timeUnits
	return f
}

// timing is a validated schedule form.
type timing struct {
	kind, expr, tz string
	timeout, grace time.Duration
}

// readTimingForm reads kind, timeout (simple only), grace, schedule and tz
// (cron and OnCalendar only), as upstream's TimeoutForm, CronForm and
// OnCalendarForm. Fields a kind does not use keep the check's values.
func readTimingForm(r *http.Request, c *model.Check) (timingForm, timing) {
	f := timingForm{Kind: r.PostForm.Get("kind"), Schedule: r.PostForm.Get("schedule"), TZ: strings.TrimSpace(r.PostForm.Get("tz")),
		Errors: fieldErrors{}}
	t := timing{kind: f.Kind, expr: c.Schedule, tz: c.TZ, timeout: c.Timeout}
	f.Errors.check("kind", checks.ValidateKind(f.Kind))
	f.Grace, t.grace = readPeriod(r, "grace", f.Errors)
	switch f.Kind {
	case model.KindSimple:
		f.Timeout, t.timeout = readPeriod(r, "timeout", f.Errors)
	case model.KindCron, model.KindOnCalendar:
		f.Timeout = periodOf(c.Timeout)
		tz, err := checks.NormalizeTZ(f.TZ)
		f.Errors.check("tz", err)
		if err == nil {
			f.Errors.check("schedule", checks.ValidateSchedule(f.Kind, f.Schedule, tz))
		}
		t.expr, t.tz = f.Schedule, tz
	}
	return f.withUnits(), t
}

type filterForm struct {
	FilterSubject, FilterBody, FilterHTTPBody, FilterDefaultFail, ManualResume bool
	StartKw, SuccessKw, FailureKw, Methods                                     string
	Errors                                                                     fieldErrors
}

func filterFormOf(c *model.Check) filterForm {
	return filterForm{FilterSubject: c.FilterSubject, FilterBody: c.FilterBody, FilterHTTPBody: c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail, ManualResume: c.ManualResume, StartKw: c.StartKw, SuccessKw: c.SuccessKw,
		FailureKw: c.FailureKw, Methods: c.Methods}
}

// readFilterForm is upstream's FilteringRulesForm: checkboxes are on when
// sent with any value.
func readFilterForm(r *http.Request) filterForm {
	on := func(k string) bool { return r.PostForm.Get(k) != "" }
	f := filterForm{FilterSubject: on("filter_subject"), FilterBody: on("filter_body"), FilterHTTPBody: on("filter_http_body"),
		FilterDefaultFail: on("filter_default_fail"), ManualResume: on("manual_resume"),
		StartKw: r.PostForm.Get("start_kw"), SuccessKw: r.PostForm.Get("success_kw"), FailureKw: r.PostForm.Get("failure_kw"),
		Methods: r.PostForm.Get("methods"), Errors: fieldErrors{}}
	f.Errors.check("start_kw", checks.ValidateKeywords(f.StartKw))
	f.Errors.check("success_kw", checks.ValidateKeywords(f.SuccessKw))
	f.Errors.check("failure_kw", checks.ValidateKeywords(f.FailureKw))
	f.Errors.check("methods", checks.ValidateMethods(f.Methods))
	return f
}

func (w *Web) toDetails(rw http.ResponseWriter, r *http.Request, code, query string) {
	http.Redirect(rw, r, w.base+"/checks/"+code+"/details/"+query, http.StatusSeeOther)
}

// editConfig writes a configuration change; false when it answered itself.
func (w *Web) editConfig(rw http.ResponseWriter, r *http.Request, id int64, edit func(c *model.Check)) bool {
	_, err := w.d.Store.EditCheckConfig(r.Context(), id, func(c *model.Check) (store.CheckEdit, error) {
		edit(c)
		return store.CheckEdit{}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		w.notFound(rw) // deleted meanwhile
		return false
	}
	if err != nil {
		w.unavailable(rw, r, "update check", err)
		return false
	}
	return true
}

func (w *Web) updateName(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok || !w.readForm(rw, r) {
		return
	}
	f := readNameForm(r)
	if len(f.Errors) > 0 {
		w.renderDetails(rw, r, &ca, http.StatusBadRequest, func(d *detailsData) { d.Name = f })
		return
	}
	if w.editConfig(rw, r, ca.Check.ID, func(c *model.Check) { c.Name, c.Slug, c.Tags, c.Desc = f.Name, f.Slug, f.Tags, f.Desc }) {
		w.toDetails(rw, r, ca.Check.Code, "")
	}
}

func (w *Web) updateTimeout(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok || !w.readForm(rw, r) {
		return
	}
	f, t := readTimingForm(r, &ca.Check)
	if len(f.Errors) > 0 {
		w.renderDetails(rw, r, &ca, http.StatusBadRequest, func(d *detailsData) { d.Timing = f })
		return
	}
	_, err := checks.SetSchedule(r.Context(), w.d.Store, w.d.Cache, ca.Check.ID, ca.Project.OwnerID, func(c *model.Check) {
		c.Kind, c.Grace = t.kind, t.grace
		if t.kind == model.KindSimple {
			c.Timeout = t.timeout
		} else {
			c.Schedule, c.TZ = t.expr, t.tz
		}
	}, w.d.Now(), w.d.Log)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
	case err != nil:
		w.unavailable(rw, r, "update schedule", err)
	default:
		w.toDetails(rw, r, ca.Check.Code, "")
	}
}

func (w *Web) filteringRules(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok || !w.readForm(rw, r) {
		return
	}
	f := readFilterForm(r)
	if len(f.Errors) > 0 {
		w.renderDetails(rw, r, &ca, http.StatusBadRequest, func(d *detailsData) { d.Filters = f })
		return
	}
	if w.editConfig(rw, r, ca.Check.ID, func(c *model.Check) {
		c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail = f.FilterSubject, f.FilterBody, f.FilterHTTPBody, f.FilterDefaultFail
		c.StartKw, c.SuccessKw, c.FailureKw, c.Methods, c.ManualResume = f.StartKw, f.SuccessKw, f.FailureKw, f.Methods, f.ManualResume
	}) {
		w.toDetails(rw, r, ca.Check.Code, "")
	}
}

func (w *Web) pause(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	_, _, err := checks.Pause(r.Context(), w.d.Store, ca.Check.ID, ca.Project.OwnerID, w.d.Now(), w.d.Log)
	w.afterAction(rw, r, &ca, "pause check", err)
}

func (w *Web) resume(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	_, err := checks.Resume(r.Context(), w.d.Store, ca.Check.ID, w.d.Now())
	if errors.Is(err, checks.ErrNotPaused) {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Not paused", "This check is not paused, so it cannot be resumed.")
		return
	}
	w.afterAction(rw, r, &ca, "resume check", err)
}

func (w *Web) afterAction(rw http.ResponseWriter, r *http.Request, ca *checkAccess, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
	case err != nil:
		w.unavailable(rw, r, what, err)
	default:
		w.toDetails(rw, r, ca.Check.Code, "")
	}
}

func (w *Web) limitReached(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusBadRequest, "message.html", "Check limit reached",
		"The project's owner has reached their check limit: remove a check before adding another.")
}

func (w *Web) copyCheck(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	c, err := checks.Copy(r.Context(), w.d.Store, &ca.Check, ca.Project.OwnerID, w.d.Now())
	switch {
	case errors.Is(err, checks.ErrCheckLimit):
		w.limitReached(rw, r)
	case err != nil:
		w.unavailable(rw, r, "copy check", err)
	default:
		w.toDetails(rw, r, c.Code, "?copied=1")
	}
}

func (w *Web) removeCheck(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok {
		return
	}
	if err := checks.Delete(r.Context(), w.d.Store, ca.Check.ID); err != nil {
		w.unavailable(rw, r, "delete check", err)
		return
	}
	http.Redirect(rw, r, w.base+"/projects/"+ca.Project.Code+"/checks/", http.StatusSeeOther)
}

// switchChannel is upstream's channel switch: state=on links the channel
// to the check, anything else unlinks it; a channel of another project is
// 400, as upstream.
func (w *Web) switchChannel(rw http.ResponseWriter, r *http.Request) {
	ca, ok := w.checkFor(rw, r, true)
	if !ok || !w.readForm(rw, r) {
		return
	}
	code := r.PathValue("channel")
	if !ping.IsCanonicalUUID(code) {
		w.notFound(rw)
		return
	}
	ch, err := w.d.Store.ChannelByCode(r.Context(), code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
		return
	case err != nil:
		w.unavailable(rw, r, "read channel", err)
		return
	case ch.ProjectID != ca.Check.ProjectID:
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", "This integration belongs to another project.")
		return
	}
	err = checks.SetChannel(r.Context(), w.d.Store, &ca.Check, &ch, r.PostForm.Get("state") == "on")
	w.afterAction(rw, r, &ca, "switch channel", err)
}

// addForm is the "Add check" form (_addcheck.html).
type addForm struct {
	Base, Project string
	Name          nameForm
	Timing        timingForm
	Error         string
}

// newCheckForm is the form with upstream's defaults for a new check.
func newCheckForm(base, projectCode string) addForm {
	c := model.NewCheck(0, time.Time{})
	return addForm{Base: base, Project: projectCode, Timing: timingFormOf(&c)}
}

// addCheck is POST /projects/<uuid>/checks/add/: a check with the form's
// name, slug, tags and schedule, linked to every channel of the project.
func (w *Web) addCheck(rw http.ResponseWriter, r *http.Request) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return
	}
	if !role.CanWrite() {
		w.forbidden(rw, r)
		return
	}
	if !w.readForm(rw, r) {
		return
	}
	now := w.d.Now()
	c := model.NewCheck(p.ID, now)
	f := addForm{Base: w.base, Project: p.Code, Name: readNameForm(r)}
	var t timing
	f.Timing, t = readTimingForm(r, &c)
	if len(f.Name.Errors)+len(f.Timing.Errors) > 0 {
		f.Error = "Please correct the fields marked below."
		w.render(rw, r, http.StatusBadRequest, "addcheck.html", "Add check", f)
		return
	}
	c.Name, c.Slug, c.Tags, c.Desc = f.Name.Name, f.Name.Slug, f.Name.Tags, f.Name.Desc
	c.Kind, c.Grace, c.Timeout, c.Schedule, c.TZ = t.kind, t.grace, t.timeout, t.expr, t.tz
	if t.kind == model.KindSimple {
		// Upstream stores its default schedule for a simple check.
		c.Schedule = model.DefaultSchedule
	}
	sch, _ := w.d.Cache.Parse(c.Kind, c.Schedule, c.TZ)
	c.AlertAfter = schedule.GoingDownAfter(&c, sch)
	err := checks.Create(r.Context(), w.d.Store, &c, p.OwnerID)
	switch {
	case errors.Is(err, checks.ErrCheckLimit):
		f.Error = "The project's owner has reached their check limit: remove a check before adding another."
		w.render(rw, r, http.StatusBadRequest, "addcheck.html", "Add check", f)
	case err != nil:
		w.unavailable(rw, r, "create check", err)
	default:
		w.toDetails(rw, r, c.Code, "")
	}
}

// previewData is the fragment of next fire times.
type previewData struct {
	Error string
	TZ    string
	Times []previewTime
}

type previewTime struct{ Local, UTC, In string }

const previewRuns = 6

// cronPreview and onCalendarPreview answer the schedule form's live
// preview: a fragment with the next six fire times, or the reason the
// schedule is refused (400).
func (w *Web) cronPreview(rw http.ResponseWriter, r *http.Request) {
	w.preview(rw, r, model.KindCron)
}

func (w *Web) onCalendarPreview(rw http.ResponseWriter, r *http.Request) {
	w.preview(rw, r, model.KindOnCalendar)
}

func (w *Web) preview(rw http.ResponseWriter, r *http.Request, kind string) {
	if userFrom(r.Context()) == nil {
		// Upstream answers the cron preview without a session; here both
		// need one, since nothing else on the site computes for strangers.
		w.fragment(rw, http.StatusForbidden, previewData{Error: "Please log in again."})
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		w.fragment(rw, http.StatusBadRequest, previewData{Error: "The form could not be read."})
		return
	}
	tz, err := checks.NormalizeTZ(strings.TrimSpace(r.PostForm.Get("tz")))
	if err != nil {
		w.fragment(rw, http.StatusBadRequest, previewData{Error: err.Error()})
		return
	}
	expr := r.PostForm.Get("schedule")
	if err := checks.ValidateSchedule(kind, expr, tz); err != nil {
		w.fragment(rw, http.StatusBadRequest, previewData{Error: err.Error()})
		return
	}
	now := w.d.Now()
	times, err := schedule.Preview(kind, expr, tz, now, previewRuns)
	if err != nil {
		w.fragment(rw, http.StatusBadRequest, previewData{Error: err.Error()})
		return
	}
	loc, _ := time.LoadLocation(tz)
	d := previewData{TZ: tz}
	for _, t := range times {
		d.Times = append(d.Times, previewTime{Local: t.In(loc).Format("Mon 2006-01-02 15:04 MST"), UTC: t.UTC().Format("2006-01-02 15:04 UTC"),
			In: humanizeIn(now, t)})
	}
	if len(d.Times) == 0 {
		d.Error = "This schedule has no fire times in the future."
	}
	w.fragment(rw, http.StatusOK, d)
}

// humanizeIn says how far t is from now: "in 3 hours".
func humanizeIn(now, t time.Time) string {
	if !t.After(now) {
		return "now"
	}
	return "in " + humanize.TimeSince(now, t)
}

// fragment writes the preview fragment (template "preview" of
// _preview.html, which every page set holds).
func (w *Web) fragment(rw http.ResponseWriter, status int, d previewData) {
	var b bytes.Buffer
	if err := w.pages["details.html"].ExecuteTemplate(&b, "preview", d); err != nil {
		w.d.Log.Error("web: render preview", "err", err)
		http.Error(rw, "The preview could not be shown.", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = b.WriteTo(rw)
}
