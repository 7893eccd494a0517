// Package apptest is the one harness of the HTTP tests: an Overdue app over
// a fresh database of a named engine (storetest's, one database per test, so
// tests using it may run in parallel), with the real router (server.Handler)
// mounting the compatibility surfaces a test asks for and, optionally, the
// web UI; seeding helpers for users, projects, checks and channels; and a
// browser-like client that keeps the session cookie.
//
//	a := apptest.New(t, apptest.Options{Engine: engine, BasePath: "/hc", Web: func(d *web.Deps) {}})
//	a.AddUser(model.User{Email: "alice@example.org"}, "correct horse")
//	c := a.LogIn("alice@example.org", "correct horse")
//	resp, body := c.Get(a.URL + "/")
//
// The packages under test build their own handlers (api.NewAPI, web.New,
// ...), so the harness takes them as functions of the app rather than
// knowing every constructor's arguments: it owns what the builders of the
// HTTP tests had each copied (store, writer, router, server, client, seed).
package apptest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// Options choose what the app mounts.
type Options struct {
	// Engine is storetest's engine name ("sqlite", "postgres", "mysql").
	Engine string
	// Store, when set, is the database the app runs on instead of a fresh
	// one of Engine (which is then unused): for apps that share a database
	// (the cases of one test, a second store holding locks on it) or whose
	// store the test closes itself. The test owns its closing.
	Store *store.Store
	// BasePath is SITE_ROOT's path ("" or "/hc").
	BasePath string
	// HostAllowed is ALLOWED_HOSTS (nil allows every host).
	HostAllowed func(host string) bool
	// Writer, when set, starts a ping writer with these options over the
	// store before the mounts are built (App.Writer); it stops when the
	// test ends, after the server has closed.
	Writer *ping.WriterOptions
	// Surfaces builds the compatibility mounts (ping, API, badges,
	// metrics, integration links) from the app's store and writer; nil
	// mounts none (every compatibility route answers 404 or falls to the UI).
	Surfaces func(a *App) server.Surfaces
	// Web, when set, mounts the UI after the compatibility surfaces: the
	// function adjusts web.Deps, which come with Store, SiteRoot
	// "http://example.org" + BasePath and SiteName "Overdue" filled in.
	Web func(d *web.Deps)
	// NoServer keeps the app in memory: App.Handler only, no listener and
	// App.URL "" (the tests that call ServeHTTP with a recorder).
	NoServer bool
}

// App is one app under test.
type App struct {
	// Seed holds the test and the store, and seeds the database.
	Seed
	// Writer is the ping writer (nil unless Options.Writer was set).
	Writer *ping.Writer
	// Web is the UI (nil unless Options.Web was set).
	Web     *web.Web
	Handler http.Handler
	// Server serves Handler (nil with Options.NoServer).
	Server *httptest.Server
	// URL is Server's URL with the base path: the SITE_ROOT of the app.
	URL string
}

// New opens a fresh database of o.Engine (or takes o.Store) and builds the
// app over it.
func New(t testing.TB, o Options) *App {
	t.Helper()
	st := o.Store
	if st == nil {
		st = storetest.Open(t, o.Engine)
	}
	a := &App{Seed: Seed{T: t, Store: st}}
	if o.Writer != nil {
		a.Writer = StartWriter(t, a.Store, *o.Writer)
	}
	var groups []server.Group
	var surfaces server.Surfaces
	if o.Surfaces != nil {
		surfaces = o.Surfaces(a)
	}
	groups = append(groups, server.Compat(surfaces))
	if o.Web != nil {
		d := web.Deps{Store: a.Store, SiteRoot: "http://example.org" + o.BasePath, SiteName: "Overdue"}
		o.Web(&d)
		w, err := web.New(d)
		if err != nil {
			t.Fatalf("apptest: web.New: %v", err)
		}
		a.Web = w
		groups = append(groups, w.Groups()...)
	}
	a.Handler = server.Handler(server.Options{BasePath: o.BasePath, HostAllowed: o.HostAllowed, Groups: groups})
	if !o.NoServer {
		a.Server = httptest.NewServer(a.Handler)
		// Registered after the writer's stop, so it runs first: no request
		// is in flight when the writer goes.
		t.Cleanup(a.Server.Close)
		a.URL = a.Server.URL + o.BasePath
	}
	return a
}

// StartWriter runs a ping writer over st (a store, or a stand-in for one in
// a benchmark) until the test ends. Without an AlertAfter the writer gets
// the schedule rule over a cache of its own, as `overdue serve` wires it.
func StartWriter(t testing.TB, st ping.Committer, o ping.WriterOptions) *ping.Writer {
	t.Helper()
	if o.AlertAfter == nil {
		o.AlertAfter = ping.ScheduleAlertAfter(schedule.NewCache(100), nil)
	}
	w := ping.NewWriter(st, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// Seed writes a test's fixture into a store, failing the test on an error.
// App has one; tests with a store of their own (no HTTP) make their own.
type Seed struct {
	T     testing.TB
	Store *store.Store
}

// AddUser stores u with password hashed into it (see HashPassword) ("" leaves u.Password, or
// "!" when that is empty too: a user who cannot log in with a password).
// Zero limits get the web pages' usual ones (20 checks, 100 pings kept).
func (s Seed) AddUser(u model.User, password string) model.User {
	s.T.Helper()
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			s.T.Fatalf("apptest: hash password: %v", err)
		}
		u.Password = h
	} else if u.Password == "" {
		u.Password = "!"
	}
	if u.CheckLimit == 0 {
		u.CheckLimit = 20
	}
	if u.PingLogLimit == 0 {
		u.PingLogLimit = 100
	}
	if err := s.Store.CreateUser(context.Background(), &u); err != nil {
		s.T.Fatalf("apptest: create user %s: %v", u.Email, err)
	}
	return u
}

// AddProject stores p, with a new UUID when p.Code is empty. Key fields hold
// what the store holds: use auth.HashAPIKey for API keys.
func (s Seed) AddProject(p model.Project) model.Project {
	s.T.Helper()
	if p.Code == "" {
		p.Code = uuid.NewString()
	}
	if err := s.Store.CreateProject(context.Background(), &p); err != nil {
		s.T.Fatalf("apptest: create project %q: %v", p.Name, err)
	}
	return p
}

// AddCheck stores a new check of project created at created, after mut.
func (s Seed) AddCheck(project int64, created time.Time, mut func(*model.Check)) model.Check {
	s.T.Helper()
	c := model.NewCheck(project, created)
	if mut != nil {
		mut(&c)
	}
	if err := s.Store.CreateCheck(context.Background(), &c, false); err != nil {
		s.T.Fatalf("apptest: create check: %v", err)
	}
	return c
}

// AddChannel stores ch, with a new UUID when ch.Code is empty.
func (s Seed) AddChannel(ch model.Channel) model.Channel {
	s.T.Helper()
	if ch.Code == "" {
		ch.Code = uuid.NewString()
	}
	if err := s.Store.CreateChannel(context.Background(), &ch); err != nil {
		s.T.Fatalf("apptest: create channel: %v", err)
	}
	return ch
}

// Client is a browser-like client of the app: it keeps cookies (the
// session) and does not follow redirects, so that each answer can be
// checked.
type Client struct {
	*http.Client
	t testing.TB
}

// Client returns a new client with an empty cookie jar.
func (a *App) Client() *Client { return NewClient(a.T) }

// NewClient is a Client for any server (its requests take full URLs).
func NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// LogIn logs in through the log-in form and returns the client holding the
// session cookie; a log-in that is not answered 303 fails the test.
func (a *App) LogIn(email, password string) *Client {
	a.T.Helper()
	c := a.Client()
	resp, body := c.PostForm(a.URL+"/accounts/login/", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		a.T.Fatalf("apptest: log in as %s: %d %s", email, resp.StatusCode, body)
	}
	return c
}

// Do sends req and reads the whole answer; a transport error fails the test.
func (c *Client) Do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	return Do(c.t, c.Client, req)
}

// Get sends a GET of u.
func (c *Client) Get(u string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatalf("apptest: GET %s: %v", u, err)
	}
	return c.Do(req)
}

// PostForm posts form to u, urlencoded; hdr holds extra headers as name,
// value pairs.
func (c *Client) PostForm(u string, form url.Values, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := NewFormRequest(u, form, hdr...)
	if err != nil {
		c.t.Fatalf("apptest: POST %s: %v", u, err)
	}
	return c.Do(req)
}

// NewFormRequest is a urlencoded POST of form with hdr (name, value pairs).
func NewFormRequest(u string, form url.Values, hdr ...string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req, nil
}

// Do sends req with hc and reads the whole answer; a transport error fails
// the test.
func Do(t testing.TB, hc *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("apptest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	// A body cut short is returned as far as it came: the test's checks of
	// it say what is missing (and some tests cut it on purpose).
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Record serves req in memory (no listener) and returns the recorder.
func (a *App) Record(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	return rec
}
