package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/totp"
	"github.com/overdue/overdue/internal/web"
)

// clock is the injected time of the pages; tests move it by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 7, 10, 0, 5, 0, time.UTC)} }

func withClock(c *clock) func(*web.Deps) { return func(d *web.Deps) { d.Now = c.Now } }

// codeAt is the code an authenticator app shows at the clock's time plus
// the given number of steps.
func codeAt(t testing.TB, secret string, c *clock, steps int64) string {
	t.Helper()
	code, err := totp.Code(secret, totp.Step(c.Now())+steps)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func hasSession(c *http.Client, base string) bool {
	for _, ck := range c.Jar.Cookies(mustURL(base + "/")) {
		if ck.Name == "overdue_session" && ck.Value != "" {
			return true
		}
	}
	return false
}

// logIn posts the password form and returns the answer.
func logIn(t testing.TB, e *env, c *http.Client, email, password string) *http.Response {
	t.Helper()
	resp, _ := post(t, c, e.base+"/accounts/login/", url.Values{"email": {email}, "password": {password}})
	return resp
}

var secretRE = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)

// enrolTOTP turns TOTP on for the logged-in client and returns the secret.
func enrolTOTP(t testing.TB, e *env, c *http.Client, clk *clock) string {
	t.Helper()
	resp, body := get(t, c, e.base+"/accounts/two_factor/totp/")
	m := secretRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("add TOTP page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = post(t, c, e.base+"/accounts/two_factor/totp/", url.Values{"code": {codeAt(t, m[1], clk, 0)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/two_factor/" {
		t.Fatalf("confirm TOTP: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return m[1]
}

func TestTOTPEnrolLogInRemove(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			e := newEnv(t, engine, withClock(clk))
			e.user("alice@example.org", "correct horse")
			c := e.client()
			if resp := logIn(t, e, c, "alice@example.org", "correct horse"); resp.StatusCode != http.StatusSeeOther || !hasSession(c, e.base) {
				t.Fatalf("log-in without a factor: %d", resp.StatusCode)
			}

			// The enrolment page: a QR code (a real PNG) and the key; the
			// key stays the same across reloads until it is confirmed.
			resp, body := get(t, c, e.base+"/accounts/two_factor/totp/")
			m := secretRE.FindStringSubmatch(body)
			if resp.StatusCode != 200 || m == nil {
				t.Fatalf("add TOTP: %d\n%s", resp.StatusCode, body)
			}
			secret := m[1]
			qr := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
			if qr == nil {
				t.Fatalf("no QR code:\n%s", body)
			}
			if png, err := base64.StdEncoding.DecodeString(html.UnescapeString(qr[1])); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 200 {
				t.Errorf("QR code is not a PNG (%d bytes, %v)", len(png), err)
			}
			if _, body = get(t, c, e.base+"/accounts/two_factor/totp/"); !strings.Contains(body, secret) {
				t.Error("a reload drew a new secret")
			}

			for _, tc := range []struct {
				code, want string
			}{
				{"", "Enter the 6-digit code"},
				{"12345", "Enter the 6-digit code"},
				{"abcdef", "Enter the 6-digit code"},
				{"１２３４５６", "Enter the 6-digit code"},
				{codeAt(t, secret, clk, -2), "The code you entered was incorrect."},
				{codeAt(t, secret, clk, 2), "The code you entered was incorrect."},
			} {
				resp, body = post(t, c, e.base+"/accounts/two_factor/totp/", url.Values{"code": {tc.code}})
				if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
					t.Errorf("enrol with %q: %d, want 400 %q", tc.code, resp.StatusCode, tc.want)
				}
			}
			enrolCode := codeAt(t, secret, clk, 0)
			resp, _ = post(t, c, e.base+"/accounts/two_factor/totp/", url.Values{"code": {enrolCode}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirm: %d", resp.StatusCode)
			}
			if resp, _ = get(t, c, e.base+"/accounts/two_factor/totp/"); resp.StatusCode != 400 {
				t.Errorf("enrolling twice: %d, want 400", resp.StatusCode)
			}
			if _, body = get(t, c, e.base+"/accounts/two_factor/"); !strings.Contains(body, "totp/remove/") {
				t.Errorf("factors page does not show TOTP on:\n%s", body)
			}
			post(t, c, e.base+"/accounts/logout/", nil)

			// The password alone gives no session, only the second step.
			c = e.client()
			resp = logIn(t, e, c, "alice@example.org", "correct horse")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/login/two_factor/totp/" || hasSession(c, e.base) {
				t.Fatalf("password step: %d %q session=%v", resp.StatusCode, resp.Header.Get("Location"), hasSession(c, e.base))
			}
			if resp, _ = get(t, c, e.base+"/"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/" {
				t.Errorf("a pending log-in opened /: %d", resp.StatusCode)
			}
			if resp, body = get(t, c, e.base+"/accounts/login/two_factor/totp/"); resp.StatusCode != 200 || !strings.Contains(body, `name="code"`) {
				t.Errorf("TOTP step page: %d", resp.StatusCode)
			}
			// The code that confirmed the enrolment is spent.
			resp, body = post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {enrolCode}})
			if resp.StatusCode != 400 || !strings.Contains(body, "already been used") || hasSession(c, e.base) {
				t.Errorf("reused enrolment code: %d\n%s", resp.StatusCode, body)
			}
			clk.Add(30 * time.Second)
			resp, _ = post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, -2)}})
			if resp.StatusCode != 400 || hasSession(c, e.base) {
				t.Errorf("expired code: %d", resp.StatusCode)
			}
			// The previous step's code is still accepted (clock skew).
			used := codeAt(t, secret, clk, 0)
			resp, _ = post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {used}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/" || !hasSession(c, e.base) {
				t.Fatalf("TOTP step: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ = get(t, c, e.base+"/"); resp.StatusCode != 200 {
				t.Errorf("after the second step, /: %d", resp.StatusCode)
			}
			// The pending log-in is over: its page no longer answers.
			if resp, _ = get(t, c, e.base+"/accounts/login/two_factor/totp/"); resp.StatusCode != 400 {
				t.Errorf("second step page after log-in: %d, want 400", resp.StatusCode)
			}

			// Someone who watched the code cannot use it on another device.
			c2 := e.client()
			logIn(t, e, c2, "alice@example.org", "correct horse")
			resp, body = post(t, c2, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {used}})
			if resp.StatusCode != 400 || !strings.Contains(body, "already been used") || hasSession(c2, e.base) {
				t.Errorf("replayed code: %d\n%s", resp.StatusCode, body)
			}

			// Removal needs sudo mode after 30 minutes.
			clk.Add(31 * time.Minute)
			resp, _ = get(t, c, e.base+"/accounts/two_factor/totp/remove/")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/sudo/?next=%2Faccounts%2Ftwo_factor%2Ftotp%2Fremove%2F" {
				t.Fatalf("remove without sudo: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, _ = post(t, c, e.base+"/accounts/sudo/", url.Values{"code": {codeAt(t, secret, clk, 0)}, "next": {"/accounts/two_factor/totp/remove/"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/two_factor/totp/remove/" {
				t.Fatalf("sudo by TOTP: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, body = get(t, c, e.base+"/accounts/two_factor/totp/remove/"); resp.StatusCode != 200 || !strings.Contains(body, "last second factor") {
				t.Errorf("remove page: %d\n%s", resp.StatusCode, body)
			}
			if resp, _ = post(t, c, e.base+"/accounts/two_factor/totp/remove/", nil); resp.StatusCode != 200 {
				t.Errorf("remove without the confirmation field: %d, want the confirmation page", resp.StatusCode)
			}
			if resp, _ = post(t, c, e.base+"/accounts/two_factor/totp/remove/", url.Values{"disable_totp": {"1"}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("remove: %d", resp.StatusCode)
			}
			c3 := e.client()
			if resp := logIn(t, e, c3, "alice@example.org", "correct horse"); resp.Header.Get("Location") != "/hc/" || !hasSession(c3, e.base) {
				t.Errorf("after removal the password alone should do: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestSecondStepCannotBeSkipped(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, "sqlite", withClock(clk))
	e.user("alice@example.org", "correct horse")
	c := e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	secret := enrolTOTP(t, e, c, clk)
	clk.Add(time.Minute)

	// No pending log-in at all: upstream's 400.
	for _, p := range []string{"/accounts/login/two_factor/totp/", "/accounts/login/two_factor/"} {
		if resp, _ := get(t, e.client(), e.base+p); resp.StatusCode != 400 {
			t.Errorf("GET %s without a pending log-in: %d, want 400", p, resp.StatusCode)
		}
		if resp, _ := post(t, e.client(), e.base+p, url.Values{"code": {codeAt(t, secret, clk, 0)}}); resp.StatusCode != 400 {
			t.Errorf("POST %s without a pending log-in: %d, want 400", p, resp.StatusCode)
		}
	}
	// A forged pending cookie: back to the log-in form, no session.
	req, _ := http.NewRequest("POST", e.base+"/accounts/login/two_factor/totp/", strings.NewReader("code="+codeAt(t, secret, clk, 0)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "overdue_2fa", Value: "forged"})
	if resp, _ := do(t, e.client(), req); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/" {
		t.Errorf("forged pending cookie: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The wrong password gives no pending state either.
	c = e.client()
	logIn(t, e, c, "alice@example.org", "wrong")
	if resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}}); resp.StatusCode != 400 || hasSession(c, e.base) {
		t.Errorf("second step after a wrong password: %d", resp.StatusCode)
	}

	// A pending log-in lasts 5 minutes.
	c = e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	clk.Add(5*time.Minute + time.Second)
	resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/" || hasSession(c, e.base) {
		t.Errorf("expired pending log-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// next= survives the second step, and an open redirect does not.
	for next, want := range map[string]string{"/checks/x/details/": "/hc/checks/x/details/", "//evil.example/": "/hc/"} {
		clk.Add(time.Minute)
		c = e.client()
		post(t, c, e.base+"/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}, "next": {next}})
		resp, _ = post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next=%q: %d %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}

	// A logged-in user has no second step to take.
	if resp, _ := get(t, c, e.base+"/accounts/login/two_factor/totp/"); resp.StatusCode != 400 {
		t.Errorf("second step while logged in: %d", resp.StatusCode)
	}
}

func TestTOTPAttemptsAreLimited(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, "sqlite", withClock(clk))
	e.user("alice@example.org", "correct horse")
	c := e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	secret := enrolTOTP(t, e, c, clk)
	clk.Add(time.Minute)
	c = e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	wrong := codeAt(t, secret, clk, 5)
	// The enrolment's confirmation took one of the 96 daily attempts.
	for i := range 95 {
		if resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {wrong}}); resp.StatusCode != 400 {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") || hasSession(c, e.base) {
		t.Errorf("97th attempt: %d\n%s", resp.StatusCode, body)
	}
}

func TestTOTPHostileInput(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, "sqlite", withClock(clk))
	e.user("alice@example.org", "correct horse")
	c := e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	secret := enrolTOTP(t, e, c, clk)
	clk.Add(time.Minute)
	c = e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"bad encoding", "code=%zz", "The form could not be read."},
		{"oversized", "code=" + strings.Repeat("1", 8<<10), "The form could not be read."},
		{"html", "code=%3Cscript%3E", "Enter the 6-digit code"},
		{"padded", "code=+" + codeAt(t, secret, clk, 5) + "+", "incorrect"},
		{"seven digits", "code=" + codeAt(t, secret, clk, 0) + "1", "Enter the 6-digit code"},
		{"NUL", "code=%00%00%00%00%00%00", "Enter the 6-digit code"},
	} {
		req, _ := http.NewRequest("POST", e.base+"/accounts/login/two_factor/totp/", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := do(t, c, req)
		if resp.StatusCode != 400 || !strings.Contains(body, tc.want) || hasSession(c, e.base) {
			t.Errorf("%s: %d, want 400 %q", tc.name, resp.StatusCode, tc.want)
		}
	}
	// A cross-site post of a right code is refused before the view.
	resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden || hasSession(c, e.base) {
		t.Errorf("cross-site second step: %d", resp.StatusCode)
	}
	// The step still works afterwards with a good code.
	if resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("good code after hostile ones: %d", resp.StatusCode)
	}
}

func TestSudoRedirectAndReturn(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			e := newEnv(t, engine, withClock(clk))
			e.user("alice@example.org", "correct horse")
			c := e.client()
			logIn(t, e, c, "alice@example.org", "correct horse")

			// Within 30 minutes of the log-in, no question.
			clk.Add(29 * time.Minute)
			if resp, _ := get(t, c, e.base+"/accounts/two_factor/totp/"); resp.StatusCode != 200 {
				t.Fatalf("sudo page 29 minutes after log-in: %d", resp.StatusCode)
			}
			clk.Add(2 * time.Minute)
			resp, _ := get(t, c, e.base+"/accounts/two_factor/totp/")
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound || loc != "/hc/accounts/sudo/?next=%2Faccounts%2Ftwo_factor%2Ftotp%2F" {
				t.Fatalf("31 minutes after log-in: %d %q", resp.StatusCode, loc)
			}
			resp, body := get(t, c, srvURL(e)+loc)
			if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) || strings.Contains(body, `name="code"`) ||
				!strings.Contains(body, `value="/accounts/two_factor/totp/"`) {
				t.Fatalf("sudo page: %d\n%s", resp.StatusCode, body)
			}
			for _, tc := range []struct {
				name   string
				form   url.Values
				status int
				want   string
			}{
				{"wrong password", url.Values{"password": {"wrong"}}, 403, "That did not match."},
				{"no TOTP set up", url.Values{"code": {"123456"}}, 403, "That did not match."},
				{"nothing", url.Values{}, 403, "That did not match."},
				{"huge password", url.Values{"password": {strings.Repeat("x", 2000)}}, 403, "That did not match."},
			} {
				tc.form.Set("next", "/accounts/two_factor/totp/")
				resp, body = post(t, c, e.base+"/accounts/sudo/", tc.form)
				if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
					t.Errorf("%s: %d, want %d %q", tc.name, resp.StatusCode, tc.status, tc.want)
				}
			}
			if resp, _ = get(t, c, e.base+"/accounts/two_factor/totp/"); resp.StatusCode != http.StatusFound {
				t.Errorf("failed re-authentication opened the page: %d", resp.StatusCode)
			}
			// A hostile next is dropped for the factors page.
			resp, _ = post(t, c, e.base+"/accounts/sudo/", url.Values{"password": {"correct horse"}, "next": {"//evil.example/"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/two_factor/" {
				t.Errorf("sudo with hostile next: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ = get(t, c, e.base+"/accounts/two_factor/totp/"); resp.StatusCode != 200 {
				t.Errorf("after re-authentication: %d", resp.StatusCode)
			}
			// Sudo mode is per session: another device still asks.
			c2 := e.client()
			clk.Add(-20 * time.Minute) // c2 logs in "earlier", then time passes
			logIn(t, e, c2, "alice@example.org", "correct horse")
			clk.Add(31 * time.Minute)
			if resp, _ = get(t, c2, e.base+"/accounts/two_factor/totp/"); resp.StatusCode != http.StatusFound {
				t.Errorf("another session shares sudo mode: %d", resp.StatusCode)
			}
			// Anonymous: to the log-in form.
			if resp, _ = get(t, e.client(), e.base+"/accounts/sudo/"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/" {
				t.Errorf("anonymous sudo page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestSudoAttemptsAreLimited(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, "sqlite", withClock(clk))
	e.user("alice@example.org", "correct horse")
	c := e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	for i := range 10 {
		if resp, _ := post(t, c, e.base+"/accounts/sudo/", url.Values{"password": {"guess"}}); resp.StatusCode != 403 {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := post(t, c, e.base+"/accounts/sudo/", url.Values{"password": {"correct horse"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Errorf("11th attempt: %d", resp.StatusCode)
	}
}

func srvURL(e *env) string { return strings.TrimSuffix(e.base, "/hc") }

var _ = context.Background
