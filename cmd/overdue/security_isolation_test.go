package main

// Threat: a user or an API key of project A reads or changes project B by
// putting B's codes in a URL. Every UI route on a project, check or
// channel answers 404, the same as for a code that does not exist; every
// Management API route answers as upstream does for another project's
// codes; and B is unchanged. Both route lists come from the routers.

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
)

func TestSecurityProjectIsolationUI(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	alice := s.login("alice")
	// B's check has a ping, so that its ping pages exist.
	if resp, _ := s.send(http.DefaultClient, "POST", "/ping/"+s.b.check, strings.NewReader("bravo-output"), nil); resp.StatusCode != 200 {
		t.Fatalf("ping B: %d", resp.StatusCode)
	}
	bobsKey := s.securityKey(s.b)
	before := s.snapshot()
	for _, r := range s.routesWhere("object or account", func(r route) bool { sc := s.scopes(r); return sc[inProject] || sc[ofUser] }) {
		path := s.fill(r, s.b)
		// Another user's security key: upstream's 400, the same as for a
		// key that does not exist.
		refused := map[int]bool{http.StatusNotFound: true}
		if !s.scopes(r)[inProject] {
			refused[http.StatusBadRequest] = true
		}
		for _, method := range r.methods() {
			var resp *http.Response
			var body string
			if method == "GET" {
				resp, body = s.get(alice, path)
			} else {
				resp, body = s.postForm(alice, path, url.Values{"name": {"stolen"}}, nil)
			}
			// A POST-only page may answer GET with upstream's 405, which shows nothing.
			if !refused[resp.StatusCode] && !(method == "GET" && resp.StatusCode == http.StatusMethodNotAllowed) {
				t.Errorf("alice %s %s (bob's): %d %.200q, want %v", method, path, resp.StatusCode, body, refused)
			}
			for _, secret := range []string{"Bravo", "bravo-check", s.b.keys.PingKey} {
				if strings.Contains(body, secret) {
					t.Errorf("alice %s %s shows B's %q", method, path, secret)
				}
			}
		}
	}
	// Her own check with B's channel: refused without a change.
	resp, body := s.postForm(alice, "/checks/"+s.a.check+"/channels/"+s.b.channel+"/enabled", url.Values{"state": {"on"}}, nil)
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
		t.Errorf("A's check, B's channel: %d %.200q", resp.StatusCode, body)
	}
	// B's project as the target of a transfer of her check.
	resp, body = s.postForm(alice, "/checks/"+s.a.check+"/transfer/", url.Values{"project": {s.b.Code}}, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("transfer of A's check into B: %d %.200q, want 400", resp.StatusCode, body)
	}
	// B's check named in the form of A's channel.
	s.postForm(alice, "/integrations/"+s.a.channel+"/checks/", url.Values{"check-" + s.a.check: {"on"}, "check-" + s.b.check: {"on"}}, nil)
	if after := s.snapshot(); after != before {
		t.Errorf("alice changed data through B's codes: %s", snapDiff(before, after))
	}
	if keys, err := s.st.WebAuthnCredentials(context.Background(), s.owner["bob"].ID); err != nil || len(keys) != 1 || keys[0].Code != bobsKey {
		t.Errorf("bob's security key after alice's requests: %+v %v", keys, err)
	}
}

// Threat: a link sent by email (a login link, a change-email link) is
// made to act for another account, or forged. Every route with such a
// parameter (paramFixtures' bearer scope), from the router, is posted
// with alice's link mixed with a part of bob's and with a tampered link:
// no session, no change. The control: the real links work.
func TestSecuritySignedLinksAreBound(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	routes := s.routesWhere("signed link", func(r route) bool { return r.method == "POST" && s.scopes(r)[bearer] })
	loggedIn := func(c *http.Client) bool {
		resp, _ := s.get(c, "/accounts/profile/")
		return resp.StatusCode == http.StatusOK
	}
	before := s.snapshot()
	for _, r := range routes {
		// Alice's link with one of its parts made for bob.
		var tries []string
		for i := range len(r.params) {
			if len(r.params) > 1 {
				tries = append(tries, s.fillMixed(r, s.a, s.b, i))
			}
		}
		// A tampered link: one character in the middle of its last part.
		real := s.fill(r, s.a)
		start := strings.LastIndex(strings.TrimSuffix(real, "/"), "/") + 1
		mid := start + (len(real)-1-start)/2
		flip := byte('A')
		if real[mid] == 'A' {
			flip = 'B'
		}
		tries = append(tries, real[:mid]+string(flip)+real[mid+1:])
		for _, path := range tries {
			c := cookieClient()
			resp, body := s.postForm(c, path, nil, nil)
			if resp.StatusCode >= 500 || loggedIn(c) {
				t.Errorf("%s as %s: %d %.200q, and a session: %v", r.pattern, path, resp.StatusCode, body, loggedIn(c))
			}
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("mixed or tampered links changed data: %s", snapDiff(before, after))
	}
	for _, r := range routes { // last: a real change-email link changes alice's address
		c := cookieClient()
		path := s.fill(r, s.a)
		if resp, body := s.postForm(c, path, nil, nil); !loggedIn(c) {
			t.Errorf("control %s as %s: %d %.200q and no session: the fixture does not reach the page", r.pattern, path, resp.StatusCode, body)
		}
	}
}

// apiKeyless are the Management API routes that take no API key, and why
// that is safe. A new route that answers without a key fails the test
// until it is listed here.
var apiKeyless = map[string]string{
	"status/":                             "upstream's health check: says OK, shows nothing",
	"metrics/":                            "the operator's counters, behind METRICS_KEY (403 without it)",
	"bounces/":                            "the mail provider's bounce hook: finds the message by its signed Message-ID",
	"notifications/{notification}/status": "a provider's delivery callback: the notification's random UUID is the secret, as upstream",
}

// apiParam is what a parameter of an API route stands for in the
// isolation test: project p's objects (p is B's, the key A's).
func apiParam(p secProject, name string) (string, bool) {
	switch name {
	case "check":
		return p.check, true
	case "unique_key":
		return uniqueKey(p.check), true
	case "n": // B's check has one ping
		return "1", true
	case "notification": // keyless; any UUID reaches the handler
		return "7d1e8b5c-5b6a-4f4e-8a61-2f1d2a3b4c5d", true
	}
	return "", false
}

// apiRoute is one of api.(*API).Routes, split.
type apiRoute struct {
	pattern, method, path, rest string // rest: the path after /api/vN/
	params                      []string
}

func parseAPIRoute(p string) apiRoute {
	r := apiRoute{pattern: p, path: p}
	if m, rest, ok := strings.Cut(p, " "); ok {
		r.method, r.path = m, rest
	}
	r.rest = r.path[len("/api/v1/"):]
	for _, seg := range strings.Split(r.path, "/") {
		if strings.HasPrefix(seg, "{") {
			r.params = append(r.params, strings.Trim(seg, "{}"))
		}
	}
	return r
}

// fill makes r's path for project p; an unknown parameter fails t.
func (r apiRoute) fill(t *testing.T, p secProject) string {
	t.Helper()
	path := r.path
	for _, name := range r.params {
		v, ok := apiParam(p, name)
		if !ok {
			t.Fatalf("API route %s: no fixture for {%s}: say in apiParam (security_isolation_test.go) which object of project B it names", r.pattern, name)
		}
		path = strings.Replace(path, "{"+name+"}", v, 1)
	}
	return path
}

func uniqueKey(code string) string {
	c := model.Check{Code: code}
	return c.UniqueKey()
}

// Every Management API route (from the router), with project A's keys and
// project B's codes: upstream's 403 for another project's UUID, 404 for a
// unique_key it does not hold, 401 for a read-only key where a read-write
// one is needed; the lists show only A's, a new check cannot take B's
// channel, and B is unchanged.
func TestSecurityProjectIsolationAPI(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(engine, func(t *testing.T) {
			s := newSecApp(t, engine, nil)
			// B's check has a ping with a body, so that pings/1/body exists.
			if resp, _ := s.send(http.DefaultClient, "POST", "/ping/"+s.b.check, strings.NewReader("bravo-secret-output"), nil); resp.StatusCode != 200 {
				t.Fatalf("ping B: %d", resp.StatusCode)
			}
			before := s.snapshot()
			body := `{"name": "stolen", "channels": "` + s.b.channel + `"}`
			call := func(method, path, key string) (*http.Response, string) {
				hdr := map[string]string{"Content-Type": "application/json"}
				if key != "" {
					hdr["X-Api-Key"] = key
				}
				var rd io.Reader
				if method != "GET" {
					rd = strings.NewReader(body)
				}
				return s.send(http.DefaultClient, method, path, rd, hdr)
			}
			for _, p := range s.apiRoutes {
				rt := parseAPIRoute(p)
				path := rt.fill(t, s.b)
				methods := []string{rt.method}
				if rt.method == "" {
					methods = []string{"GET", "POST"}
				}
				for _, method := range methods {
					resp, text := call(method, path, "")
					keyed := resp.StatusCode == http.StatusUnauthorized && strings.Contains(text, "missing api key")
					if why, listed := apiKeyless[rt.rest]; listed != !keyed {
						t.Errorf("%s %s without a key: %d %.100q; listed as keyless (%q): %v; a route without a key check must be listed in apiKeyless with the reason it is safe",
							method, path, resp.StatusCode, text, why, listed)
					}
					if !keyed {
						continue
					}
					// The control: does B's own read-only key do here?
					resp, _ = call(method, rt.fill(t, s.b), s.b.keys.APIKeyReadonly)
					needsWrite := resp.StatusCode == http.StatusUnauthorized
					for _, key := range []string{s.a.keys.APIKey, s.a.keys.APIKeyReadonly} {
						resp, text := call(method, path, key)
						var want int
						switch {
						case key == s.a.keys.APIKeyReadonly && needsWrite:
							want = http.StatusUnauthorized
						case slices.Contains(rt.params, "check"):
							want = http.StatusForbidden
						case slices.Contains(rt.params, "unique_key"):
							want = http.StatusNotFound
						case method == "GET": // a list: A's own
							want = http.StatusOK
						default: // a new check: B's channel is not A's
							want = http.StatusBadRequest
						}
						leaks := strings.Contains(text, "bravo") || strings.Contains(text, s.b.check) || strings.Contains(text, s.b.channel) && want != http.StatusBadRequest
						if resp.StatusCode != want || leaks {
							t.Errorf("%s %s with A's key: %d %.200q, want %d without B's data", method, path, resp.StatusCode, text, want)
						}
					}
				}
			}
			if after := s.snapshot(); after != before {
				t.Errorf("A's key changed B: %s", snapDiff(before, after))
			}
			// The control: the same routes with B's own key find the check.
			resp, text := s.send(http.DefaultClient, "GET", "/api/v3/checks/"+uniqueKey(s.b.check), nil, map[string]string{"X-Api-Key": s.b.keys.APIKeyReadonly})
			if resp.StatusCode != 200 || !strings.Contains(text, "bravo-check") {
				t.Errorf("control: B's key by unique_key: %d %.200s", resp.StatusCode, text)
			}
			resp, text = s.send(http.DefaultClient, "GET", "/api/v3/checks/"+s.b.check+"/pings/1/body", nil, map[string]string{"X-Api-Key": s.b.keys.APIKey})
			if resp.StatusCode != 200 || !strings.Contains(text, "bravo-secret-output") {
				t.Errorf("control: B's ping body: %d %.200s", resp.StatusCode, text)
			}
		})
	}
}
