package main

// Threat: a form of another site makes a logged-in browser change
// something (CSRF); a visitor without a session, or a read-only member,
// changes something. Every unsafe route of the UI, as the router holds
// them, is tried.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// publicPOST are upstream's forms that work without a session, by path
// prefix: logging in (and its second step), signing up, the sign-up and
// login links, signed unsubscribe and email-change links, and the
// schedule previews of the landing page; and the Telegram bot's webhook,
// which Telegram's servers call. Anything else must want a login.
var publicPOST = []string{
	"/accounts/login/", "/accounts/logout/", "/accounts/signup/",
	"/accounts/check_token/", "/accounts/unsubscribe_reports/", "/accounts/change_email/{",
	"/checks/cron_preview/", "/checks/oncalendar_preview/", "/checks/validate_schedule/",
	"/integrations/telegram/bot/",
}

func isPublic(r route) bool {
	for _, p := range publicPOST {
		if strings.HasPrefix(r.path, p) {
			return true
		}
	}
	return false
}

// readOnlyMayPost are object routes a read-only member may post to on
// purpose: upstream lets any member leave a project from its settings page.
// They must still change nothing when the form asks for nothing.
var readOnlyMayPost = map[string]bool{"/projects/{code}/settings/": true}

func TestSecurityCSRFOnEveryUnsafeRoute(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	alice := s.login("alice")
	before := s.snapshot()
	for _, r := range s.routesWhere("unsafe", route.unsafe) {
		path := s.fill(r, s.a)
		for _, hdr := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"}, // a sibling subdomain is another origin too
			{"Origin": "http://evil.example"},
			{"Origin": "null"},
		} {
			resp, body := s.postForm(alice, path, url.Values{"name": {"csrf"}}, hdr)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "cross-origin request") {
				t.Errorf("%s as %s with %v: %d %.200q, want 403 from the cross-origin protection", r.pattern, path, hdr, resp.StatusCode, body)
			}
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("refused cross-origin requests changed data: %s", snapDiff(before, after))
	}
	// The control: a same-origin form gets past the protection.
	resp, body := s.postForm(alice, "/checks/cron_preview/", url.Values{"schedule": {"* * * * *"}, "tz": {"UTC"}},
		map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": s.base})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin cron preview: %d %.300s", resp.StatusCode, body)
	}
}

func TestSecurityAnonymousCannotPost(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	before := s.snapshot()
	for _, r := range s.routesWhere("unsafe", route.unsafe) {
		if isPublic(r) && s.scopes(r)[bearer] {
			continue // a real link acts for whoever holds it: TestSecuritySignedLinksAreBound
		}
		path := s.fill(r, s.a)
		resp, body := s.postForm(cookieClient(), path, url.Values{"name": {"anon"}}, nil)
		if isPublic(r) {
			continue // the snapshot below still shows it changed nothing
		}
		loc := resp.Header.Get("Location")
		login := (resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther) && strings.HasPrefix(loc, "/accounts/login/")
		if !login && resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("anonymous %s as %s: %d %q %.200q, want a redirect to the login page, 403 or 404", r.pattern, path, resp.StatusCode, loc, body)
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("anonymous requests changed data: %s", snapDiff(before, after))
	}
	// Nor can they read a project, check or channel page.
	for _, r := range s.routesWhere("object", func(r route) bool { return r.safe() && s.objectRoute(r) }) {
		path := s.fill(r, s.a)
		resp, body := s.get(cookieClient(), path)
		loc := resp.Header.Get("Location")
		refused := resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden ||
			resp.StatusCode == http.StatusMethodNotAllowed // a POST-only page's GET, as upstream's require_POST
		if !(resp.StatusCode == http.StatusFound && strings.HasPrefix(loc, "/accounts/login/")) && !refused {
			t.Errorf("anonymous GET %s: %d %q, want a redirect to the login page, 403 or 404", path, resp.StatusCode, loc)
		}
		if strings.Contains(body, "alpha-check") || strings.Contains(body, "Alpha") {
			t.Errorf("anonymous GET %s shows project A's data", path)
		}
	}
}

// A read-only member can look at project A but every form that changes
// its project, checks or channels answers 403 (or 404 where the page hides
// the object) and changes nothing. The owner's control run, on fresh
// objects, shows that the filled-in URL reaches the real page.
func TestSecurityReadOnlyMemberCannotChange(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	rita := s.login("rita")
	if resp, _ := s.get(rita, "/projects/"+s.a.Code+"/checks/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the read-only member cannot see project A: %d", resp.StatusCode)
	}
	objects := s.routesWhere("object", func(r route) bool { return r.unsafe() && s.objectRoute(r) })
	before := s.snapshot()
	for _, r := range objects {
		path := s.fill(r, s.a)
		resp, body := s.postForm(rita, path, url.Values{"name": {"ro"}}, nil)
		if readOnlyMayPost[r.path] {
			continue
		}
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("read-only member %s as %s: %d %.200q, want 403 or 404", r.pattern, path, resp.StatusCode, body)
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("a read-only member changed data: %s", snapDiff(before, after))
	}

	alice := s.login("alice")
	disabled := disabledKinds(s.vars)
	for _, r := range objects {
		if _, kind, ok := strings.Cut(r.path, "/add_"); ok && disabled[strings.Split(kind, "/")[0]] { // add_<kind>/ and add_<kind>/save/
			t.Logf("%s: no owner control (the kind is not enabled by the fixture's settings)", r.pattern)
			continue
		}
		fresh := s.project("alice", "Fresh")
		fresh.check = s.newCheck(fresh, "fresh")
		resp, body := s.postForm(alice, s.fill(r, fresh), url.Values{"name": {"owner"}}, nil)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
			t.Errorf("owner control %s as %s: %d %.200q: the fixture does not reach the page", r.pattern, s.fill(r, fresh), resp.StatusCode, body)
		}
	}
}

// The Management API authenticates by key only: a logged-in browser's
// session cookie (a cross-site form or fetch carries it) opens no API
// route, as the router lists them, and changes nothing.
func TestSecurityAPIIgnoresSessions(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	alice := s.login("alice")
	before := s.snapshot()
	for _, p := range s.apiRoutes {
		rt := parseAPIRoute(p)
		if _, keyless := apiKeyless[rt.rest]; keyless {
			continue // TestSecurityProjectIsolationAPI checks that the list is right
		}
		path := rt.fill(t, s.a)
		resp, body := s.send(alice, rt.method, path, strings.NewReader(`{"name": "csrf"}`),
			map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "missing api key") {
			t.Errorf("%s as %s with alice's session and no key: %d %.200q, want 401 missing api key", p, path, resp.StatusCode, body)
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("API requests with a session changed data: %s", snapDiff(before, after))
	}
}
