package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// TestEditChannel: an email integration's up/down flags and address are
// edited on /integrations/<uuid>/edit/; a new address is verified again
// (an email goes out, nothing is sent to it meanwhile); bad input comes
// back with the error and changes nothing; roles and kinds without an edit
// form are refused.
func TestEditChannel(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			smtp := smtptest.Start(t, smtptest.Options{})
			e := newEnv(t, engine, func(d *web.Deps) {
				reg := kinds.New()
				acc, err := accounts.New(accounts.Options{Store: d.Store, Kinds: reg, EmailUseVerification: true, SecretKey: "secret",
					SiteRoot: d.SiteRoot, SiteName: d.SiteName,
					Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "overdue@example.org"})})
				if err != nil {
					t.Fatal(err)
				}
				d.Kinds, d.Accounts = reg, acc
			})
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Ops", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if err := e.st.AddMember(ctx, p.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
				t.Fatal(err)
			}
			ch := model.Channel{ProjectID: p.ID, Code: "cccccccc-0000-4000-8000-000000000001", Kind: "email", Name: "ops",
				Value: `{"value": "ops@example.org", "up": true, "down": true}`, EmailVerified: true}
			slack := model.Channel{ProjectID: p.ID, Code: "cccccccc-0000-4000-8000-000000000002", Kind: "slack", Value: "https://hooks.slack.com/services/x"}
			for _, c := range []*model.Channel{&ch, &slack} {
				if err := e.st.CreateChannel(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			owner := e.login("alice@example.org", "correct horse")
			edit := e.base + "/integrations/" + ch.Code + "/edit/"

			_, body := get(t, owner, e.base+"/projects/"+p.Code+"/integrations/")
			if !strings.Contains(body, `href="/hc/integrations/`+ch.Code+`/edit/"`) || !strings.Contains(body, "goes down and up") {
				t.Errorf("integrations page lacks the edit link or the events:\n%s", body)
			}
			resp, body := get(t, owner, edit)
			if resp.StatusCode != 200 || !strings.Contains(body, `value="ops@example.org"`) || !strings.Contains(body, `value="ops"`) || strings.Count(body, " checked") != 2 {
				t.Fatalf("edit form: %d\n%s", resp.StatusCode, body)
			}

			// Bad input changes nothing.
			for _, tc := range []struct {
				form url.Values
				want string
			}{
				{url.Values{"value": {"not an address"}, "down": {"on"}}, "must be an email address"},
				{url.Values{"value": {"ops@example.org"}}, "at least one of"},
				{url.Values{"value": {"ops@example.org"}, "down": {"on"}, "name": {strings.Repeat("n", 101)}}, "limited to 100 characters"},
				{url.Values{"value": {strings.Repeat("a", 70<<10)}}, "The form is larger than"},
			} {
				resp, body := post(t, owner, edit, tc.form)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
					t.Errorf("%.60v: %d, want 400 with %q", tc.form, resp.StatusCode, tc.want)
				}
			}
			if got, _ := e.st.ChannelByCode(ctx, ch.Code); got.Value != ch.Value || got.Name != "ops" {
				t.Fatalf("refused edits changed the channel: %+v", got)
			}

			// Down only: saved, still verified, no email.
			resp, _ = post(t, owner, edit, url.Values{"name": {"ops team"}, "value": {"ops@example.org"}, "down": {"on"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("edit flags: %d", resp.StatusCode)
			}
			got, _ := e.st.ChannelByCode(ctx, ch.Code)
			if up, down := kinds.New().Events(got); up || !down || got.Name != "ops team" || !got.EmailVerified {
				t.Errorf("after the edit: up %v down %v name %q verified %v; want false, true, ops team, true", up, down, got.Name, got.EmailVerified)
			}
			// A new address must be verified again.
			resp, body = post(t, owner, edit, url.Values{"value": {"pager@example.org"}, "down": {"on"}, "up": {"on"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "verification link was sent") {
				t.Fatalf("new address: %d\n%s", resp.StatusCode, body)
			}
			got, _ = e.st.ChannelByCode(ctx, ch.Code)
			if got.EmailVerified || !strings.Contains(got.Value, "pager@example.org") {
				t.Errorf("after a new address: %+v; want unverified pager@example.org", got)
			}
			select {
			case m := <-smtp.Received():
				if len(m.To) != 1 || m.To[0] != "pager@example.org" {
					t.Errorf("verification went to %v", m.To)
				}
			case <-time.After(10 * time.Second):
				t.Error("no verification email")
			}

			ro := e.login("bob@example.org", "battery staple")
			if resp, _ := post(t, ro, edit, url.Values{"value": {"bob@example.org"}, "down": {"on"}}); resp.StatusCode != 403 {
				t.Errorf("read-only edit: %d, want 403", resp.StatusCode)
			}
			if resp, _ := post(t, owner, edit, url.Values{"value": {"x@example.org"}, "down": {"on"}}, "Origin", "https://evil.example"); resp.StatusCode != 403 {
				t.Errorf("cross-origin edit: %d, want 403", resp.StatusCode)
			}
			if resp, _ := get(t, owner, e.base+"/integrations/"+slack.Code+"/edit/"); resp.StatusCode != 404 {
				t.Errorf("a kind without an edit form: %d, want 404", resp.StatusCode)
			}
		})
	}
}
