package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/discord"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/slack"
	"github.com/overdue/overdue/internal/web"
)

// appSite is a site with one provider's app configured: the provider's
// API is an httptest server (the registry's kind is rebuilt to point at
// it, as main would with the real one), the clock is the test's, and
// alice owns the project.
type appSite struct {
	e     *env
	now   *atomic.Int64 // Unix seconds
	owner *http.Client
	p     model.Project
}

func newAppSite(t *testing.T, vars map[string]string, patch func(in *notify.Integration)) *appSite {
	t.Helper()
	list := kinds.All()
	for i := range list {
		patch(&list[i])
	}
	reg, err := kinds.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	now := new(atomic.Int64)
	now.Store(time.Now().Unix()) // the cookie jar drops cookies that expired by the wall clock
	e := newEnv(t, "sqlite", func(d *web.Deps) {
		d.Kinds = reg
		d.SecretKey = "test secret"
		d.Client = notifytest.Client(5 * time.Second)
		d.Getenv = func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
		d.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	alice := e.user("alice@example.org", "correct horse")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000031", Name: "Ops", OwnerID: alice.ID}
	if err := e.st.CreateProject(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return &appSite{e: e, now: now, owner: e.login("alice@example.org", "correct horse"), p: p}
}

var connectLinkRe = regexp.MustCompile(`href="([^"]+)">Connect ([A-Za-z]+)</a>`)

// connect opens kind's add page and returns its "Connect" link ("" when
// the page has none).
func (s *appSite) connect(t *testing.T, kind string) *url.URL {
	t.Helper()
	resp, body := get(t, s.owner, s.e.base+"/projects/"+s.p.Code+"/add_"+kind+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add_%s: %d", kind, resp.StatusCode)
	}
	m := connectLinkRe.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// session is the owner's session cookie.
func (s *appSite) session(t *testing.T) string {
	t.Helper()
	u, _ := url.Parse(s.e.base + "/")
	for _, c := range s.owner.Jar.Cookies(u) {
		if c.Name == "overdue_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func (s *appSite) channels(t *testing.T) []model.Channel {
	t.Helper()
	chs, err := s.e.st.ListChannels(context.Background(), s.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return chs
}

// codeFlow is one provider whose round-trip is a code traded for the
// channel (oauth.go's generic callback).
type codeFlow struct {
	kind, name string
	vars       map[string]string
	patch      func(api string) func(in *notify.Integration)
	// authorize is the provider's page and the query it must get (state
	// apart).
	authorize string
	query     url.Values
	callback  string
	// tokenPath and tokenBody are the exchange request the provider
	// documents; good is its answer, giving value and name.
	tokenPath, tokenBody string
	good                 string
	value, chName        string
	// bad are answers that add nothing, each with the page's words.
	bad []badAnswer
}

type badAnswer struct {
	reply notifytest.Reply
	want  string
}

func patchKind(kind string, o *notify.OAuth) func(in *notify.Integration) {
	return func(in *notify.Integration) {
		if in.Kind == notify.Kind(kind) {
			in.OAuth = o
		}
	}
}

func codeFlows() []codeFlow {
	const slackNo = "Received an unexpected response from Slack. Integration not added."
	const discordNo = "Received an unexpected response from Discord. Integration not added."
	return []codeFlow{{
		kind: "slack", name: "Slack",
		vars:      map[string]string{"SLACK_CLIENT_ID": "c1", "SLACK_CLIENT_SECRET": "s1"},
		patch:     func(api string) func(*notify.Integration) { return patchKind("slack", slack.OAuth(api+"/api")) },
		authorize: "https://slack.com/oauth/v2/authorize",
		query: url.Values{"scope": {"incoming-webhook"}, "client_id": {"c1"},
			"redirect_uri": {"http://example.org/hc/integrations/add_slack_btn/"}},
		callback:  "/integrations/add_slack_btn/",
		tokenPath: "/api/oauth.v2.access",
		tokenBody: "client_id=c1&client_secret=s1&code=C0DE&redirect_uri=http%3A%2F%2Fexample.org%2Fhc%2Fintegrations%2Fadd_slack_btn%2F",
		good: `{"ok": true, "access_token": "xoxb-secret", "token_type": "bot", "team": {"id": "T1", "name": "Acme"},
			"incoming_webhook": {"channel": "#alerts", "channel_id": "C1", "configuration_url": "https://acme.slack.com/services/B1", "url": "https://hooks.slack.com/services/T1/B1/XYZ"}}`,
		value:  `{"ok":true,"team":{"id":"T1","name":"Acme"},"incoming_webhook":{"channel":"#alerts","channel_id":"C1","configuration_url":"https://acme.slack.com/services/B1","url":"https://hooks.slack.com/services/T1/B1/XYZ"}}`,
		chName: "#alerts",
		bad: []badAnswer{
			{notifytest.Reply{Status: 200, Body: `{"ok": false, "error": "invalid_code"}`}, slackNo},
			{notifytest.Reply{Status: 200, Body: `{"ok": true}`}, slackNo},
			{notifytest.Reply{Status: 200, Body: `{"ok": true, "incoming_webhook": {"channel": "#a", "url": "javascript:alert(1)"}}`}, slackNo},
			{notifytest.Reply{Status: 200, Body: `[1, 2]`}, slackNo},
			{notifytest.Reply{Status: 200, Body: `{"ok": tru`}, slackNo},
			{notifytest.Reply{Status: 500, Body: `oops`}, slackNo},
			{notifytest.Reply{Status: 403, Body: ``}, slackNo},
		},
	}, {
		kind: "discord", name: "Discord",
		vars:      map[string]string{"DISCORD_CLIENT_ID": "d1", "DISCORD_CLIENT_SECRET": "s2"},
		patch:     func(api string) func(*notify.Integration) { return patchKind("discord", discord.OAuth(api+"/api")) },
		authorize: "https://discord.com/oauth2/authorize",
		query: url.Values{"client_id": {"d1"}, "scope": {"webhook.incoming"}, "response_type": {"code"},
			"redirect_uri": {"http://example.org/hc/integrations/add_discord/"}},
		callback:  "/integrations/add_discord/",
		tokenPath: "/api/oauth2/token",
		tokenBody: "client_id=d1&client_secret=s2&code=C0DE&grant_type=authorization_code&redirect_uri=http%3A%2F%2Fexample.org%2Fhc%2Fintegrations%2Fadd_discord%2F",
		good: `{"token_type": "Bearer", "access_token": "secret", "refresh_token": "secret2", "scope": "webhook.incoming", "expires_in": 604800,
			"webhook": {"application_id": "9", "name": "alerts", "url": "https://discord.com/api/webhooks/1/tok", "channel_id": "2", "token": "tok", "type": 1, "guild_id": "3", "id": "1"}}`,
		value: `{"webhook":{"id":"1","name":"alerts","channel_id":"2","guild_id":"3","url":"https://discord.com/api/webhooks/1/tok"}}`,
		bad: []badAnswer{
			{notifytest.Reply{Status: 400, Body: `{"code": 30007, "message": "Maximum number of webhooks reached (15)"}`},
				"Response from Discord: maximum number of webhooks reached. Integration not added."},
			{notifytest.Reply{Status: 400, Body: `{"error": "invalid_grant"}`}, discordNo},
			{notifytest.Reply{Status: 200, Body: `{"access_token": "x"}`}, discordNo},
			{notifytest.Reply{Status: 200, Body: `{"access_token": "x", "webhook": {"url": "ftp://example.org/"}}`}, discordNo},
			{notifytest.Reply{Status: 200, Body: `null`}, discordNo},
			{notifytest.Reply{Status: 502, Body: `<html>`}, discordNo},
		},
	}}
}

func TestCodeFlows(t *testing.T) {
	t.Parallel()
	for _, f := range codeFlows() {
		t.Run(f.kind, func(t *testing.T) {
			// The provider answers each bad answer in turn, then the good one.
			var replies []notifytest.Reply
			for _, b := range f.bad {
				replies = append(replies, b.reply)
			}
			api := notifytest.NewServer(t, append(replies, notifytest.Reply{Status: 200, Body: f.good})...)
			s := newAppSite(t, f.vars, f.patch(api.URL))
			callback := s.e.base + f.callback + "?"
			start := func() string {
				t.Helper()
				u := s.connect(t, f.kind)
				if u == nil {
					t.Fatal("no Connect link")
				}
				q := u.Query()
				state := q.Get("state")
				q.Del("state")
				if got := u.Scheme + "://" + u.Host + u.Path; got != f.authorize || q.Encode() != f.query.Encode() || !strings.HasPrefix(state, s.p.Code+".") {
					t.Fatalf("authorize link %s", u)
				}
				return state
			}
			state := start()

			// Refused before any request to the provider.
			other := s.e.login("alice@example.org", "correct horse") // the same user's other session
			for _, c := range []struct {
				name   string
				client *http.Client
				query  url.Values
				status int
				want   string
			}{
				{"no state", s.owner, url.Values{"code": {"C0DE"}}, 403, "not started from this browser"},
				{"garbage state", s.owner, url.Values{"code": {"C0DE"}, "state": {"<script>.x.y.z"}}, 403, "not started from this browser"},
				{"forged MAC", s.owner, url.Values{"code": {"C0DE"}, "state": {state[:len(state)-2] + "00"}}, 403, "not started from this browser"},
				{"another project", s.owner, url.Values{"code": {"C0DE"}, "state": {"bbbbbbbb-0000-4000-8000-000000000032" + strings.TrimPrefix(state, s.p.Code)}}, 403, "not started from this browser"},
				{"another session", other, url.Values{"code": {"C0DE"}, "state": {state}}, 403, "not started from this browser"},
				{"another kind's state", s.owner, url.Values{"code": {"C0DE"}, "state": {web.OAuthState("test secret", s.session(t), "pushbullet", s.p.Code, time.Unix(s.now.Load(), 0))}}, 403, "not started from this browser"},
				{"cancelled", s.owner, url.Values{"error": {"access_denied"}, "state": {start()}}, 200, f.name + " setup was cancelled"},
			} {
				resp, body := get(t, c.client, callback+c.query.Encode())
				if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
					t.Errorf("%s: %d, body lacks %q", c.name, resp.StatusCode, c.want)
				}
			}
			// An expired state: 30 minutes is the limit.
			stale := start()
			s.now.Add(int64(31 * time.Minute / time.Second))
			if resp, body := get(t, s.owner, callback+url.Values{"code": {"C0DE"}, "state": {stale}}.Encode()); resp.StatusCode != 403 || !strings.Contains(body, "expired or was already used") {
				t.Errorf("stale state: %d %s", resp.StatusCode, body)
			}
			if n := len(api.Requests()); n != 0 {
				t.Fatalf("%d requests to the provider before a good callback", n)
			}

			// The provider's refusals and surprises add nothing.
			for i, b := range f.bad {
				resp, body := get(t, s.owner, callback+url.Values{"code": {"C0DE"}, "state": {start()}}.Encode())
				if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, html.EscapeString(b.want)) {
					t.Errorf("answer %+v: %d %s", b.reply, resp.StatusCode, body)
				}
				if chs := s.channels(t); len(chs) != 0 || len(api.Requests()) != i+1 {
					t.Errorf("answer %+v: channels %v after %d requests", b.reply, chs, len(api.Requests()))
				}
			}

			// The round-trip.
			state = start()
			resp, _ := get(t, s.owner, callback+url.Values{"code": {"C0DE"}, "state": {state}}.Encode())
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/projects/"+s.p.Code+"/integrations/" {
				t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			reqs := api.Requests()[len(f.bad):]
			if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].URI != f.tokenPath ||
				reqs[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded" || string(reqs[0].Body) != f.tokenBody {
				t.Errorf("token requests %+v", reqs)
			}
			chs := s.channels(t)
			if len(chs) != 1 || chs[0].Kind != f.kind || chs[0].Value != f.value || chs[0].Name != f.chName {
				t.Fatalf("channels %+v", chs)
			}
			// The state was spent.
			if resp, body := get(t, s.owner, callback+url.Values{"code": {"C0DE"}, "state": {state}}.Encode()); resp.StatusCode != 403 || !strings.Contains(body, "expired or was already used") {
				t.Errorf("replayed state: %d %s", resp.StatusCode, body)
			}
			if len(api.Requests()) != len(f.bad)+1 || len(s.channels(t)) != 1 {
				t.Error("a replayed state reached the provider or added a channel")
			}
		})
	}
}

// Without the app's client id the add page is the plain form alone.
func TestCodeFlowsWithoutApp(t *testing.T) {
	t.Parallel()
	for _, f := range codeFlows() {
		s := newAppSite(t, map[string]string{}, f.patch("http://127.0.0.1:1"))
		if u := s.connect(t, f.kind); u != nil {
			t.Errorf("%s: a Connect link without the app: %s", f.kind, u)
		}
	}
}
