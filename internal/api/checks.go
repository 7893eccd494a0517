package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// parsed returns c's schedule from the cache; nil for simple checks and for
// a stored schedule that no longer parses (then the check is never late,
// rather than failing the whole list).
func (a *API) parsed(c *model.Check) schedule.Schedule {
	if c.Kind == model.KindSimple {
		return nil
	}
	sch, err := a.cache.Parse(c.Kind, c.Schedule, c.TZ)
	if err != nil {
		a.log.Warn("api: stored schedule does not parse", "check", c.Code, "err", err)
		return nil
	}
	return sch
}

// checkDict is upstream's Check.to_dict: fields in its order, the status as
// the request's API version reports it, and the key-dependent tail.
func (a *API) checkDict(c *model.Check, channels []string, v int, readonly bool, now time.Time) obj {
	sch := a.parsed(c)
	var next any
	if t, ok := schedule.GraceStart(c, sch, true); ok {
		next = isoSeconds(&t)
	}
	subject, subjectFail := "", ""
	if c.FilterSubject {
		subject, subjectFail = c.SuccessKw, c.FailureKw
	}
	o := make(obj, 0, 31)
	o = append(o,
		kv{"name", c.Name}, kv{"slug", c.Slug}, kv{"tags", c.Tags}, kv{"desc", c.Desc},
		kv{"grace", int64(c.Grace / time.Second)}, kv{"n_pings", c.NPings},
		kv{"status", schedule.Status(c, sch, now, v == 1)}, kv{"started", c.LastStart != nil},
		kv{"last_ping", isoSeconds(c.LastPing)}, kv{"next_ping", next},
		kv{"manual_resume", c.ManualResume}, kv{"methods", c.Methods},
		kv{"subject", subject}, kv{"subject_fail", subjectFail},
		kv{"start_kw", c.StartKw}, kv{"success_kw", c.SuccessKw}, kv{"failure_kw", c.FailureKw},
		kv{"filter_subject", c.FilterSubject}, kv{"filter_body", c.FilterBody},
		kv{"filter_http_body", c.FilterHTTPBody}, kv{"filter_default_fail", c.FilterDefaultFail},
		kv{"badge_url", a.siteRoot + "/b/2/" + c.BadgeKey + ".svg"})
	// Upstream tests the duration's truth value: zero is left out too.
	if c.LastDuration != nil && *c.LastDuration != 0 {
		o = append(o, kv{"last_duration", int64(*c.LastDuration / time.Second)})
	}
	if readonly {
		o = append(o, kv{"unique_key", c.UniqueKey()})
	} else {
		update := a.siteRoot + "/api/v" + string(rune('0'+v)) + "/checks/" + c.Code
		sorted := slices.Clone(channels)
		slices.Sort(sorted)
		o = append(o, kv{"uuid", c.Code}, kv{"ping_url", a.pingURL + c.Code}, kv{"update_url", update},
			kv{"pause_url", update + "/pause"}, kv{"resume_url", update + "/resume"}, kv{"channels", strings.Join(sorted, ",")})
	}
	switch c.Kind {
	case model.KindSimple:
		o = append(o, kv{"timeout", int64(c.Timeout / time.Second)})
	case model.KindCron, model.KindOnCalendar:
		o = append(o, kv{"schedule", c.Schedule}, kv{"tz", c.TZ})
	}
	return o
}

// oneCheck answers with a single check, reading its channel links when the
// key may see them.
func (a *API) oneCheck(w http.ResponseWriter, ctx context.Context, q *request, c *model.Check, status int) {
	var codes []string
	if !q.readonly {
		var err error
		if codes, err = a.st.CheckChannelCodes(ctx, c.ID); err != nil {
			a.fail(w, "read channel links", err)
			return
		}
	}
	writeJSON(w, status, a.checkDict(c, codes, q.v, q.readonly, a.now()))
}

// listChecks is GET checks/: ?tag= (repeatable, every tag must be carried)
// and ?slug= filters; two queries whatever the number of checks.
func (a *API) listChecks(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	checks, err := a.st.ListChecks(ctx, q.project.ID)
	if err != nil {
		a.fail(w, "list checks", err)
		return
	}
	var links map[int64][]string
	if !q.readonly {
		if links, err = a.st.ChannelCodesByCheck(ctx, q.project.ID); err != nil {
			a.fail(w, "list channel links", err)
			return
		}
	}
	query := r.URL.Query()
	tags := query["tag"]
	var slug string
	if s := query["slug"]; len(s) > 0 {
		slug = s[len(s)-1] // Django's QueryDict.get takes the last value
	}
	now := a.now()
	out := make([]obj, 0, len(checks))
	for i := range checks {
		c := &checks[i]
		if slug != "" && c.Slug != slug {
			continue
		}
		if len(tags) > 0 {
			have := c.TagsList()
			if !allIn(tags, have) {
				continue
			}
		}
		out = append(out, a.checkDict(c, links[c.ID], q.v, q.readonly, now))
	}
	writeJSON(w, http.StatusOK, obj{{"checks", out}})
}

func allIn(want, have []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// ownCheck loads a check by UUID for this request's project: 404 when it
// does not exist, 403 with an empty body when it belongs to another project.
func (a *API) ownCheck(w http.ResponseWriter, ctx context.Context, q *request, code string) (model.Check, bool) {
	c, err := a.st.CheckByCode(ctx, code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		notFoundPage(w)
		return c, false
	case err != nil:
		a.fail(w, "read check", err)
		return c, false
	case c.ProjectID != q.project.ID:
		writeEmpty(w, http.StatusForbidden)
		return c, false
	}
	return c, true
}

func (a *API) getCheck(w http.ResponseWriter, r *http.Request, q *request, code string) {
	if c, ok := a.ownCheck(w, r.Context(), q, code); ok {
		a.oneCheck(w, r.Context(), q, &c, http.StatusOK)
	}
}

// checkByKey finds a check of the project by unique_key, as upstream does,
// by hashing every check's UUID.
func (a *API) checkByKey(w http.ResponseWriter, ctx context.Context, q *request, key string) (model.Check, bool) {
	checks, err := a.st.ListChecks(ctx, q.project.ID)
	if err != nil {
		a.fail(w, "list checks", err)
		return model.Check{}, false
	}
	for i := range checks {
		if checks[i].UniqueKey() == key {
			return checks[i], true
		}
	}
	notFoundPage(w)
	return model.Check{}, false
}

func (a *API) getCheckByKey(w http.ResponseWriter, r *http.Request, q *request, key string) {
	if c, ok := a.checkByKey(w, r.Context(), q, key); ok {
		a.oneCheck(w, r.Context(), q, &c, http.StatusOK)
	}
}

// channelError is one of upstream's channel messages (not prefixed with
// "json validation error").
type channelError string

func (e channelError) Error() string { return string(e) }

// resolveChannels turns the "channels" field into channel ids: "*" every
// channel of the project, "" none, else comma-separated UUIDs or names,
// each matching exactly one channel. nil, false when the field is absent.
func (a *API) resolveChannels(ctx context.Context, projectID int64, spec *string) ([]int64, bool, error) {
	if spec == nil {
		return nil, false, nil
	}
	if *spec == "" {
		return nil, true, nil
	}
	all, err := a.st.ListChannels(ctx, projectID)
	if err != nil {
		return nil, false, err
	}
	var ids []int64
	if *spec == "*" {
		for _, ch := range all {
			ids = append(ids, ch.ID)
		}
		return ids, true, nil
	}
	for _, s := range strings.Split(*spec, ",") {
		if s == "" {
			return nil, false, channelError("empty channel identifier")
		}
		var match []int64
		for _, ch := range all {
			if ch.Code == s || ch.Name == s {
				match = append(match, ch.ID)
			}
		}
		switch {
		case len(match) == 0:
			return nil, false, channelError("invalid channel identifier: " + s)
		case len(match) > 1:
			return nil, false, channelError("non-unique channel identifier: " + s)
		}
		if !slices.Contains(ids, match[0]) {
			ids = append(ids, match[0])
		}
	}
	return ids, true, nil
}

// badRequest answers a validation or channel error, or fails on anything else.
func (a *API) badRequest(w http.ResponseWriter, what string, err error) {
	var ve validationError
	var ce channelError
	if errors.As(err, &ve) || errors.As(err, &ce) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.fail(w, what, err)
}

// createCheck is POST checks/: create (201), or with "unique" update the
// first matching check (200). The check limit applies only to a creation.
func (a *API) createCheck(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	sp, err := parseSpec(q.doc)
	if err != nil {
		a.badRequest(w, "parse check", err)
		return
	}
	if len(sp.unique) > 0 {
		checks, err := a.st.ListChecks(ctx, q.project.ID)
		if err != nil {
			a.fail(w, "list checks", err)
			return
		}
		for i := range checks {
			if sp.matches(&checks[i]) {
				a.saveCheck(w, ctx, q, sp, &checks[i], http.StatusOK)
				return
			}
		}
	}
	owner, err := a.st.UserByID(ctx, q.project.OwnerID)
	if err != nil {
		a.fail(w, "read project owner", err)
		return
	}
	used, err := a.st.CountChecksOwnedBy(ctx, owner.ID)
	if err != nil {
		a.fail(w, "count checks", err)
		return
	}
	if owner.CheckLimit-used <= 0 {
		writeEmpty(w, http.StatusForbidden)
		return
	}
	c := model.NewCheck(q.project.ID, a.now())
	a.saveCheck(w, ctx, q, sp, &c, http.StatusCreated)
}

func (a *API) updateCheck(w http.ResponseWriter, r *http.Request, q *request, code string) {
	c, ok := a.ownCheck(w, r.Context(), q, code)
	if !ok {
		return
	}
	sp, err := parseSpec(q.doc)
	if err != nil {
		a.badRequest(w, "parse check", err)
		return
	}
	a.saveCheck(w, r.Context(), q, sp, &c, http.StatusOK)
}

// saveCheck applies sp to c (a new check when c.ID is 0), recomputes
// alert_after, writes it with its channel links and answers with status.
func (a *API) saveCheck(w http.ResponseWriter, ctx context.Context, q *request, sp *checkSpec, c *model.Check, status int) {
	ids, setChannels, err := a.resolveChannels(ctx, q.project.ID, sp.channels)
	if err != nil {
		a.badRequest(w, "resolve channels", err)
		return
	}
	edit := func(c *model.Check) {
		sp.apply(c, q.v)
		c.AlertAfter = schedule.GoingDownAfter(c, a.parsed(c))
	}
	if c.ID == 0 {
		edit(c)
		if err := a.st.CreateCheckWithChannels(ctx, c, ids); err != nil {
			a.fail(w, "create check", err)
			return
		}
	} else {
		saved, err := a.st.EditCheckConfig(ctx, c.ID, func(c *model.Check) (store.CheckEdit, error) {
			edit(c)
			return store.CheckEdit{SetChannels: setChannels, ChannelIDs: ids}, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			notFoundPage(w) // deleted meanwhile
			return
		}
		if err != nil {
			a.fail(w, "update check", err)
			return
		}
		*c = saved
	}
	a.oneCheck(w, ctx, q, c, status)
}

// deleteCheck is DELETE checks/<uuid>: the answer is the check as it was.
func (a *API) deleteCheck(w http.ResponseWriter, r *http.Request, q *request, code string) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	if err := a.st.DeleteCheck(ctx, c.ID); errors.Is(err, store.ErrNotFound) {
		notFoundPage(w)
		return
	} else if err != nil {
		a.fail(w, "delete check", err)
		return
	}
	// Upstream renders the check after the delete, when its channel links
	// are gone already: "channels" is always "".
	writeJSON(w, http.StatusOK, a.checkDict(&c, nil, q.v, false, a.now()))
}

var errNotPaused = errors.New("check is not paused")

// pauseResume is POST checks/<uuid>/pause and /resume. Both record an
// already-processed flip (it only feeds downtime statistics, no alert) and
// clear the deadlines; pausing a paused check changes nothing, resuming a
// check that is not paused is 409.
func (a *API) pauseResume(w http.ResponseWriter, r *http.Request, q *request, code string, pause bool) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	now := a.now().UTC()
	saved, err := a.st.EditCheckState(ctx, c.ID, func(c *model.Check) (*model.Flip, error) {
		flip := &model.Flip{Created: now, OldStatus: c.Status, Processed: &now}
		if pause {
			if c.Status == model.StatusPaused {
				return nil, store.ErrUnchanged
			}
			flip.NewStatus = model.StatusPaused
			c.Status, c.LastStart, c.AlertAfter = model.StatusPaused, nil, nil
			return flip, nil
		}
		if c.Status != model.StatusPaused {
			return nil, errNotPaused
		}
		flip.NewStatus = model.StatusNew
		c.Status, c.LastStart, c.LastPing, c.AlertAfter = model.StatusNew, nil, nil, nil
		return flip, nil
	})
	switch {
	case errors.Is(err, errNotPaused):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte("check is not paused"))
		return
	case errors.Is(err, store.ErrNotFound):
		notFoundPage(w)
		return
	case err != nil:
		a.fail(w, "pause or resume check", err)
		return
	}
	a.oneCheck(w, ctx, q, &saved, http.StatusOK)
}
