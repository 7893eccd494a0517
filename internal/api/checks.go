package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
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

// appendCheck writes upstream's Check.to_dict as JSON into b: fields in its
// order, the status as the request's API version reports it, and the
// key-dependent tail. It writes straight into the buffer (no intermediate
// map or key/value list), since listing a thousand checks is mostly this;
// checks_internal_test.go holds it to the generic encoder's output.
// channels is sorted in place.
func (a *API) appendCheck(b []byte, c *model.Check, channels []string, v int, readonly bool, now time.Time) []byte {
	sch := a.parsed(c)
	str := func(b []byte, key, val string) []byte {
		b = append(b, key...)
		return pycompat.AppendJSONString(b, val)
	}
	boolean := func(b []byte, key string, val bool) []byte {
		b = append(b, key...)
		if val {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	}
	b = str(b, `{"name": `, c.Name)
	b = str(b, `, "slug": `, c.Slug)
	b = str(b, `, "tags": `, c.Tags)
	b = str(b, `, "desc": `, c.Desc)
	b = append(b, `, "grace": `...)
	b = strconv.AppendInt(b, int64(c.Grace/time.Second), 10)
	b = append(b, `, "n_pings": `...)
	b = strconv.AppendInt(b, c.NPings, 10)
	b = str(b, `, "status": `, schedule.Status(c, sch, now, v == 1))
	b = boolean(b, `, "started": `, c.LastStart != nil)
	b = append(b, `, "last_ping": `...)
	b = appendISOSeconds(b, c.LastPing)
	b = append(b, `, "next_ping": `...)
	if t, ok := schedule.GraceStart(c, sch, true); ok {
		b = appendISOSeconds(b, &t)
	} else {
		b = append(b, "null"...)
	}
	b = boolean(b, `, "manual_resume": `, c.ManualResume)
	b = str(b, `, "methods": `, c.Methods)
	subject, subjectFail := "", ""
	if c.FilterSubject {
		subject, subjectFail = c.SuccessKw, c.FailureKw
	}
	b = str(b, `, "subject": `, subject)
	b = str(b, `, "subject_fail": `, subjectFail)
	b = str(b, `, "start_kw": `, c.StartKw)
	b = str(b, `, "success_kw": `, c.SuccessKw)
	b = str(b, `, "failure_kw": `, c.FailureKw)
	b = boolean(b, `, "filter_subject": `, c.FilterSubject)
	b = boolean(b, `, "filter_body": `, c.FilterBody)
	b = boolean(b, `, "filter_http_body": `, c.FilterHTTPBody)
	b = boolean(b, `, "filter_default_fail": `, c.FilterDefaultFail)
	b = append(b, `, "badge_url": "`...)
	b = pycompat.AppendJSONStringBody(b, a.siteRoot)
	b = append(b, "/b/2/"...)
	b = pycompat.AppendJSONStringBody(b, c.BadgeKey)
	b = append(b, `.svg"`...)
	// Upstream tests the duration's truth value: zero is left out too.
	if c.LastDuration != nil && *c.LastDuration != 0 {
		b = append(b, `, "last_duration": `...)
		b = strconv.AppendInt(b, int64(*c.LastDuration/time.Second), 10)
	}
	if readonly {
		b = str(b, `, "unique_key": `, c.UniqueKey())
	} else {
		b = str(b, `, "uuid": `, c.Code)
		b = append(b, `, "ping_url": "`...)
		b = pycompat.AppendJSONStringBody(b, a.pingURL)
		b = pycompat.AppendJSONStringBody(b, c.Code)
		// update_url and the two after it share one prefix.
		for _, u := range [...]struct{ key, tail string }{
			{`", "update_url": "`, ""}, {`", "pause_url": "`, "/pause"}, {`", "resume_url": "`, "/resume"},
		} {
			b = append(b, u.key...)
			b = pycompat.AppendJSONStringBody(b, a.siteRoot)
			b = append(b, "/api/v"...)
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, "/checks/"...)
			b = pycompat.AppendJSONStringBody(b, c.Code)
			b = append(b, u.tail...)
		}
		b = append(b, `", "channels": "`...)
		slices.Sort(channels)
		for i, code := range channels {
			if i > 0 {
				b = append(b, ',')
			}
			b = pycompat.AppendJSONStringBody(b, code)
		}
		b = append(b, '"')
	}
	switch c.Kind {
	case model.KindSimple:
		b = append(b, `, "timeout": `...)
		b = strconv.AppendInt(b, int64(c.Timeout/time.Second), 10)
	case model.KindCron, model.KindOnCalendar:
		b = str(b, `, "schedule": `, c.Schedule)
		b = str(b, `, "tz": `, c.TZ)
	}
	return append(b, '}')
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
	buf := getBuf()
	*buf = a.appendCheck(*buf, c, codes, q.v, q.readonly, a.now())
	writeRawJSON(w, status, *buf)
	putBuf(buf)
}

// listChecks is GET checks/: ?tag= (repeatable, every tag must be carried)
// and ?slug= filters; two queries whatever the number of checks (one with
// a read-only key, which sees no channel links).
func (a *API) listChecks(w http.ResponseWriter, r *http.Request, q *request) {
	ctx := r.Context()
	// Django's QueryDict, not url.ParseQuery: that one drops pairs with a
	// bad escape or a ";" (so a filter would vanish and list every check)
	// and takes any number of fields.
	query, err := parseDjangoQuery(r.URL.RawQuery)
	if err != nil {
		badRequestPage(w) // TooManyFieldsSent, raised as the view reads ?tag=
		return
	}
	checks, err := a.st.ListChecksForAPI(ctx, q.project.ID)
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
	tags := query["tag"]
	slug, _ := lastField(query, "slug") // "" is no filter, as upstream's `if slug := ...`
	now := a.now()
	buf := getBuf()
	// A check is 700 to 1,000 bytes: grow once rather than a dozen times.
	b := append(slices.Grow(*buf, 16+1024*len(checks)), `{"checks": [`...)
	first := true
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
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = a.appendCheck(b, c, links[c.ID], q.v, q.readonly, now)
	}
	*buf = append(b, "]}"...)
	writeRawJSON(w, http.StatusOK, *buf)
	putBuf(buf)
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
// by hashing every check's UUID. A miss is upstream's bare
// HttpResponseNotFound(): an empty body, with the CORS headers (unlike the
// Http404 page of a missing UUID).
func (a *API) checkByKey(w http.ResponseWriter, ctx context.Context, q *request, key string) (model.Check, bool) {
	checks, err := a.st.ListChecks(ctx, q.project.ID)
	if err != nil {
		a.fail(w, "list checks", err)
		return model.Check{}, false
	}
	for i := range checks {
		if subtle.ConstantTimeCompare([]byte(checks[i].UniqueKey()), []byte(key)) == 1 {
			return checks[i], true
		}
	}
	writeEmpty(w, http.StatusNotFound)
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
	sp, err := parseSpec(q.doc, !a.st.TextHoldsNUL())
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
	used, limit, err := checks.Room(ctx, a.st, q.project.OwnerID)
	if err != nil {
		a.fail(w, "count checks", err)
		return
	}
	if !checks.HasRoom(used, limit) {
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
	sp, err := parseSpec(q.doc, !a.st.TextHoldsNUL())
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
// As upstream, the check is renamed before it is deleted (see
// store.RenameAndDeleteCheck), and a check deleted by someone else after
// the lookup still answers 200.
func (a *API) deleteCheck(w http.ResponseWriter, r *http.Request, q *request, code string) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	if err := checks.Delete(ctx, a.st, c.ID); err != nil {
		a.fail(w, "delete check", err)
		return
	}
	// Upstream renders the check after the delete, when its channel links
	// are gone already: "channels" is always "".
	writeRawJSON(w, http.StatusOK, a.appendCheck(nil, &c, nil, q.v, false, a.now()))
}

// pauseResume is POST checks/<uuid>/pause and /resume, through
// checks.Pause and checks.Resume: pausing a paused check changes nothing,
// resuming a check that is not paused is 409.
func (a *API) pauseResume(w http.ResponseWriter, r *http.Request, q *request, code string, pause bool) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	var (
		saved model.Check
		err   error
	)
	if pause {
		saved, _, err = checks.Pause(ctx, a.st, c.ID, q.project.OwnerID, a.now(), a.log)
	} else {
		saved, err = checks.Resume(ctx, a.st, c.ID, a.now())
	}
	switch {
	case errors.Is(err, checks.ErrNotPaused):
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
