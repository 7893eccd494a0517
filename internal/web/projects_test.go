package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

var teamT0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// teamEnv is a UI with an SMTP server for invitations and a team of
// users, each logged in once (log-ins are rate limited per address).
type teamEnv struct {
	*env
	smtp    *smtptest.Server
	users   map[string]model.User
	clients map[string]*http.Client
}

// The roles of the table: who acts, and the users behind them.
var actors = []string{"owner", "manager", "member", "readonly", "stranger", "anonymous"}

var actorEmail = map[string]string{
	"owner": "alice@example.org", "manager": "mia@example.org", "member": "max@example.org",
	"readonly": "rita@example.org", "stranger": "eve@example.org", "frank": "frank@example.org",
}

func newTeamEnv(t *testing.T, engine string) *teamEnv {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	e := newEnv(t, engine, func(d *web.Deps) {
		d.Accounts = mailingAccounts(t, d, srv, func() time.Time { return teamT0 }, "")
	})
	te := &teamEnv{env: e, smtp: srv, users: map[string]model.User{}, clients: map[string]*http.Client{}}
	for who, email := range actorEmail {
		u := e.user(email, "password "+who)
		// Every case of the role table adds a project with a check.
		u.CheckLimit = 1000
		if err := e.st.UpdateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
		te.users[who] = u
		if who != "frank" {
			te.clients[who] = e.login(email, "password "+who)
		}
	}
	te.clients["anonymous"] = e.client()
	return te
}

// project makes a project of alice's with the manager, member, read-only
// and frank (a member) in its team, a check with a ping and a channel.
func (te *teamEnv) project(t *testing.T, name string) (model.Project, model.Check) {
	t.Helper()
	ctx := context.Background()
	p := model.Project{Code: uuid.NewString(), Name: name, OwnerID: te.users["owner"].ID, APIKey: auth.HashAPIKey("hcw_old"), PingKey: auth.NewPingKey()}
	if err := te.st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	for who, role := range map[string]model.Role{"manager": model.RoleManager, "member": model.RoleMember, "readonly": model.RoleReadOnly, "frank": model.RoleMember} {
		if err := te.st.AddMember(ctx, p.ID, te.users[who].ID, role, teamT0); err != nil {
			t.Fatal(err)
		}
	}
	c := model.NewCheck(p.ID, teamT0)
	c.Name = "backups"
	if err := te.st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	ch := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "email", Value: "ops@example.org", Created: teamT0}
	if err := te.st.CreateChannelForAllChecks(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	return p, c
}

func (te *teamEnv) reload(t *testing.T, p model.Project) (model.Project, bool) {
	t.Helper()
	got, err := te.st.ProjectByID(context.Background(), p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return model.Project{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return got, true
}

func (te *teamEnv) roleOf(t *testing.T, p model.Project, who string) model.Role {
	t.Helper()
	_, role, err := te.st.ProjectAccess(context.Background(), p.Code, te.users[who].ID)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return role
}

func (te *teamEnv) transferTo(t *testing.T, p model.Project) string {
	t.Helper()
	members, err := te.st.ListMembers(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.TransferRequest != nil {
			return m.Email
		}
	}
	return ""
}

// TestProjectRoutesByRole runs every project route as every role: the
// status each gets and whether the action took effect, which must be
// exactly when it was allowed.
func TestProjectRoutesByRole(t *testing.T) {
	t.Parallel()
	type route struct {
		name   string
		method string
		path   string // {p} is the project, {c} its check
		form   url.Values
		// want are the statuses, in the order of actors.
		want [6]int
		// done reports whether the action happened (nil: a page, no effect).
		done func(t *testing.T, te *teamEnv, p model.Project, before model.Project) bool
	}
	const login = http.StatusFound
	settings := "/projects/{p}/settings/"
	keyChanged := func(t *testing.T, te *teamEnv, p, before model.Project) bool {
		got, _ := te.reload(t, p)
		return got.APIKey != before.APIKey || got.APIKeyReadonly != before.APIKeyReadonly || got.PingKey != before.PingKey
	}
	routes := []route{
		{"settings page", "GET", settings, nil, [6]int{200, 200, 200, 200, 404, login}, nil},
		{"dashboard", "GET", "/projects/{p}/checks/", nil, [6]int{200, 200, 200, 200, 404, login}, nil},
		{"integrations", "GET", "/projects/{p}/integrations/", nil, [6]int{200, 200, 200, 200, 404, login}, nil},
		{"create api key", "POST", settings, url.Values{"create_key": {"api_key"}}, [6]int{200, 200, 200, 403, 404, login}, keyChanged},
		{"create read-only key", "POST", settings, url.Values{"create_key": {"api_key_readonly"}}, [6]int{200, 200, 200, 403, 404, login}, keyChanged},
		{"create ping key", "POST", settings, url.Values{"create_key": {"ping_key"}}, [6]int{200, 200, 200, 403, 404, login}, keyChanged},
		{"revoke api key", "POST", settings, url.Values{"revoke_key": {"api_key"}}, [6]int{200, 200, 200, 403, 404, login}, keyChanged},
		{"revoke ping key", "POST", settings, url.Values{"revoke_key": {"ping_key"}}, [6]int{200, 200, 200, 403, 404, login}, keyChanged},
		{"rename", "POST", settings, url.Values{"set_project_name": {"1"}, "name": {"Renamed"}}, [6]int{200, 200, 200, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				got, _ := te.reload(t, p)
				return got.Name == "Renamed"
			}},
		{"invite", "POST", settings, url.Values{"invite_team_member": {"1"}, "email": {"new@example.org"}, "role": {"w"}}, [6]int{200, 200, 403, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				u, err := te.st.UserByEmail(context.Background(), "new@example.org")
				if err != nil {
					return false
				}
				_, _, err = te.st.ProjectAccess(context.Background(), p.Code, u.ID)
				return err == nil
			}},
		{"change role", "POST", settings, url.Values{"set_team_member_role": {"1"}, "email": {"frank@example.org"}, "role": {"r"}}, [6]int{200, 200, 403, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				return te.roleOf(t, p, "frank") == model.RoleReadOnly
			}},
		{"remove member", "POST", settings, url.Values{"remove_team_member": {"1"}, "email": {"frank@example.org"}}, [6]int{200, 200, 403, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool { return te.roleOf(t, p, "frank") == "" }},
		{"leave", "POST", settings, url.Values{"leave_project": {"1"}}, [6]int{400, 303, 303, 303, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				return te.roleOf(t, p, "manager") == "" || te.roleOf(t, p, "member") == "" || te.roleOf(t, p, "readonly") == ""
			}},
		{"transfer", "POST", settings, url.Values{"transfer_project": {"1"}, "email": {"frank@example.org"}}, [6]int{200, 403, 403, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				return te.transferTo(t, p) == "frank@example.org"
			}},
		{"cancel transfer", "POST", settings, url.Values{"cancel_transfer": {"1"}}, [6]int{200, 403, 403, 403, 404, login}, nil},
		{"accept without offer", "POST", settings, url.Values{"accept_transfer": {"1"}}, [6]int{403, 403, 403, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, before model.Project) bool {
				got, _ := te.reload(t, p)
				return got.OwnerID != before.OwnerID
			}},
		{"reject without offer", "POST", settings, url.Values{"reject_transfer": {"1"}}, [6]int{403, 403, 403, 403, 404, login}, nil},
		{"remove project", "POST", "/projects/{p}/remove/", url.Values{}, [6]int{302, 404, 404, 404, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool { _, ok := te.reload(t, p); return !ok }},
		{"add check", "POST", "/projects/{p}/checks/add/", url.Values{"name": {"added"}, "kind": {"simple"}, "timeout": {"1"}, "timeout_unit": {"86400"}, "grace": {"1"}, "grace_unit": {"3600"}, "tz": {"UTC"}},
			[6]int{303, 303, 303, 403, 404, login},
			func(t *testing.T, te *teamEnv, p, _ model.Project) bool {
				cs, err := te.st.ListChecks(context.Background(), p.ID)
				if err != nil {
					t.Fatal(err)
				}
				return len(cs) == 2
			}},
		{"pause check", "POST", "/checks/{c}/pause/", url.Values{}, [6]int{303, 303, 303, 403, 404, login}, nil},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			for _, rt := range routes {
				for i, who := range actors {
					t.Run(rt.name+"/"+who, func(t *testing.T) {
						p, c := te.project(t, "Team project")
						path := strings.NewReplacer("{p}", p.Code, "{c}", c.Code).Replace(rt.path)
						var resp *http.Response
						var body string
						if rt.method == "GET" {
							resp, body = get(t, te.clients[who], te.base+path)
						} else {
							resp, body = post(t, te.clients[who], te.base+path, rt.form)
						}
						if resp.StatusCode != rt.want[i] {
							t.Fatalf("%s %s as %s: %d, want %d\n%.600s", rt.method, path, who, resp.StatusCode, rt.want[i], body)
						}
						if who == "anonymous" && !strings.HasPrefix(resp.Header.Get("Location"), "/hc/accounts/login/") {
							t.Errorf("anonymous sent to %q", resp.Header.Get("Location"))
						}
						if resp.StatusCode == 404 && strings.Contains(body, "Team project") {
							t.Error("a 404 names the project")
						}
						if rt.done != nil {
							allowed := resp.StatusCode < 400 && who != "anonymous"
							if got := rt.done(t, te, p, p); got != allowed {
								t.Errorf("took effect: %v, want %v", got, allowed)
							}
						}
					})
				}
			}
			// A project that does not exist, or a UUID in another shape, is the
			// stranger's 404 for everyone.
			for _, path := range []string{"/projects/ffffffff-0000-4000-8000-000000000009/settings/", "/projects/not-a-uuid/settings/",
				"/projects/FFFFFFFF-0000-4000-8000-000000000009/settings/"} {
				if resp, _ := get(t, te.clients["owner"], te.base+path); resp.StatusCode != 404 {
					t.Errorf("GET %s: %d", path, resp.StatusCode)
				}
				if resp, _ := post(t, te.clients["owner"], te.base+path, url.Values{"set_project_name": {"1"}, "name": {"x"}}); resp.StatusCode != 404 {
					t.Errorf("POST %s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}

// TestSettingsPageShowsWhatTheRoleMay checks what each role sees: the
// read-only member sees neither keys nor forms, members no team tools.
func TestSettingsPageShowsWhatTheRoleMay(t *testing.T) {
	t.Parallel()
	te := newTeamEnv(t, "sqlite")
	p, _ := te.project(t, `<b>Alice's</b> project`)
	cases := []struct {
		who       string
		has, lack []string
	}{
		{"owner", []string{"Change Project Name", `value="api_key"`, p.PingKey, "Invite a Team Member", "Transfer Project", "Remove Project", `name="set_team_member_role"`},
			[]string{"Leave this project"}},
		{"manager", []string{"Change Project Name", `value="api_key"`, "Invite a Team Member", `name="remove_team_member"`, "Leave this project"},
			[]string{"Transfer Project", "Remove Project"}},
		{"member", []string{"Change Project Name", `value="api_key"`, p.PingKey, "Leave this project"},
			[]string{"Invite a Team Member", `name="remove_team_member"`, "Transfer Project", "Remove Project"}},
		{"readonly", []string{"rita@example.org", "Read-only", "Leave this project"},
			[]string{"Change Project Name", `value="api_key"`, p.PingKey, "Invite a Team Member", "Transfer Project", "Remove Project"}},
	}
	for _, tc := range cases {
		resp, body := get(t, te.clients[tc.who], te.base+"/projects/"+p.Code+"/settings/")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", tc.who, resp.StatusCode)
		}
		if !strings.Contains(body, "&lt;b&gt;Alice&#39;s&lt;/b&gt; project") || strings.Contains(body, "<b>Alice") {
			t.Errorf("%s: the project name is not escaped", tc.who)
		}
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: page lacks %q", tc.who, s)
			}
		}
		for _, s := range tc.lack {
			if strings.Contains(body, s) {
				t.Errorf("%s: page shows %q", tc.who, s)
			}
		}
	}
}

// TestAPIKeysShownOnceStoredHashed creates each key and checks that the
// page shows it once, the database holds its digest (or, for the ping key,
// the key), and the API accepts it.
func TestAPIKeysShownOnceStoredHashed(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			p, _ := te.project(t, "Keys")
			page := te.base + "/projects/" + p.Code + "/settings/"
			c := te.clients["member"]
			keyRe := regexp.MustCompile(`<code class="code url">([^<]+)</code>`)
			for _, tc := range []struct {
				kind   string
				prefix string
				stored func(model.Project) string
			}{
				{"api_key", "hcw_", func(p model.Project) string { return p.APIKey }},
				{"api_key_readonly", "hcr_", func(p model.Project) string { return p.APIKeyReadonly }},
				{"ping_key", "", func(p model.Project) string { return p.PingKey }},
			} {
				resp, body := post(t, c, page, url.Values{"create_key": {tc.kind}})
				m := keyRe.FindStringSubmatch(body)
				if resp.StatusCode != 200 || m == nil {
					t.Fatalf("create %s: %d\n%s", tc.kind, resp.StatusCode, body)
				}
				key := m[1]
				got, _ := te.reload(t, p)
				switch tc.kind {
				case "ping_key":
					if len(key) != 22 || key != strings.ToLower(key) || strings.ContainsAny(key, "-_") || got.PingKey != key {
						t.Errorf("ping key %q, stored %q", key, got.PingKey)
					}
				default:
					if !strings.HasPrefix(key, tc.prefix) || len(key) != 32 || tc.stored(got) != auth.HashAPIKey(key) {
						t.Errorf("%s %q, stored %q", tc.kind, key, tc.stored(got))
					}
					if found, ro, err := te.st.ProjectByAPIKey(context.Background(), auth.HashAPIKey(key)); err != nil || found.ID != p.ID || ro != (tc.kind == "api_key_readonly") {
						t.Errorf("lookup by %s: %v %v %v", tc.kind, found.ID, ro, err)
					}
				}
				// Shown once: the next view of the page does not have it.
				if _, body := get(t, c, page); tc.kind != "ping_key" && strings.Contains(body, key) {
					t.Errorf("%s shown again", tc.kind)
				}
			}
			// Revoke: the key no longer finds the project.
			if resp, _ := post(t, c, page, url.Values{"revoke_key": {"api_key_readonly"}}); resp.StatusCode != 200 {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			if got, _ := te.reload(t, p); got.APIKeyReadonly != "" || got.APIKey == "" {
				t.Errorf("after revoking the read-only key: %+v", got)
			}
		})
	}
}

// TestProjectFormsRefuseBadInput sends malformed, oversized and hostile
// values: each gets its precise 4xx and message, and nothing is written.
func TestProjectFormsRefuseBadInput(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			p, _ := te.project(t, "Original")
			page := "/projects/" + p.Code + "/settings/"
			long := strings.Repeat("a", 300) + "@example.org"
			cases := []struct {
				name   string
				who    string
				path   string
				body   string
				status int
				want   string
			}{
				{"add: empty name", "owner", "/projects/add/", "name=", 400, "A project name is required and must be at most 60 characters"},
				{"add: blank name", "owner", "/projects/add/", "name=+++", 400, "A project name is required"},
				{"add: 61 characters", "owner", "/projects/add/", "name=" + strings.Repeat("é", 61), 400, "at most 60 characters"},
				{"add: no field", "owner", "/projects/add/", "", 400, "A project name is required"},
				{"add: bad encoding", "owner", "/projects/add/", "name=%zz", 400, "The form could not be read"},
				{"add: oversized", "owner", "/projects/add/", "name=" + strings.Repeat("x", 70<<10), 400, "The form could not be read"},
				{"add: bad UTF-8", "owner", "/projects/add/", "name=%ff%fe", 400, "A project name is required"},
				{"rename: empty", "member", page, "set_project_name=1&name=", 400, "A project name is required"},
				{"rename: too long", "member", page, "set_project_name=1&name=" + strings.Repeat("x", 61), 400, "at most 60 characters"},
				{"key: unknown kind", "owner", page, "create_key=master_key", 400, "The key must be api_key, api_key_readonly or ping_key"},
				{"revoke: unknown kind", "owner", page, "revoke_key=", 400, "The key must be"},
				{"invite: not an email", "owner", page, "invite_team_member=1&role=w&email=frank", 400, "not an email address"},
				{"invite: html email", "owner", page, "invite_team_member=1&role=w&email=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400, "&lt;script&gt;"},
				{"invite: too long", "owner", page, "invite_team_member=1&role=w&email=" + long, 400, "not an email address"},
				{"invite: bad role", "owner", page, "invite_team_member=1&role=owner&email=new%40example.org", 400, "The role must be one of m (manager), w (member) or r (read-only)"},
				{"invite: no role", "owner", page, "invite_team_member=1&email=new%40example.org", 400, "The role must be one of"},
				{"invite: already a member", "owner", page, "invite_team_member=1&role=r&email=MAX%40example.org", 200, "max@example.org is already a member"},
				{"invite: the owner", "manager", page, "invite_team_member=1&role=r&email=alice%40example.org", 200, "alice@example.org is already a member"},
				{"role: bad role", "owner", page, "set_team_member_role=1&role=x&email=frank%40example.org", 400, "The role must be one of"},
				{"role: own role", "manager", page, "set_team_member_role=1&role=w&email=mia%40example.org", 403, "You cannot change your own role"},
				{"role: stranger", "owner", page, "set_team_member_role=1&role=w&email=eve%40example.org", 400, "eve@example.org is not a member of this project"},
				{"remove: stranger", "owner", page, "remove_team_member=1&email=eve%40example.org", 400, "eve@example.org is not a member of this project"},
				{"remove: the owner", "manager", page, "remove_team_member=1&email=alice%40example.org", 400, "is not a member of this project"},
				{"remove: self", "manager", page, "remove_team_member=1&email=mia%40example.org", 400, "You cannot remove yourself"},
				{"transfer: stranger", "owner", page, "transfer_project=1&email=eve%40example.org", 400, "is not a member of this project"},
				{"transfer: no email", "owner", page, "transfer_project=1", 400, "not an email address"},
				{"leave: owner", "owner", page, "leave_project=1", 400, "The owner cannot leave a project"},
				{"no action", "owner", page, "name=x", 400, "The form did not say what to do."},
				{"oversized settings form", "owner", page, "set_project_name=1&name=" + strings.Repeat("x", 70<<10), 400, "The form could not be read"},
			}
			if engine == "postgres" {
				cases = append(cases, struct {
					name   string
					who    string
					path   string
					body   string
					status int
					want   string
				}{"rename: NUL", "owner", page, "set_project_name=1&name=a%00b", 400, "the database cannot store a NUL character"})
			}
			projectsBefore, _ := te.st.ProjectsForUser(context.Background(), te.users["owner"].ID)
			membersBefore, _ := te.st.ListMembers(context.Background(), p.ID)
			for _, tc := range cases {
				req, _ := http.NewRequest("POST", te.base+tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, body := do(t, te.clients[tc.who], req)
				if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
					t.Errorf("%s: %d, want %d with %q\n%.2000s", tc.name, resp.StatusCode, tc.status, tc.want, body)
				}
				if strings.Contains(body, "<script>") {
					t.Errorf("%s: unescaped input on the page", tc.name)
				}
			}
			got, _ := te.reload(t, p)
			if got != p {
				t.Errorf("the project changed:\n%+v\n%+v", got, p)
			}
			if after, _ := te.st.ProjectsForUser(context.Background(), te.users["owner"].ID); len(after) != len(projectsBefore) {
				t.Errorf("projects: %d, were %d", len(after), len(projectsBefore))
			}
			after, _ := te.st.ListMembers(context.Background(), p.ID)
			if fmt.Sprint(after) != fmt.Sprint(membersBefore) {
				t.Errorf("team changed:\n%v\n%v", after, membersBefore)
			}
			if _, err := te.st.UserByEmail(context.Background(), "new@example.org"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused invitation created a user: %v", err)
			}
			if n := len(te.smtp.Mails()); n != 0 {
				t.Errorf("%d emails sent", n)
			}
		})
	}
}

// TestAddProjectFromTheIndex creates a project from the projects list.
func TestAddProjectFromTheIndex(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			c := te.clients["stranger"]
			resp, body := get(t, c, te.base+"/")
			if resp.StatusCode != 200 || !strings.Contains(body, `action="/hc/projects/add/"`) || !strings.Contains(body, "You have no projects yet.") {
				t.Fatalf("index: %d\n%s", resp.StatusCode, body)
			}
			resp, _ = post(t, c, te.base+"/projects/add/", url.Values{"name": {"  <i>Night</i> jobs  "}})
			loc := resp.Header.Get("Location")
			m := regexp.MustCompile(`^/hc/projects/([0-9a-f-]{36})/checks/$`).FindStringSubmatch(loc)
			if resp.StatusCode != http.StatusFound || m == nil {
				t.Fatalf("add: %d %q", resp.StatusCode, loc)
			}
			p, err := te.st.ProjectByCode(context.Background(), m[1])
			if err != nil || p.Name != "<i>Night</i> jobs" || p.OwnerID != te.users["stranger"].ID || p.BadgeKey != p.Code ||
				p.APIKey != "" || p.APIKeyReadonly != "" || p.PingKey != "" || !p.Created.Equal(teamT0) {
				t.Errorf("stored %+v, %v", p, err)
			}
			if resp, _ := get(t, c, te.base+loc[len("/hc"):]); resp.StatusCode != 200 {
				t.Errorf("new project's dashboard: %d", resp.StatusCode)
			}
			_, body = get(t, c, te.base+"/")
			if !strings.Contains(body, "&lt;i&gt;Night&lt;/i&gt; jobs") || strings.Contains(body, "<i>Night") {
				t.Errorf("index after add:\n%s", body)
			}
			if resp, _ := get(t, c, te.base+"/projects/add/"); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
				t.Errorf("GET /projects/add/: %d", resp.StatusCode)
			}
			if resp, _ := get(t, c, te.base+"/projects/"+p.Code+"/remove/"); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET remove: %d", resp.StatusCode)
			}
			// A cross-origin form post is refused before anything is written.
			resp, _ = post(t, c, te.base+"/projects/add/", url.Values{"name": {"Forged"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin add: %d", resp.StatusCode)
			}
			if ps, _ := te.st.ProjectsForUser(context.Background(), te.users["stranger"].ID); len(ps) != 1 {
				t.Errorf("projects after the forged post: %d", len(ps))
			}
		})
	}
}

// TestCrossOriginSettingsPostsAreRefused: every settings form refuses a
// cross-site post with 403 and leaves the project as it was.
func TestCrossOriginSettingsPostsAreRefused(t *testing.T) {
	t.Parallel()
	te := newTeamEnv(t, "sqlite")
	p, _ := te.project(t, "Guarded")
	for _, f := range []url.Values{
		{"create_key": {"api_key"}}, {"revoke_key": {"api_key"}}, {"set_project_name": {"1"}, "name": {"Pwned"}},
		{"invite_team_member": {"1"}, "email": {"evil@example.org"}, "role": {"m"}}, {"remove_team_member": {"1"}, "email": {"frank@example.org"}},
		{"transfer_project": {"1"}, "email": {"frank@example.org"}},
	} {
		resp, _ := post(t, te.clients["owner"], te.base+"/projects/"+p.Code+"/settings/", f, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %v: %d", f, resp.StatusCode)
		}
	}
	resp, _ := post(t, te.clients["owner"], te.base+"/projects/"+p.Code+"/remove/", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site remove: %d", resp.StatusCode)
	}
	if got, ok := te.reload(t, p); !ok || got != p || te.roleOf(t, p, "frank") != model.RoleMember || te.transferTo(t, p) != "" {
		t.Errorf("the project changed: %+v", got)
	}
}

// mailText is a received message's decoded text, enough to find links in
// (quoted-printable soft breaks and escapes undone).
func mailText(m smtptest.Mail) string {
	s := strings.ReplaceAll(string(m.Data), "=\r\n", "")
	return strings.NewReplacer("=3D", "=", "=2F", "/").Replace(s)
}

var loginLinkRe = regexp.MustCompile(`http://example\.org/hc/accounts/check_token/(\d+)/([A-Za-z0-9_-]+)/\?next=([^\s"<]+)`)

// TestInviteCreatesUserAndEmailsALoginLink follows upstream's invite: an
// unknown address becomes a user without a project, joins with the role,
// and gets a one-time link that logs in and lands on the checks.
func TestInviteCreatesUserAndEmailsALoginLink(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			ctx := context.Background()
			p, _ := te.project(t, "Alice's Project")
			page := te.base + "/projects/" + p.Code + "/settings/"
			resp, body := post(t, te.clients["manager"], page, url.Values{"invite_team_member": {"1"}, "email": {" New.Person@Example.org "}, "role": {"r"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "Invited new.person@example.org.") {
				t.Fatalf("invite: %d\n%s", resp.StatusCode, body)
			}
			u, err := te.st.UserByEmail(ctx, "new.person@example.org")
			if err != nil || !strings.HasPrefix(u.Password, "!") || u.CheckLimit != accounts.DefaultCheckLimit {
				t.Fatalf("invited user %+v, %v", u, err)
			}
			if owned, _ := te.st.ListProjectsOwnedBy(ctx, u.ID); len(owned) != 0 {
				t.Errorf("the invited user owns %d projects", len(owned))
			}
			if teRole(t, te, p, u) != model.RoleReadOnly {
				t.Errorf("role %q", teRole(t, te, p, u))
			}
			mails := te.smtp.Mails()
			if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "new.person@example.org" {
				t.Fatalf("mails: %+v", mails)
			}
			text := mailText(mails[0])
			if !strings.Contains(text, "Subject: You have been invited to join Alice's Project on Overdue") ||
				!strings.Contains(text, "alice@example.org has added you") || !strings.Contains(text, "read-only") {
				t.Errorf("invitation:\n%s", text)
			}
			m := loginLinkRe.FindStringSubmatch(text)
			if m == nil || m[1] != fmt.Sprint(u.ID) || m[3] != url.QueryEscape("/projects/"+p.Code+"/checks/") {
				t.Fatalf("no login link to the checks in:\n%s", text)
			}
			if id, err := te.st.UseLoginToken(ctx, auth.HashAPIKey(m[2]), teamT0); err != nil || id != u.ID {
				t.Errorf("the link's token: %d, %v", id, err)
			}
			// An existing user is invited as is, with no new account.
			resp, _ = post(t, te.clients["owner"], page, url.Values{"invite_team_member": {"1"}, "email": {"eve@example.org"}, "role": {"m"}})
			if resp.StatusCode != 200 || te.roleOf(t, p, "stranger") != model.RoleManager {
				t.Errorf("invite eve: %d, role %q", resp.StatusCode, te.roleOf(t, p, "stranger"))
			}
			if n := len(te.smtp.Mails()); n != 2 {
				t.Errorf("%d mails, want 2", n)
			}
		})
	}
}

func teRole(t *testing.T, te *teamEnv, p model.Project, u model.User) model.Role {
	_, role, err := te.st.ProjectAccess(context.Background(), p.Code, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return role
}

// TestInvitesAreRateLimited: 20 invitations a day to new people, then 429;
// people from the owner's other teams do not count.
func TestInvitesAreRateLimited(t *testing.T) {
	t.Parallel()
	te := newTeamEnv(t, "sqlite")
	p, _ := te.project(t, "Busy")
	te.project(t, "Other")
	// Eve is in alice's other project: a suggestion for this one.
	if err := te.st.RemoveMember(context.Background(), p.ID, te.users["frank"].ID); err != nil {
		t.Fatal(err)
	}
	page := te.base + "/projects/" + p.Code + "/settings/"
	for i := range accounts.InvitesPerDay {
		f := url.Values{"invite_team_member": {"1"}, "email": {fmt.Sprintf("n%d@example.org", i)}, "role": {"w"}}
		if resp, _ := post(t, te.clients["owner"], page, f); resp.StatusCode != 200 {
			t.Fatalf("invite %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := post(t, te.clients["owner"], page, url.Values{"invite_team_member": {"1"}, "email": {"one.more@example.org"}, "role": {"w"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many invitations today") {
		t.Errorf("21st invite: %d\n%s", resp.StatusCode, body)
	}
	if _, err := te.st.UserByEmail(context.Background(), "one.more@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused invitation created a user: %v", err)
	}
	// Frank works with alice in "Other": suggested, and not limited.
	_, body = get(t, te.clients["owner"], page)
	if !strings.Contains(body, "Add Users from Other Projects") || !strings.Contains(body, "frank@example.org") {
		t.Errorf("no suggestion of frank:\n%s", body)
	}
	if resp, _ := post(t, te.clients["owner"], page, url.Values{"invite_team_member": {"1"}, "email": {"frank@example.org"}, "role": {"w"}}); resp.StatusCode != 200 ||
		te.roleOf(t, p, "frank") != model.RoleMember {
		t.Errorf("invite a known colleague past the limit: %d", resp.StatusCode)
	}
}

// TestTransferFlow: offer, email, accept with the check limit, the old
// owner stays as a member; cancel and reject undo the offer.
func TestTransferFlow(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			ctx := context.Background()
			p, _ := te.project(t, "Handover")
			page := te.base + "/projects/" + p.Code + "/settings/"
			owner, ro := te.clients["owner"], te.clients["readonly"]

			resp, body := post(t, owner, page, url.Values{"transfer_project": {"1"}, "email": {"rita@example.org"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "Transfer initiated!") || te.transferTo(t, p) != "rita@example.org" {
				t.Fatalf("transfer: %d %q\n%s", resp.StatusCode, te.transferTo(t, p), body)
			}
			mails := te.smtp.Mails()
			if len(mails) != 1 || mails[0].To[0] != "rita@example.org" {
				t.Fatalf("mails %+v", mails)
			}
			text := mailText(mails[0])
			if m := loginLinkRe.FindStringSubmatch(text); m == nil || m[3] != url.QueryEscape("/projects/"+p.Code+"/settings/") ||
				!strings.Contains(text, "Subject: Ownership Transfer Request") {
				t.Errorf("transfer email:\n%s", text)
			}
			// A second offer replaces the first.
			post(t, owner, page, url.Values{"transfer_project": {"1"}, "email": {"max@example.org"}})
			if got := te.transferTo(t, p); got != "max@example.org" {
				t.Errorf("after a second offer: %q", got)
			}
			// Cancel, then offer to rita again.
			if resp, body := post(t, owner, page, url.Values{"cancel_transfer": {"1"}}); resp.StatusCode != 200 || !strings.Contains(body, "Transfer cancelled!") || te.transferTo(t, p) != "" {
				t.Errorf("cancel: %d", resp.StatusCode)
			}
			post(t, owner, page, url.Values{"transfer_project": {"1"}, "email": {"rita@example.org"}})

			// Only rita may answer; the others get 403.
			for _, who := range []string{"owner", "member"} {
				if resp, _ := post(t, te.clients[who], page, url.Values{"accept_transfer": {"1"}}); resp.StatusCode != 403 {
					t.Errorf("%s accepts: %d", who, resp.StatusCode)
				}
			}
			// Rita's check limit has no room: the page says so, accepting is 400.
			rita := te.users["readonly"]
			rita.CheckLimit = 0
			if err := te.st.UpdateUser(ctx, &rita); err != nil {
				t.Fatal(err)
			}
			_, body = get(t, ro, page)
			if !strings.Contains(body, "alice@example.org would like to transfer") || !strings.Contains(body, "has no room") {
				t.Errorf("rita's page:\n%s", body)
			}
			if resp, _ := post(t, ro, page, url.Values{"accept_transfer": {"1"}}); resp.StatusCode != 400 {
				t.Errorf("accept over the limit: %d", resp.StatusCode)
			}
			rita.CheckLimit = 1
			if err := te.st.UpdateUser(ctx, &rita); err != nil {
				t.Fatal(err)
			}
			resp, body = post(t, ro, page, url.Values{"accept_transfer": {"1"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "You are now the owner of this project!") || !strings.Contains(body, "Remove Project") {
				t.Fatalf("accept: %d\n%s", resp.StatusCode, body)
			}
			got, _ := te.reload(t, p)
			if got.OwnerID != rita.ID || te.roleOf(t, p, "owner") != model.RoleMember || te.roleOf(t, p, "readonly") != model.RoleOwner || te.transferTo(t, p) != "" {
				t.Errorf("after accepting: owner %d, alice %q, rita %q", got.OwnerID, te.roleOf(t, p, "owner"), te.roleOf(t, p, "readonly"))
			}
			// Accepting twice is refused.
			if resp, _ := post(t, ro, page, url.Values{"accept_transfer": {"1"}}); resp.StatusCode != 403 {
				t.Errorf("second accept: %d", resp.StatusCode)
			}

			// Reject: rita offers the project to alice, who declines.
			post(t, ro, page, url.Values{"transfer_project": {"1"}, "email": {"alice@example.org"}})
			if resp, _ := post(t, owner, page, url.Values{"reject_transfer": {"1"}}); resp.StatusCode != 200 || te.transferTo(t, p) != "" {
				t.Errorf("reject: %d, pending %q", resp.StatusCode, te.transferTo(t, p))
			}
			if got, _ := te.reload(t, p); got.OwnerID != rita.ID {
				t.Errorf("a rejected transfer changed the owner")
			}
		})
	}
}

// TestRemoveProjectDeletesEverything: the project's checks, pings, flips,
// channels, links, notifications and team go with it; another project of
// the same owner keeps all of its rows.
func TestRemoveProjectDeletesEverything(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			te := newTeamEnv(t, engine)
			ctx := context.Background()
			doomed, dc := te.project(t, "Doomed")
			kept, kc := te.project(t, "Kept")
			for _, c := range []model.Check{dc, kc} {
				err := te.st.ApplyPings(ctx, []int64{c.ID}, func(checks map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
					ch := checks[c.ID]
					ch.NPings++
					ch.Status = model.StatusUp
					return []model.Ping{{CheckID: c.ID, N: ch.NPings, Created: teamT0, Method: "GET"}},
						[]model.Flip{{CheckID: c.ID, Created: teamT0, OldStatus: "new", NewStatus: "up"}}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// A queued notification for each check (the outbox writes these
			// for flips; here directly).
			err := te.st.WithTx(ctx, func(tx *store.Tx) error {
				for _, c := range []model.Check{dc, kc} {
					if _, err := tx.Exec(ctx, "INSERT INTO notifications (code, check_id, channel_id, created, next_try, error) "+
						"SELECT ?, check_id, channel_id, ?, ?, '' FROM channel_checks WHERE check_id = ?", uuid.NewString(), teamT0, teamT0, c.ID); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			count := func(p model.Project) map[string]int {
				out := map[string]int{}
				q := map[string]string{
					"checks":         "SELECT COUNT(*) FROM checks WHERE project_id = ?",
					"pings":          "SELECT COUNT(*) FROM pings WHERE check_id IN (SELECT id FROM checks WHERE project_id = ?)",
					"flips":          "SELECT COUNT(*) FROM flips WHERE check_id IN (SELECT id FROM checks WHERE project_id = ?)",
					"channels":       "SELECT COUNT(*) FROM channels WHERE project_id = ?",
					"channel_checks": "SELECT COUNT(*) FROM channel_checks WHERE channel_id IN (SELECT id FROM channels WHERE project_id = ?)",
					"notifications":  "SELECT COUNT(*) FROM notifications WHERE channel_id IN (SELECT id FROM channels WHERE project_id = ?)",
					"members":        "SELECT COUNT(*) FROM members WHERE project_id = ?",
					"projects":       "SELECT COUNT(*) FROM projects WHERE id = ?",
				}
				err := te.st.WithTx(ctx, func(tx *store.Tx) error {
					for name, query := range q {
						var n int
						if err := tx.QueryRow(ctx, query, p.ID).Scan(&n); err != nil {
							return fmt.Errorf("%s: %w", name, err)
						}
						out[name] = n
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			full := map[string]int{"checks": 1, "pings": 1, "flips": 1, "channels": 1, "channel_checks": 1, "notifications": 1, "members": 4, "projects": 1}
			if got := count(doomed); fmt.Sprint(got) != fmt.Sprint(full) {
				t.Fatalf("before: %v", got)
			}
			resp, _ := post(t, te.clients["owner"], te.base+"/projects/"+doomed.Code+"/remove/", nil)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/" {
				t.Fatalf("remove: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			for name, n := range count(doomed) {
				if n != 0 {
					t.Errorf("%d %s rows left", n, name)
				}
			}
			if got := count(kept); fmt.Sprint(got) != fmt.Sprint(full) {
				t.Errorf("the other project lost rows: %v", got)
			}
			if resp, _ := get(t, te.clients["owner"], te.base+"/projects/"+doomed.Code+"/settings/"); resp.StatusCode != 404 {
				t.Errorf("removed project's settings: %d", resp.StatusCode)
			}
		})
	}
}

// TestLeaveFromTheIndex: a member leaves with the index page's button and
// no longer sees the project.
func TestLeaveFromTheIndex(t *testing.T) {
	t.Parallel()
	te := newTeamEnv(t, "sqlite")
	p, _ := te.project(t, "Shared")
	c := te.clients["member"]
	_, body := get(t, c, te.base+"/")
	if !strings.Contains(body, `name="leave_project"`) || !strings.Contains(body, "Shared") {
		t.Fatalf("index:\n%s", body)
	}
	if _, body := get(t, te.clients["owner"], te.base+"/"); strings.Contains(body, `name="leave_project"`) {
		t.Error("the owner is offered to leave")
	}
	resp, _ := post(t, c, te.base+"/projects/"+p.Code+"/settings/", url.Values{"leave_project": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/" {
		t.Fatalf("leave: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := get(t, c, te.base+"/"); strings.Contains(body, "Shared") {
		t.Error("the project is still listed")
	}
	if resp, _ := get(t, c, te.base+"/projects/"+p.Code+"/checks/"); resp.StatusCode != 404 {
		t.Errorf("after leaving: %d", resp.StatusCode)
	}
}
