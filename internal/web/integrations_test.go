package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// receiver is a webhook endpoint that records what reached it.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.bodies = append(rc.bodies, r.Method+" "+r.URL.RequestURI()+" "+string(b))
	w.WriteHeader(rc.status)
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

func TestIntegrationsPages(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			rc := &receiver{status: 200}
			hook := httptest.NewServer(rc)
			defer hook.Close()
			reg := kinds.New()
			var st *store.Store
			e := newEnv(t, engine, func(d *web.Deps) {
				st = d.Store
				transports, err := reg.Transports(notify.Deps{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second}),
					// Nothing listens there: this test sends no email.
					Mailer: mailer.New(mailer.Config{Host: "127.0.0.1", Port: 9})})
				if err != nil {
					t.Fatal(err)
				}
				d.Kinds = reg
				d.Tester = &alerts.Tester{Store: d.Store, Transports: transports, Events: reg.Events, SiteRoot: d.SiteRoot, SiteName: d.SiteName, Now: time.Now}
			})
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			e.user("eve@example.org", "eve's password")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Ops", OwnerID: alice.ID}
			if err := st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if err := st.AddMember(ctx, p.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
				t.Fatal(err)
			}
			var checks []model.Check
			for _, name := range []string{"db backup", "mail queue"} {
				c := model.NewCheck(p.ID, time.Now())
				c.Name = name
				if err := st.CreateCheck(ctx, &c, false); err != nil {
					t.Fatal(err)
				}
				checks = append(checks, c)
			}
			owner := e.login("alice@example.org", "correct horse")
			page := e.base + "/projects/" + p.Code + "/integrations/"
			_, body := get(t, owner, page)
			for _, want := range []string{"no integrations yet", `/add_webhook/`, `/add_email/`} {
				if !strings.Contains(body, want) {
					t.Errorf("empty integrations page lacks %q", want)
				}
			}

			// Bad input: the form comes back with the error next to the
			// field, and nothing is written.
			add := e.base + "/projects/" + p.Code + "/add_webhook/"
			for _, tc := range []struct {
				form url.Values
				want string
			}{
				{url.Values{"url_down": {"ftp://example.org/x"}, "method_down": {"GET"}}, "URL for &#34;down&#34;"},
				{url.Values{"url_down": {"http://example.org/x"}, "method_down": {"GET"}, "name": {strings.Repeat("n", 101)}}, "limited to 100 characters"},
				{url.Values{"method_down": {"GET"}}, "&#34;down&#34;"},
			} {
				resp, body := post(t, owner, add, tc.form)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
					t.Errorf("%v: %d, body lacks %q", tc.form, resp.StatusCode, tc.want)
				}
			}
			if resp, _ := post(t, owner, add, url.Values{"body_down": {strings.Repeat("x", 70<<10)}}); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("an oversized form: %d", resp.StatusCode)
			}
			if chs, _ := st.ListChannels(ctx, p.ID); len(chs) != 0 {
				t.Fatalf("refused forms wrote %d channels", len(chs))
			}

			// A good one: linked to every check, listed.
			resp, _ := post(t, owner, add, url.Values{"name": {`Pager <b>x</b>`}, "method_down": {"POST"},
				"url_down": {hook.URL + "/down?check=$NAME"}, "body_down": {"$NAME is $STATUS"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add webhook: %d", resp.StatusCode)
			}
			chs, err := st.ListChannels(ctx, p.ID)
			if err != nil || len(chs) != 1 {
				t.Fatalf("channels %v %v", chs, err)
			}
			ch := chs[0]
			_, body = get(t, owner, page)
			for _, want := range []string{"Pager &lt;b&gt;x&lt;/b&gt;", "2 assigned", "never", "/integrations/" + ch.Code + "/test/"} {
				if !strings.Contains(body, want) {
					t.Errorf("integrations page lacks %q", want)
				}
			}

			// Test: the made-up TEST check reaches the receiver, and the
			// page says so.
			resp, _ = post(t, owner, e.base+"/integrations/"+ch.Code+"/test/", nil)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?tested="+ch.Code) {
				t.Fatalf("test: %d %q", resp.StatusCode, loc)
			}
			if got := rc.got(); len(got) != 1 || got[0] != "POST /down?check=TEST TEST is down" {
				t.Errorf("the receiver got %q", got)
			}
			if _, body := get(t, owner, page+"?tested="+ch.Code); !strings.Contains(body, "Test notification sent") {
				t.Error("no confirmation of the test")
			}
			// A failing receiver: the error is shown and kept on the channel.
			rc.status = 500
			post(t, owner, e.base+"/integrations/"+ch.Code+"/test/", nil)
			if _, body := get(t, owner, page+"?tested="+ch.Code); !strings.Contains(body, "Could not send a test notification") || !strings.Contains(body, "500") {
				t.Errorf("a failed test is not reported: %s", body)
			}

			// Assign checks: only the second one.
			resp, _ = post(t, owner, e.base+"/integrations/"+ch.Code+"/checks/", url.Values{"check-" + checks[1].Code: {"on"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("assign: %d", resp.StatusCode)
			}
			if ids, _ := st.ChannelCheckIDs(ctx, ch.ID); len(ids) != 1 || ids[0] != checks[1].ID {
				t.Errorf("assigned %v", ids)
			}
			if _, body := get(t, owner, e.base+"/integrations/"+ch.Code+"/checks/"); !strings.Contains(body, `name="check-`+checks[1].Code+`" checked`) {
				t.Error("the assign page does not show the assignment")
			}

			// Rename, with a bad name refused.
			if resp, _ := post(t, owner, e.base+"/integrations/"+ch.Code+"/name/", url.Values{"name": {strings.Repeat("é", 101)}}); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("an overlong name: %d", resp.StatusCode)
			}
			post(t, owner, e.base+"/integrations/"+ch.Code+"/name/", url.Values{"name": {"  On call  "}})
			if got, _ := st.ChannelByCode(ctx, ch.Code); got.Name != "On call" {
				t.Errorf("renamed to %q", got.Name)
			}

			// A read-only member sees the page but changes nothing; a
			// stranger sees nothing.
			ro := e.login("bob@example.org", "battery staple")
			if _, body := get(t, ro, page); !strings.Contains(body, "On call") || strings.Contains(body, "/test/") || strings.Contains(body, "add_webhook") {
				t.Error("read-only member: wrong page")
			}
			eve := e.login("eve@example.org", "eve's password")
			writes := []string{"/integrations/" + ch.Code + "/test/", "/integrations/" + ch.Code + "/remove/",
				"/integrations/" + ch.Code + "/name/", "/integrations/" + ch.Code + "/checks/", "/projects/" + p.Code + "/add_webhook/"}
			for _, u := range writes {
				if resp, _ := post(t, ro, e.base+u, url.Values{"name": {"x"}, "url_down": {"http://example.org/"}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("read-only POST %s: %d", u, resp.StatusCode)
				}
				if resp, body := post(t, eve, e.base+u, url.Values{"name": {"x"}}); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "On call") {
					t.Errorf("stranger POST %s: %d", u, resp.StatusCode)
				}
			}
			for _, u := range []string{page, e.base + "/integrations/" + ch.Code + "/checks/", add} {
				if resp, _ := get(t, eve, u); resp.StatusCode != http.StatusNotFound {
					t.Errorf("stranger GET %s: %d", u, resp.StatusCode)
				}
			}
			for _, u := range []string{"/integrations/not-a-uuid/test/", "/integrations/ffffffff-0000-4000-8000-000000000009/remove/"} {
				if resp, _ := post(t, owner, e.base+u, nil); resp.StatusCode != http.StatusNotFound {
					t.Errorf("POST %s: %d", u, resp.StatusCode)
				}
			}
			if got := len(rc.got()); got != 2 {
				t.Errorf("the refused requests sent notifications: %d", got)
			}

			// A channel that sends neither event: nothing is sent, and the
			// page says so rather than "sent".
			mute := model.Channel{Code: "dddddddd-0000-4000-8000-00000000000d", ProjectID: p.ID, Kind: "email",
				Value: `{"value": "ops@example.org", "up": false, "down": false}`, EmailVerified: true, Created: time.Now()}
			if err := st.CreateChannel(ctx, &mute); err != nil {
				t.Fatal(err)
			}
			if resp, body := post(t, owner, e.base+"/integrations/"+mute.Code+"/test/", nil); resp.StatusCode != http.StatusBadRequest ||
				!strings.Contains(body, "neither up nor down") {
				t.Errorf("test of a muted channel: %d", resp.StatusCode)
			}
			if got, _ := st.ChannelByCode(ctx, mute.Code); got.LastNotify != nil {
				t.Error("a test that sent nothing was recorded as a send")
			}
			if err := st.DeleteChannel(ctx, mute.ID); err != nil {
				t.Fatal(err)
			}

			// Remove.
			if resp, _ := post(t, owner, e.base+"/integrations/"+ch.Code+"/remove/", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove: %d", resp.StatusCode)
			}
			if chs, _ := st.ListChannels(ctx, p.ID); len(chs) != 0 {
				t.Errorf("channel survived removal")
			}
		})
	}
}

func TestIntegrationKindsTheOperatorTurnedOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", func(d *web.Deps) {
		d.Getenv = func(name string) (string, bool) {
			if name == "WEBHOOKS_ENABLED" {
				return "False", true
			}
			return "", false
		}
	})
	alice := e.user("alice@example.org", "correct horse")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000004", OwnerID: alice.ID}
	if err := e.st.CreateProject(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	owner := e.login("alice@example.org", "correct horse")
	if _, body := get(t, owner, e.base+"/projects/"+p.Code+"/integrations/"); strings.Contains(body, "add_webhook") || !strings.Contains(body, "add_email") {
		t.Error("the list offers a kind that is off, or hides one that is on")
	}
	if resp, _ := get(t, owner, e.base+"/projects/"+p.Code+"/add_webhook/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the add page of a kind that is off: %d", resp.StatusCode)
	}
}
