package main

// Threats against the session: a session id planted in the victim's
// browser before log-in (fixation), a session that outlives log-out,
// password guessing (rate limits), cookies readable by script or sent in
// clear behind TLS, and the log-in form's next= sending the user to
// another site (open redirect).

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sessionToken is the value of the last overdue_session cookie that resp
// sets (a stale one is cleared first), or "".
func sessionToken(resp *http.Response) string {
	token := ""
	for _, c := range resp.Cookies() {
		if c.Name == "overdue_session" {
			token = c.Value
		}
	}
	return token
}

// withSession sends a request with the given session cookie only.
func (s *secApp) withSession(token, path string) *http.Response {
	s.t.Helper()
	resp, _ := s.send(noRedirects, "GET", path, nil, map[string]string{"Cookie": "overdue_session=" + token})
	return resp
}

func TestSecuritySessionFixation(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	home := "/projects/" + s.a.Code + "/checks/"
	// An attacker's own valid session, planted in alice's browser.
	resp, _ := s.postForm(noRedirects, "/accounts/login/", url.Values{"email": {"bob@example.org"}, "password": {secPassword}}, nil)
	bobToken := sessionToken(resp)
	if bobToken == "" {
		t.Fatal("bob's log-in set no session")
	}
	for _, planted := range []string{"attacker-chosen-value-0123456789abcdefghijk", bobToken} {
		u, _ := url.Parse(s.base)
		c := cookieClient()
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "overdue_session", Value: planted, Path: "/"}})
		resp, _ := s.postForm(c, "/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {secPassword}}, nil)
		got := sessionToken(resp)
		if resp.StatusCode != http.StatusSeeOther || got == "" || got == planted {
			t.Fatalf("log-in with a planted cookie: %d, new token %q (planted %q)", resp.StatusCode, got, planted)
		}
		if r := s.withSession(got, home); r.StatusCode != 200 {
			t.Errorf("the new session does not open alice's project: %d", r.StatusCode)
		}
		// The planted value did not become alice's session.
		if r := s.withSession(planted, home); r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusFound {
			t.Errorf("the planted cookie %q opens alice's project: %d", planted, r.StatusCode)
		}
	}
	// Log-out ends the session on the server, not only in the browser.
	c := s.login("alice")
	u, _ := url.Parse(s.base)
	var token string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "overdue_session" {
			token = ck.Value
		}
	}
	if resp, _ := s.postForm(c, "/accounts/logout/", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log out: %d", resp.StatusCode)
	}
	if r := s.withSession(token, home); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "/accounts/login/") {
		t.Errorf("a logged-out session still works: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// fromAddr is a client whose connections come from the loopback address ip
// (127.0.0.0/8 is all this machine's), so a test can be several clients.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestSecurityLoginRateLimits(t *testing.T) {
	t.Parallel()
	login := func(s *secApp, from, email, password string) *http.Response {
		t.Helper()
		resp, _ := s.postForm(fromAddr(from), "/accounts/login/", url.Values{"email": {email}, "password": {password}}, nil)
		return resp
	}
	t.Run("per email", func(t *testing.T) {
		s := newSecApp(t, "sqlite", nil)
		for i := range 20 {
			if r := login(s, "127.0.0."+strconv.Itoa(10+i), "alice@example.org", "guess"); r.StatusCode != http.StatusForbidden {
				t.Fatalf("guess %d: %d, want 403", i+1, r.StatusCode)
			}
		}
		// The 21st attempt on alice's email is refused, the right password too,
		// from an address that has not tried before; another email still works.
		r := login(s, "127.0.0.50", "ALICE@example.org", secPassword)
		if r.StatusCode != http.StatusTooManyRequests || sessionToken(r) != "" {
			t.Errorf("21st attempt on alice: %d, session %q; want 429 and none", r.StatusCode, sessionToken(r))
		}
		if r := login(s, "127.0.0.50", "rita@example.org", secPassword); r.StatusCode != http.StatusSeeOther {
			t.Errorf("rita after alice's limit: %d, want 303", r.StatusCode)
		}
	})
	t.Run("per address", func(t *testing.T) {
		s := newSecApp(t, "sqlite", nil)
		for i := range 20 {
			if r := login(s, "127.0.0.2", "nobody"+strconv.Itoa(i)+"@example.org", "guess"); r.StatusCode != http.StatusForbidden {
				t.Fatalf("guess %d: %d, want 403", i+1, r.StatusCode)
			}
		}
		if r := login(s, "127.0.0.2", "alice@example.org", secPassword); r.StatusCode != http.StatusTooManyRequests || sessionToken(r) != "" {
			t.Errorf("21st attempt from 127.0.0.2: %d, want 429 and no session", r.StatusCode)
		}
		if r := login(s, "127.0.0.3", "alice@example.org", secPassword); r.StatusCode != http.StatusSeeOther {
			t.Errorf("alice from another address: %d, want 303", r.StatusCode)
		}
	})
}

func TestSecurityCookieFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		siteRoot string
		secure   bool
	}{
		{"https://overdue.example.org", true},
		{"http://localhost:8000", false}, // plain-HTTP development: a Secure cookie would never come back
	} {
		t.Run(tc.siteRoot, func(t *testing.T) {
			s := newSecApp(t, "sqlite", map[string]string{"SITE_ROOT": tc.siteRoot})
			var cookies []*http.Cookie
			collect := func(resp *http.Response) {
				cookies = append(cookies, resp.Cookies()...)
			}
			resp, _ := s.get(noRedirects, "/accounts/login/")
			collect(resp)
			resp, _ = s.postForm(noRedirects, "/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {secPassword}}, nil)
			collect(resp)
			token := sessionToken(resp)
			if token == "" {
				t.Fatalf("log-in set no session: %d", resp.StatusCode)
			}
			for _, path := range []string{"/", "/projects/" + s.a.Code + "/checks/", "/checks/" + s.a.check + "/details/"} {
				collect(s.withSession(token, path))
			}
			resp, _ = s.send(noRedirects, "GET", "/", nil, map[string]string{"Cookie": "overdue_session=stale-session-value"}) // cleared
			collect(resp)
			resp, _ = s.send(noRedirects, "POST", "/accounts/logout/", nil, map[string]string{"Cookie": "overdue_session=" + token})
			collect(resp)
			if len(cookies) < 3 {
				t.Fatalf("only %d cookies seen", len(cookies))
			}
			for _, c := range cookies {
				if c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
					t.Errorf("cookie %s: Secure=%v HttpOnly=%v SameSite=%v; want Secure=%v, HttpOnly, SameSite Lax or Strict", c.Name, c.Secure, c.HttpOnly, c.SameSite, tc.secure)
				}
			}
		})
	}
}

func TestSecurityLoginNextIsNeverAnotherSite(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	own := "/projects/" + s.a.Code + "/checks/?tag=a"
	// Without a usable next, alice (one project) lands on its checks, as
	// upstream: never on another site.
	home := "/projects/" + s.a.Code + "/checks/"
	cases := []struct{ next, want string }{
		{own, own},
		{"/", "/"},
		{"", home},
		{"//evil.example/", home},
		{"///evil.example", home},
		{"/\\evil.example", home},
		{"\\\\evil.example", home},
		{"/\\/evil.example", home},
		{"https://evil.example/", home},
		{"http:evil.example", home},
		{"javascript:alert(1)", home},
		{"evil.example", home},
		{" //evil.example", home},
		{"/\t/evil.example", home},
		{"/\r\nLocation: https://evil.example", home},
		{"//@evil.example", home},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"}, // a path here: browsers do not decode it
		{"/" + strings.Repeat("a", 2000), home},
	}
	for i, tc := range cases {
		from := "127.0.0." + strconv.Itoa(10+i) // one attempt per address and below the email's 20
		resp, body := s.postForm(fromAddr(from), "/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {secPassword}, "next": {tc.next}}, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || loc != tc.want {
			t.Errorf("next=%q: %d Location %q, want 303 %q (%.100s)", tc.next, resp.StatusCode, loc, tc.want, body)
		}
	}
	// The login page keeps a hostile next= out of its form.
	resp, body := s.get(noRedirects, "/accounts/login/?next="+url.QueryEscape("//evil.example/"))
	if resp.StatusCode != 200 || strings.Contains(body, "evil.example") {
		t.Errorf("login page with a hostile next: %d, shows it: %v", resp.StatusCode, strings.Contains(body, "evil.example"))
	}
}
