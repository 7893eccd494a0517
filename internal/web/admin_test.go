package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestAdminPage: a superuser sees every user and project with their
// counts, escaped; anyone else, logged in or not, gets 404.
func TestAdminPage(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			root := e.user("root@example.org", "correct horse")
			root.IsSuperuser = true
			if err := e.st.UpdateUser(ctx, &root); err != nil {
				t.Fatal(err)
			}
			alice := e.user("alice@example.org", "alice's password")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "<i>Fleet</i>", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				c := model.NewCheck(p.ID, time.Now())
				if err := e.st.CreateCheck(ctx, &c, false); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.st.AddMember(ctx, p.ID, root.ID, model.RoleReadOnly, time.Now()); err != nil {
				t.Fatal(err)
			}

			resp, body := get(t, e.login("root@example.org", "correct horse"), e.base+"/admin/")
			if resp.StatusCode != 200 {
				t.Fatalf("superuser: %d", resp.StatusCode)
			}
			for _, want := range []string{
				"root@example.org <span class=\"tag\">superuser</span>",
				"<td>alice@example.org</td>", // the project's owner column
				"&lt;i&gt;Fleet&lt;/i&gt; <code class=\"code\">" + p.Code + "</code></td><td>alice@example.org</td>\n        <td>3</td><td>0</td><td>1</td>",
				`href="/hc/admin/"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("admin page lacks %q", want)
				}
			}
			if !strings.Contains(body, "alice@example.org</td>\n        <td><time") || !strings.Contains(body, "<td>1</td><td>3</td></tr>") {
				t.Errorf("alice's row does not count 1 project and 3 checks:\n%s", body)
			}
			if resp, body := get(t, e.login("alice@example.org", "alice's password"), e.base+"/admin/"); resp.StatusCode != 404 || strings.Contains(body, "root@example.org") {
				t.Errorf("a plain user: %d, want 404", resp.StatusCode)
			}
			if resp, _ := get(t, e.client(), e.base+"/admin/"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("anonymous: %d, want 404", resp.StatusCode)
			}
		})
	}
}
