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
	"github.com/overdue/overdue/internal/web"
)

// TestCheckPagesSmoke: the details page, the log, a refused and an accepted
// edit, pause, copy and delete, for the owner; 403 for a read-only member;
// 404 for a stranger.
func TestCheckPagesSmoke(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { checkPagesSmoke(t, engine) })
	}
}

func checkPagesSmoke(t *testing.T, engine string) {
	e := newEnv(t, engine, func(d *web.Deps) { d.PingEmailDomain = "mail.example.org" })
	ctx := context.Background()
	alice := e.user("alice@example.org", "correct horse")
	bob := e.user("bob@example.org", "battery staple")
	e.user("eve@example.org", "eve's password")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Servers", OwnerID: alice.ID, PingKey: "abcdefghijklmnopqrstuv"}
	if err := e.st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, p.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := model.NewCheck(p.ID, time.Now())
	c.Name, c.Slug, c.Desc = `<script>alert(1)</script>`, "backups", `<b>desc</b>`
	if err := e.st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	ch := model.Channel{ProjectID: p.ID, Code: "cccccccc-0000-4000-8000-000000000003", Kind: "email", Value: "a@example.org"}
	if err := e.st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	err := e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = 1
		return []model.Ping{{CheckID: c.ID, N: 1, Created: time.Now(), Scheme: "http", Method: "POST", UA: "<i>agent</i>",
			Body: []byte("<script>x</script>" + strings.Repeat("y", 300))}}, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := e.login("alice@example.org", "correct horse")
	if resp, _ := post(t, owner, e.base+"/checks/"+c.Code+"/channels/"+ch.Code+"/enabled", url.Values{"state": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("switch on: %d", resp.StatusCode)
	}
	if codes, _ := e.st.CheckChannelCodes(ctx, c.ID); len(codes) != 1 {
		t.Errorf("after switching on: %v", codes)
	}
	details := e.base + "/checks/" + c.Code + "/details/"
	resp, body := get(t, owner, details)
	if resp.StatusCode != 200 {
		t.Fatalf("details: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;desc&lt;/b&gt;", "/ping/" + c.Code,
		"/ping/abcdefghijklmnopqrstuv/backups", c.Code + "@mail.example.org", "/b/2/" + c.BadgeKey + ".svg",
		"&lt;i&gt;agent&lt;/i&gt;", "&lt;script&gt;x&lt;/script&gt;yyy", "…", ">On</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("details lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("name not escaped")
	}
	if resp, _ := get(t, owner, e.base+"/checks/"+c.Code+"/log/"); resp.StatusCode != 200 {
		t.Errorf("log: %d", resp.StatusCode)
	}
	resp, body = post(t, owner, e.base+"/checks/"+c.Code+"/name/", url.Values{"name": {strings.Repeat("x", 101)}, "slug": {"Bad Slug"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "at most 100 characters") || !strings.Contains(body, "lowercase letters") {
		t.Errorf("bad name: %d", resp.StatusCode)
	}
	resp, body = post(t, owner, e.base+"/checks/cron_preview/", url.Values{"schedule": {"0 3 * * *"}, "tz": {"Europe/Riga"}})
	if resp.StatusCode != 200 || strings.Count(body, "<li>") != 6 {
		t.Errorf("cron preview: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, owner, e.base+"/checks/cron_preview/", url.Values{"schedule": {"nope"}, "tz": {"UTC"}}); resp.StatusCode != 400 {
		t.Errorf("bad cron preview: %d", resp.StatusCode)
	}
	if resp, _ := post(t, owner, e.base+"/checks/"+c.Code+"/pause/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("pause: %d", resp.StatusCode)
	}
	if got, _ := e.st.CheckByCode(ctx, c.Code); got.Status != model.StatusPaused {
		t.Errorf("after pause: %s", got.Status)
	}
	ro := e.login("bob@example.org", "battery staple")
	if resp, _ := post(t, ro, e.base+"/checks/"+c.Code+"/resume/", nil); resp.StatusCode != 403 {
		t.Errorf("read-only resume: %d", resp.StatusCode)
	}
	eve := e.login("eve@example.org", "eve's password")
	if resp, _ := get(t, eve, details); resp.StatusCode != 404 {
		t.Errorf("stranger: %d", resp.StatusCode)
	}
	if resp, _ := post(t, owner, e.base+"/checks/"+c.Code+"/copy/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("copy: %d", resp.StatusCode)
	}
	resp, _ = post(t, owner, e.base+"/projects/"+p.Code+"/checks/add/", url.Values{"name": {"new"}, "kind": {"simple"}, "timeout": {"1"}, "timeout_unit": {"86400"}, "grace": {"1"}, "grace_unit": {"3600"}, "tz": {"UTC"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add: %d", resp.StatusCode)
	}
	if resp, _ := post(t, owner, e.base+"/checks/"+c.Code+"/remove/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", resp.StatusCode)
	}
	if resp, _ := get(t, owner, details); resp.StatusCode != 404 {
		t.Errorf("after remove: %d", resp.StatusCode)
	}
}
