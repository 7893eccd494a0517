package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/store"
)

// maxPingList caps the ping list whatever the account's ping log limit.
const maxPingList = 1000

// listPings is GET checks/<uuid>/pings/ (read-write key only): the newest
// min(ping_log_limit, 1000) pings, without bodies.
func (a *API) listPings(w http.ResponseWriter, r *http.Request, q *request, code string) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	owner, err := a.st.UserByID(ctx, q.project.OwnerID)
	if err != nil {
		a.fail(w, "read project owner", err)
		return
	}
	limit := min(owner.PingLogLimit, maxPingList)
	pings, err := a.st.ListPingInfos(ctx, c.ID, limit)
	if err != nil {
		a.fail(w, "list pings", err)
		return
	}
	durations, err := checks.RunDurations(ctx, a.st, c.ID, pings, len(pings) == limit)
	if err != nil {
		a.fail(w, "look up run starts", err)
		return
	}
	prefix := a.siteRoot + "/api/v" + strconv.Itoa(q.v) + "/checks/" + c.Code + "/pings/"
	out := make([]obj, 0, len(pings))
	for i := range pings {
		p := &pings[i]
		kind := p.Kind
		if kind == model.PingSuccess {
			kind = "success"
		}
		var remote, rid, bodyURL any
		if p.RemoteAddr != "" {
			remote = p.RemoteAddr
		}
		if p.RID != "" {
			rid = p.RID
		}
		if p.HasBody {
			bodyURL = prefix + strconv.FormatInt(p.N, 10) + "/body"
		}
		o := obj{{"type", kind}, {"date", isoMicro(p.Created)}, {"n", p.N}, {"scheme", p.Scheme},
			{"remote_addr", remote}, {"method", p.Method}, {"ua", p.UA}, {"rid", rid}, {"body_url", bodyURL}}
		if d, ok := durations[i]; ok {
			// timedelta.total_seconds(): microseconds / 10**6, correctly rounded.
			o = append(o, kv{"duration", pyNum(round2(float64(d.Microseconds()) / 1e6))})
		}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, obj{{"pings", out}})
}

// pingBody is GET checks/<uuid>/pings/<n>/body: the raw body as text/plain;
// 404 when the ping is beyond the ping log limit, missing, or bodiless.
func (a *API) pingBody(w http.ResponseWriter, r *http.Request, q *request, code, nStr string) {
	ctx := r.Context()
	c, ok := a.ownCheck(w, ctx, q, code)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(nStr, 10, 64)
	if err != nil {
		notFoundPage(w)
		return
	}
	owner, err := a.st.UserByID(ctx, q.project.OwnerID)
	if err != nil {
		a.fail(w, "read project owner", err)
		return
	}
	if n <= c.NPings-int64(owner.PingLogLimit) {
		notFoundPage(w)
		return
	}
	body, err := a.st.PingBody(ctx, c.ID, n)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && len(body) == 0:
		notFoundPage(w)
		return
	case err != nil:
		a.fail(w, "read ping body", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// listFlips is GET checks/<uuid or unique_key>/flips/ with upstream's
// ?start=, ?end= (UNIX seconds) and ?seconds= filters; a bad filter is 400
// with an empty body.
func (a *API) listFlips(w http.ResponseWriter, r *http.Request, q *request, id string, isUUID bool) {
	ctx := r.Context()
	var (
		c  model.Check
		ok bool
	)
	if isUUID {
		c, ok = a.ownCheck(w, ctx, q, id)
	} else {
		c, ok = a.checkByKey(w, ctx, q, id)
	}
	if !ok {
		return
	}
	query, err := parseDjangoQuery(r.URL.RawQuery)
	if err != nil {
		// Django's TooManyFieldsSent, raised as the view reads the filters.
		badRequestPage(w)
		return
	}
	since, until, ok := a.flipFilters(query)
	if !ok {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	flips, err := a.st.ListFlipsBetween(ctx, c.ID, since, until)
	if err != nil {
		a.fail(w, "list flips", err)
		return
	}
	out := make([]obj, 0, len(flips))
	for _, f := range flips {
		up := 0
		if f.NewStatus == model.StatusUp {
			up = 1
		}
		out = append(out, obj{{"timestamp", isoSeconds(&f.Created)}, {"up", up}})
	}
	writeJSON(w, http.StatusOK, obj{{"flips", out}})
}

// maxTimestamp is upstream's sanity bound on start and end (year 2286).
const maxTimestamp = 10_000_000_000

// flipFilters validates the query as upstream's FlipsFiltersForm: start and
// end are Python integers in 0..1e10 (an empty value is an error), seconds
// a Django IntegerField in 0..31536000 ("" or 0 = no filter). The last
// value of a repeated parameter counts, as in Django.
func (a *API) flipFilters(query url.Values) (since, until *time.Time, ok bool) {
	later := func(t time.Time) {
		if since == nil || t.After(*since) {
			since = &t
		}
	}
	if s, present := lastField(query, "start"); present {
		n, err := pycompat.ParseInt(s)
		if err != nil || n < 0 || n > maxTimestamp {
			return nil, nil, false
		}
		later(time.Unix(n, 0).UTC())
	}
	if s, present := lastField(query, "end"); present {
		n, err := pycompat.ParseInt(s)
		if err != nil || n < 0 || n > maxTimestamp {
			return nil, nil, false
		}
		t := time.Unix(n, 0).UTC()
		until = &t
	}
	if s, present := lastField(query, "seconds"); present {
		n, present, err := djangoIntegerField(s)
		if err != nil || present && (n < 0 || n > 31_536_000) {
			return nil, nil, false
		}
		if n > 0 {
			later(a.now().UTC().Add(-time.Duration(n) * time.Second))
		}
	}
	return since, until, true
}

// listChannels is GET channels/ (read-write key only).
func (a *API) listChannels(w http.ResponseWriter, r *http.Request, q *request) {
	chans, err := a.st.ListChannels(r.Context(), q.project.ID)
	if err != nil {
		a.fail(w, "list channels", err)
		return
	}
	out := make([]obj, 0, len(chans))
	for _, ch := range chans {
		out = append(out, obj{{"id", ch.Code}, {"name", ch.Name}, {"kind", ch.Kind}})
	}
	writeJSON(w, http.StatusOK, obj{{"channels", out}})
}

// listBadges is GET badges/: the six badge URLs of every tag in the project
// and of "*" (every check). Tags come sorted, "*" last.
func (a *API) listBadges(w http.ResponseWriter, r *http.Request, q *request) {
	checks, err := a.st.ListChecks(r.Context(), q.project.ID)
	if err != nil {
		a.fail(w, "list checks", err)
		return
	}
	seen := map[string]bool{"*": true}
	var tags []string
	for i := range checks {
		for _, t := range checks[i].TagsList() {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	slices.Sort(tags)
	tags = append(tags, "*")
	key := q.project.BadgeKey
	out := make(obj, 0, len(tags))
	for _, tag := range tags {
		u := func(format string, late bool) string {
			return BadgeURL(a.siteRoot, key, tag, format, a.secretKey, late)
		}
		out = append(out, kv{tag, obj{{"svg", u("svg", false)}, {"svg3", u("svg", true)}, {"json", u("json", false)},
			{"json3", u("json", true)}, {"shields", u("shields", false)}, {"shields3", u("shields", true)}}})
	}
	writeJSON(w, http.StatusOK, obj{{"badges", out}})
}
