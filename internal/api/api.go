package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"github.com/overdue/overdue/internal/ratelimit"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// DefaultMaxBody caps Management API request bodies. Upstream's Django
// refuses bodies over 2.5 MB; a check definition is a few hundred bytes.
const DefaultMaxBody = 1 << 20

// APIDeps is what the Management API needs; main builds it.
type APIDeps struct {
	Store *store.Store
	// SiteRoot is SITE_ROOT ("https://hc.example.org" or with a path,
	// "https://example.org/hc"), without a trailing slash; URLs in
	// responses start with it and redirects use its path.
	SiteRoot string
	// PingEndpoint is PING_ENDPOINT (SITE_ROOT + "/ping/" by default).
	PingEndpoint string
	// SecretKey signs the badge URLs listed by badges/.
	SecretKey string
	// MetricsKey is METRICS_KEY for the operator endpoint metrics/; empty
	// disables it (403), as upstream.
	MetricsKey string
	Now        func() time.Time
	Cache      *schedule.Cache
	Log        *slog.Logger
	// RateLimit is the number of requests per minute one API key may make;
	// 0 means no limit (upstream's open-source code has none).
	RateLimit int
	// MaxBody caps request bodies; 0 means DefaultMaxBody.
	MaxBody int64
}

// API serves /api/v1/, /api/v2/ and /api/v3/.
type API struct {
	st                          *store.Store
	siteRoot, basePath, pingURL string
	secretKey, metricsKey       string
	now                         func() time.Time
	cache                       *schedule.Cache
	log                         *slog.Logger
	limiter                     *ratelimit.Limiter
	maxBody                     int64
	routes                      []*apiRoute
}

// NewAPI builds the Management API handler. It expects paths with
// SITE_ROOT's path prefix already removed (server.Handler does that).
func NewAPI(d APIDeps) http.Handler {
	a := &API{st: d.Store, siteRoot: strings.TrimRight(d.SiteRoot, "/"), pingURL: d.PingEndpoint,
		secretKey: d.SecretKey, metricsKey: d.MetricsKey, now: d.Now, cache: d.Cache, log: d.Log, maxBody: d.MaxBody}
	if a.now == nil {
		a.now = time.Now
	}
	if a.cache == nil {
		a.cache = schedule.NewCache(0)
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBody
	}
	if a.pingURL == "" {
		a.pingURL = a.siteRoot + "/ping/"
	}
	if u, err := url.Parse(a.siteRoot); err == nil {
		a.basePath = strings.TrimRight(u.Path, "/")
	}
	if d.RateLimit > 0 {
		a.limiter = ratelimit.PerMinute(d.RateLimit, a.now)
	}
	a.routes = a.apiRoutes()
	return a
}

// request is one authenticated API call.
type request struct {
	v        int
	project  model.Project
	readonly bool
	doc      map[string]any // the JSON body of a POST; empty otherwise
}

// apiRoute is one of upstream's URL patterns under /api/vN/: its methods
// (for CORS and 405) and its handler, which gets the path's parameters.
type apiRoute struct {
	pattern string // "checks/{check}/pings/{n}/body"
	pat     pathPattern
	// methods are the route's methods in upstream's order (the CORS header
	// lists them so); nil means any method, the handler answers.
	methods []string
	cors    bool
	serve   func(w http.ResponseWriter, r *http.Request, v int, p pathParams)
}

// apiRoutes is upstream's URL table (hc/api/urls.py), the same under v1, v2
// and v3. Matching walks it, and Routes lists it, so that the security
// tests walk every route there is.
func (a *API) apiRoutes() []*apiRoute {
	get, post := []string{http.MethodGet}, []string{http.MethodPost}
	// keyed wraps a handler of one object in withAuth (write: a read-write
	// key is needed).
	keyed := func(write bool, h func(w http.ResponseWriter, r *http.Request, q *request, p pathParams)) func(http.ResponseWriter, *http.Request, int, pathParams) {
		return func(w http.ResponseWriter, r *http.Request, v int, p pathParams) {
			a.withAuth(w, r, v, write, func(w http.ResponseWriter, r *http.Request, q *request) { h(w, r, q, p) })
		}
	}
	list := func(write bool, h func(http.ResponseWriter, *http.Request, *request)) func(http.ResponseWriter, *http.Request, int, pathParams) {
		return func(w http.ResponseWriter, r *http.Request, v int, _ pathParams) { a.withAuth(w, r, v, write, h) }
	}
	open := func(h http.HandlerFunc) func(http.ResponseWriter, *http.Request, int, pathParams) {
		return func(w http.ResponseWriter, r *http.Request, _ int, _ pathParams) { h(w, r) }
	}
	routes := []*apiRoute{
		{pattern: "checks/", methods: []string{http.MethodGet, http.MethodPost}, cors: true, serve: func(w http.ResponseWriter, r *http.Request, v int, _ pathParams) {
			if r.Method == http.MethodPost {
				a.withAuth(w, r, v, true, a.createCheck)
			} else {
				a.withAuth(w, r, v, false, a.listChecks)
			}
		}},
		{pattern: "channels/", methods: get, cors: true, serve: list(true, a.listChannels)},
		{pattern: "badges/", methods: get, cors: true, serve: list(false, a.listBadges)},
		{pattern: "status/", serve: open(a.status)},
		{pattern: "metrics/", serve: open(a.opsMetrics)},
		{pattern: "bounces/", serve: open(a.bounces)},
		{pattern: "notifications/{notification}/status", serve: func(w http.ResponseWriter, r *http.Request, _ int, p pathParams) {
			a.notificationStatus(w, r, p["notification"])
		}},
		{pattern: "checks/{check}", methods: []string{http.MethodPost, http.MethodDelete, http.MethodGet}, cors: true,
			serve: func(w http.ResponseWriter, r *http.Request, v int, p pathParams) {
				id := p["check"]
				switch r.Method {
				case http.MethodPost:
					a.withAuth(w, r, v, true, func(w http.ResponseWriter, r *http.Request, q *request) { a.updateCheck(w, r, q, id) })
				case http.MethodDelete:
					a.withAuth(w, r, v, true, func(w http.ResponseWriter, r *http.Request, q *request) { a.deleteCheck(w, r, q, id) })
				default:
					a.withAuth(w, r, v, false, func(w http.ResponseWriter, r *http.Request, q *request) { a.getCheck(w, r, q, id) })
				}
			}},
		{pattern: "checks/{unique_key}", methods: get, cors: true, serve: keyed(false, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.getCheckByKey(w, r, q, p["unique_key"])
		})},
		{pattern: "checks/{check}/pause", methods: post, cors: true, serve: keyed(true, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.pauseResume(w, r, q, p["check"], true)
		})},
		{pattern: "checks/{check}/resume", methods: post, cors: true, serve: keyed(true, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.pauseResume(w, r, q, p["check"], false)
		})},
		{pattern: "checks/{check}/pings/", methods: get, cors: true, serve: keyed(true, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.listPings(w, r, q, p["check"])
		})},
		{pattern: "checks/{check}/pings/{n}/body", methods: get, cors: true, serve: keyed(true, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.pingBody(w, r, q, p["check"], p["n"])
		})},
		{pattern: "checks/{check}/flips/", methods: get, cors: true, serve: keyed(false, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.listFlips(w, r, q, p["check"], true)
		})},
		{pattern: "checks/{unique_key}/flips/", methods: get, cors: true, serve: keyed(false, func(w http.ResponseWriter, r *http.Request, q *request, p pathParams) {
			a.listFlips(w, r, q, p["unique_key"], false)
		})},
	}
	for _, rt := range routes {
		rt.pat = compilePattern(rt.pattern)
	}
	return routes
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, rest := 0, ""
	for i, prefix := range []string{"/api/v1/", "/api/v2/", "/api/v3/"} {
		if s, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
			v, rest = i+1, s
		}
	}
	if v == 0 {
		notFoundPage(w)
		return
	}
	rt, params := a.match(rest)
	if rt == nil {
		// Django's APPEND_SLASH: redirect when the path with a slash exists.
		if alt, _ := a.match(rest + "/"); !strings.HasSuffix(rest, "/") && alt != nil {
			target := a.basePath + (&url.URL{Path: r.URL.Path + "/"}).EscapedPath()
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		notFoundPage(w)
		return
	}
	if rt.cors {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "X-Api-Key")
		h.Set("Access-Control-Allow-Methods", strings.Join(append(rt.methods[:len(rt.methods):len(rt.methods)], "OPTIONS"), ", "))
		h.Set("Access-Control-Max-Age", "600")
		if r.Method == http.MethodOptions {
			// HttpResponse(status=204): Django still names its default type.
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if rt.methods != nil && !contains(rt.methods, r.Method) {
		writeEmpty(w, http.StatusMethodNotAllowed)
		return
	}
	rt.serve(w, r, v, params)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// match maps the path after /api/vN/ to a route and its parameters, or
// nil. The patterns do not overlap (a UUID is never a unique_key), so the
// first match is the only one.
func (a *API) match(rest string) (*apiRoute, pathParams) {
	segs := strings.Split(rest, "/")
	for _, rt := range a.routes {
		if p, ok := rt.pat.match(segs); ok {
			return rt, p
		}
	}
	return nil, nil
}

// Routes returns every Management API route, as web.(*Web).Routes does
// for the UI: one pattern per method ("GET /api/v3/checks/{check}"), or
// the bare path of a route that takes any method and answers it itself
// ("/api/v1/status/"). {check} and {notification} are UUIDs, {unique_key}
// a check's unique_key, {n} a ping's number.
func (a *API) Routes() []string {
	var out []string
	for _, v := range []string{"v1", "v2", "v3"} {
		for _, rt := range a.routes {
			out = routeList(out, "/api/"+v+"/"+rt.pattern, rt.methods)
		}
	}
	return out
}

// withAuth runs next for an authenticated request. write selects upstream's
// authorize (read-write key only; a POST body is parsed first and may carry
// the key as "api_key") over authorize_read (either key, header only).
func (a *API) withAuth(w http.ResponseWriter, r *http.Request, v int, write bool, next func(http.ResponseWriter, *http.Request, *request)) {
	q := &request{v: v, doc: map[string]any{}}
	if write && r.Method == http.MethodPost {
		doc, msg := a.readBody(w, r)
		if msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		if doc != nil {
			q.doc = doc
		}
	}
	var key string
	if vals, ok := r.Header["X-Api-Key"]; ok {
		// WSGI hands Django header values decoded as Latin-1, one
		// character a byte: the length that counts is in bytes.
		key = vals[0]
		if len(key) != 32 {
			key = ""
		}
	} else if raw, ok := q.doc["api_key"]; ok && write {
		key = pycompat.Str(raw)
		if utf8.RuneCountInString(key) != 32 {
			key = ""
		}
	}
	if key == "" {
		writeError(w, http.StatusUnauthorized, "missing api key")
		return
	}
	keyHash := auth.HashAPIKey(key)
	proj, readonly, err := projectByAPIKey(r.Context(), a.st, key, a.secretKey)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && readonly && write:
		writeError(w, http.StatusUnauthorized, "wrong api key")
		return
	case err != nil:
		a.fail(w, "look up API key", err)
		return
	}
	if a.limiter != nil {
		if ok, wait := a.limiter.Allow(keyHash); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
	}
	q.project, q.readonly = proj, readonly
	next(w, r, q)
}

// readBody parses a POST body as upstream does, whatever its Content-Type:
// empty means no document (nil, ""), otherwise it must be a JSON object.
// Numbers stay json.Number so integers and floats can be told apart.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil || !utf8.Valid(body) {
		return nil, "could not parse request body"
	}
	if len(body) == 0 {
		return nil, ""
	}
	doc, ok := decodeJSON(body)
	if !ok {
		// Python's json module also reads NaN, Infinity and -Infinity.
		if alt, found := pycompat.JSONConstants(body); found {
			doc, ok = decodeJSON(alt)
		}
	}
	if !ok || pycompat.HasHugeInt(doc) {
		return nil, "could not parse request body"
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, "json validation error: value is not an object"
	}
	return m, ""
}

// decodeJSON decodes one JSON value with nothing but whitespace after it.
// Numbers stay json.Number so integers and floats can be told apart.
func decodeJSON(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // trailing data
	}
	return doc, true
}

// fail logs an unexpected error and answers 500; the details stay in the log.
func (a *API) fail(w http.ResponseWriter, what string, err error) {
	a.log.Error("api: "+what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// status is upstream's status/: a database round trip, then "OK".
func (a *API) status(w http.ResponseWriter, r *http.Request) {
	if csrfRejected(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := a.st.Ping(ctx); err != nil {
		a.log.Error("api: status", "err", err)
		http.Error(w, "database unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "OK")
}

// opsMetrics is upstream's operator endpoint metrics/ (not Prometheus): the
// X-Metrics-Key header must equal METRICS_KEY, which must be set.
func (a *API) opsMetrics(w http.ResponseWriter, r *http.Request) {
	if csrfRejected(w, r) {
		return
	}
	key := r.Header.Get("X-Metrics-Key")
	if a.metricsKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(a.metricsKey)) != 1 {
		writeEmpty(w, http.StatusForbidden)
		return
	}
	o, err := a.st.Ops(r.Context())
	if err != nil {
		a.fail(w, "operator metrics", err)
		return
	}
	opt := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	writeJSON(w, http.StatusOK, obj{{"ts", a.now().Unix()}, {"max_ping_id", opt(o.MaxPingID)},
		{"max_notification_id", opt(o.MaxNotificationID)}, {"num_unprocessed_flips", o.NumUnprocessedFlips}})
}

// projectByAPIKey finds the project of a presented API key: by its SHA-256
// digest (keys Overdue issued, and legacy plain-text keys imported from
// upstream), then by upstream's HMAC form under SECRET_KEY (hcw_/hcr_ keys
// imported from upstream v3.11+, whose plain text only their owner has).
func projectByAPIKey(ctx context.Context, st MetricsStore, key, secret string) (model.Project, bool, error) {
	proj, readonly, err := st.ProjectByAPIKey(ctx, auth.HashAPIKey(key))
	if errors.Is(err, store.ErrNotFound) {
		if up := auth.UpstreamAPIKeyHash(key, secret); up != "" {
			return st.ProjectByAPIKey(ctx, up)
		}
	}
	return proj, readonly, err
}
