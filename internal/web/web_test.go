package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// env is the UI (with no compatibility surfaces) under SITE_ROOT
// http://example.org/hc, served by apptest.
type env struct {
	t    testing.TB
	st   *store.Store
	srv  *httptest.Server
	base string
	app  *apptest.App
}

func newEnv(t testing.TB, engine string, opts ...func(*web.Deps)) *env {
	t.Helper()
	a := apptest.New(t, apptest.Options{Engine: engine, BasePath: "/hc", Web: func(d *web.Deps) {
		for _, o := range opts {
			o(d)
		}
	}})
	return &env{t: t, st: a.Store, srv: a.Server, base: a.URL, app: a}
}

// user stores a user who logs in with password (20 checks, 100 pings kept).
func (e *env) user(email, password string) model.User {
	e.t.Helper()
	return e.app.AddUser(model.User{Email: email}, password)
}

// client is a browser-like client: it keeps cookies and does not follow
// redirects, so that each answer can be checked.
func (e *env) client() *http.Client { return e.app.Client().Client }

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	return apptest.Do(t, c, req)
}

func get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return do(t, c, req)
}

func post(t testing.TB, c *http.Client, u string, form url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := apptest.NewFormRequest(u, form, hdr...)
	return do(t, c, req)
}

func TestLogInSeeProjectsLogOut(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			ctx := context.Background()
			mine := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: `<script>alert(1)</script>`, OwnerID: alice.ID}
			theirs := model.Project{Code: "bbbbbbbb-0000-4000-8000-000000000002", Name: "Bob's secret project", OwnerID: bob.ID}
			for _, p := range []*model.Project{&mine, &theirs} {
				if err := e.st.CreateProject(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			c := e.client()

			resp, _ := get(t, c, e.base+"/")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/" {
				t.Fatalf("anonymous GET /: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body := get(t, c, e.base+"/accounts/login/")
			if resp.StatusCode != 200 || !strings.Contains(body, `action="/hc/accounts/login/"`) {
				t.Fatalf("login page: %d %s", resp.StatusCode, body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("login page CSP: %q", csp)
			}

			// Wrong password and unknown email: the same answer.
			for _, f := range []url.Values{
				{"email": {"alice@example.org"}, "password": {"wrong"}},
				{"email": {"nobody@example.org"}, "password": {"wrong"}},
			} {
				resp, body = post(t, c, e.base+"/accounts/login/", f)
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Incorrect email or password.") {
					t.Errorf("bad log-in %v: %d %s", f, resp.StatusCode, body)
				}
				if len(c.Jar.Cookies(mustURL(e.base+"/"))) != 0 {
					t.Error("a failed log-in set a cookie")
				}
			}

			// A cross-site form post is refused before the view runs.
			resp, _ = post(t, c, e.base+"/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}},
				"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
			if resp.StatusCode != http.StatusForbidden || len(c.Jar.Cookies(mustURL(e.base+"/"))) != 0 {
				t.Errorf("cross-site log-in: %d", resp.StatusCode)
			}

			// An open redirect through ?next is not followed: alice, with
			// one project, lands on its checks, as upstream.
			resp, _ = post(t, c, e.base+"/accounts/login/", url.Values{"email": {"ALICE@example.org"}, "password": {"correct horse"}, "next": {"//evil.example/"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/projects/"+mine.Code+"/checks/" {
				t.Fatalf("log-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			var cookie *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "overdue_session" {
					cookie = ck
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/hc/" || len(cookie.Value) < 40 {
				t.Fatalf("session cookie: %+v", cookie)
			}
			if _, _, err := e.st.SessionUser(ctx, cookie.Value, timeNow()); err == nil {
				t.Error("the database holds the raw session token, not its hash")
			}

			resp, body = get(t, c, e.base+"/")
			if resp.StatusCode != 200 || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<script>alert") {
				t.Errorf("projects page: %d, name not escaped or missing:\n%s", resp.StatusCode, body)
			}
			if strings.Contains(body, "Bob&#39;s secret project") || strings.Contains(body, theirs.Code) {
				t.Error("alice sees bob's project")
			}

			resp, _ = post(t, c, e.base+"/accounts/logout/", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("log-out: %d", resp.StatusCode)
			}
			// The old cookie no longer works, even if a client kept it.
			req, _ := http.NewRequest("GET", e.base+"/", nil)
			req.AddCookie(cookie)
			resp, _ = do(t, e.client(), req)
			if resp.StatusCode != http.StatusFound {
				t.Errorf("a logged-out session still works: %d", resp.StatusCode)
			}
		})
	}
}

func TestLogInHostileInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	e.user("alice@example.org", "correct horse")
	c := e.client()
	cases := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"empty", "", 400, "Enter your email address and password."},
		{"no password", "email=alice%40example.org", 400, "Enter your email address and password."},
		{"huge email", "password=x&email=" + strings.Repeat("a", 300), 400, "Enter your email address and password."},
		{"bad encoding", "email=%zz&password=x", 400, "The form could not be read."},
		{"oversized body", "email=a&password=" + strings.Repeat("x", 20<<10), 400, "The form could not be read."},
		{"html in email", "email=%3Cb%3Ex%3C%2Fb%3E&password=x", 403, "&lt;b&gt;x&lt;/b&gt;"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", e.base+"/accounts/login/", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := do(t, c, req)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tc.name, resp.StatusCode, tc.status, tc.want, body)
		}
	}
	// A forged or oversized cookie is ignored, not an error.
	for _, v := range []string{"forged", strings.Repeat("x", 4000)} {
		req, _ := http.NewRequest("GET", e.base+"/", nil)
		req.AddCookie(&http.Cookie{Name: "overdue_session", Value: v})
		if resp, _ := do(t, c, req); resp.StatusCode != http.StatusFound {
			t.Errorf("cookie %.10q: %d", v, resp.StatusCode)
		}
	}
}

func TestLogInIsRateLimitedPerEmail(t *testing.T) {
	t.Parallel()
	// The limiter's clock stands still: 21 argon2id checks under -race on a
	// loaded machine took long enough (5 minutes) for the bucket of 20 an
	// hour to refill a token.
	now := time.Now()
	e := newEnv(t, "sqlite", func(d *web.Deps) { d.Now = func() time.Time { return now } })
	e.user("alice@example.org", "correct horse")
	c := e.client()
	f := url.Values{"email": {"alice@example.org"}, "password": {"guess"}}
	for i := range 20 {
		if resp, _ := post(t, c, e.base+"/accounts/login/", f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	f.Set("password", "correct horse")
	resp, body := post(t, c, e.base+"/accounts/login/", f)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Errorf("21st attempt: %d %s", resp.StatusCode, body)
	}
}

func TestUnknownPagesAndStatic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	c := e.client()
	if resp, _ := get(t, c, e.base+"/no/such/page/"); resp.StatusCode != 404 {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
	resp, body := get(t, c, e.base+"/static/style.css")
	if resp.StatusCode != 200 || !strings.Contains(body, "prefers-color-scheme: dark") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func timeNow() time.Time { return time.Now() }
