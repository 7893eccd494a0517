// Package web is the browser interface: server-rendered pages at upstream's
// URLs, sessions kept in the database, CSRF protection on every form.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/ratelimit"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the pages need; main builds them.
type Deps struct {
	Store    *store.Store
	SiteRoot string // SITE_ROOT: decides the cookies' Secure flag and path
	SiteName string
	// PingEndpoint is PING_ENDPOINT (with its trailing slash), the base of
	// the ping URLs pages show; "" means SITE_ROOT + "/ping/".
	PingEndpoint string
	// PingEmailDomain is PING_EMAIL_DOMAIN; "" hides the ping addresses.
	PingEmailDomain string
	// Cache parses the checks' schedules (shared with the API and alerts);
	// nil gives the pages their own.
	Cache *schedule.Cache
	// Kinds is the integration registry; nil is kinds.New().
	Kinds *kinds.Registry
	// Getenv reads the operator's environment, for the kinds' "enabled"
	// settings; nil reads every variable as unset (the defaults).
	Getenv func(name string) (string, bool)
	// Accounts holds the rules for new integrations (and, later, users and
	// projects); nil builds one over Store and Kinds without a mailer.
	Accounts *accounts.Accounts
	// Tester sends the integrations page's test notifications; nil sends
	// through no transports (every test fails with "not supported").
	Tester *alerts.Tester
	// SecretKey is SECRET_KEY, which signs the Telegram bot's invite
	// links; "" turns the bot's pages off.
	SecretKey string
	// Client is the SSRF-safe HTTP client of the kinds' OAuth code
	// exchanges (oauth.go); nil builds one with the defaults.
	Client *notify.Client
	// RemoteUserHeader is upstream's REMOTE_USER_HEADER ("" off): the
	// header, set by a trusted reverse proxy, naming the logged-in user's
	// email (remoteuser.go).
	RemoteUserHeader string
	Now              func() time.Time
	Log              *slog.Logger

	// RegistrationOpen is REGISTRATION_OPEN: whether anyone may sign up.
	RegistrationOpen bool
}

// Web serves the pages.
type Web struct {
	// patterns are the routes registered on mux, in order, for Routes.
	patterns []string

	d       Deps
	base    string // SITE_ROOT's path, "" or "/hc"
	pingURL string
	secure  bool
	pages   map[string]*template.Template
	mux     *http.ServeMux
	byAddr  *ratelimit.Limiter
	byEmail *ratelimit.Limiter
	// linkByEmail counts the emails sent to an address (login links,
	// sign-ups, email changes), by NormalizeEmail.
	linkByEmail *ratelimit.Limiter
	// dummyHash is checked against when an email has no account, so that
	// a refusal takes as long either way.
	dummyHash string
	// sec is the state of second factors and sudo mode (security.go).
	sec *security
	// spent holds the set-up seals already used (oauth.go).
	spent *ratelimit.Limiter
}

// New parses the templates and builds the routes.
func New(d Deps) (*Web, error) {
	if d.Store == nil {
		return nil, errors.New("web: a store is required")
	}
	if d.Cache == nil {
		d.Cache = schedule.NewCache(1000)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Kinds == nil {
		d.Kinds = kinds.New()
	}
	if d.Accounts == nil {
		a, err := accounts.New(accounts.Options{Store: d.Store, Kinds: d.Kinds, Clock: d.Now, SiteRoot: d.SiteRoot, SiteName: d.SiteName})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		d.Accounts = a
	}
	if d.Tester == nil {
		d.Tester = &alerts.Tester{Store: d.Store, Transports: notify.Registry{}, Events: d.Kinds.Events, SiteRoot: d.SiteRoot, SiteName: d.SiteName, Now: d.Now}
	}
	if d.Client == nil {
		d.Client = notify.NewClient(notify.ClientOptions{})
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.PingEndpoint == "" {
		d.PingEndpoint = strings.TrimSuffix(d.SiteRoot, "/") + "/ping/"
	}
	u, err := url.Parse(d.SiteRoot)
	if err != nil {
		return nil, fmt.Errorf("web: SITE_ROOT: %w", err)
	}
	w := &Web{
		d:       d,
		base:    strings.TrimSuffix(u.Path, "/"),
		secure:  u.Scheme == "https",
		pingURL: d.PingEndpoint,
		pages:   map[string]*template.Template{},
		mux:     http.NewServeMux(),
		// Upstream's buckets: 20 log-in attempts per hour per address and
		// per email.
		byAddr:  ratelimit.Every(20, time.Hour, d.Now),
		byEmail: ratelimit.Every(20, time.Hour, d.Now),
		// Upstream's em- bucket: 10 emailed links per hour per address.
		linkByEmail: ratelimit.Every(10, time.Hour, d.Now),
	}
	if w.dummyHash, err = auth.HashPassword(auth.NewToken(16)); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if err := w.parseTemplates(); err != nil {
		return nil, err
	}
	w.routes()
	return w, nil
}

// parseTemplates makes one template set per page: the layout, the page,
// and every partial (a file whose name starts with "_"), so that any page
// can include any partial and a new page is only a new file.
func (w *Web) parseTemplates() error {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	var partials []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			partials = append(partials, f)
		}
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		set := append([]string{"templates/layout.html", f}, partials...)
		t, err := template.New("layout.html").Funcs(w.funcs()).ParseFS(templateFS, set...)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		w.pages[name] = t
	}
	return nil
}

// funcs are the helpers templates may call.
func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		// url joins SITE_ROOT's path and a path of the UI.
		"url": func(p string) string { return w.base + p },
		// newCheckForm is the empty "Add check" form of a project (_addcheck.html).
		"newCheckForm": newCheckForm,
	}
}

// Groups are the UI's mounts: the static files without sessions, and the
// pages (everything the compatibility surfaces do not claim) with sessions
// and CSRF protection. They go after server.Compat.
func (w *Web) Groups() []server.Group {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	csrf := http.NewCrossOriginProtection()
	gz := newCompressor()
	return []server.Group{
		{Middleware: []func(http.Handler) http.Handler{gz.Handler}, Mounts: []server.Mount{{Pattern: "/static/", Handler: cacheStatic(files)}}},
		{
			Middleware: []func(http.Handler) http.Handler{csrf.Handler, pageHeaders, gz.Handler, w.session, w.remoteUser},
			Mounts:     []server.Mount{{Pattern: "/", Handler: w.mux}},
		},
	}
}

func (w *Web) routes() {
	m := &routeMux{mux: w.mux}
	defer func() { w.patterns = m.patterns }()
	m.HandleFunc("GET /{$}", w.index)
	m.HandleFunc("GET /accounts/login/{$}", w.loginForm)
	m.HandleFunc("POST /accounts/login/{$}", w.login)
	m.HandleFunc("POST /accounts/logout/{$}", w.logout)
	m.HandleFunc("GET /projects/{code}/checks/{$}", w.checksPage)
	m.HandleFunc("GET /projects/{code}/checks/status/{$}", w.checksStatus)
	m.HandleFunc("GET /projects/{code}/integrations/{$}", w.integrationsPage)
	// Upstream's add pages are one URL per kind: /projects/<uuid>/add_slack/.
	for _, in := range w.d.Kinds.Addable() {
		k := in.Kind
		m.HandleFunc("GET /projects/{code}/add_"+string(k)+"/{$}", func(rw http.ResponseWriter, r *http.Request) { w.addChannelForm(rw, r, k) })
		m.HandleFunc("POST /projects/{code}/add_"+string(k)+"/{$}", func(rw http.ResponseWriter, r *http.Request) { w.addChannel(rw, r, k) })
		if in.OAuth != nil && in.OAuth.Exchange != nil { // oauth.go: the provider's way back (apps.go serves the others)
			m.HandleFunc("GET "+in.OAuth.Callback+"{$}", func(rw http.ResponseWriter, r *http.Request) { w.oauthComplete(rw, r, k) })
		}
	}
	m.HandleFunc("POST /integrations/{code}/remove/{$}", w.removeChannel)
	m.HandleFunc("POST /integrations/{code}/name/{$}", w.renameChannel)
	m.HandleFunc("GET /integrations/{code}/edit/{$}", w.editChannel)
	m.HandleFunc("POST /integrations/{code}/edit/{$}", w.editChannel)
	m.HandleFunc("POST /integrations/{code}/test/{$}", w.testChannel)
	m.HandleFunc("GET /integrations/{code}/checks/{$}", w.channelChecks)
	m.HandleFunc("POST /integrations/{code}/checks/{$}", w.channelChecks)
	// Check details, editing and the add-check form (details.go, checkedit.go).
	m.HandleFunc("POST /projects/{code}/checks/add/{$}", w.addCheck)
	m.HandleFunc("GET /checks/{code}/details/{$}", w.details)
	m.HandleFunc("GET /checks/{code}/log/{$}", w.eventLog)
	m.HandleFunc("POST /checks/{code}/name/{$}", w.updateName)
	m.HandleFunc("POST /checks/{code}/timeout/{$}", w.updateTimeout)
	m.HandleFunc("POST /checks/{code}/filtering_rules/{$}", w.filteringRules)
	m.HandleFunc("POST /checks/{code}/pause/{$}", w.pause)
	m.HandleFunc("POST /checks/{code}/resume/{$}", w.resume)
	m.HandleFunc("POST /checks/{code}/copy/{$}", w.copyCheck)
	m.HandleFunc("POST /checks/{code}/remove/{$}", w.removeCheck)
	m.HandleFunc("POST /checks/{code}/channels/{channel}/enabled", w.switchChannel)
	m.HandleFunc("POST /checks/cron_preview/{$}", w.cronPreview)
	m.HandleFunc("POST /checks/oncalendar_preview/{$}", w.onCalendarPreview)
	m.HandleFunc("GET /checks/{code}/status/{$}", w.checkStatus)
	m.HandleFunc("GET /checks/{code}/last_ping/{$}", w.pingDetails)
	m.HandleFunc("GET /checks/{code}/pings/{n}/{$}", w.pingDetails)
	m.HandleFunc("POST /checks/{code}/clear_events/{$}", w.clearEvents)
	m.HandleFunc("GET /checks/{code}/transfer/{$}", w.transfer)
	m.HandleFunc("POST /checks/{code}/transfer/{$}", w.transfer)
	m.HandleFunc("GET /cloaked/{key}/{$}", w.uncloak)
	m.HandleFunc("GET /admin/{$}", w.admin)
	// Each area registers its own routes from its own file.
	w.accountRoutes(m)      // account.go: sign-up, login links, profile
	w.projectRoutes(m)      // projects.go: projects, team, API keys
	w.securityRoutes(m)     // security.go: second factors, sudo mode
	w.telegramRoutes(m)     // telegram.go: the Telegram bot's set-up
	w.notificationRoutes(m) // notifications.go: reports and reminders
	w.appRoutes(m)          // apps.go: Slack, Discord, GitHub and Trello installs
	m.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) { w.notFound(rw) })
}

// cacheStatic lets browsers keep the embedded files for a day.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// pageHeaders: pages are never cached (they show a user's data), and the
// content security policy allows only our own scripts and styles, so an
// injected <script> would not run even if escaping failed somewhere.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title    string
	SiteName string
	Base     string
	User     *model.User
	Data     any
}

func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := page{Title: title, SiteName: w.d.SiteName, Base: w.base, User: userFrom(r.Context()), Data: data}
	var b bytes.Buffer
	if err := w.pages[name].Execute(&b, p); err != nil {
		w.d.Log.Error("web: render", "page", name, "err", err)
		http.Error(rw, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = b.WriteTo(rw)
}

func (w *Web) notFound(rw http.ResponseWriter) {
	server.NotFound(rw, nil)
}

func (w *Web) unavailable(rw http.ResponseWriter, r *http.Request, what string, err error) {
	w.d.Log.Error("web: "+what, "err", err)
	w.render(rw, r, http.StatusServiceUnavailable, "message.html", "Please try again",
		"The database could not be reached. Please try again in a moment.")
}

type ctxUser struct{}

func userFrom(ctx context.Context) *model.User {
	u, _ := ctx.Value(ctxUser{}).(*model.User)
	return u
}
