package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// The add pages of the incident and push kinds, as a user goes through
// them: the form from the kind's Fields, a refused form back with the
// field's error and nothing written, a good one stored in upstream's
// format and linked to the project's check.
func TestAddIncidentKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind     string
		fields   []string // input names the page must show
		bad      url.Values
		badText  string
		good     url.Values
		stored   string
		disabled string // the variable that takes the page away
	}{
		{"pd", []string{`name="value"`}, url.Values{"value": {"not a key!"}}, "Integration key must be 1 to 32 letters",
			url.Values{"value": {" 12345678901234567890123456789012 "}}, "12345678901234567890123456789012", "PD_ENABLED"},
		{"opsgenie", []string{`name="key"`, `name="region"`, `value="eu"`}, url.Values{"key": {"123456"}, "region": {"asia"}}, "Region must be us or eu",
			url.Values{"key": {"  123456  "}, "region": {"eu"}}, `{"region":"eu","key":"123456"}`, "OPSGENIE_ENABLED"},
		{"victorops", []string{`name="value"`}, url.Values{"value": {"not an URL"}}, "REST endpoint URL must be an http:// or https:// URL",
			url.Values{"value": {"https://alert.victorops.com/integrations/generic/20131114/alert/abc/ops"}}, "https://alert.victorops.com/integrations/generic/20131114/alert/abc/ops", "VICTOROPS_ENABLED"},
		{"pagertree", []string{`name="value"`}, url.Values{"value": {""}}, "Webhook URL is required",
			url.Values{"value": {"api.pagertree.com/integration/int_x"}}, "https://api.pagertree.com/integration/int_x", "PAGERTREE_ENABLED"},
		{"spike", []string{`name="value"`}, url.Values{"value": {"javascript:alert(1)"}}, "Webhook URL must be an http:// or https:// URL",
			url.Values{"value": {"https://hooks.spike.sh/abc/push-events"}}, "https://hooks.spike.sh/abc/push-events", "SPIKE_ENABLED"},
		{"pushbullet", []string{`name="value"`}, url.Values{"value": {"tok\r\nX-Evil: 1"}}, "Access token must be 1 to 100 letters",
			url.Values{"value": {"o.abc123"}}, "o.abc123", ""},
		{"zulip", []string{`name="bot_email"`, `name="api_key"`, `name="site"`, `name="mtype"`, `name="to"`, `name="topic"`},
			url.Values{"bot_email": {"not@an@email"}, "api_key": {"k"}, "site": {"https://example.org"}, "mtype": {"stream"}, "to": {"general"}},
			"Bot email must be an email address",
			url.Values{"bot_email": {"foo@example.org"}, "api_key": {"fake-key"}, "site": {"example.org"}, "mtype": {"stream"}, "to": {"general"}, "topic": {"foo"}},
			`{"api_key":"fake-key","bot_email":"foo@example.org","mtype":"stream","site":"https://example.org","to":"general","topic":"foo"}`, "ZULIP_ENABLED"},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000011", Name: "Ops", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			c := model.NewCheck(p.ID, p.Created)
			if err := e.st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
			owner := e.login("alice@example.org", "correct horse")
			_, list := get(t, owner, e.base+"/projects/"+p.Code+"/integrations/")
			for i, tc := range cases {
				add := e.base + "/projects/" + p.Code + "/add_" + tc.kind + "/"
				if !strings.Contains(list, "/add_"+tc.kind+"/") {
					t.Errorf("%s: the integrations page does not offer it", tc.kind)
				}
				resp, body := get(t, owner, add)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: GET %d", tc.kind, resp.StatusCode)
				}
				for _, f := range tc.fields {
					if !strings.Contains(body, f) {
						t.Errorf("%s: the form lacks %s", tc.kind, f)
					}
				}
				resp, body = post(t, owner, add, tc.bad)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.badText) {
					t.Errorf("%s: bad form %d, body lacks %q", tc.kind, resp.StatusCode, tc.badText)
				}
				if chs, _ := e.st.ListChannels(ctx, p.ID); len(chs) != i {
					t.Fatalf("%s: a refused form wrote a channel", tc.kind)
				}
				if resp, _ := post(t, owner, add, tc.good); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: good form %d", tc.kind, resp.StatusCode)
				}
				chs, err := e.st.ListChannels(ctx, p.ID)
				if err != nil || len(chs) != i+1 {
					t.Fatalf("%s: channels %v %v", tc.kind, chs, err)
				}
				if ch := chs[len(chs)-1]; ch.Kind != tc.kind || ch.Value != tc.stored {
					t.Errorf("%s: stored %s %q, want %q", tc.kind, ch.Kind, ch.Value, tc.stored)
				}
			}
		})
	}
	// An operator's False takes the page away.
	for _, tc := range cases {
		if tc.disabled == "" {
			continue
		}
		e := newEnv(t, "sqlite", func(d *web.Deps) {
			d.Getenv = func(name string) (string, bool) { return "False", name == tc.disabled }
		})
		alice := e.user("alice@example.org", "correct horse")
		p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000012", OwnerID: alice.ID}
		if err := e.st.CreateProject(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		owner := e.login("alice@example.org", "correct horse")
		if resp, _ := get(t, owner, e.base+"/projects/"+p.Code+"/add_"+tc.kind+"/"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s=False: the add page answers %d", tc.disabled, resp.StatusCode)
		}
	}
}
