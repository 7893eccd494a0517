package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestProjectsListSummaries: each project of the list shows its number of
// checks and its overall status (down over late over up, computed from
// the schedule, not only the stored status), and the down ones come first.
func TestProjectsListSummaries(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			now := time.Now()
			mk := func(code, name string, owner int64) model.Project {
				return e.app.AddProject(model.Project{Code: code, Name: name, OwnerID: owner})
			}
			calm := mk("aaaaaaaa-0000-4000-8000-000000000001", "Calm", alice.ID)
			empty := mk("aaaaaaaa-0000-4000-8000-000000000002", "Empty", alice.ID)
			late := mk("aaaaaaaa-0000-4000-8000-000000000003", "Late", alice.ID)
			shared := mk("aaaaaaaa-0000-4000-8000-000000000004", "Shared", bob.ID)
			mk("aaaaaaaa-0000-4000-8000-000000000005", "Bob's own", bob.ID)
			if err := e.st.AddMember(ctx, shared.ID, alice.ID, model.RoleReadOnly, now); err != nil {
				t.Fatal(err)
			}
			check := func(p model.Project, lastPing time.Duration, status string) {
				e.app.AddCheck(p.ID, now.Add(-48*time.Hour), func(c *model.Check) {
					c.Timeout, c.Grace = time.Hour, time.Hour
					if status != model.StatusNew {
						lp := now.Add(-lastPing)
						c.LastPing, c.Status = &lp, status
					}
				})
			}
			check(calm, time.Minute, model.StatusUp)
			check(calm, 0, model.StatusNew)
			check(late, time.Minute, model.StatusUp)
			check(late, 90*time.Minute, model.StatusUp) // in its grace time: late
			check(late, time.Minute, model.StatusUp)
			check(shared, time.Minute, model.StatusUp)
			check(shared, 3*time.Hour, model.StatusUp) // past its grace: down, though stored up
			owner := e.login("alice@example.org", "correct horse")
			_, body := get(t, owner, e.base+"/")
			items := regexp.MustCompile(`(?s)<li class="status-(\w+)[^"]*">.*?/projects/([0-9a-f-]+)/checks/">.*?class="hint project-summary">([^<]*(?:<span class="error">down</span>)?)`).FindAllStringSubmatch(body, -1)
			type row struct{ status, code, summary string }
			var got []row
			for _, m := range items {
				got = append(got, row{m[1], m[2], m[3]})
			}
			want := []row{
				{"down", shared.Code, `2 checks, <span class="error">down</span>`},
				{"up", calm.Code, "2 checks"},
				{"up", empty.Code, "0 checks"},
				{"grace", late.Code, "3 checks, late"},
			}
			if len(got) != len(want) {
				t.Fatalf("projects list: %+v\n%s", got, body)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			if strings.Contains(body, "Bob&#39;s own") {
				t.Error("alice sees a project of bob's she is not in")
			}
		})
	}
}

// TestSuperuserOpensEveryProject: as upstream's _get_project_for_user, a
// superuser reads and writes any project's checks, integrations and team
// (a manager's rights), but cannot remove a project that is not theirs;
// an ordinary user still gets 404.
func TestSuperuserOpensEveryProject(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			root := e.user("root@example.org", "root password")
			root.IsSuperuser = true
			if err := e.st.UpdateUser(ctx, &root); err != nil {
				t.Fatal(err)
			}
			e.user("eve@example.org", "eve's password")
			p := e.app.AddProject(model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Alice's", OwnerID: alice.ID})
			c := e.app.AddCheck(p.ID, time.Now(), func(c *model.Check) { c.Name = "nightly" })
			if _, role, err := e.st.ProjectAccess(ctx, p.Code, root.ID); err != nil || role != model.RoleManager {
				t.Fatalf("store: superuser's role %q, %v", role, err)
			}
			su := e.login("root@example.org", "root password")
			eve := e.login("eve@example.org", "eve's password")
			pages := []string{"/projects/" + p.Code + "/checks/", "/projects/" + p.Code + "/integrations/", "/projects/" + p.Code + "/settings/",
				"/checks/" + c.Code + "/details/", "/checks/" + c.Code + "/log/"}
			for _, path := range pages {
				if resp, body := get(t, su, e.base+path); resp.StatusCode != 200 || !strings.Contains(body, "Manager") && strings.HasSuffix(path, "checks/") {
					t.Errorf("superuser GET %s: %d", path, resp.StatusCode)
				}
				if resp, _ := get(t, eve, e.base+path); resp.StatusCode != 404 {
					t.Errorf("ordinary user GET %s: %d, want 404", path, resp.StatusCode)
				}
			}
			if resp, _ := post(t, su, e.base+"/checks/"+c.Code+"/pause/", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("superuser pause: %d", resp.StatusCode)
			}
			if got, _ := e.st.CheckByCode(ctx, c.Code); got.Status != model.StatusPaused {
				t.Errorf("after the superuser's pause: %s", got.Status)
			}
			if resp, _ := post(t, eve, e.base+"/checks/"+c.Code+"/resume/", nil); resp.StatusCode != 404 {
				t.Errorf("ordinary user resume: %d, want 404", resp.StatusCode)
			}
			// Not the owner: the project cannot be removed, as upstream's
			// remove_project looks it up by owner.
			if resp, _ := post(t, su, e.base+"/projects/"+p.Code+"/remove/", nil); resp.StatusCode != 404 {
				t.Errorf("superuser remove: %d, want 404", resp.StatusCode)
			}
			if _, err := e.st.ProjectByID(ctx, p.ID); err != nil {
				t.Errorf("the project is gone: %v", err)
			}
			// The superuser's own list stays their own projects.
			if _, body := get(t, su, e.base+"/"); strings.Contains(body, p.Code) {
				t.Error("the superuser's projects list shows alice's project")
			}
		})
	}
}

// TestLeaveFromTheProfile: the profile lists the projects with their role
// and a Leave button for those the user does not own; leaving takes the
// user out of the team (accounts.Leave), and anything else is a 400.
func TestLeaveFromTheProfile(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			mine := e.app.AddProject(model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Bob's", OwnerID: bob.ID})
			shared := e.app.AddProject(model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000002", Name: "Shared", OwnerID: alice.ID})
			other := e.app.AddProject(model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Alice's other", OwnerID: alice.ID})
			if err := e.st.AddMember(ctx, shared.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
				t.Fatal(err)
			}
			c := e.login("bob@example.org", "battery staple")
			_, body := get(t, c, e.base+"/accounts/profile/")
			for _, want := range []string{"Shared</a>\n        <span class=\"role\">Read-only", `name="code" value="` + shared.Code + `"`} {
				if !strings.Contains(body, want) {
					t.Errorf("profile lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, `name="code" value="`+mine.Code+`"`) {
				t.Error("the owner is offered to leave their own project")
			}
			profile := e.base + "/accounts/profile/"
			for _, tc := range []struct {
				name string
				form url.Values
				want string
			}{
				{"own project", url.Values{"leave_project": {"1"}, "code": {mine.Code}}, "The owner cannot leave a project"},
				{"not a member", url.Values{"leave_project": {"1"}, "code": {other.Code}}, "not a project you are a member of"},
				{"no such project", url.Values{"leave_project": {"1"}, "code": {"aaaaaaaa-0000-4000-8000-000000000099"}}, "not a project you are a member of"},
				{"not a uuid", url.Values{"leave_project": {"1"}, "code": {"<script>"}}, "not a project you are a member of"},
				{"no code", url.Values{"leave_project": {"1"}}, "not a project you are a member of"},
				{"another form", url.Values{"code": {shared.Code}}, "not one the account page takes"},
			} {
				resp, body := post(t, c, profile, tc.form)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
					t.Errorf("%s: %d, want 400 with %q", tc.name, resp.StatusCode, tc.want)
				}
			}
			// A cross-site post is refused before the view runs.
			resp, _ := post(t, c, profile, url.Values{"leave_project": {"1"}, "code": {shared.Code}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site leave: %d", resp.StatusCode)
			}
			if resp, _ := post(t, e.client(), profile, url.Values{"leave_project": {"1"}, "code": {shared.Code}}); resp.StatusCode != http.StatusFound {
				t.Errorf("anonymous leave: %d, want a redirect to log in", resp.StatusCode)
			}
			if _, role, err := e.st.ProjectAccess(ctx, shared.Code, bob.ID); err != nil || role != model.RoleReadOnly {
				t.Fatalf("bob left too early: %q %v", role, err)
			}
			resp, _ = post(t, c, profile, url.Values{"leave_project": {"1"}, "code": {shared.Code}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/profile/?changed=left" {
				t.Fatalf("leave: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body = get(t, c, e.base+"/accounts/profile/?changed=left")
			if !strings.Contains(body, "You have left the project.") || strings.Contains(body, "Shared") {
				t.Errorf("after leaving:\n%s", body)
			}
			if resp, _ := get(t, c, e.base+"/projects/"+shared.Code+"/checks/"); resp.StatusCode != 404 {
				t.Errorf("the project after leaving: %d", resp.StatusCode)
			}
		})
	}
}
