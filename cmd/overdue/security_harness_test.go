package main

// The harness of the security tests (security_*_test.go): one `overdue
// serve`, exactly as the command builds it, over a database holding two
// projects of two owners and a read-only member, plus the list of every UI
// route as web.(*Web).Routes registered it and of every Management API
// route as api.(*API).Routes lists it, so that a route added later is
// walked by every test without anyone listing it.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

const secPassword = "correct horse battery"

// secApp is a served instance with its fixture.
type secApp struct {
	t      *testing.T
	vars   map[string]string
	base   string // scheme://addr; SITE_ROOT has no path here
	st     *store.Store
	acc    *accounts.Accounts
	routes []string // web.(*Web).Routes of the same configuration
	// apiRoutes is api.(*API).Routes: the Management API's routes.
	apiRoutes []string
	// linkRoutes are the Routes of the public links outside the API:
	// badges, Prometheus metrics and the links of emails.
	linkRoutes []string
	a, b       secProject
	owner      map[string]model.User // "alice" (A), "rita" (read-only in A), "bob" (B)
	cfg        config.Config
	keys       map[string]string // paramFixtures' security keys, by owner
	// mail sends the change-email links of paramFixtures to smtp.
	mail   *accounts.Accounts
	smtp   *smtptest.Server
	mailed int
}

// secProject is one project with a check and a channel.
type secProject struct {
	model.Project
	owner   string // a key of secApp.owner
	keys    accounts.NewProject
	check   string // a check's UUID
	channel string // a channel's UUID
}

// engineVars is the environment that points serve at a new empty database
// of engine (skipping the test when that engine is not configured).
func engineVars(t *testing.T, engine string) map[string]string {
	t.Helper()
	if engine == "sqlite" {
		return map[string]string{"DB_NAME": filepath.Join(t.TempDir(), "hc.sqlite")}
	}
	c := storetest.NewDatabase(t, engine)
	switch engine {
	case "postgres":
		u, err := url.Parse(c.DSN)
		if err != nil || u.Scheme == "" {
			t.Skipf("%s is not a postgres:// URL", storetest.EnvPostgres)
		}
		pw, _ := u.User.Password()
		v := map[string]string{"DB": "postgres", "DB_HOST": u.Hostname(), "DB_PORT": u.Port(), "DB_USER": u.User.Username(),
			"DB_PASSWORD": pw, "DB_NAME": strings.TrimPrefix(u.Path, "/"), "DB_SSLMODE": u.Query().Get("sslmode")}
		if v["DB_SSLMODE"] == "" {
			v["DB_SSLMODE"] = "prefer"
		}
		return v
	case "mysql":
		m, err := mysql.ParseDSN(c.DSN)
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := strings.Cut(m.Addr, ":")
		return map[string]string{"DB": "mysql", "DB_HOST": host, "DB_PORT": port, "DB_USER": m.User, "DB_PASSWORD": m.Passwd, "DB_NAME": m.DBName}
	}
	t.Fatalf("unknown engine %q", engine)
	return nil
}

// kindSettings enable the integrations that need an operator setting, so
// that their add_<kind> pages are real pages (a disabled kind's is a 404).
// A kind added later that stays disabled is reported by disabledKinds and
// skipped where a real page is needed.
var kindSettings = map[string]string{"SHELL_ENABLED": "True", "TELEGRAM_TOKEN": "test-telegram-token",
	"MATRIX_ACCESS_TOKEN": "test-matrix-token", "MATRIX_HOMESERVER": "https://matrix.example.org", "MATRIX_USER_ID": "@bot:example.org",
	"PUSHOVER_API_TOKEN": "test-pushover-token", "PUSHOVER_SUBSCRIPTION_URL": "https://pushover.example.org/subscribe"}

// disabledKinds are the addable kinds that vars leave disabled.
func disabledKinds(vars map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, in := range kinds.New().Addable() {
		if in.Enabled != nil && !in.Enabled(in.EnvFrom(mapEnv(vars))) {
			out[string(in.Kind)] = true
		}
	}
	return out
}

// newSecApp migrates, writes the fixture through the same rules the CLI
// uses, and starts serve. extra adds environment (SITE_ROOT, ...).
func newSecApp(t *testing.T, engine string, extra map[string]string) *secApp {
	t.Helper()
	vars := engineVars(t, engine)
	for k, v := range kindSettings {
		vars[k] = v
	}
	vars["SIGNAL_CLI_SOCKET"] = filepath.Join(t.TempDir(), "signal.sock")
	// SITE_ROOT names the server by host name, as in development: WebAuthn
	// refuses IP addresses as relying parties, and with security keys on
	// their pages (register, log in, remove, sudo by key) are real pages
	// in every pass. The port is the one serve then listens on, so the
	// keys' origin is the server's own.
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	vars["SITE_ROOT"] = "http://localhost:" + strings.TrimPrefix(listen, "127.0.0.1:")
	for k, v := range extra {
		vars[k] = v
	}
	if extra["SITE_ROOT"] != "" {
		listen = "127.0.0.1:0"
	}
	if code, _, stderr := runCmd(t, vars, "", "migrate"); code != exitOK {
		t.Fatalf("migrate: %s", stderr)
	}
	cfg, ok := loadConfig(env{getenv: mapEnv(vars), stderr: io.Discard})
	if !ok {
		t.Fatal("configuration does not load")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, storeConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The key serve will use (it keeps a generated one in the database), so
	// that links signed here verify there.
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		t.Fatal(err)
	}
	acc, err := newAccounts(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	s := &secApp{t: t, vars: vars, st: st, acc: acc, cfg: cfg, owner: map[string]model.User{}, keys: map[string]string{}}
	hash, err := apptest.HashPassword(secPassword)
	if err != nil {
		t.Fatal(err)
	}
	seed := apptest.Seed{T: t, Store: st}
	for _, name := range []string{"alice", "rita", "bob"} {
		// The owner control makes a check per route, hence the limit.
		s.owner[name] = seed.AddUser(model.User{Email: name + "@example.org", Password: hash, CheckLimit: 10000, PingLogLimit: 100, Created: time.Now()}, "")
	}
	s.a = s.project("alice", "Alpha")
	s.b = s.project("bob", "Bravo")
	if err := st.AddMember(ctx, s.a.ID, s.owner["rita"].ID, model.RoleReadOnly, time.Now()); err != nil {
		t.Fatal(err)
	}
	ui, err := newWeb(cfg, mapEnv(vars), st, schedule.NewCache(10), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.routes = ui.Routes()
	s.apiRoutes = api.NewAPI(api.APIDeps{Store: st, SiteRoot: cfg.SiteRoot}).(*api.API).Routes()
	// The public links' tables, as serve builds their handlers.
	s.linkRoutes = append(append(api.NewBadges(st, "", "", nil, nil, nil).Routes(), api.NewMetrics(st, nil, nil, nil).Routes()...),
		api.NewIntegrations(st, "", "", nil, nil).Routes()...)
	var errb syncBuffer
	addr, _ := runUntilStarted(t, vars, &errb, "serve", "--listen", listen, "--roles", "web")
	s.base = "http://" + addr.String()
	// The second step with a key answers 404 only when keys are off.
	if resp, _ := s.get(http.DefaultClient, "/accounts/login/two_factor/"); resp.StatusCode == http.StatusNotFound && extra["SITE_ROOT"] == "" {
		t.Fatalf("SITE_ROOT %s leaves security keys off: the passes would not reach their pages", cfg.SiteRoot)
	}
	s.a.check = s.newCheck(s.a, "alpha-check")
	s.b.check = s.newCheck(s.b, "bravo-check")
	return s
}

// project creates a project of the named owner with a channel.
func (s *secApp) project(owner, name string) secProject {
	s.t.Helper()
	np, err := s.acc.CreateProject(context.Background(), s.owner[owner].Email, name)
	if err != nil {
		s.t.Fatal(err)
	}
	p := secProject{Project: np.Project, keys: np, owner: owner}
	p.channel = s.newChannel(p, "hook")
	return p
}

// newChannel adds a webhook channel (the registry's example value) to p.
func (s *secApp) newChannel(p secProject, name string) string {
	s.t.Helper()
	in, ok := kinds.New().Lookup("webhook")
	if !ok {
		s.t.Fatal("no webhook kind")
	}
	return apptest.Seed{T: s.t, Store: s.st}.AddChannel(model.Channel{ProjectID: p.ID, Name: name, Kind: "webhook", Value: in.Example}).Code
}

// newCheck creates a check through the Management API and returns its UUID.
func (s *secApp) newCheck(p secProject, name string) string {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "slug": name, "channels": "*"})
	resp, text := s.send(http.DefaultClient, "POST", "/api/v3/checks/", strings.NewReader(string(body)),
		map[string]string{"X-Api-Key": p.keys.APIKey, "Content-Type": "application/json"})
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("create check: %d %s", resp.StatusCode, text)
	}
	var c struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal([]byte(text), &c); err != nil || c.UUID == "" {
		s.t.Fatalf("create check: %v in %s", err, text)
	}
	return c.UUID
}

// cookieClient is a client that keeps cookies and shows redirects.
func cookieClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs the named user in through the form and returns the browser.
func (s *secApp) login(name string) *http.Client {
	s.t.Helper()
	c := cookieClient()
	resp, body := s.postForm(c, "/accounts/login/", url.Values{"email": {name + "@example.org"}, "password": {secPassword}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("log in as %s: %d %s", name, resp.StatusCode, body)
	}
	return c
}

func (s *secApp) send(c *http.Client, method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (s *secApp) get(c *http.Client, path string) (*http.Response, string) {
	s.t.Helper()
	return s.send(c, "GET", path, nil, nil)
}

func (s *secApp) postForm(c *http.Client, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	s.t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		h[k] = v
	}
	return s.send(c, "POST", path, strings.NewReader(form.Encode()), h)
}

// route is one registered pattern, split.
type route struct {
	pattern string // as registered
	method  string // "" for any method
	path    string // the path pattern, "{$}" removed
	params  []string
}

func parseRoute(p string) route {
	r := route{pattern: p, path: p}
	if m, rest, ok := strings.Cut(p, " "); ok {
		r.method, r.path = m, rest
	}
	r.path = strings.TrimSuffix(r.path, "{$}")
	for _, seg := range strings.Split(r.path, "/") {
		if strings.HasPrefix(seg, "{") {
			r.params = append(r.params, strings.Trim(seg, "{}."))
		}
	}
	return r
}

// unsafe reports whether the route takes POST (or any method).
func (r route) unsafe() bool { return r.method == "POST" || r.method == "" && r.path != "/" }

func (r route) safe() bool { return r.method == "GET" || r.method == "" && r.path != "/" }

// methods are the methods to try the route with.
func (r route) methods() []string {
	switch {
	case r.method == "" && r.path != "/":
		return []string{"GET", "POST"}
	case r.method == "GET" || r.method == "POST":
		return []string{r.method}
	}
	return nil
}

// paramScope is what a route parameter's value gives access to, which
// decides the checks a route gets.
type paramScope int

const (
	// inProject: an object of a project (the project, a check, a channel,
	// a ping). Another project's users get 404; a read-only member cannot
	// change it; anonymous visitors are sent to log in.
	inProject paramScope = iota
	// ofUser: an object of a user's account (a security key). Another user
	// is refused.
	ofUser
	// bearer: a secret of a link sent by email (a login link, a signed
	// change-email link): whoever holds it may use it, so no role applies,
	// but a value that is not exactly the one sent (another user's token
	// with this user's id, a tampered signature) opens nothing.
	bearer
)

// paramFixture is what one route parameter stands for.
type paramFixture struct {
	scope paramScope
	// value makes a real value for project p: p's object, or its owner's
	// (a token is made afresh each time, as links are used once).
	value func(s *secApp, p secProject) string
}

// paramFixtures name every route parameter there is, by the route's path
// up to and including the parameter: "{code}" is a project's UUID under
// /projects/ and a check's under /checks/. A route with a parameter not
// here fails the security tests with a message saying what to add: the
// path, the parameter's scope and a way to make a real value.
var paramFixtures = map[string]paramFixture{
	"/projects/{code}/":                  {inProject, func(_ *secApp, p secProject) string { return p.Code }},
	"/checks/{code}/":                    {inProject, func(_ *secApp, p secProject) string { return p.check }},
	"/checks/{code}/channels/{channel}/": {inProject, func(_ *secApp, p secProject) string { return p.channel }},
	// The check's first ping: the tests that read pings ping first.
	"/checks/{code}/pings/{n}/":             {inProject, func(*secApp, secProject) string { return "1" }},
	"/integrations/{code}/":                 {inProject, func(_ *secApp, p secProject) string { return p.channel }},
	"/cloaked/{key}/":                       {inProject, func(_ *secApp, p secProject) string { return uniqueKey(p.check) }},
	"/accounts/two_factor/{code}/":          {ofUser, (*secApp).securityKey},
	"/accounts/check_token/{user}/":         {bearer, func(s *secApp, p secProject) string { return idStr(s.owner[p.owner].ID) }},
	"/accounts/check_token/{user}/{token}/": {bearer, (*secApp).loginToken},
	"/accounts/change_email/{signed}/":      {bearer, (*secApp).changeEmailLink},
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// fixture finds what the parameter at segs[i] of r's path stands for; a
// parameter without one fails the test.
func (s *secApp) fixture(r route, segs []string, i int) paramFixture {
	s.t.Helper()
	at := strings.Join(segs[:i+1], "/") + "/"
	f, ok := paramFixtures[at]
	if !ok {
		s.t.Fatalf("route %s: the security fixture does not know the parameter %s: add %q to paramFixtures in "+
			"cmd/overdue/security_harness_test.go, with its scope (inProject, ofUser or bearer) and a function that makes a real value, "+
			"so that the CSRF, role and isolation tests reach the page", r.pattern, segs[i], at)
	}
	return f
}

// scopes are the scopes of r's parameters.
func (s *secApp) scopes(r route) map[paramScope]bool {
	s.t.Helper()
	out := map[paramScope]bool{}
	segs := strings.Split(r.path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			out[s.fixture(r, segs, i).scope] = true
		}
	}
	return out
}

// objectRoute: the route acts on one project's object.
func (s *secApp) objectRoute(r route) bool { return s.scopes(r)[inProject] }

// fill makes a concrete path of the route for project p, every parameter
// a real value (paramFixtures).
func (s *secApp) fill(r route, p secProject) string { return s.fillMixed(r, p, p, -1) }

// fillMixed is fill with the other'th parameter (from 0) made for
// project q instead.
func (s *secApp) fillMixed(r route, p, q secProject, other int) string {
	s.t.Helper()
	segs := strings.Split(r.path, "/")
	n := 0
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		from := p
		if n == other {
			from = q
		}
		n++
		segs[i] = s.fixture(r, strings.Split(r.path, "/"), i).value(s, from)
	}
	return strings.Join(segs, "/")
}

// securityKey is a security key of p's owner (made once): a stored
// credential, enough for the pages that list and remove keys.
func (s *secApp) securityKey(p secProject) string {
	s.t.Helper()
	if code, ok := s.keys[p.owner]; ok {
		return code
	}
	c := store.WebAuthnCredential{Code: uuid.NewString(), UserID: s.owner[p.owner].ID, Name: p.owner + "'s key", Data: "{}", Created: time.Now()}
	if err := s.st.AddWebAuthnCredential(context.Background(), &c); err != nil {
		s.t.Fatal(err)
	}
	s.keys[p.owner] = c.Code
	return c.Code
}

// loginToken is a fresh login link's token for p's owner.
func (s *secApp) loginToken(p secProject) string {
	s.t.Helper()
	link, err := s.acc.LoginLink(context.Background(), s.owner[p.owner].ID, "")
	if err != nil {
		s.t.Fatal(err)
	}
	parts := strings.Split(strings.TrimSuffix(link, "/"), "/")
	return parts[len(parts)-1]
}

var changeLinkRE = regexp.MustCompile(`/accounts/change_email/([^/\s"<>]+)/`)

// changeEmailLink is the signed part of a fresh change-email link for p's
// owner, made by the account rules and emailed (to a test SMTP server).
func (s *secApp) changeEmailLink(p secProject) string {
	s.t.Helper()
	ctx := context.Background()
	if s.mail == nil {
		s.smtp = smtptest.Start(s.t, smtptest.Options{})
		cfg := s.cfg
		cfg.EmailHost, cfg.EmailPort, cfg.EmailUseTLS, cfg.EmailUseSSL = s.smtp.Host, s.smtp.Port, false, false
		acc, err := newAccounts(cfg, s.st)
		if err != nil {
			s.t.Fatal(err)
		}
		s.mail = acc
	}
	u, err := s.st.UserByID(ctx, s.owner[p.owner].ID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mailed++
	if err := s.mail.RequestEmailChange(ctx, u, fmt.Sprintf("%s-new-%d@example.org", p.owner, s.mailed)); err != nil {
		s.t.Fatal(err)
	}
	select {
	case m := <-s.smtp.Received():
		_, text, _, err := m.Parts()
		if err != nil {
			s.t.Fatal(err)
		}
		if mm := changeLinkRE.FindStringSubmatch(text); mm != nil {
			return mm[1]
		}
		s.t.Fatalf("no change-email link in %q", text)
	case <-time.After(10 * time.Second):
		s.t.Fatal("the change-email message did not arrive")
	}
	return ""
}

// routesWhere returns the routes that keep says yes to; it fails the test
// when there are none, so that a filter that stopped matching is noticed.
func (s *secApp) routesWhere(what string, keep func(route) bool) []route {
	s.t.Helper()
	var out []route
	for _, p := range s.routes {
		if r := parseRoute(p); keep(r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		s.t.Fatalf("no %s routes among %q", what, s.routes)
	}
	return out
}

// snapshot is everything the fixture's projects hold, to show that a
// refused request changed nothing.
func (s *secApp) snapshot() string {
	s.t.Helper()
	ctx := context.Background()
	var parts []any
	for _, p := range []secProject{s.a, s.b} {
		proj, err := s.st.ProjectByID(ctx, p.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		checks, err1 := s.st.ListChecks(ctx, p.ID)
		channels, err2 := s.st.ListChannels(ctx, p.ID)
		members, err3 := s.st.ListMembers(ctx, p.ID)
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				s.t.Fatal(err)
			}
		}
		parts = append(parts, proj, checks, channels, members)
		for _, c := range checks {
			linked, err := s.st.ChannelsForCheck(ctx, c.ID)
			if err != nil {
				s.t.Fatal(err)
			}
			parts = append(parts, linked)
		}
	}
	for _, name := range []string{"alice", "rita", "bob"} {
		got, err := s.st.UserByID(ctx, s.owner[name].ID)
		if err != nil {
			s.t.Fatal(err)
		}
		parts = append(parts, got)
	}
	b, err := json.Marshal(parts)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// snapDiff shows where two snapshots part.
func snapDiff(before, after string) string {
	i := 0
	for i < len(before) && i < len(after) && before[i] == after[i] {
		i++
	}
	from := max(0, i-150)
	return fmt.Sprintf("before …%s…\nafter  …%s…", before[from:min(len(before), i+150)], after[from:min(len(after), i+150)])
}
