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
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// uploadCap is Django's DATA_UPLOAD_MAX_MEMORY_SIZE: upstream refuses larger
// request bodies with 400 instead of truncating them.
const uploadCap = 2621440

// PingStore is what the ping endpoints read; *store.Store implements it.
type PingStore interface {
	ping.ResolverStore
	checks.RoomStore
}

// PingSubmitter records a ping durably; *ping.Writer implements it.
type PingSubmitter = ping.Submitter

// Pings serves /ping/... . Create it with NewPings or NewPingsResolver.
type Pings struct {
	res *ping.Resolver
	// bodyLimit is PING_BODY_LIMIT; -1 stores whole bodies.
	bodyLimit int
	log       *slog.Logger
	hdr       *pingHeaders
}

// NewPings builds the ping handler with its own Resolver over s and w.
func NewPings(s PingStore, w PingSubmitter, bodyLimit int, now func() time.Time, log *slog.Logger) *Pings {
	res := ping.NewResolver(s, store.ErrNotFound, w, ping.ResolverOptions{Now: now, Logger: log, Room: checks.RoomFunc(s)})
	return NewPingsResolver(res, bodyLimit, log)
}

// NewPingsResolver builds the ping handler over a Resolver that other
// transports (the SMTP listener) may share, with its UUID cache.
func NewPingsResolver(res *ping.Resolver, bodyLimit int, log *slog.Logger) *Pings {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pings{res: res, bodyLimit: bodyLimit, log: log, hdr: newPingHeaders(bodyLimit)}
}

// pingHeaders are the ping answers' header values, built once. Header.Set
// allocates a one-element slice per call, and those (six per ping, plus
// the never_cache Expires date formatted each time) were the ping path's
// largest allocation site under wrk (textproto.MIMEHeader.Set). Every
// answer shares these slices; each has len == cap, so an Add by a later
// handler appends to a copy, and net/http copies the values when it
// writes the header (Header.Clone), so nothing writes to them.
type pingHeaders struct {
	contentType, cacheControl, allowOrigin, bodyLimit []string
	// lengths[n] is the Content-Length value n, for the short bodies.
	lengths [32][]string
	// expires is the Expires value of the current second: never_cache's
	// date has a resolution of one second, so one format per second.
	expires atomic.Pointer[expiresValue]
}

type expiresValue struct {
	unix int64
	v    []string
}

func newPingHeaders(bodyLimit int) *pingHeaders {
	h := &pingHeaders{
		contentType:  []string{"text/html; charset=utf-8"},
		cacheControl: []string{neverCacheControl},
		allowOrigin:  []string{"*"},
		bodyLimit:    []string{strconv.Itoa(bodyLimit)},
	}
	for n := range h.lengths {
		h.lengths[n] = []string{strconv.Itoa(n)}
	}
	return h
}

// expiresAt is the Expires value for now (the http.TimeFormat of its second).
func (h *pingHeaders) expiresAt(now time.Time) []string {
	sec := now.Unix()
	if e := h.expires.Load(); e != nil && e.unix == sec {
		return e.v
	}
	e := &expiresValue{unix: sec, v: []string{now.UTC().Format(http.TimeFormat)}}
	h.expires.Store(e)
	return e.v
}

// neverCache sets the headers of Django's never_cache decorator, as the
// function neverCache does, from the pre-built values.
func (p *Pings) neverCache(w http.ResponseWriter) {
	h := w.Header()
	h["Cache-Control"] = p.hdr.cacheControl
	h["Expires"] = p.hdr.expiresAt(time.Now())
}

// plain writes a short body with Django's default content type, which is
// what upstream's ping endpoints send.
func (p *Pings) plain(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h["Content-Type"] = p.hdr.contentType
	if n := len(body); n < len(p.hdr.lengths) {
		h["Content-Length"] = p.hdr.lengths[n]
	} else {
		h["Content-Length"] = []string{strconv.Itoa(n)}
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
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
	buf, n := splitPath(rest)
	parts := buf[:n]
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

// splitPath is strings.Split(rest, "/") for the at most three segments a
// ping path has, without allocating: a longer path gets a fourth element
// (the remainder), which no pattern accepts.
func splitPath(rest string) (parts [4]string, n int) {
	for n < len(parts)-1 {
		seg, tail, found := strings.Cut(rest, "/")
		parts[n] = seg
		n++
		if !found {
			return parts, n
		}
		rest = tail
	}
	parts[n] = rest
	return parts, n + 1
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
		p.plain(w, http.StatusNotFound, "not found")
		return
	}
	if rt.code != "" {
		p.neverCache(w)
		p.pingByCode(w, r, rt)
		return
	}
	p.pingBySlug(w, r, rt)
}

func (p *Pings) pingByCode(w http.ResponseWriter, r *http.Request, rt route) {
	res, err := p.res.Resolve(r.Context(), ping.Address{Code: rt.code}, false)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if res.Outcome != ping.Found {
		p.plain(w, http.StatusNotFound, "not found")
		return
	}
	p.reply(w, p.record(r, res, rt))
}

func (p *Pings) pingBySlug(w http.ResponseWriter, r *http.Request, rt route) {
	if rt.slug != strings.ToLower(rt.slug) {
		p.plain(w, http.StatusBadRequest, "invalid url format")
		return
	}
	// Upstream reads ?create= only on the way to a 404 or a new check, and
	// a query string it can't parse (TooManyFieldsSent) is then its 400
	// page. Parsing it here up front is the same: a bad query asks for no
	// check, and every answer that would have read it is NotFound.
	create, createOK := p.createParam(r)
	res, err := p.res.Resolve(r.Context(), ping.Address{PingKey: rt.pingKey, Slug: rt.slug}, create)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	switch res.Outcome {
	case ping.NotFound:
		if !createOK {
			badRequestPage(w)
			return
		}
		p.plain(w, http.StatusNotFound, "not found")
		return
	case ping.LimitReached:
		p.plain(w, http.StatusNotFound, "not found")
		return
	case ping.SlugTooLong:
		// Upstream fails in the database here (500 on PostgreSQL and
		// MySQL); we answer 400.
		p.plain(w, http.StatusBadRequest, "invalid url format")
		return
	case ping.Ambiguous:
		p.plain(w, http.StatusConflict, "ambiguous slug")
		return
	}
	p.neverCache(w)
	ans := p.record(r, res, rt)
	p.reply(w, ans)
}

// createParam reads ?create= as upstream's request.GET.get("create") does
// (Django's query parsing, last value wins); only exactly "1" asks for a
// check to be made. A query string of more than 1000 fields is Django's
// TooManyFieldsSent: ok=false, which the caller answers with the 400 page
// where upstream would have read the parameter.
func (p *Pings) createParam(r *http.Request) (create, ok bool) {
	if r.URL.RawQuery == "" {
		return false, true
	}
	q, err := parseDjangoQuery(r.URL.RawQuery)
	if err != nil {
		return false, false
	}
	v, _ := lastField(q, "create")
	return v == "1", true
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
func (p *Pings) record(r *http.Request, res ping.Resolution, rt route) pingAnswer {
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
	// The outcome can change here: a cached slug answer found stale at
	// write time is resolved again (see ping.Resolver.RecordOutcome).
	outcome, _, err := p.res.RecordOutcome(r.Context(), res, ev)
	switch {
	case err == nil && outcome == ping.Created:
		return pingAnswer{status: http.StatusCreated, body: "Created"}
	case err == nil:
		return pingAnswer{status: http.StatusOK, body: "OK"}
	case errors.Is(err, ping.ErrAmbiguous):
		// Upstream answers these two from the slug view, before the ping
		// view's never_cache: so without its headers (as raised answers).
		return pingAnswer{status: http.StatusConflict, body: "ambiguous slug", raised: true}
	case errors.Is(err, ping.ErrCheckGone):
		late := outcome == ping.NotFound || outcome == ping.LimitReached
		return pingAnswer{status: http.StatusNotFound, body: "not found", raised: late}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer.
		return pingAnswer{status: http.StatusServiceUnavailable, body: "try again"}
	default:
		p.log.Error("ping not recorded", "check_id", res.CheckID, "err", err)
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
		h := w.Header()
		if p.bodyLimit >= 0 {
			h["Ping-Body-Limit"] = p.hdr.bodyLimit
		}
		h["Access-Control-Allow-Origin"] = p.hdr.allowOrigin
	}
	p.plain(w, a.status, a.body)
}

func (p *Pings) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	p.log.Error("ping not resolved", "path", r.URL.Path, "err", err)
	p.plain(w, http.StatusServiceUnavailable, "try again")
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
	// netip rather than net.ParseIP, which allocates; a zone is refused
	// as net.ParseIP refuses it.
	if a, err := netip.ParseAddr(addr); err != nil || a.Zone() != "" {
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

// neverCacheControl is the Cache-Control of Django's never_cache.
const neverCacheControl = "max-age=0, no-cache, no-store, must-revalidate, private"

// neverCache sets the headers of Django's never_cache decorator (the badge
// answers; the ping handler sets the same from its pre-built values).
func neverCache(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", neverCacheControl)
	h.Set("Expires", time.Now().UTC().Format(http.TimeFormat))
}
