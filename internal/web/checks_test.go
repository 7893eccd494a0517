package web_test

import (
	"context"
	"encoding/json"
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
	return e.app.LogIn(email, password).Client
}

func TestDashboardShowsOnlyWhatTheUserMaySee(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
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
				`<td class="last-ping">10 minutes ago</td>`, `<td class="last-ping">never</td>`, "Owner",
				`<code class="code">http://example.org/hc/ping/` + up.Code + `</code> <button type="button" class="copy"`,
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

func TestDashboardFiltersSortsAndLiveStatus(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000002", Name: "Jobs", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
			// Created in this order; names chosen so that natural, plain and
			// creation order all differ.
			specs := []struct {
				name, tags, slug string
				last             *time.Time
			}{
				{"job 10", "prod", "job-10", at(time.Minute)},
				{"job 9", "prod db", "job-9", at(time.Hour)},
				{"Alpha", "db", "alpha", nil},
				{"late", "prod", "late", at(5 * 24 * time.Hour)}, // down: always first
			}
			codes := map[string]string{}
			for i, sp := range specs {
				c := model.NewCheck(p.ID, now.Add(time.Duration(i)*time.Second))
				c.Name, c.Tags, c.Slug, c.LastPing = sp.name, sp.tags, sp.slug, sp.last
				if sp.last != nil {
					c.Status = model.StatusUp
				}
				if err := e.st.CreateCheck(ctx, &c, false); err != nil {
					t.Fatal(err)
				}
				codes[sp.name] = c.Code
			}
			browser := e.login("alice@example.org", "correct horse")
			page := e.base + "/projects/" + p.Code + "/checks/"
			order := func(body string) []string {
				var got []string
				for _, part := range strings.Split(body, `data-code="`)[1:] {
					code := part[:36]
					for name, c := range codes {
						if c == code {
							got = append(got, name)
						}
					}
				}
				return got
			}
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"", []string{"late", "job 10", "job 9", "Alpha"}},
				{"?sort=name", []string{"late", "Alpha", "job 9", "job 10"}},
				{"?sort=-name", []string{"late", "job 10", "job 9", "Alpha"}},
				{"?sort=last_ping", []string{"late", "Alpha", "job 9", "job 10"}},
				{"?sort=-last_ping", []string{"late", "job 10", "job 9", "Alpha"}},
				{"?tag=prod", []string{"late", "job 10", "job 9"}},
				{"?tag=prod&tag=db", []string{"job 9"}},
				{"?status=new", []string{"Alpha"}},
				{"?status=down&status=new", []string{"late", "Alpha"}},
				{"?search=JOB", []string{"job 10", "job 9"}},
				{"?search=" + codes["Alpha"][:13], []string{"Alpha"}},
				{"?search=job-9", []string{"job 9"}},
				// Unknown values are ignored, not errors.
				{"?sort=%27;drop&status=bogus", []string{"late", "job 10", "job 9", "Alpha"}},
				{"?tag=nosuch", nil},
			} {
				resp, body := get(t, browser, page+tc.query)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d", tc.query, resp.StatusCode)
				}
				if got := order(body); strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("%s: rows %q, want %q", tc.query, got, tc.want)
				}
			}
			if _, body := get(t, browser, page); !strings.Contains(body, `title="2 of 3 down"`) && !strings.Contains(body, `title="1 of 3 down"`) {
				t.Errorf("the prod tag's count is missing")
			}

			// The live endpoint: a ping turns the new check up, and the
			// next poll says so without reloading the page.
			status := func() map[string]string {
				resp, body := get(t, browser, page+"status/")
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("status: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				var doc struct {
					Details []struct{ Code, Status, Last_Ping string }
					Title   string
				}
				if err := json.Unmarshal([]byte(body), &doc); err != nil {
					t.Fatal(err)
				}
				if doc.Title != "1 down · Jobs · Overdue" {
					t.Errorf("title %q", doc.Title)
				}
				m := map[string]string{}
				for _, d := range doc.Details {
					m[d.Code] = d.Status
				}
				return m
			}
			if s := status()[codes["Alpha"]]; s != "new" {
				t.Fatalf("before the ping: %q", s)
			}
			c, err := e.st.CheckByCode(ctx, codes["Alpha"])
			if err != nil {
				t.Fatal(err)
			}
			c.Status, c.LastPing = model.StatusUp, &now
			if err := e.st.UpdateCheck(ctx, &c); err != nil {
				t.Fatal(err)
			}
			if s := status()[codes["Alpha"]]; s != "up" {
				t.Errorf("after the ping: %q", s)
			}
			// Scoped as the page is.
			e.user("eve@example.org", "eve's password")
			if resp, body := get(t, e.login("eve@example.org", "eve's password"), page+"status/"); resp.StatusCode != 404 || strings.Contains(body, codes["Alpha"]) {
				t.Errorf("stranger's status poll: %d", resp.StatusCode)
			}
		})
	}
}
