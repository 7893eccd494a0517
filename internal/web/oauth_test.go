package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/pushbullet"
	"github.com/overdue/overdue/internal/web"
)

// oauthEnv is a site whose Pushbullet app is configured (or not), with
// the token endpoint at tokens.
func oauthEnv(t *testing.T, tokens *notifytest.Server, clientID string) *env {
	t.Helper()
	list := kinds.All()
	for i := range list {
		if list[i].Kind == "pushbullet" {
			list[i].OAuth = pushbullet.OAuth(tokens.URL + "/oauth2/token")
		}
	}
	reg, err := kinds.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PUSHBULLET_CLIENT_ID": clientID, "PUSHBULLET_CLIENT_SECRET": "s1"}
	return newEnv(t, "sqlite", func(d *web.Deps) {
		d.Kinds = reg
		d.Client = notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
		d.Getenv = func(name string) (string, bool) { v, ok := vars[name]; return v, ok && v != "" }
	})
}

var connectRe = regexp.MustCompile(`href="(https://www\.pushbullet\.com/authorize\?[^"]+)"`)

// connect opens the add page and returns the "Connect Pushbullet" link's query.
func connect(t *testing.T, c *http.Client, e *env, project string) url.Values {
	t.Helper()
	resp, body := get(t, c, e.base+"/projects/"+project+"/add_pushbullet/")
	m := connectRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "Connect Pushbullet") {
		t.Fatalf("add page %d without a Connect link:\n%s", resp.StatusCode, body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestPushbulletOAuth(t *testing.T) {
	t.Parallel()
	tokens := notifytest.NewServer(t, notifytest.Reply{Status: 200, Body: `{"access_token": "o.test-token"}`})
	e := oauthEnv(t, tokens, "t1")
	ctx := context.Background()
	alice := e.user("alice@example.org", "correct horse")
	bob := e.user("bob@example.org", "battery staple")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000021", Name: "Ops", OwnerID: alice.ID}
	if err := e.st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, p.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
		t.Fatal(err)
	}
	owner := e.login("alice@example.org", "correct horse")
	q := connect(t, owner, e, p.Code)
	if q.Get("client_id") != "t1" || q.Get("response_type") != "code" || q.Get("redirect_uri") != "http://example.org/hc/integrations/add_pushbullet/" ||
		!strings.HasPrefix(q.Get("state"), p.Code+".") {
		t.Fatalf("authorize query %v", q)
	}
	state := q.Get("state")
	callback := e.base + "/integrations/add_pushbullet/?"

	// Refusals: nothing is exchanged or added.
	other := e.login("alice@example.org", "correct horse") // another session of the same user
	reader := e.login("bob@example.org", "battery staple")
	for _, c := range []struct {
		name   string
		client *http.Client
		query  url.Values
		status int
		want   string
	}{
		{"no state", owner, url.Values{"code": {"123"}}, 403, "not started from this browser"},
		{"forged state", owner, url.Values{"code": {"123"}, "state": {p.Code + ".00"}}, 403, "not started from this browser"},
		{"another session's state", other, url.Values{"code": {"123"}, "state": {state}}, 403, "not started from this browser"},
		{"another project in the state", owner, url.Values{"code": {"123"}, "state": {"bbbbbbbb-0000-4000-8000-000000000022" + strings.TrimPrefix(state, p.Code)}}, 403, "not started from this browser"},
		{"read-only member", reader, url.Values{"code": {"123"}, "state": {connectState(t, e, reader, p.Code)}}, 403, "read-only"},
		{"cancelled", owner, url.Values{"error": {"access_denied"}, "state": {connect(t, owner, e, p.Code).Get("state")}}, 200, "Pushbullet setup was cancelled"},
	} {
		resp, body := get(t, c.client, callback+c.query.Encode())
		if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, body lacks %q", c.name, resp.StatusCode, c.want)
		}
	}
	if n := len(tokens.Requests()); n != 0 {
		t.Fatalf("%d token requests before a good callback", n)
	}
	if resp, _ := get(t, e.client(), callback+url.Values{"code": {"1"}, "state": {state}}.Encode()); resp.StatusCode != http.StatusFound ||
		!strings.Contains(resp.Header.Get("Location"), "/accounts/login/") {
		t.Errorf("logged out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The round-trip: the code is traded with the app's id and secret.
	resp, _ := get(t, owner, callback+url.Values{"code": {"12345678"}, "state": {state}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/projects/"+p.Code+"/integrations/" {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The state is spent: replaying the callback adds nothing more.
	if resp, body := get(t, owner, callback+url.Values{"code": {"12345678"}, "state": {state}}.Encode()); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "expired or was already used") {
		t.Errorf("replayed state: %d %s", resp.StatusCode, body)
	}
	reqs := tokens.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].URI != "/oauth2/token" ||
		reqs[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		string(reqs[0].Body) != "client_id=t1&client_secret=s1&code=12345678&grant_type=authorization_code" {
		t.Errorf("token requests %+v", reqs)
	}
	chs, err := e.st.ListChannels(ctx, p.ID)
	if err != nil || len(chs) != 1 || chs[0].Kind != "pushbullet" || chs[0].Value != "o.test-token" {
		t.Errorf("channels %+v %v", chs, err)
	}
}

func connectState(t *testing.T, e *env, c *http.Client, project string) string {
	t.Helper()
	// A read-only member gets no add page; the state is what the page
	// would have given, which the callback must still refuse.
	resp, _ := get(t, c, e.base+"/projects/"+project+"/add_pushbullet/")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a read-only member's add page: %d", resp.StatusCode)
	}
	u, _ := url.Parse(e.base + "/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "overdue_session" {
			return web.OAuthState("", ck.Value, "pushbullet", project, time.Now())
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// Answers of the token endpoint that give no token add nothing, with
// upstream's words to the user.
func TestPushbulletOAuthBadAnswers(t *testing.T) {
	t.Parallel()
	for _, rep := range []notifytest.Reply{{Status: 200, Body: "surprise"}, {Status: 200, Body: "{}"},
		{Status: 200, Body: `{"access_token": "bad token\r\n"}`}, {Status: 400, Body: `{"error": "invalid_grant"}`}} {
		tokens := notifytest.NewServer(t, rep)
		e := oauthEnv(t, tokens, "t1")
		alice := e.user("alice@example.org", "correct horse")
		p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000023", OwnerID: alice.ID}
		if err := e.st.CreateProject(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		owner := e.login("alice@example.org", "correct horse")
		q := connect(t, owner, e, p.Code)
		resp, body := get(t, owner, e.base+"/integrations/add_pushbullet/?"+url.Values{"code": {"1"}, "state": {q.Get("state")}}.Encode())
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "Received an unexpected response from Pushbullet. Integration not added.") {
			t.Errorf("%+v: %d %s", rep, resp.StatusCode, body)
		}
		if chs, _ := e.st.ListChannels(context.Background(), p.ID); len(chs) != 0 {
			t.Errorf("%+v: channels %v", rep, chs)
		}
	}
}

// Without the app, the add page is the token form alone.
func TestPushbulletWithoutApp(t *testing.T) {
	t.Parallel()
	e := oauthEnv(t, notifytest.NewServer(t), "")
	alice := e.user("alice@example.org", "correct horse")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000024", OwnerID: alice.ID}
	if err := e.st.CreateProject(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, e.login("alice@example.org", "correct horse"), e.base+"/projects/"+p.Code+"/add_pushbullet/")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "Connect Pushbullet") || !strings.Contains(body, `name="value"`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

var pdInstallRe = regexp.MustCompile(`href="(https://app\.pagerduty\.com/install/integration\?[^"]+)"`)

// PagerDuty's Simple Install Flow: one channel per service picked there,
// named for it, stored as upstream's {"service_key", "account"}.
func TestPagerDutySimpleInstall(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"PD_APP_ID": "FOOBAR"}
	e := newEnv(t, "sqlite", func(d *web.Deps) {
		d.Getenv = func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	})
	ctx := context.Background()
	alice := e.user("alice@example.org", "correct horse")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000025", OwnerID: alice.ID}
	if err := e.st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	owner := e.login("alice@example.org", "correct horse")
	// install opens the add page and returns the install link's state
	// (each is spent by its callback).
	install := func() string {
		t.Helper()
		_, body := get(t, owner, e.base+"/projects/"+p.Code+"/add_pd/")
		m := pdInstallRe.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "Connect PagerDuty") {
			t.Fatalf("no install link:\n%s", body)
		}
		u, _ := url.Parse(html.UnescapeString(m[1]))
		back, err := url.Parse(u.Query().Get("redirect_url"))
		if err != nil || u.Query().Get("app_id") != "FOOBAR" || u.Query().Get("version") != "2" ||
			back.Scheme+"://"+back.Host+back.Path != "http://example.org/hc/integrations/add_pagerduty/" {
			t.Fatalf("install link %s", u)
		}
		return back.Query().Get("state")
	}
	callback := e.base + "/integrations/add_pagerduty/?"
	if resp, body := get(t, owner, callback+url.Values{"state": {install()}, "config": {"surprise"}}.Encode()); resp.StatusCode != http.StatusBadGateway ||
		!strings.Contains(body, "Received an unexpected response from PagerDuty") {
		t.Errorf("bad config: %d", resp.StatusCode)
	}
	// A bad key among good ones adds none of them.
	bad := `{"account": {"name": "Acme"}, "integration_keys": [{"integration_key": "abc", "name": "Ops"}, {"integration_key": "not a key", "name": "DB"}]}`
	if resp, _ := get(t, owner, callback+url.Values{"state": {install()}, "config": {bad}}.Encode()); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("a bad key: %d", resp.StatusCode)
	}
	if chs, _ := e.st.ListChannels(ctx, p.ID); len(chs) != 0 {
		t.Fatalf("refused installs wrote %v", chs)
	}
	cfg := `{"account": {"name": "Acme"}, "integration_keys": [{"integration_key": "abc", "name": "Ops\u0000 <b>"}, {"integration_key": "def", "name": "DB"}]}`
	if resp, _ := get(t, owner, callback+url.Values{"state": {install()}, "config": {cfg}}.Encode()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("install: %d", resp.StatusCode)
	}
	chs, err := e.st.ListChannels(ctx, p.ID)
	if err != nil || len(chs) != 2 || chs[0].Name != "Ops <b>" || chs[0].Value != `{"service_key":"abc","account":"Acme"}` || chs[1].Name != "DB" {
		t.Errorf("channels %+v %v", chs, err)
	}
}
