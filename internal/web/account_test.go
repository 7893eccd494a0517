package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// testClock is the time the pages and the account rules see; handlers run
// on the server's goroutines, hence the lock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// acctEnv is a UI with a real SMTP server behind Accounts.
type acctEnv struct {
	*env
	smtp *smtptest.Server
	clk  *testClock
}

func newAcctEnv(t *testing.T, engine string, registrationOpen bool) *acctEnv {
	t.Helper()
	a := &acctEnv{smtp: smtptest.Start(t, smtptest.Options{}), clk: &testClock{now: time.Now().UTC().Truncate(time.Second)}}
	a.env = newEnv(t, engine, func(d *web.Deps) {
		d.Accounts = mailingAccounts(t, d, a.smtp, a.clk.Now, "test secret")
		d.Now, d.RegistrationOpen = a.clk.Now, registrationOpen
	})
	return a
}

// mailingAccounts are the account rules over d's store, mailing through
// srv, on clock.
func mailingAccounts(t *testing.T, d *web.Deps, srv *smtptest.Server, clock func() time.Time, secret string) *accounts.Accounts {
	t.Helper()
	acc, err := accounts.New(accounts.Options{Store: d.Store, Kinds: kinds.New(),
		Mailer: mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "overdue@example.org"}),
		Clock:  clock, SiteRoot: d.SiteRoot, SiteName: d.SiteName, SecretKey: secret, PingLogLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

var mailLinkRE = regexp.MustCompile(`http://example\.org(/hc/accounts/(?:check_token/\d+/[A-Za-z0-9_-]+|change_email/[^/\s]+)/(?:\?next=\S+)?)`)

// nextMail waits for one message and returns its recipient and the link
// in it, as a URL of the test server.
func (a *acctEnv) nextMail(t *testing.T) (to, link string) {
	t.Helper()
	select {
	case m := <-a.smtp.Received():
		_, text, _, err := m.Parts()
		if err != nil {
			t.Fatal(err)
		}
		l := mailLinkRE.FindStringSubmatch(text)
		if l == nil {
			t.Fatalf("no link in the mail to %v:\n%s", m.To, text)
		}
		return strings.Join(m.To, ","), a.srv.URL + l[1]
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
	}
	return "", ""
}

func (a *acctEnv) noMail(t *testing.T) {
	t.Helper()
	select {
	case m := <-a.smtp.Received():
		t.Fatalf("unexpected mail to %v", m.To)
	default:
	}
}

// logIn makes a user with a password and a client logged in as them.
func (a *acctEnv) logIn(t *testing.T, email string) (model.User, *http.Client) {
	t.Helper()
	u := a.user(email, "correct horse")
	c := a.client()
	resp, _ := post(t, c, a.base+"/accounts/login/", url.Values{"action": {"login"}, "email": {email}, "password": {"correct horse"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in %s: %d", email, resp.StatusCode)
	}
	return u, c
}

func loggedIn(t *testing.T, c *http.Client, base string) bool {
	t.Helper()
	resp, _ := get(t, c, base+"/accounts/profile/")
	return resp.StatusCode == http.StatusOK
}

func TestSignUpAndLogInByLink(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			ctx := context.Background()
			c := a.client()

			resp, body := get(t, c, a.base+"/accounts/login/")
			if resp.StatusCode != 200 || !strings.Contains(body, `name="identity"`) || !strings.Contains(body, `href="/hc/accounts/signup/"`) {
				t.Fatalf("login page lacks the link form or the sign-up link: %d\n%s", resp.StatusCode, body)
			}
			if resp, body = get(t, c, a.base+"/accounts/signup/"); resp.StatusCode != 200 || !strings.Contains(body, `action="/hc/accounts/signup/"`) {
				t.Fatalf("sign-up page: %d\n%s", resp.StatusCode, body)
			}
			resp, body = post(t, c, a.base+"/accounts/signup/", url.Values{"identity": {" New@Example.org "}})
			if resp.StatusCode != 200 || !strings.Contains(body, "A login link is on its way to new@example.org") {
				t.Fatalf("sign up: %d\n%s", resp.StatusCode, body)
			}
			u, err := a.st.UserByEmail(ctx, "new@example.org")
			if err != nil || u.Email != "new@example.org" {
				t.Fatalf("signed-up user %+v, %v", u, err)
			}
			projects, _ := a.st.ListProjectsOwnedBy(ctx, u.ID)
			if len(projects) != 1 || projects[0].Name != accounts.FirstProjectName {
				t.Fatalf("projects %+v", projects)
			}
			to, link := a.nextMail(t)
			if to != "new@example.org" {
				t.Errorf("mail to %s", to)
			}

			// GET only shows a button: a mail scanner does not spend the link.
			for range 2 {
				resp, body = get(t, c, link)
				if resp.StatusCode != 200 || !strings.Contains(body, `method="post" action="`+strings.TrimPrefix(link, a.srv.URL)+`"`) {
					t.Fatalf("link page: %d\n%s", resp.StatusCode, body)
				}
			}
			if loggedIn(t, c, a.base) {
				t.Fatal("opening the link logged in without the button")
			}
			if at, err := a.st.LastLogin(ctx, u.ID); err != nil || at != nil {
				t.Fatalf("last log-in before the link: %v, %v", at, err)
			}
			resp, _ = post(t, c, link, nil)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/hc/projects/"+projects[0].Code+"/checks/" {
				t.Fatalf("follow link: %d %q", resp.StatusCode, loc)
			}
			if !loggedIn(t, c, a.base) {
				t.Fatal("not logged in after the link")
			}
			// The log-in is recorded at the page's clock (retention prunes
			// accounts without one).
			if at, err := a.st.LastLogin(ctx, u.ID); err != nil || at == nil || !at.Equal(a.clk.Now()) {
				t.Errorf("last log-in after the link: %v, %v; want %v", at, err, a.clk.Now())
			}

			// Once only.
			other := a.client()
			resp, _ = post(t, other, link, nil)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/hc/accounts/login/?bad_link=1" {
				t.Fatalf("second use: %d %q", resp.StatusCode, loc)
			}
			if _, body = get(t, other, a.srv.URL+"/hc/accounts/login/?bad_link=1"); !strings.Contains(body, "The login link is incorrect or has expired.") {
				t.Errorf("bad-link notice missing:\n%s", body)
			}
			if loggedIn(t, other, a.base) {
				t.Error("a spent link logged in")
			}

			// Signing up again with the address: the same answer, a link,
			// no second project.
			resp, body = post(t, other, a.base+"/accounts/signup/", url.Values{"identity": {"NEW@example.org"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "A login link is on its way to new@example.org") {
				t.Errorf("second sign-up: %d\n%s", resp.StatusCode, body)
			}
			if to, _ := a.nextMail(t); to != "new@example.org" {
				t.Errorf("second mail to %s", to)
			}
			if ps, _ := a.st.ListProjectsOwnedBy(ctx, u.ID); len(ps) != 1 {
				t.Errorf("%d projects after signing up twice", len(ps))
			}
			// Logged in: no sign-up (upstream: 403).
			for _, r := range []func() (*http.Response, string){
				func() (*http.Response, string) { return get(t, c, a.base+"/accounts/signup/") },
				func() (*http.Response, string) {
					return post(t, c, a.base+"/accounts/signup/", url.Values{"identity": {"x@example.org"}})
				},
			} {
				if resp, _ := r(); resp.StatusCode != http.StatusForbidden {
					t.Errorf("sign-up while logged in: %d", resp.StatusCode)
				}
			}
			a.noMail(t)
		})
	}
}

func TestLoginLinkAnswersTheSame(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			a.user("alice@example.org", "correct horse")
			c := a.client()
			var answers []string
			for _, id := range []string{"nobody@example.org", "ALICE@example.org"} {
				resp, body := post(t, c, a.base+"/accounts/login/", url.Values{"identity": {id}, "next": {"/projects/x/checks/"}})
				answers = append(answers, resp.Status+resp.Header.Get("Location")+body)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/login_link_sent/" {
					t.Errorf("%s: %d %q", id, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			if answers[0] != answers[1] {
				t.Errorf("the answers differ:\n%s\n%s", answers[0], answers[1])
			}
			if resp, body := get(t, c, a.base+"/accounts/login_link_sent/"); resp.StatusCode != 200 || !strings.Contains(body, "If an account uses that address") {
				t.Errorf("link-sent page: %d\n%s", resp.StatusCode, body)
			}
			to, link := a.nextMail(t)
			if to != "alice@example.org" || !strings.HasSuffix(link, "/?next=%2Fprojects%2Fx%2Fchecks%2F") {
				t.Fatalf("mail to %s: %s", to, link)
			}
			a.noMail(t) // nothing went to nobody@
			resp, _ := post(t, c, link, nil)
			if loc := resp.Header.Get("Location"); loc != "/hc/projects/x/checks/" {
				t.Errorf("after the link: %d %q", resp.StatusCode, loc)
			}
		})
	}
}

// Open redirects: a next that leaves the site is dropped both when the
// link is made and when it is followed.
func TestLoginLinkNextIsSafe(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", true)
	a.user("alice@example.org", "correct horse")
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "http:/evil", "javascript:alert(1)", "/ok\r\nLocation: x"} {
		c := a.client()
		if resp, _ := post(t, c, a.base+"/accounts/login/?next="+url.QueryEscape(next), url.Values{"identity": {"alice@example.org"}, "next": {next}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%q: %d", next, resp.StatusCode)
		}
		_, link := a.nextMail(t)
		if strings.Contains(link, "next=") {
			t.Errorf("next %q kept in the link %s", next, link)
		}
		// A next added to the link afterwards is ignored too.
		resp, _ := post(t, c, link+"?next="+url.QueryEscape(next), nil)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/hc/") || strings.Contains(loc, "evil") {
			t.Errorf("next %q: redirected to %q", next, loc)
		}
	}
}

func TestLoginLinkExpiresAndIsBound(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			alice := a.user("alice@example.org", "correct horse")
			bob := a.user("bob@example.org", "battery staple")
			ask := func() string {
				t.Helper()
				post(t, a.client(), a.base+"/accounts/login/", url.Values{"identity": {"alice@example.org"}})
				_, link := a.nextMail(t)
				return link
			}
			bad := "/hc/accounts/login/?bad_link=1"
			link := ask()
			a.clk.Add(accounts.LoginLinkAge + time.Second)
			if resp, _ := post(t, a.client(), link, nil); resp.Header.Get("Location") != bad {
				t.Errorf("expired link: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// Alice's token with bob's id: refused (and spent).
			link = ask()
			swapped := strings.Replace(link, "/check_token/"+itoa(alice.ID)+"/", "/check_token/"+itoa(bob.ID)+"/", 1)
			for _, l := range []string{swapped, link} {
				if resp, _ := post(t, a.client(), l, nil); resp.Header.Get("Location") != bad {
					t.Errorf("%s: %d %q", l, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			// Hostile paths: never a 500.
			for _, p := range []string{"/accounts/check_token/abc/x/", "/accounts/check_token/-1/x/", "/accounts/check_token/99999999999999999999/x/",
				"/accounts/check_token/1/" + strings.Repeat("x", 5000) + "/", "/accounts/check_token/1/%00/"} {
				if resp, _ := post(t, a.client(), a.base+p, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != bad {
					t.Errorf("%.60s: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			// A link followed while logged in as someone else switches user.
			_, c := a.logIn(t, "carol@example.org")
			resp, _ := post(t, c, ask(), nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("follow while logged in: %d", resp.StatusCode)
			}
			if _, body := get(t, c, a.base+"/accounts/profile/"); !strings.Contains(body, "alice@example.org") || strings.Contains(body, "carol@example.org") {
				t.Errorf("after following alice's link carol's browser shows:\n%s", body)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginLinkRateLimits(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", true)
	a.user("alice@example.org", "correct horse")
	c := a.client()
	// Ten per email per hour, counted with dots and +tags ignored.
	for i := range 10 {
		id := []string{"alice@example.org", "a.lice+x@example.org", "ALICE+y@example.org"}[i%3]
		if resp, _ := post(t, c, a.base+"/accounts/login/", url.Values{"identity": {id}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := post(t, c, a.base+"/accounts/login/", url.Values{"identity": {"alice@example.org"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts, please try later.") {
		t.Errorf("11th: %d\n%s", resp.StatusCode, body)
	}
	// Sign-up shares the email's bucket.
	if resp, _ := post(t, c, a.base+"/accounts/signup/", url.Values{"identity": {"alice@example.org"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("sign-up after the email's limit: %d", resp.StatusCode)
	}
	a.clk.Add(time.Hour)
	if resp, _ := post(t, c, a.base+"/accounts/login/", url.Values{"identity": {"alice@example.org"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an hour later: %d", resp.StatusCode)
	}
	a.clk.Add(2 * time.Hour)
	// Twenty per address per hour, whatever the emails.
	for i := range 20 {
		if resp, _ := post(t, c, a.base+"/accounts/login/", url.Values{"identity": {"user" + itoa(int64(i)) + "@example.org"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("address attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp, _ := post(t, c, a.base+"/accounts/signup/", url.Values{"identity": {"fresh@example.org"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("21st from the address: %d", resp.StatusCode)
	}
	if _, err := a.st.UserByEmail(context.Background(), "fresh@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused sign-up created the user: %v", err)
	}
}

func TestSignUpClosed(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", false)
	c := a.client()
	_, body := get(t, c, a.base+"/accounts/login/")
	if strings.Contains(body, "/accounts/signup/") {
		t.Error("the login page links to sign-up while registration is closed")
	}
	if !strings.Contains(body, `name="identity"`) {
		t.Error("closed registration hid the login-link form too")
	}
	for _, r := range []func() (*http.Response, string){
		func() (*http.Response, string) { return get(t, c, a.base+"/accounts/signup/") },
		func() (*http.Response, string) {
			return post(t, c, a.base+"/accounts/signup/", url.Values{"identity": {"new@example.org"}})
		},
	} {
		if resp, body := r(); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "REGISTRATION_OPEN is off") {
			t.Errorf("closed sign-up: %d\n%s", resp.StatusCode, body)
		}
	}
	if _, err := a.st.UserByEmail(context.Background(), "new@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("closed sign-up created a user: %v", err)
	}
	a.noMail(t)
}

func TestSignUpHostileInput(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			cases := []struct {
				name, body string
				status     int
				want       string
			}{
				{"empty", "", 400, "Please enter your email address."},
				{"blank", "identity=+++", 400, "Please enter your email address."},
				{"no at", "identity=nobody", 400, "Enter a valid email address."},
				{"spaces", "identity=a+b%40example.org", 400, "Enter a valid email address."},
				{"too long", "identity=" + strings.Repeat("a", 250) + "%40example.org", 400, "Enter a valid email address."},
				{"NUL", "identity=a%00b%40example.org", 400, "Enter a valid email address."},
				{"html", "identity=%3Cscript%3E", 400, "&lt;script&gt;"},
				{"bad encoding", "identity=%zz", 400, "The form could not be read."},
				{"oversized", "identity=" + strings.Repeat("x", 70<<10), 400, "The form is larger than 64 KB."},
			}
			for _, tc := range cases {
				req, _ := http.NewRequest("POST", a.base+"/accounts/signup/", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, body := do(t, a.client(), req)
				if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) || strings.Contains(body, "<script>") {
					t.Errorf("%s: %d, want %d with %q:\n%s", tc.name, resp.StatusCode, tc.status, tc.want, body)
				}
			}
			a.noMail(t)
			// Nothing was even tried: the first user is still number 1.
			if u := a.user("first@example.org", "correct horse"); u.ID != 1 {
				t.Errorf("the first user after refused sign-ups has id %d", u.ID)
			}
		})
	}
}

func TestLoginLinkHostileInput(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", true)
	for _, tc := range []struct {
		identity string
		status   int
		want     string
	}{
		{"", 400, "Enter a valid email address."},
		{"not-an-address", 400, "Enter a valid email address."},
		{strings.Repeat("a", 300) + "@x", 400, "Enter a valid email address."},
		{"<b>x</b>", 400, "&lt;b&gt;x&lt;/b&gt;"},
	} {
		resp, body := post(t, a.client(), a.base+"/accounts/login/", url.Values{"identity": {tc.identity}})
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%.20q: %d\n%s", tc.identity, resp.StatusCode, body)
		}
	}
	a.noMail(t)
}

// Without a mailer there are no links to send: the form is hidden and a
// post of it says why; sign-up is refused.
func TestAccountsWithoutMailer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", func(d *web.Deps) { d.RegistrationOpen = true })
	c := e.client()
	if _, body := get(t, c, e.base+"/accounts/login/"); strings.Contains(body, `name="identity"`) {
		t.Error("the login-link form is shown without a mailer")
	}
	resp, body := post(t, c, e.base+"/accounts/login/", url.Values{"identity": {"a@example.org"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "this site cannot send email") {
		t.Errorf("link without mailer: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := post(t, c, e.base+"/accounts/signup/", url.Values{"identity": {"a@example.org"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-up without mailer: %d", resp.StatusCode)
	}
	// The password form still works, and its name is upstream's.
	e.user("alice@example.org", "correct horse")
	resp, _ = post(t, c, e.base+"/accounts/login/", url.Values{"action": {"login"}, "email": {"alice@example.org"}, "password": {"correct horse"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("password log-in with action=login: %d", resp.StatusCode)
	}
}

func TestProfileAndAppearance(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			ctx := context.Background()
			u, c := a.logIn(t, "alice@example.org")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "<i>mine</i>", OwnerID: u.ID}
			if err := a.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			resp, body := get(t, c, a.base+"/accounts/profile/")
			for _, want := range []string{"alice@example.org", "&lt;i&gt;mine&lt;/i&gt;", `href="/hc/accounts/profile/notifications/"`,
				`href="/hc/accounts/profile/appearance/"`, `href="/hc/accounts/set_password/"`, `href="/hc/accounts/change_email/"`,
				`href="/hc/accounts/close/"`, `href="/hc/projects/` + p.Code + `/checks/"`, `data-theme="system"`} {
				if !strings.Contains(body, want) {
					t.Errorf("profile lacks %s (%d)", want, resp.StatusCode)
				}
			}
			resp, body = get(t, c, a.base+"/accounts/profile/appearance/")
			if resp.StatusCode != 200 || !strings.Contains(body, `value="system" checked`) {
				t.Errorf("appearance: %d\n%s", resp.StatusCode, body)
			}
			for _, tc := range []struct {
				theme, html string
			}{{"dark", "dark"}, {"", "light"}, {"light", "light"}, {"system", "system"}} {
				resp, _ = post(t, c, a.base+"/accounts/profile/appearance/", url.Values{"theme": {tc.theme}})
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/profile/appearance/?saved=1" {
					t.Errorf("theme %q: %d %q", tc.theme, resp.StatusCode, resp.Header.Get("Location"))
				}
				_, body = get(t, c, a.base+"/accounts/profile/appearance/?saved=1")
				if !strings.Contains(body, `<html lang="en" data-theme="`+tc.html+`">`) || !strings.Contains(body, "Your theme is saved.") {
					t.Errorf("after theme %q the page is not %s:\n%.300s", tc.theme, tc.html, body)
				}
			}
			for _, bad := range []url.Values{{"theme": {"neon"}}, {"theme": {"<script>"}}, {}} {
				// No theme field at all is upstream's light: only bad values fail.
				resp, body = post(t, c, a.base+"/accounts/profile/appearance/", bad)
				if bad.Has("theme") && (resp.StatusCode != 400 || !strings.Contains(body, "Pick one of the themes listed.")) {
					t.Errorf("theme %v: %d", bad, resp.StatusCode)
				}
			}
			if got, _ := a.st.UserByID(ctx, u.ID); got.Theme != model.ThemeLight {
				t.Errorf("stored theme %q", got.Theme)
			}
			// The stylesheet lets the explicit choice win over the system's.
			_, css := get(t, c, a.srv.URL+"/hc/static/style.css")
			if !strings.Contains(css, ":root[data-theme=dark]") || !strings.Contains(css, ":root:not([data-theme=light])") {
				t.Error("style.css lacks the theme overrides")
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			ctx := context.Background()
			u, c := a.logIn(t, "alice@example.org")
			other := a.client()
			post(t, other, a.base+"/accounts/login/", url.Values{"action": {"login"}, "email": {"alice@example.org"}, "password": {"correct horse"}})
			if !loggedIn(t, other, a.base) {
				t.Fatal("second session")
			}
			if resp, body := get(t, c, a.base+"/accounts/set_password/"); resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
				t.Fatalf("form: %d", resp.StatusCode)
			}
			for _, tc := range []struct {
				pw   string
				want string
			}{{"", "at least 8 characters"}, {"short", "at least 8 characters"}, {strings.Repeat("x", 1025), "at most 1024 bytes"}} {
				resp, body := post(t, c, a.base+"/accounts/set_password/", url.Values{"password": {tc.pw}})
				if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
					t.Errorf("password %.10q: %d\n%s", tc.pw, resp.StatusCode, body)
				}
			}
			if got, _ := a.st.UserByID(ctx, u.ID); got.Password != u.Password {
				t.Error("a refused password was stored")
			}
			if !loggedIn(t, other, a.base) {
				t.Error("a refused password ended the other session")
			}
			resp, _ := post(t, c, a.base+"/accounts/set_password/", url.Values{"password": {"a new passphrase"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/profile/?changed=password" {
				t.Fatalf("set: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, body := get(t, c, a.base+"/accounts/profile/?changed=password"); !strings.Contains(body, "Your password is set.") {
				t.Error("no notice after setting the password")
			}
			if loggedIn(t, other, a.base) {
				t.Error("the other session survived the password change")
			}
			if got, _ := a.st.UserByID(ctx, u.ID); !auth.CheckPassword(got.Password, "a new passphrase") {
				t.Error("the new password does not verify")
			}
			resp, _ = post(t, a.client(), a.base+"/accounts/login/", url.Values{"action": {"login"}, "email": {"alice@example.org"}, "password": {"a new passphrase"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("log in with the new password: %d", resp.StatusCode)
			}
		})
	}
}

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			ctx := context.Background()
			u, c := a.logIn(t, "alice@example.org")
			a.user("bob@example.org", "battery staple")
			if resp, body := get(t, c, a.base+"/accounts/change_email/"); resp.StatusCode != 200 || !strings.Contains(body, "alice@example.org") {
				t.Fatalf("form: %d", resp.StatusCode)
			}
			for _, tc := range []struct{ email, want string }{
				{"", "Enter a valid email address."},
				{"nope", "Enter a valid email address."},
				{"BOB@example.org", "bob@example.org is already registered."},
				{"Alice@Example.org", "This is already your address."},
				{"<script>", "Enter a valid email address."},
			} {
				resp, body := post(t, c, a.base+"/accounts/change_email/", url.Values{"email": {tc.email}})
				if resp.StatusCode != 400 || !strings.Contains(body, tc.want) || strings.Contains(body, "<script>") {
					t.Errorf("email %q: %d\n%s", tc.email, resp.StatusCode, body)
				}
			}
			a.noMail(t)
			resp, body := post(t, c, a.base+"/accounts/change_email/", url.Values{"email": {"Alice.New@example.org"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "A confirmation link is on its way to alice.new@example.org") {
				t.Fatalf("request: %d\n%s", resp.StatusCode, body)
			}
			to, link := a.nextMail(t)
			if to != "alice.new@example.org" || !strings.Contains(link, "/hc/accounts/change_email/") {
				t.Fatalf("mail to %s: %s", to, link)
			}
			if got, _ := a.st.UserByID(ctx, u.ID); got.Email != "alice@example.org" {
				t.Error("the address changed before the link was followed")
			}
			if resp, body := get(t, a.client(), link); resp.StatusCode != 200 || !strings.Contains(body, "Confirm and log in") {
				t.Errorf("link page: %d", resp.StatusCode)
			}
			if got, _ := a.st.UserByID(ctx, u.ID); got.Email != "alice@example.org" {
				t.Error("opening the link changed the address")
			}
			for _, bad := range []string{link[:len(link)-3] + "xx/", a.base + "/accounts/change_email/" + strings.Repeat("a", 3000) + "/", a.base + "/accounts/change_email/a:b:c/"} {
				if resp, body := post(t, a.client(), bad, nil); resp.StatusCode != 400 || !strings.Contains(body, "incorrect or has expired") {
					t.Errorf("tampered %.80s: %d", bad, resp.StatusCode)
				}
			}
			fresh := a.client()
			resp, _ = post(t, fresh, link, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/profile/?changed=email" {
				t.Fatalf("follow: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, body := get(t, fresh, a.base+"/accounts/profile/?changed=email"); !strings.Contains(body, "alice.new@example.org") || !strings.Contains(body, "Your email address is changed.") {
				t.Errorf("profile after the change:\n%s", body)
			}
			if resp, _ := post(t, a.client(), link, nil); resp.StatusCode != 400 {
				t.Errorf("second use: %d", resp.StatusCode)
			}
			// Expired after 15 minutes.
			post(t, c, a.base+"/accounts/change_email/", url.Values{"email": {"alice.3@example.org"}})
			_, link = a.nextMail(t)
			a.clk.Add(accounts.EmailChangeLinkAge + time.Second)
			if resp, _ := post(t, a.client(), link, nil); resp.StatusCode != 400 {
				t.Errorf("expired: %d", resp.StatusCode)
			}
			if got, _ := a.st.UserByID(ctx, u.ID); got.Email != "alice.new@example.org" {
				t.Errorf("address %s", got.Email)
			}
		})
	}
}

func TestCloseAccount(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := newAcctEnv(t, engine, true)
			ctx := context.Background()
			u, c := a.logIn(t, "alice@example.org")
			bob := a.user("bob@example.org", "battery staple")
			mine := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "mine", OwnerID: u.ID}
			theirs := model.Project{Code: "bbbbbbbb-0000-4000-8000-000000000002", Name: "theirs", OwnerID: bob.ID}
			for _, p := range []*model.Project{&mine, &theirs} {
				if err := a.st.CreateProject(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			check := model.NewCheck(mine.ID, time.Now())
			if err := a.st.CreateCheck(ctx, &check, false); err != nil {
				t.Fatal(err)
			}
			if err := a.st.AddMember(ctx, theirs.ID, u.ID, model.RoleMember, time.Now()); err != nil {
				t.Fatal(err)
			}
			if resp, body := get(t, c, a.base+"/accounts/close/"); resp.StatusCode != 200 || !strings.Contains(body, `name="confirmation"`) {
				t.Fatalf("form: %d", resp.StatusCode)
			}
			for _, conf := range []string{"", "bob@example.org", "alice@example.org.evil"} {
				resp, body := post(t, c, a.base+"/accounts/close/", url.Values{"confirmation": {conf}})
				if resp.StatusCode != 400 || !strings.Contains(body, "the account stays") {
					t.Errorf("confirmation %q: %d", conf, resp.StatusCode)
				}
			}
			if _, err := a.st.UserByID(ctx, u.ID); err != nil {
				t.Fatalf("a refused close deleted the user: %v", err)
			}
			resp, _ := post(t, c, a.base+"/accounts/close/", url.Values{"confirmation": {"Alice@example.org"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/login/?account-closed=1" {
				t.Fatalf("close: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, err := a.st.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("user: %v", err)
			}
			if _, err := a.st.CheckByCode(ctx, check.Code); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("owned check: %v", err)
			}
			if _, err := a.st.ProjectByID(ctx, theirs.ID); err != nil {
				t.Errorf("bob's project: %v", err)
			}
			_, body := get(t, c, a.base+"/accounts/login/?account-closed=1")
			if !strings.Contains(body, "Your account is closed") {
				t.Error("no notice after closing")
			}
			if loggedIn(t, c, a.base) {
				t.Error("still logged in after closing")
			}
		})
	}
}

// Every state-changing account page refuses a cross-site post before it
// runs, and changes nothing.
func TestAccountPagesRefuseCrossSitePosts(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", true)
	ctx := context.Background()
	u, c := a.logIn(t, "alice@example.org")
	post(t, a.client(), a.base+"/accounts/login/", url.Values{"identity": {"alice@example.org"}})
	_, link := a.nextMail(t)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/accounts/signup/", url.Values{"identity": {"evil@example.org"}}},
		{"/accounts/login/", url.Values{"identity": {"alice@example.org"}}},
		{strings.TrimPrefix(link, a.base), nil},
		{"/accounts/set_password/", url.Values{"password": {"attacker's password"}}},
		{"/accounts/change_email/", url.Values{"email": {"evil@example.org"}}},
		{"/accounts/close/", url.Values{"confirmation": {"alice@example.org"}}},
		{"/accounts/profile/appearance/", url.Values{"theme": {"dark"}}},
	} {
		resp, _ := post(t, c, a.base+tc.path, tc.form, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", tc.path, resp.StatusCode)
		}
	}
	got, err := a.st.UserByID(ctx, u.ID)
	if err != nil || got.Password != u.Password || got.Email != u.Email || got.Theme != model.ThemeSystem {
		t.Errorf("a cross-site post changed alice: %+v, %v", got, err)
	}
	if _, err := a.st.UserByEmail(ctx, "evil@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Error("a cross-site sign-up created a user")
	}
	a.noMail(t)
	// The link was not spent by the refused post.
	if resp, _ := post(t, a.client(), link, nil); resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "bad_link") {
		t.Errorf("the link after a refused cross-site post: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAccountPagesNeedLogIn(t *testing.T) {
	t.Parallel()
	a := newAcctEnv(t, "sqlite", true)
	c := a.client()
	for _, p := range []string{"/accounts/profile/", "/accounts/profile/appearance/", "/accounts/set_password/", "/accounts/change_email/", "/accounts/close/"} {
		for _, method := range []string{"GET", "POST"} {
			if p == "/accounts/profile/" && method == "POST" {
				continue // the profile page takes no posts (yet)
			}
			req, _ := http.NewRequest(method, a.base+p, strings.NewReader("x=1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, _ := do(t, c, req)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/hc/accounts/login/?next="+url.QueryEscape(p) {
				t.Errorf("anonymous %s %s: %d %q", method, p, resp.StatusCode, loc)
			}
		}
	}
	// Oversized forms from a logged-in user: 400, nothing written.
	u, c := a.logIn(t, "alice@example.org")
	for _, p := range []string{"/accounts/profile/appearance/", "/accounts/set_password/", "/accounts/change_email/", "/accounts/close/"} {
		resp, body := post(t, c, a.base+p, url.Values{"x": {strings.Repeat("y", 70<<10)}})
		if resp.StatusCode != 400 || !strings.Contains(body, "The form is larger than 64 KB.") {
			t.Errorf("oversized %s: %d", p, resp.StatusCode)
		}
	}
	if got, err := a.st.UserByID(context.Background(), u.ID); err != nil || got != u {
		t.Errorf("oversized posts changed the user: %+v, %v", got, err)
	}
}
