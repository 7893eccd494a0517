package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

func (e *env) login(email, password string) *http.Client {
	e.t.Helper()
	c := e.client()
	resp, _ := post(e.t, c, e.base+"/accounts/login/", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("log-in as %s: %d", email, resp.StatusCode)
	}
	return c
}

func TestDashboardShowsOnlyWhatTheUserMaySee(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			e.user("eve@example.org", "eve's password")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Servers", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if err := e.st.AddMember(ctx, p.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			up := model.NewCheck(p.ID, now)
			up.Name, up.Tags = `backups <img src=x onerror=alert(1)>`, "prod db"
			tenMinutesAgo := now.Add(-10 * time.Minute)
			up.Status, up.LastPing = model.StatusUp, &tenMinutesAgo
			longAgo := now.Add(-3 * 24 * time.Hour)
			down := model.NewCheck(p.ID, now)
			down.Name, down.Status, down.LastPing = "nightly", model.StatusUp, &longAgo
			cron := model.NewCheck(p.ID, now)
			cron.Kind, cron.Schedule, cron.TZ = model.KindCron, "30 3 * * *", "Europe/Riga"
			for _, c := range []*model.Check{&up, &down, &cron} {
				if err := e.st.CreateCheck(ctx, c, false); err != nil {
					t.Fatal(err)
				}
			}
			page := e.base + "/projects/" + p.Code + "/checks/"

			resp, body := get(t, e.login("alice@example.org", "correct horse"), page)
			if resp.StatusCode != 200 {
				t.Fatalf("owner's dashboard: %d %s", resp.StatusCode, body)
			}
			for _, want := range []string{
				"<title>1 down · Servers · Overdue</title>", // the nightly check is 3 days late
				"backups &lt;img src=x onerror=alert(1)&gt;",
				`<span class="tag">prod</span>`, `<span class="tag">db</span>`,
				"every 1 day, grace 1 hour", "30 3 * * * (Europe/Riga)",
				`class="status-down"`, `class="status-up"`, `class="status-new"`,
				"<td>10 minutes ago</td>", "<td>never</td>", "Owner",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("dashboard lacks %q", want)
				}
			}
			if strings.Contains(body, "<img src=x") {
				t.Error("a check name reached the page unescaped")
			}

			// A read-only member sees the project; a stranger gets the same 404
			// as for a project that does not exist.
			if resp, body := get(t, e.login("bob@example.org", "battery staple"), page); resp.StatusCode != 200 || !strings.Contains(body, "Read-only") {
				t.Errorf("read-only member: %d", resp.StatusCode)
			}
			eve := e.login("eve@example.org", "eve's password")
			for _, u := range []string{page, e.base + "/projects/ffffffff-0000-4000-8000-000000000009/checks/",
				e.base + "/projects/AAAAAAAA-0000-4000-8000-000000000001/checks/", e.base + "/projects/x/checks/"} {
				if resp, body := get(t, eve, u); resp.StatusCode != 404 || strings.Contains(body, "Servers") {
					t.Errorf("stranger at %s: %d", u, resp.StatusCode)
				}
			}
			// Anonymous: to the log-in page, coming back here afterwards.
			resp, _ = get(t, e.client(), page)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/hc/accounts/login/?next="+url.QueryEscape("/projects/"+p.Code+"/checks/") {
				t.Errorf("anonymous: %d %q", resp.StatusCode, loc)
			}
		})
	}
}
