package main

// Threat: a name, tag, description or ping that a user (or anyone who
// knows a ping URL) controls runs as script in another user's browser.
// Every field is given a hostile payload and every page of the router is
// read: no payload appears unescaped, and each one appears escaped
// somewhere, so the test knows the fields are really shown.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/store"
)

// shownPage is one GET route as the owner of project A sees it.
type shownPage struct {
	route route
	path  string
	resp  *http.Response
	body  string
}

// pages reads every GET route of the router, filled in for project A.
func (s *secApp) pages(c *http.Client) []shownPage {
	s.t.Helper()
	var out []shownPage
	for _, r := range s.routesWhere("safe", route.safe) {
		path := s.fill(r, s.a)
		resp, body := s.get(c, path)
		if resp.StatusCode >= 500 {
			s.t.Errorf("%s (%s): %d %.200s", r.pattern, path, resp.StatusCode, body)
		}
		out = append(out, shownPage{r, path, resp, body})
	}
	return out
}

func TestSecurityXSSInEveryUserField(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	ctx := context.Background()
	// Each payload carries a marker (xss-N) to find it escaped.
	payloads := map[string]string{
		"project name": `<img src=x onerror=alert("xss-1")>`,
		"check name":   `<script>alert("xss-2")</script>`,
		"check tags":   `"><svg/onload=alert('xss-3')>`,
		"check desc":   `</textarea><script>alert("xss-4")</script>`,
		"channel name": `'"><b onmouseover=alert(1)>xss-5</b>`,
		"ping body":    `<script>alert("xss-6")</script>`,
		"user agent":   `<img src=x onerror=alert("xss-7")>`,
		"key name":     `<svg onload=alert("xss-9")>`,
	}
	p, err := s.st.ProjectByID(ctx, s.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Name = payloads["project name"]
	if err := s.st.UpdateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	c, err := s.st.CheckByCode(ctx, s.a.check)
	if err != nil {
		t.Fatal(err)
	}
	c.Name, c.Tags, c.Desc = payloads["check name"], payloads["check tags"], payloads["check desc"]
	if err := s.st.UpdateCheck(ctx, &c); err != nil {
		t.Fatal(err)
	}
	channels, err := s.st.ListChannels(ctx, s.a.ID)
	if err != nil || len(channels) == 0 {
		t.Fatal(channels, err)
	}
	if err := s.st.RenameChannel(ctx, channels[0].ID, payloads["channel name"]); err != nil {
		t.Fatal(err)
	}
	// Alice's security key, which the key pages (security keys are on in
	// every pass) list and the remove page names; paramFixtures takes it.
	// She logs in first: with a key, a log-in waits for it.
	alice := s.login("alice")
	key := store.WebAuthnCredential{Code: uuid.NewString(), UserID: s.owner["alice"].ID, Name: payloads["key name"], Data: "{}", Created: time.Now()}
	if err := s.st.AddWebAuthnCredential(ctx, &key); err != nil {
		t.Fatal(err)
	}
	s.keys["alice"] = key.Code
	if resp, _ := s.send(http.DefaultClient, "POST", "/ping/"+s.a.check, strings.NewReader(payloads["ping body"]),
		map[string]string{"User-Agent": payloads["user agent"]}); resp.StatusCode != 200 {
		t.Fatalf("ping: %d", resp.StatusCode)
	}

	seen := map[string]bool{}
	for _, pg := range s.pages(alice) {
		for field, payload := range payloads {
			if strings.Contains(pg.body, payload) {
				t.Errorf("%s (%s): the %s appears unescaped", pg.route.pattern, pg.path, field)
			}
			if strings.Contains(pg.body, marker(payload)) {
				seen[field] = true
			}
		}
	}
	// The public links draw the check's name too: a badge's SVG is a
	// document a browser runs scripts in when it is opened by itself.
	svg := api.CheckBadgeURL("", c.BadgeKey, "svg", true)
	if resp, body := s.get(http.DefaultClient, svg); resp.StatusCode != 200 || strings.Contains(body, payloads["check name"]) ||
		!strings.Contains(body, marker(payloads["check name"])) {
		t.Errorf("the check badge %s (%d): the check name is not there escaped: %.300q", svg, resp.StatusCode, body)
	}
	for field, payload := range payloads {
		if field == "user agent" || field == "ping body" {
			// Shown on the event log only when upstream shows them.
			if !seen[field] {
				t.Logf("the %s is shown on no page", field)
			}
			continue
		}
		if !seen[field] {
			t.Errorf("the %s (%q) is shown on no page: the test proves nothing for it", field, payload)
		}
	}
}

// Query parameters that pages show back (the dashboard's filters, the
// login form's next=) come back escaped too.
func TestSecurityXSSInReflectedParameters(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	alice := s.login("alice")
	const payload = `"><script>alert("xss-8")</script>`
	q := url.QueryEscape(payload)
	for _, tc := range []struct {
		c    *http.Client
		path string
	}{
		{alice, "/projects/" + s.a.Code + "/checks/?search=" + q},
		{alice, "/projects/" + s.a.Code + "/checks/?tag=" + q},
		{alice, "/checks/" + s.a.check + "/log/?before=" + q},
		{cookieClient(), "/accounts/login/?next=/" + q},
	} {
		resp, body := s.get(tc.c, tc.path)
		if strings.Contains(body, payload) || strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s (%d): the parameter comes back unescaped", tc.path, resp.StatusCode)
		}
	}
	// The control: the search box really shows what was searched.
	if _, body := s.get(alice, "/projects/"+s.a.Code+"/checks/?search="+q); !strings.Contains(body, "xss-8") {
		t.Errorf("the dashboard does not show its search: the test proves nothing")
	}
}

// marker is the harmless word inside a payload ("xss-3").
func marker(payload string) string {
	i := strings.Index(payload, "xss-")
	if i < 0 {
		return payload
	}
	return payload[i : i+5]
}

// Threat: another site frames a page and tricks a click (clickjacking), a
// browser sniffs a user's text as HTML, or a link out of a page carries
// its URL (which holds a check's ping UUID) to another site in Referer.
// Every page, the error pages and the compatibility pages included,
// forbids framing and sniffing and keeps the referrer on this site.
func TestSecurityEveryPageForbidsFraming(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	pages := s.pages(s.login("alice"))
	anon := cookieClient()
	for _, path := range []string{"/accounts/login/", "/no/such/page/", "/projects/" + s.b.Code + "/checks/",
		"/integrations/" + s.a.channel + "/verify/bad-token/", "/integrations/" + s.a.channel + "/unsub/bad-token/",
		"/api/v3/checks/", "/ping/" + s.a.check + "/nonsense/"} {
		resp, body := s.get(anon, path)
		pages = append(pages, shownPage{parseRoute("GET " + path), path, resp, body})
	}
	rita := s.login("rita")
	resp, body := s.postForm(rita, "/checks/"+s.a.check+"/pause/", nil, nil) // her 403 page
	pages = append(pages, shownPage{parseRoute("POST /checks/{code}/pause/"), "(read-only pause)", resp, body})
	for _, pg := range pages {
		csp := pg.resp.Header.Get("Content-Security-Policy")
		xfo := pg.resp.Header.Get("X-Frame-Options")
		if !strings.Contains(csp, "frame-ancestors 'none'") && !strings.EqualFold(xfo, "DENY") {
			t.Errorf("%s (%s, %d): framing is not forbidden (CSP %q, X-Frame-Options %q)", pg.route.pattern, pg.path, pg.resp.StatusCode, csp, xfo)
		}
		h := pg.resp.Header
		// The UI's answers carry the user's data under their cookie: no
		// other site may read them (the API and pings allow any origin, as
		// upstream, since they need a key and send no cookie).
		if aco := h.Get("Access-Control-Allow-Origin"); aco != "" && !strings.HasPrefix(pg.path, "/api/") && !strings.HasPrefix(pg.path, "/ping/") {
			t.Errorf("%s (%s): Access-Control-Allow-Origin %q on a page", pg.route.pattern, pg.path, aco)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s (%s, %d): X-Content-Type-Options %q, Referrer-Policy %q; want nosniff and same-origin",
				pg.route.pattern, pg.path, pg.resp.StatusCode, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
}
