package accounts_test

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// clock is a settable time for the tests of links that expire.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var linkRE = regexp.MustCompile(`https://overdue\.example/accounts/(check_token/(\d+)/([A-Za-z0-9_-]+)|change_email/([^/\s]+))/(\?next=\S+)?`)

// mailLink returns the one message's subject, recipient and link.
func mailLink(t *testing.T, m smtptest.Mail) (to, subject string, link []string) {
	t.Helper()
	h, text, html, err := m.Parts()
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	link = linkRE.FindStringSubmatch(text)
	if link == nil || !strings.Contains(html, link[0]) {
		t.Fatalf("no link in both parts of the mail:\n%s\n%s", text, html)
	}
	return strings.Join(m.To, ","), subject, link
}

func TestSignUp(t *testing.T) {
	c := &clock{t0}
	forEachEngine(t, func(o *accounts.Options) { o.Clock = c.Now }, func(t *testing.T, w world) {
		ctx := context.Background()
		c.now = t0
		created, err := w.acc.SignUp(ctx, " New.User@Example.ORG ")
		if err != nil || !created {
			t.Fatalf("SignUp = %v, %v", created, err)
		}
		u, err := w.st.UserByEmail(ctx, "new.user@example.org")
		if err != nil || u.Email != "new.user@example.org" || u.IsSuperuser || u.CheckLimit != accounts.DefaultCheckLimit || u.PingLogLimit != 100 {
			t.Fatalf("user %+v, %v", u, err)
		}
		if auth.CheckPassword(u.Password, "") || auth.CheckPassword(u.Password, u.Password) {
			t.Error("a signed-up user has a usable password")
		}
		projects, err := w.st.ListProjectsOwnedBy(ctx, u.ID)
		if err != nil || len(projects) != 1 || projects[0].Name != accounts.FirstProjectName || projects[0].APIKey == "" || projects[0].PingKey == "" {
			t.Fatalf("projects %+v, %v", projects, err)
		}
		chs, err := w.st.ListChannels(ctx, projects[0].ID)
		if err != nil || len(chs) != 1 || chs[0].Kind != "email" || !chs[0].EmailVerified || chs[0].Value != `{"down":true,"up":true,"value":"new.user@example.org"}` {
			t.Errorf("the new project's integrations: %+v, %v", chs, err)
		}
		to, subject, link := mailLink(t, <-w.smtp.Received())
		if to != "new.user@example.org" || subject != "Log in to Overdue" || link[2] != strconv.FormatInt(u.ID, 10) {
			t.Errorf("mail to %s %q, link %q", to, subject, link[0])
		}
		got, err := w.acc.UseLoginLink(ctx, u.ID, link[3])
		if err != nil || got.ID != u.ID {
			t.Errorf("UseLoginLink = %+v, %v", got, err)
		}
		if _, err := w.acc.UseLoginLink(ctx, u.ID, link[3]); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("second use: %v", err)
		}

		// An existing address gets a login link and nothing else.
		created, err = w.acc.SignUp(ctx, "NEW.USER@example.org")
		if err != nil || created {
			t.Errorf("second SignUp = %v, %v", created, err)
		}
		if projects, _ := w.st.ListProjectsOwnedBy(ctx, u.ID); len(projects) != 1 {
			t.Errorf("%d projects after a second sign-up", len(projects))
		}
		if to, _, link := mailLink(t, <-w.smtp.Received()); to != "new.user@example.org" || link[2] != strconv.FormatInt(u.ID, 10) {
			t.Errorf("second mail to %s, %q", to, link[0])
		}

		// An address too long for an email integration: the account
		// without one.
		long := strings.Repeat("l", 120) + "@example.org"
		if created, err := w.acc.SignUp(ctx, long); err != nil || !created {
			t.Fatalf("SignUp(long) = %v, %v", created, err)
		}
		<-w.smtp.Received()
		lu, _ := w.st.UserByEmail(ctx, long)
		lps, _ := w.st.ListProjectsOwnedBy(ctx, lu.ID)
		if len(lps) != 1 {
			t.Fatalf("long address: %d projects", len(lps))
		}
		if chs, _ := w.st.ListChannels(ctx, lps[0].ID); len(chs) != 0 {
			t.Errorf("long address: %d integrations", len(chs))
		}

		for _, bad := range []string{"", "no-at", "a b@example.org", strings.Repeat("x", 250) + "@example.org", "a\x00@example.org"} {
			if _, err := w.acc.SignUp(ctx, bad); !errors.Is(err, accounts.ErrInvalidEmail) {
				t.Errorf("SignUp(%.20q) = %v", bad, err)
			}
		}
		if n := len(w.smtp.Mails()); n != 3 {
			t.Errorf("%d mails, want 3", n)
		}
	})
}

func TestSignUpWithoutMailer(t *testing.T) {
	forEachEngine(t, func(o *accounts.Options) { o.Mailer = nil }, func(t *testing.T, w world) {
		ctx := context.Background()
		if w.acc.CanEmail() {
			t.Error("CanEmail without a mailer")
		}
		if _, err := w.acc.SignUp(ctx, "a@example.org"); !errors.Is(err, accounts.ErrNoMailer) {
			t.Errorf("SignUp = %v", err)
		}
		noUser(t, w.st, "a@example.org")
		if err := w.acc.SendLoginLink(ctx, "a@example.org", ""); !errors.Is(err, accounts.ErrNoMailer) {
			t.Errorf("SendLoginLink = %v", err)
		}
	})
	// A mailer without EMAIL_HOST cannot send either.
	forEachEngine(t, func(o *accounts.Options) { o.Mailer = mailer.New(mailer.Config{}) }, func(t *testing.T, w world) {
		if w.acc.CanEmail() {
			t.Error("CanEmail with an unconfigured mailer")
		}
		if _, err := w.acc.SignUp(context.Background(), "a@example.org"); !errors.Is(err, accounts.ErrNoMailer) {
			t.Errorf("SignUp = %v", err)
		}
	})
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoginLinks(t *testing.T) {
	c := &clock{t0}
	forEachEngine(t, func(o *accounts.Options) { o.Clock = c.Now }, func(t *testing.T, w world) {
		ctx := context.Background()
		c.now = t0
		alice := model.User{Email: "alice@example.org", Password: auth.UnusablePassword()}
		bob := model.User{Email: "bob@example.org", Password: auth.UnusablePassword()}
		for _, u := range []*model.User{&alice, &bob} {
			if err := w.st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		// Unknown and malformed addresses: no error, no mail.
		for _, a := range []string{"nobody@example.org", "not an address", strings.Repeat("x", 300)} {
			if err := w.acc.SendLoginLink(ctx, a, ""); err != nil {
				t.Errorf("SendLoginLink(%.20q) = %v", a, err)
			}
		}
		if err := w.acc.SendLoginLink(ctx, "ALICE@example.org", "/projects/x/checks/?a=1&b=2"); err != nil {
			t.Fatal(err)
		}
		to, _, link := mailLink(t, <-w.smtp.Received())
		if to != "alice@example.org" || link[5] != "?next=%2Fprojects%2Fx%2Fchecks%2F%3Fa%3D1%26b%3D2" {
			t.Errorf("mail to %s, link %q", to, link[0])
		}
		if n := len(w.smtp.Mails()); n != 1 {
			t.Errorf("%d mails, want only alice's", n)
		}
		// Another user's id in the link: refused, and the token is spent.
		if _, err := w.acc.UseLoginLink(ctx, bob.ID, link[3]); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("bob with alice's token: %v", err)
		}
		if _, err := w.acc.UseLoginLink(ctx, alice.ID, link[3]); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("alice after the token was spent: %v", err)
		}
		// Expiry: an hour.
		for _, tc := range []struct {
			age time.Duration
			ok  bool
		}{{59 * time.Minute, true}, {time.Hour, false}} {
			c.now = t0
			if err := w.acc.SendLoginLink(ctx, "alice@example.org", ""); err != nil {
				t.Fatal(err)
			}
			_, _, link := mailLink(t, <-w.smtp.Received())
			c.now = t0.Add(tc.age)
			_, err := w.acc.UseLoginLink(ctx, alice.ID, link[3])
			if (err == nil) != tc.ok {
				t.Errorf("link used after %v: %v", tc.age, err)
			}
		}
		for _, tok := range []string{"", "forged", strings.Repeat("x", 101)} {
			if _, err := w.acc.UseLoginLink(ctx, alice.ID, tok); !errors.Is(err, accounts.ErrBadLink) {
				t.Errorf("token %.10q: %v", tok, err)
			}
		}
	})
}

func TestSetPassword(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		u := model.User{Email: "alice@example.org", Password: auth.UnusablePassword()}
		if err := w.st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"current", "other"} {
			if err := w.st.CreateSession(ctx, s, u.ID, t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		link, err := w.acc.LoginLink(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			pw   string
			want error
		}{{"short", accounts.ErrPasswordTooShort}, {strings.Repeat("x", 1025), accounts.ErrPasswordTooLong}} {
			if err := w.acc.SetPassword(ctx, u.ID, tc.pw, "current"); !errors.Is(err, tc.want) {
				t.Errorf("SetPassword(%.10q) = %v, want %v", tc.pw, err, tc.want)
			}
		}
		if _, _, err := w.st.SessionUser(ctx, "other", t0); err != nil {
			t.Errorf("a refused password ended a session: %v", err)
		}
		if err := w.acc.SetPassword(ctx, u.ID, "correct horse", "current"); err != nil {
			t.Fatal(err)
		}
		got, _ := w.st.UserByID(ctx, u.ID)
		if !auth.CheckPassword(got.Password, "correct horse") {
			t.Error("the new password does not verify")
		}
		if _, _, err := w.st.SessionUser(ctx, "current", t0); err != nil {
			t.Errorf("the current session ended: %v", err)
		}
		if _, _, err := w.st.SessionUser(ctx, "other", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another session survived: %v", err)
		}
		token := link[strings.LastIndex(strings.TrimSuffix(link, "/"), "/")+1 : len(link)-1]
		if _, err := w.acc.UseLoginLink(ctx, u.ID, token); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("a login link survived the password change: %v", err)
		}
	})
}

func TestChangeEmail(t *testing.T) {
	c := &clock{t0}
	forEachEngine(t, func(o *accounts.Options) { o.Clock = c.Now }, func(t *testing.T, w world) {
		ctx := context.Background()
		c.now = t0
		alice := model.User{Email: "alice@example.org", Password: auth.UnusablePassword()}
		bob := model.User{Email: "bob@example.org", Password: auth.UnusablePassword()}
		for _, u := range []*model.User{&alice, &bob} {
			if err := w.st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.acc.RequestEmailChange(ctx, alice, "Bob@Example.org"); !errors.Is(err, accounts.ErrEmailTaken) || err.Error() != "bob@example.org is already registered" {
			t.Errorf("taken: %v", err)
		}
		if err := w.acc.RequestEmailChange(ctx, alice, "nope"); !errors.Is(err, accounts.ErrInvalidEmail) {
			t.Errorf("invalid: %v", err)
		}
		if n := len(w.smtp.Mails()); n != 0 {
			t.Fatalf("%d mails for refused changes", n)
		}

		request := func(address string) string {
			t.Helper()
			if err := w.acc.RequestEmailChange(ctx, alice, address); err != nil {
				t.Fatal(err)
			}
			to, subject, link := mailLink(t, <-w.smtp.Received())
			if to != strings.ToLower(address) || subject != "Confirm your new email address for Overdue" || link[4] == "" {
				t.Fatalf("mail to %s %q: %q", to, subject, link[0])
			}
			return link[4]
		}
		signed := request("Alice.New@example.org")
		if got, _ := w.st.UserByID(ctx, alice.ID); got.Email != "alice@example.org" {
			t.Errorf("the address changed before the link was followed: %s", got.Email)
		}
		// Tampered: another address in the payload, or a bad signature.
		for _, bad := range []string{"", "x", signed + "x", strings.Replace(signed, signed[:4], "AAAA", 1), strings.Repeat("a", 3000)} {
			if _, err := w.acc.ConfirmEmailChange(ctx, bad); !errors.Is(err, accounts.ErrBadLink) {
				t.Errorf("ConfirmEmailChange(%.20q) = %v", bad, err)
			}
		}
		got, err := w.acc.ConfirmEmailChange(ctx, signed)
		if err != nil || got.ID != alice.ID || got.Email != "alice.new@example.org" {
			t.Fatalf("ConfirmEmailChange = %+v, %v", got, err)
		}
		if _, err := w.acc.ConfirmEmailChange(ctx, signed); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("second use: %v", err)
		}
		alice = got

		// Expired after 15 minutes.
		signed = request("alice.3@example.org")
		c.now = t0.Add(accounts.EmailChangeLinkAge + time.Second)
		if _, err := w.acc.ConfirmEmailChange(ctx, signed); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("expired: %v", err)
		}
		c.now = t0

		// Taken between the request and the click.
		signed = request("carol@example.org")
		carol := model.User{Email: "Carol@example.org", Password: auth.UnusablePassword()}
		if err := w.st.CreateUser(ctx, &carol); err != nil {
			t.Fatal(err)
		}
		if _, err := w.acc.ConfirmEmailChange(ctx, signed); !errors.Is(err, accounts.ErrBadLink) || !errors.Is(err, accounts.ErrEmailTaken) {
			t.Errorf("taken since: %v", err)
		}
		if got, _ := w.st.UserByID(ctx, alice.ID); got.Email != "alice.new@example.org" {
			t.Errorf("address %s after refused changes", got.Email)
		}
	})
}

// The token inside a change-email link is no login link.
func TestChangeEmailTokenIsNoLoginLink(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		u := model.User{Email: "alice@example.org", Password: auth.UnusablePassword()}
		if err := w.st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		if err := w.acc.RequestEmailChange(ctx, u, "new@example.org"); err != nil {
			t.Fatal(err)
		}
		_, _, link := mailLink(t, <-w.smtp.Received())
		value, _, err := auth.TimestampUnsign("secret", "overdue.accounts.change_email", link[4])
		if err != nil {
			t.Fatal(err)
		}
		tok := regexp.MustCompile(`"t":"([^"]+)"`).FindStringSubmatch(decodeB64(t, value))
		if tok == nil {
			t.Fatalf("no token in %s", decodeB64(t, value))
		}
		if _, err := w.acc.UseLoginLink(ctx, u.ID, tok[1]); !errors.Is(err, accounts.ErrBadLink) {
			t.Errorf("the change-email token logged in: %v", err)
		}
	})
}

func TestThemeAndClose(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", model.ThemeLight}, {"light", model.ThemeLight}, {"dark", model.ThemeDark}, {"system", model.ThemeSystem},
		{"Dark", ""}, {"<b>", ""}, {"system ", ""},
	} {
		got, err := accounts.CheckTheme(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") || (err != nil && !errors.Is(err, accounts.ErrTheme)) {
			t.Errorf("CheckTheme(%q) = %q, %v", tc.in, got, err)
		}
	}
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		u, _, err := w.acc.CreateSuperuser(ctx, "admin@example.org", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.acc.SetTheme(ctx, u.ID, "dark"); err != nil {
			t.Fatal(err)
		}
		if err := w.acc.SetTheme(ctx, u.ID, "neon"); !errors.Is(err, accounts.ErrTheme) {
			t.Errorf("SetTheme(neon) = %v", err)
		}
		if got, _ := w.st.UserByID(ctx, u.ID); got.Theme != model.ThemeDark {
			t.Errorf("theme %q", got.Theme)
		}
		if err := w.acc.CloseAccount(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		noUser(t, w.st, "admin@example.org")
		if ps, _ := w.st.ListProjectsOwnedBy(ctx, u.ID); len(ps) != 0 {
			t.Errorf("%d projects left", len(ps))
		}
		if err := w.acc.CloseAccount(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("closing again: %v", err)
		}
	})
}

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Alice@Example.org", "alice@example.org"},
		{"a.l.i.c.e+tag@example.org", "alice@example.org"},
		{" alice+a+b@example.org ", "alice@example.org"},
		{"no-at-sign", "no-at-sign"},
		{"x.y@a.b.c", "xy@a.b.c"},
	} {
		if got := accounts.NormalizeEmail(tc.in); got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
