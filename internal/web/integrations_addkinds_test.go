package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// The add pages of the Twilio kinds, Trello, GitHub and Apprise, at
// upstream's URLs: off (404) until the operator's settings enable them,
// then a form whose bad input is refused next to its field and whose good
// input is stored in upstream's format.
func TestAddPagesOfOperatorKinds(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TWILIO_ACCOUNT": "AC1", "TWILIO_AUTH": "secret", "TWILIO_FROM": "+15555550199",
		"TRELLO_APP_KEY": "key", "APPRISE_ENABLED": "True"}
	cases := []struct {
		kind      string
		needs     string // the setting without which the page is 404 ("" for none)
		page      []string
		bad       url.Values
		good      url.Values
		want      string
		notEchoed string
	}{
		{kind: "sms", needs: "TWILIO_AUTH", page: []string{`name="phone"`, `name="down" checked`, `name="up">`},
			bad: url.Values{"phone": {"<script>"}, "down": {"on"}}, good: url.Values{"phone": {"+1 555 555 0100"}, "down": {"on"}},
			want: `{"value":"+15555550100","up":false,"down":true}`},
		{kind: "call", needs: "TWILIO_FROM", page: []string{`name="phone"`},
			bad: url.Values{"phone": {"12345"}}, good: url.Values{"phone": {"+15555550100"}}, want: `{"value":"+15555550100"}`},
		{kind: "trello", needs: "TRELLO_APP_KEY", page: []string{`name="token" type="password"`, `name="list_id"`},
			bad:  url.Values{"token": {"tok-secret"}, "board_name": {"B"}, "list_name": {"L"}, "list_id": {"x"}},
			good: url.Values{"token": {"tok"}, "board_name": {"B"}, "list_name": {"L"}, "list_id": {"5f0c3d2e1b4a6978c0d1e2f3"}},
			want: `{"board_name":"B","list_id":"5f0c3d2e1b4a6978c0d1e2f3","list_name":"L","token":"tok"}`, notEchoed: "tok-secret"},
		{kind: "github", page: []string{`name="repo_name"`, `name="token" type="password"`},
			bad:  url.Values{"repo_name": {"../../x"}, "token": {"ghp_secret"}},
			good: url.Values{"repo_name": {"alice/backups"}, "labels": {"a, b"}, "token": {"ghp_x"}},
			want: `{"token":"ghp_x","repo":"alice/backups","labels":["a","b"]}`, notEchoed: "ghp_secret"},
		{kind: "apprise", needs: "APPRISE_ENABLED", page: []string{`name="url"`},
			bad: url.Values{"url": {"no scheme"}}, good: url.Values{"url": {" json://hooks.example.org/x "}}, want: "json://hooks.example.org/x"},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for _, on := range []bool{false, true} {
				var st *store.Store
				e := newEnv(t, engine, func(d *web.Deps) {
					st = d.Store
					d.Getenv = func(k string) (string, bool) {
						v, ok := env[k]
						return v, ok && on
					}
				})
				alice := e.user("alice@example.org", "correct horse")
				p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Ops", OwnerID: alice.ID}
				if err := st.CreateProject(context.Background(), &p); err != nil {
					t.Fatal(err)
				}
				owner := e.login("alice@example.org", "correct horse")
				for _, c := range cases {
					add := e.base + "/projects/" + p.Code + "/add_" + c.kind + "/"
					resp, body := get(t, owner, add)
					if !on && c.needs != "" {
						if resp.StatusCode != http.StatusNotFound {
							t.Errorf("%s without %s: %d, want 404", c.kind, c.needs, resp.StatusCode)
						}
						continue
					}
					if !on {
						continue
					}
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("GET %s: %d", c.kind, resp.StatusCode)
					}
					for _, want := range c.page {
						if !strings.Contains(body, want) {
							t.Errorf("%s page lacks %s", c.kind, want)
						}
					}
					resp, body = post(t, owner, add, c.bad)
					if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="error"`) {
						t.Errorf("%s bad form: %d", c.kind, resp.StatusCode)
					}
					if c.notEchoed != "" && strings.Contains(body, c.notEchoed) {
						t.Errorf("%s: the refused form sends the secret %q back", c.kind, c.notEchoed)
					}
					if resp, _ := post(t, owner, add, c.good); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("%s good form: %d", c.kind, resp.StatusCode)
					}
					chs, err := st.ListChannels(context.Background(), p.ID)
					if err != nil || len(chs) == 0 || chs[len(chs)-1].Kind != c.kind || chs[len(chs)-1].Value != c.want {
						t.Errorf("%s stored %+v %v, want %s", c.kind, chs, err, c.want)
					}
				}
			}
		})
	}
}
