package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// The group kind's add page offers the project's other integrations, and
// takes only those: not a group, not another project's channel.
func TestAddGroup(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var st *store.Store
			e := newEnv(t, engine, func(d *web.Deps) { st = d.Store })
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Ops", OwnerID: alice.ID}
			other := model.Project{Code: "bbbbbbbb-0000-4000-8000-000000000004", Name: "Other", OwnerID: alice.ID}
			for _, pr := range []*model.Project{&p, &other} {
				if err := st.CreateProject(ctx, pr); err != nil {
					t.Fatal(err)
				}
			}
			mk := func(code string, projectID int64, kind, name string) {
				ch := model.Channel{Code: code, ProjectID: projectID, Kind: kind, Name: name, Value: "{}", Created: time.Now()}
				if err := st.CreateChannel(ctx, &ch); err != nil {
					t.Fatal(err)
				}
			}
			const hook, slack, grp, foreign = "cccccccc-0000-4000-8000-000000000001", "cccccccc-0000-4000-8000-000000000002",
				"cccccccc-0000-4000-8000-000000000003", "cccccccc-0000-4000-8000-000000000004"
			mk(hook, p.ID, "webhook", "Pager <b>")
			mk(slack, p.ID, "slack", "")
			mk(grp, p.ID, "group", "Everyone")
			mk(foreign, other.ID, "webhook", "Theirs")
			owner := e.login("alice@example.org", "correct horse")
			add := e.base + "/projects/" + p.Code + "/add_group/"
			_, body := get(t, owner, add)
			for _, want := range []string{`value="` + hook + `"`, "Pager &lt;b&gt;", `value="` + slack + `"`, "> Slack</label>"} {
				if !strings.Contains(body, want) {
					t.Errorf("add page lacks %q", want)
				}
			}
			for _, bad := range []string{grp, foreign, "Theirs"} {
				if strings.Contains(body, bad) {
					t.Errorf("add page offers %q", bad)
				}
			}
			for _, form := range []url.Values{
				{"channels": {foreign}},
				{"channels": {hook, grp}},
				{"channels": {"' OR 1=1 --"}},
				{},
			} {
				resp, body := post(t, owner, add, form)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="error"`) {
					t.Errorf("%v: %d", form, resp.StatusCode)
				}
			}
			if chs, _ := st.ListChannels(ctx, p.ID); len(chs) != 3 {
				t.Fatalf("refused forms wrote channels: %d", len(chs))
			}
			resp, _ := post(t, owner, add, url.Values{"name": {"On call"}, "channels": {slack, hook}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add group: %d", resp.StatusCode)
			}
			chs, err := st.ListChannels(ctx, p.ID)
			if err != nil || len(chs) != 4 || chs[3].Kind != "group" || chs[3].Value != slack+","+hook || chs[3].Name != "On call" {
				t.Fatalf("channels %+v %v", chs, err)
			}
		})
	}
}
