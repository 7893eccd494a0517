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
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
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
	a, b      secProject
	owner     map[string]model.User // "alice" (A), "rita" (read-only in A), "bob" (B)
}

// secProject is one project with a check and a channel.
type secProject struct {
	model.Project
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
	for k, v := range extra {
		vars[k] = v
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
	acc, err := newAccounts(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	s := &secApp{t: t, vars: vars, st: st, acc: acc, owner: map[string]model.User{}}
	hash, err := auth.HashPassword(secPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "rita", "bob"} {
		u := model.User{Email: name + "@example.org", Password: hash, CheckLimit: 10000, PingLogLimit: 100, Created: time.Now()} // the owner control makes a check per route
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		s.owner[name] = u
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
	s.base = serveInProcess(t, vars)
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
	p := secProject{Project: np.Project, keys: np}
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
	ch := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Name: name, Kind: "webhook", Value: in.Example}
	if err := s.st.CreateChannel(context.Background(), &ch); err != nil {
		s.t.Fatal(err)
	}
	return ch.Code
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

// known reports whether fill knows a real value for every parameter.
func (r route) known() bool {
	for _, p := range r.params {
		switch {
		case p == "code", p == "channel", p == "n":
		case p == "key" && strings.HasPrefix(r.path, "/cloaked/"):
		default:
			return false
		}
	}
	return true
}

// objectRoute: the route acts on one project, check or channel.
func (r route) objectRoute() bool {
	for _, pre := range []string{"/projects/{", "/checks/{", "/integrations/{"} {
		if strings.HasPrefix(r.path, pre) {
			return true
		}
	}
	return false
}

// fill makes a concrete path of the route for project p: {code} is the
// project's, the check's or the channel's UUID by the URL's first segment,
// {channel} the channel's, {n} the first ping, a cloaked link's {key} the
// check's unique key; any other parameter gets a plausible value.
func (r route) fill(p secProject) string {
	segs := strings.Split(r.path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}.")
		switch {
		case name == "code" && len(segs) > 1 && segs[1] == "projects":
			segs[i] = p.Code
		case name == "code" && len(segs) > 1 && segs[1] == "checks":
			segs[i] = p.check
		case name == "code" && len(segs) > 1 && segs[1] == "integrations", name == "channel":
			segs[i] = p.channel
		case name == "n": // a ping's number: the first
			segs[i] = "1"
		case name == "key" && len(segs) > 1 && segs[1] == "cloaked":
			segs[i] = uniqueKey(p.check)
		default:
			segs[i] = "x"
		}
	}
	return strings.Join(segs, "/")
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
