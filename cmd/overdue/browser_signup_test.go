package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/overdue/overdue/internal/mailer/smtptest"
)

// signupLinkRE is the login link of a sign-up email, on the child's own
// address (no SITE_ROOT: the links follow the listen address).
var signupLinkRE = regexp.MustCompile(`https?://[^\s/]+/accounts/check_token/\d+/[A-Za-z0-9_-]+/(?:\?next=\S+)?`)

// TestBrowserSignUp: with REGISTRATION_OPEN, a newcomer signs up in the
// browser from the log-in page; the login link arrives by email (an SMTP
// server in the test), the browser opens it, confirms, and lands logged in
// on the new account's project, which has an email integration.
func TestBrowserSignUp(t *testing.T) {
	ctx := browser(t)
	smtp := smtptest.Start(t, smtptest.Options{})
	vars := sqliteEnv(t)
	vars["REGISTRATION_OPEN"] = "True"
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["EMAIL_USE_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "False"
	vars["DEFAULT_FROM_EMAIL"] = "overdue@example.org"
	_, base := serveChild(t, vars)

	const email = "newcomer@example.org"
	do(t, ctx, "open the sign-up page from the log-in page",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(`a[href$="/accounts/signup/"]`),
		chromedp.Click(`a[href$="/accounts/signup/"]`), chromedp.WaitVisible(`#identity`),
	)
	do(t, ctx, "sign up",
		chromedp.SendKeys(`#identity`, email),
		chromedp.Submit(`#identity`),
		// The answer replaces the form (both pages have a main h1).
		chromedp.WaitNotPresent(`#identity`),
		chromedp.WaitVisible(`main h1`),
	)
	if h := value(t, ctx, "after sign-up", chromedp.Text(`main`)); !strings.Contains(h, "A login link is on its way to "+email) {
		t.Fatalf("after sign-up the page says %q", h)
	}

	var link string
	select {
	case m := <-smtp.Received():
		if len(m.To) != 1 || m.To[0] != email {
			t.Fatalf("the sign-up mail went to %v", m.To)
		}
		_, text, _, err := m.Parts()
		if err != nil {
			t.Fatal(err)
		}
		if link = signupLinkRE.FindString(text); link == "" {
			t.Fatalf("no login link in the mail:\n%s", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no sign-up mail arrived")
	}
	if !strings.HasPrefix(link, base+"/") {
		t.Fatalf("the mailed link %q is not on the server %s", link, base)
	}

	// The link shows a button (so that mail scanners do not spend it);
	// pressing it logs in and opens the new account's only project.
	do(t, ctx, "open the login link", chromedp.Navigate(link), chromedp.WaitVisible(`main form button`))
	do(t, ctx, "confirm", chromedp.Click(`main form button`), chromedp.WaitVisible(`.projectnav`))
	loc := value(t, ctx, "location", chromedp.Location())
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `/projects/([0-9a-f-]{36})/checks/$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after the login link the browser is at %q, want the new project's checks", loc)
	}
	if h := value(t, ctx, "heading", chromedp.Text(`main h1`)); !strings.HasPrefix(h, "My Project") {
		t.Errorf("the new project is called %q", h)
	}
	if who := value(t, ctx, "who", chromedp.Text(`header .who`)); who != email {
		t.Errorf("logged in as %q", who)
	}
	do(t, ctx, "integrations", chromedp.Navigate(base+"/projects/"+m[1]+"/integrations/"), chromedp.WaitVisible(`table.integrations`))
	if list := value(t, ctx, "integrations", chromedp.Text(`table.integrations tbody`)); !strings.HasPrefix(strings.TrimSpace(list), "Email") {
		t.Errorf("the new project has no email integration:\n%s", list)
	}

	// The link worked once: opening it again does not log in anew.
	do(t, ctx, "log out", chromedp.Navigate(base+"/accounts/profile/"), chromedp.WaitVisible(`header form button`),
		chromedp.Click(`header form button`), chromedp.WaitVisible(`#email`))
	do(t, ctx, "the spent link", chromedp.Navigate(link), chromedp.WaitVisible(`main form button`),
		chromedp.Click(`main form button`), chromedp.WaitVisible(`#email`))
	if loc := value(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/accounts/login/") {
		t.Errorf("a spent login link led to %q", loc)
	}
}
