// Package api serves the machine-facing HTTP surface: ping URLs, the
// management API, badges and metrics, with upstream Healthchecks' URLs,
// status codes and bodies.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// uploadCap is Django's DATA_UPLOAD_MAX_MEMORY_SIZE: upstream refuses larger
// request bodies with 400 instead of truncating them.
const uploadCap = 2621440

// maxSlugLen is the longest slug a check can have.
const maxSlugLen = 100

// PingStore is what the ping endpoints read; *store.Store implements it.
type PingStore interface {
	CheckByCode(ctx context.Context, code string) (model.Check, error)
	ProjectByPingKey(ctx context.Context, key string) (model.Project, error)
	ChecksBySlug(ctx context.Context, projectID int64, slug string) ([]model.Check, error)
	CountChecksOwnedBy(ctx context.Context, userID int64) (int, error)
	UserByID(ctx context.Context, id int64) (model.User, error)
	CreateCheck(ctx context.Context, c *model.Check, assignAllChannels bool) error
}

// PingSubmitter records a ping durably; *ping.Writer implements it.
type PingSubmitter interface {
	Submit(ctx context.Context, r ping.Request) (ping.Result, error)
}

// Pings serves /ping/... . Create it with NewPings.
type Pings struct {
	store  PingStore
	writer PingSubmitter
	// bodyLimit is PING_BODY_LIMIT; -1 stores whole bodies.
	bodyLimit int
	now       func() time.Time
	log       *slog.Logger
	ids       *codeCache
}

// NewPings builds the ping handler.
func NewPings(s PingStore, w PingSubmitter, bodyLimit int, now func() time.Time, log *slog.Logger) *Pings {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pings{store: s, writer: w, bodyLimit: bodyLimit, now: now, log: log, ids: newCodeCache(100_000)}
}

// codeCache maps check UUIDs to row ids so the hot path skips a query. It
// holds only positive answers: a UUID is never reused, and a deleted check is
// noticed by the writer (ping.ErrCheckGone) and evicted.
type codeCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]int64
}

func newCodeCache(max int) *codeCache { return &codeCache{max: max, m: make(map[string]int64)} }

func (c *codeCache) get(code string) (int64, bool) {
	c.mu.RLock()
	id, ok := c.m[code]
	c.mu.RUnlock()
	return id, ok
}

func (c *codeCache) put(code string, id int64) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Wholesale reset keeps the bound without LRU bookkeeping on the hot path.
		c.m = make(map[string]int64)
	}
	c.m[code] = id
	c.mu.Unlock()
}

func (c *codeCache) drop(code string) {
	c.mu.Lock()
	delete(c.m, code)
	c.mu.Unlock()
}

// route is what a /ping/ path means.
type route struct {
	code       string // UUID form
	pingKey    string // slug form
	slug       string
	action     ping.Action
	exitStatus *int
	tooLarge   bool // an exit status above 255
}

// parsePingPath reads the part after "/ping/" the way upstream's URL
// patterns do: the UUID patterns first (lowercase canonical UUIDs only),
// then the slug patterns ([-a-zA-Z0-9_]+ for both key and slug). ok=false
// means no pattern matched (404).
func parsePingPath(rest string) (rt route, ok bool) {
	parts := strings.Split(rest, "/")
	if ping.IsCanonicalUUID(parts[0]) {
		switch {
		case len(parts) == 1 || (len(parts) == 2 && parts[1] == ""):
			return route{code: parts[0], action: ping.Action("success")}, true
		case len(parts) == 2:
			if a, ok := actionOf(parts[1]); ok {
				return route{code: parts[0], action: a}, true
			}
			if rt, ok := exitRoute(parts[1]); ok {
				rt.code = parts[0]
				return rt, true
			}
		}
	}
	if len(parts) < 2 || len(parts) > 3 || !isSlugToken(parts[0]) || !isSlugToken(parts[1]) {
		return route{}, false
	}
	rt = route{pingKey: parts[0], slug: parts[1], action: ping.Action("success")}
	if len(parts) == 2 {
		return rt, true
	}
	if a, ok := actionOf(parts[2]); ok {
		rt.action = a
		return rt, true
	}
	if er, ok := exitRoute(parts[2]); ok {
		er.pingKey, er.slug = rt.pingKey, rt.slug
		return er, true
	}
	return route{}, false
}

func actionOf(s string) (ping.Action, bool) {
	switch s {
	case "start", "fail", "log":
		return ping.Action(s), true
	}
	return "", false
}

// exitRoute reads an exit status segment ([0-9]+, any length, as Django's int
// converter). Numbers above 255 are flagged rather than rejected here because
// upstream answers them with 400 only after the check lookup.
func exitRoute(s string) (route, bool) {
	if s == "" {
		return route{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return route{}, false
		}
	}
	trimmed := strings.TrimLeft(s, "0")
	if len(trimmed) > 3 {
		return route{action: ping.Action("fail"), tooLarge: true}, true
	}
	n, _ := strconv.Atoi("0" + trimmed)
	if n > 255 {
		return route{action: ping.Action("fail"), tooLarge: true}, true
	}
	action := ping.Action("success")
	if n > 0 {
		action = ping.Action("fail")
	}
	return route{action: action, exitStatus: &n}, true
}

func isSlugToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ServeHTTP handles every method on /ping/...; the router strips the prefix
// up to and including "/ping/".
func (p *Pings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/ping/")
	rt, ok := parsePingPath(rest)
	if !ok {
		// No URL pattern matched: upstream's 404 comes from the resolver,
		// without the view's never_cache headers.
		plain(w, http.StatusNotFound, "not found")
		return
	}
	if rt.code != "" {
		neverCache(w)
		p.pingByCode(w, r, rt)
		return
	}
	p.pingBySlug(w, r, rt)
}

func (p *Pings) pingByCode(w http.ResponseWriter, r *http.Request, rt route) {
	id, ok := p.ids.get(rt.code)
	if !ok {
		c, err := p.store.CheckByCode(r.Context(), rt.code)
		if errors.Is(err, store.ErrNotFound) {
			plain(w, http.StatusNotFound, "not found")
			return
		}
		if err != nil {
			p.fail(w, r, "look up check", err)
			return
		}
		id = c.ID
		p.ids.put(rt.code, id)
	}
	ans := p.record(r, id, rt)
	if ans.status == http.StatusNotFound {
		p.ids.drop(rt.code)
	}
	p.reply(w, ans)
}

func (p *Pings) pingBySlug(w http.ResponseWriter, r *http.Request, rt route) {
	if rt.slug != strings.ToLower(rt.slug) {
		plain(w, http.StatusBadRequest, "invalid url format")
		return
	}
	ctx := r.Context()
	proj, err := p.store.ProjectByPingKey(ctx, rt.pingKey)
	if errors.Is(err, store.ErrNotFound) {
		// Upstream's lookup of the check fails first, then it reads
		// ?create= (which can fail on the query string) and only then
		// looks for the project: 404 either way.
		if _, ok := p.createParam(w, r); ok {
			plain(w, http.StatusNotFound, "not found")
		}
		return
	}
	if err != nil {
		p.fail(w, r, "look up project", err)
		return
	}
	// A slug longer than the column (100, as upstream's) can name no check:
	// without ?create=1 that is upstream's 404; with it, upstream fails in
	// the database (500 on PostgreSQL and MySQL), and we answer 400.
	if len(rt.slug) > maxSlugLen {
		create, ok := p.createParam(w, r)
		if !ok {
			return
		}
		if !create {
			plain(w, http.StatusNotFound, "not found")
		} else {
			plain(w, http.StatusBadRequest, "invalid url format")
		}
		return
	}
	checks, err := p.store.ChecksBySlug(ctx, proj.ID, rt.slug)
	if err != nil {
		p.fail(w, r, "look up slug", err)
		return
	}
	created := false
	var id int64
	switch len(checks) {
	case 0:
		create, ok := p.createParam(w, r)
		if !ok {
			return
		}
		if !create {
			plain(w, http.StatusNotFound, "not found")
			return
		}
		c, status, err := p.provision(ctx, proj, rt.slug)
		if err != nil {
			p.fail(w, r, "create check", err)
			return
		}
		if status != 0 {
			plain(w, status, "not found")
			return
		}
		id, created = c.ID, true
	case 1:
		id = checks[0].ID
	default:
		plain(w, http.StatusConflict, "ambiguous slug")
		return
	}
	neverCache(w)
	ans := p.record(r, id, rt)
	if ans.status == http.StatusOK && created {
		ans.status, ans.body = http.StatusCreated, "Created"
	}
	p.reply(w, ans)
}

// createParam reads ?create= as upstream's request.GET.get("create") does
// (Django's query parsing, last value wins); only exactly "1" asks for a
// check to be made. A query string of more than 1000 fields is Django's
// TooManyFieldsSent: a 400 page, answered here, and ok=false.
func (p *Pings) createParam(w http.ResponseWriter, r *http.Request) (create, ok bool) {
	q, err := parseDjangoQuery(r.URL.RawQuery)
	if err != nil {
		badRequestPage(w)
		return false, false
	}
	v, _ := lastField(q, "create")
	return v == "1", true
}

// provision creates a check for ?create=1 with upstream's defaults and every
// channel of the project attached. The owner may reach twice the check limit
// this way (upstream's rule); beyond that the answer is 404.
func (p *Pings) provision(ctx context.Context, proj model.Project, slug string) (model.Check, int, error) {
	owner, err := p.store.UserByID(ctx, proj.OwnerID)
	if err != nil {
		return model.Check{}, 0, err
	}
	used, err := p.store.CountChecksOwnedBy(ctx, owner.ID)
	if err != nil {
		return model.Check{}, 0, err
	}
	// As upstream, a check limit of 0 refuses every auto-created check.
	if used >= 2*owner.CheckLimit {
		return model.Check{}, http.StatusNotFound, nil
	}
	c := model.NewCheck(proj.ID, p.now())
	c.Name, c.Slug = slug, slug
	if err := p.store.CreateCheck(ctx, &c, true); err != nil {
		return model.Check{}, 0, err
	}
	p.log.Info("check created by a ping", "project", proj.Code, "slug", slug, "uuid", c.Code)
	return c, 0, nil
}

// pingAnswer is what the ping view answers.
type pingAnswer struct {
	status int
	body   string
	// raised marks the answers that upstream gives from an exception
	// escaping the view (Django's RequestDataTooBig and TooManyFieldsSent):
	// the view's never_cache headers are not on them.
	raised bool
	// page answers with Django's HTML 400 page instead of body.
	page bool
}

// record validates the rest of the request in upstream's order (exit status,
// body size, rid) and hands the ping to the writer.
func (p *Pings) record(r *http.Request, checkID int64, rt route) pingAnswer {
	if rt.tooLarge {
		return pingAnswer{status: http.StatusBadRequest, body: "invalid url format"}
	}
	body, err := p.readBody(r)
	if err != nil {
		return pingAnswer{status: http.StatusBadRequest, body: "request body too large", raised: true}
	}
	// request.GET.get("rid"): Django's query parsing, where ";" is data and
	// a bad %-escape stays as it is (both then fail the UUID test, as
	// upstream), and the last of repeated values counts.
	rid := ""
	if r.URL.RawQuery != "" { // the common case skips the parse
		q, err := parseDjangoQuery(r.URL.RawQuery)
		if err != nil {
			return pingAnswer{status: http.StatusBadRequest, raised: true, page: true}
		}
		if v, ok := lastField(q, "rid"); ok {
			if !isUUIDAnyCase(v) {
				return pingAnswer{status: http.StatusBadRequest, body: "invalid uuid format"}
			}
			rid = strings.ToLower(v)
		}
	}
	ev := ping.Event{
		Action:     rt.action,
		ExitStatus: rt.exitStatus,
		RID:        rid,
		Body:       body,
		Method:     truncate(r.Method, 10),
		Scheme:     truncate(headerOr(r, "X-Forwarded-Proto", "http"), 10),
		RemoteAddr: remoteAddr(r),
		UA:         truncate(r.Header.Get("User-Agent"), 200),
	}
	res, err := p.writer.Submit(r.Context(), ping.Request{CheckID: checkID, Event: ev})
	if err == nil {
		err = res.Err
	}
	switch {
	case err == nil:
		return pingAnswer{status: http.StatusOK, body: "OK"}
	case errors.Is(err, ping.ErrCheckGone):
		return pingAnswer{status: http.StatusNotFound, body: "not found"}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer.
		return pingAnswer{status: http.StatusServiceUnavailable, body: "try again"}
	default:
		p.log.Error("ping not recorded", "check_id", checkID, "err", err)
		return pingAnswer{status: http.StatusServiceUnavailable, body: "try again"}
	}
}

// readBody reads at most the upload cap; a longer body is refused whole
// (upstream's 400), a body within the cap is truncated to PING_BODY_LIMIT.
func (p *Pings) readBody(r *http.Request) ([]byte, error) {
	limit := int64(uploadCap)
	if p.bodyLimit > uploadCap {
		limit = int64(p.bodyLimit)
	}
	if r.ContentLength > limit {
		return nil, errors.New("body over the upload cap")
	}
	if r.Body == nil || r.ContentLength == 0 {
		return []byte{}, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("body over the upload cap")
	}
	if p.bodyLimit >= 0 && len(b) > p.bodyLimit {
		b = b[:p.bodyLimit]
	}
	return b, nil
}

func (p *Pings) reply(w http.ResponseWriter, a pingAnswer) {
	if a.raised {
		w.Header().Del("Cache-Control")
		w.Header().Del("Expires")
	}
	if a.page {
		badRequestPage(w)
		return
	}
	if a.status == http.StatusOK || a.status == http.StatusCreated {
		if p.bodyLimit >= 0 {
			w.Header().Set("Ping-Body-Limit", strconv.Itoa(p.bodyLimit))
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	plain(w, a.status, a.body)
}

func (p *Pings) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	p.log.Error("ping: "+what, "path", r.URL.Path, "err", err)
	plain(w, http.StatusServiceUnavailable, "try again")
}

// remoteAddr is the first X-Forwarded-For item as upstream takes it (not
// trimmed), else the peer address; an "a.b.c.d:port" value loses its port.
// A header that is present but empty gives "" (upstream stores NULL), as
// Django's META.get() returns the empty value rather than the default.
func remoteAddr(r *http.Request) string {
	addr := r.RemoteAddr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	if xff, ok := r.Header["X-Forwarded-For"]; ok && len(xff) > 0 {
		addr, _, _ = strings.Cut(xff[0], ",")
	}
	if net.ParseIP(addr) == nil {
		if parts := strings.Split(addr, "."); len(parts) == 4 && strings.Contains(parts[3], ":") {
			addr, _, _ = strings.Cut(addr, ":")
		}
	}
	return truncate(addr, 45)
}

func isUUIDAnyCase(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-'
}

func headerOr(r *http.Request, name, def string) string {
	if v, ok := r.Header[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
		return v[0]
	}
	return def
}

// truncate keeps the first n characters (not bytes) of s, as upstream's
// character-counted columns do, so stored text stays valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// neverCache sets the headers of Django's never_cache decorator.
func neverCache(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
	h.Set("Expires", time.Now().UTC().Format(http.TimeFormat))
}

// plain writes a short body with Django's default content type, which is
// what upstream's ping endpoints send.
func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}
