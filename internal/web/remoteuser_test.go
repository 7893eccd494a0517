package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

func getWith(t testing.TB, c *http.Client, u string, hdr ...string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, c, req)
}

func TestRemoteUserHeaderOffByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	e.user("alice@example.org", "correct horse")
	for _, h := range []string{"X-Authenticated-User", "Remote-User", "X-Remote-User", "X-Forwarded-User"} {
		resp, _ := getWith(t, e.client(), e.base+"/", h, "alice@example.org")
		if resp.StatusCode != http.StatusFound {
			t.Errorf("%s honoured with REMOTE_USER_HEADER unset: %d", h, resp.StatusCode)
		}
	}
}

func TestRemoteUserHeader(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine, func(d *web.Deps) { d.RemoteUserHeader = "HTTP_X_AUTHENTICATED_USER" })
			e.user("alice@example.org", "correct horse")
			c := e.client()
			const h = "X-Authenticated-User"

			resp, _ := getWith(t, c, e.base+"/", h, "Alice@Example.org")
			if resp.StatusCode != 200 || !hasSession(c, e.base) {
				t.Fatalf("header log-in: %d", resp.StatusCode)
			}
			// The session then carries on while the header says the same.
			if resp, body := getWith(t, c, e.base+"/", h, "alice@example.org"); resp.StatusCode != 200 || !strings.Contains(body, "alice@example.org") {
				t.Errorf("second request: %d", resp.StatusCode)
			}
			// Another name in the header: the old session ends, the new
			// user (created on the spot, with a first project) is in.
			resp, body := getWith(t, c, e.base+"/", h, "carol@example.org")
			if resp.StatusCode != 200 || !strings.Contains(body, "carol@example.org") || strings.Contains(body, "alice@example.org") {
				t.Errorf("switch to carol: %d\n%s", resp.StatusCode, body)
			}
			carol, err := e.st.UserByEmail(context.Background(), "carol@example.org")
			if err != nil {
				t.Fatalf("carol was not created: %v", err)
			}
			if projects, _ := e.st.ProjectsForUser(context.Background(), carol.ID); len(projects) != 1 {
				t.Errorf("carol's projects: %d, want 1", len(projects))
			}
			if at, err := e.st.LastLogin(context.Background(), carol.ID); err != nil || at == nil {
				t.Errorf("carol's header log-in is not recorded: %v, %v", at, err)
			}
			// No header: logged out, even with the cookie.
			if resp, _ = getWith(t, c, e.base+"/"); resp.StatusCode != http.StatusFound {
				t.Errorf("no header: %d, want the log-in redirect", resp.StatusCode)
			}
			if resp, _ = getWith(t, c, e.base+"/", h, "carol@example.org"); resp.StatusCode != 200 {
				t.Errorf("header back: %d", resp.StatusCode)
			}
			if resp, _ = getWith(t, c, e.base+"/", h, "   "); resp.StatusCode != http.StatusFound {
				t.Errorf("blank header: %d, want logged out", resp.StatusCode)
			}
			// Hostile values: refused, nobody created, no session.
			for _, v := range []string{"not an email", "a b@example.org", "a@b@c", strings.Repeat("a", 300) + "@example.org"} {
				c2 := e.client()
				resp, body := getWith(t, c2, e.base+"/", h, v)
				if resp.StatusCode != 400 || !strings.Contains(body, "does not hold an email address") || hasSession(c2, e.base) || strings.Contains(body, "<script>") {
					t.Errorf("header %.20q: %d %q", v, resp.StatusCode, body)
				}
			}
			// Only the configured header counts; the underscore spelling
			// (which some proxies pass through) is another header to Go.
			if resp, _ = getWith(t, e.client(), e.base+"/", "X_Authenticated_User", "alice@example.org"); resp.StatusCode != http.StatusFound {
				t.Errorf("underscore header honoured: %d", resp.StatusCode)
			}
			if resp, _ = getWith(t, e.client(), e.base+"/", "Remote-User", "alice@example.org"); resp.StatusCode != http.StatusFound {
				t.Errorf("another header honoured: %d", resp.StatusCode)
			}
		})
	}
}

func TestRemoteUserHeaderPlainName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", func(d *web.Deps) { d.RemoteUserHeader = "remote-user" })
	e.user("alice@example.org", "correct horse")
	if resp, _ := getWith(t, e.client(), e.base+"/", "Remote-User", "alice@example.org"); resp.StatusCode != 200 {
		t.Errorf("plain header name: %d", resp.StatusCode)
	}
}
