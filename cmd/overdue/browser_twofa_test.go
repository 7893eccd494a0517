package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/totp"
)

// TestBrowserTwoFactor runs the second-factor pages' own script in
// Chromium with its virtual authenticator (a CTAP2 security key that the
// browser talks to as to a real one): register a key, log out, log in
// with the password and the key, and pass sudo mode with the key. It also enrols TOTP, checking that the
// QR code renders under the page's content security policy. WebAuthn
// refuses IP addresses as relying party IDs, so SITE_ROOT is
// http://localhost:<port>, as in development.
func TestBrowserTwoFactor(t *testing.T) {
	ctx := browser(t)
	vars := sqliteEnv(t)
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "admin@example.org", "--password", "correct horse"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	vars["SITE_ROOT"] = "http://localhost:" + port
	runUntilStarted(t, vars, io.Discard, "serve", "--listen", "127.0.0.1:"+port, "--roles", "web")
	base := vars["SITE_ROOT"]

	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn domain: %v", err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportUsb, AutomaticPresenceSimulation: true}}); err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}

	logInSteps := func(what string) {
		do(t, ctx, what, chromedp.Navigate(base+"/accounts/login/"), chromedp.WaitVisible(`#email`),
			chromedp.SendKeys(`#email`, "admin@example.org"), chromedp.SendKeys(`#password`, "correct horse"),
			chromedp.Submit(`#password`))
	}
	logInSteps("log in")
	do(t, ctx, "projects", chromedp.WaitVisible(`p.counts`)) // the only project's dashboard

	do(t, ctx, "register a key",
		chromedp.Navigate(base+"/accounts/two_factor/webauthn/"), chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, "Virtual key"),
		chromedp.Click(`#webauthn-form button`),
		chromedp.WaitVisible(`ul.keys`))
	if keys := value(t, ctx, "keys", chromedp.Text(`ul.keys`)); !strings.Contains(keys, "Virtual key") {
		t.Errorf("factors page lists %q", keys)
	}

	do(t, ctx, "TOTP page", chromedp.Navigate(base+"/accounts/two_factor/totp/"), chromedp.WaitVisible(`#totp-secret`))
	if !value(t, ctx, "QR code", chromedp.Evaluate[bool](`document.querySelector("img.qr").complete && document.querySelector("img.qr").naturalWidth > 0`)) {
		t.Error("the QR code image did not load")
	}
	secret := value(t, ctx, "secret", chromedp.Text(`#totp-secret`))
	code, err := totp.Code(secret, totp.Step(time.Now()))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	do(t, ctx, "confirm TOTP", chromedp.SendKeys(`#code`, code), chromedp.Submit(`#code`), chromedp.WaitVisible(`a[href$="/totp/remove/"]`))

	do(t, ctx, "log out", chromedp.Click(`header form button`), chromedp.WaitVisible(`#email`))
	logInSteps("log in again")
	do(t, ctx, "the key step", chromedp.WaitVisible(`#webauthn-form`))
	if url := value(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(url, "/accounts/login/two_factor/") {
		t.Fatalf("after the password: %s", url)
	}
	do(t, ctx, "use the key", chromedp.Click(`#webauthn-form button`), chromedp.WaitVisible(`p.counts`)) // the only project's dashboard

	// Sudo mode with the key. The server runs on the wall clock, so the
	// session's log-in is made 31 minutes old in the database; the add-key
	// page then asks to re-authenticate, and the key answers the sudo
	// page's own ceremony.
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatalf("cookies: %v", err)
	}
	var session string
	for _, c := range cookies.Cookies {
		if c.Name == "overdue_session" {
			session = c.Value
		}
	}
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if session == "" {
		t.Fatalf("no session cookie among %d", len(cookies.Cookies))
	}
	if err := st.MarkSessionAuth(context.Background(), auth.HashAPIKey(session), time.Now().Add(-31*time.Minute)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the sudo page", chromedp.Navigate(base+"/accounts/two_factor/webauthn/"),
		chromedp.WaitVisible(`#webauthn-form[action$="/accounts/sudo/"]`))
	if url := value(t, ctx, "location", chromedp.Location()); !strings.Contains(url, "/accounts/sudo/?next=") {
		t.Fatalf("the add-key page out of sudo mode: %s", url)
	}
	do(t, ctx, "sudo with the key", chromedp.Click(`#webauthn-form button`), chromedp.WaitVisible(`#name`))
	if url := value(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(url, "/accounts/two_factor/webauthn/") {
		t.Fatalf("after sudo with the key: %s", url)
	}
}
