package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/trello"
)

const trelloBoards = `[{"id": "b1", "name": "Ops", "lists": [{"id": "5f0c3d2e1b4a6978c0d1e2f3", "name": "Incidents"}, {"id": "5f0c3d2e1b4a6978c0d1e2f4", "name": "Done"}]},
	{"id": "b2", "name": "Empty", "lists": []}]`

func TestTrelloAuthorize(t *testing.T) {
	t.Parallel()
	tr := newFakeProvider(t, map[string]notifytest.Reply{"GET /1/members/me/boards": {Status: 200, Body: trelloBoards}})
	vars := map[string]string{"TRELLO_APP_KEY": "k3y", "SITE_NAME": "Overdue Test"}
	s := newAppSite(t, vars, patchKind("trello", trello.OAuth("https://trello.com", tr.URL)))
	callback := s.e.base + "/integrations/add_trello/settings/"
	start := func() string {
		t.Helper()
		u := s.connect(t, "trello")
		if u == nil {
			t.Fatal("no Connect link")
		}
		q := u.Query()
		back, err := url.Parse(q.Get("return_url"))
		if err != nil || u.Host != "trello.com" || u.Path != "/1/authorize" || q.Get("key") != "k3y" || q.Get("expiration") != "never" ||
			q.Get("scope") != "read,write" || q.Get("response_type") != "token" || q.Get("name") != "Overdue Test" ||
			back.Scheme+"://"+back.Host+back.Path != "http://example.org/hc/integrations/add_trello/settings/" {
			t.Fatalf("authorize link %s", u)
		}
		return back.Query().Get("state")
	}

	// Trello returns to the page with the token in the fragment: the page
	// holds the state and the script that posts both back.
	state := start()
	resp, body := get(t, s.owner, callback+"?"+url.Values{"state": {state}}.Encode())
	if resp.StatusCode != 200 || !strings.Contains(body, `name="state" value="`+html.EscapeString(state)+`"`) ||
		!strings.Contains(body, `/static/fragment.js`) || !strings.Contains(body, `action="/hc/integrations/add_trello/settings/"`) {
		t.Fatalf("fragment page %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := get(t, s.owner, s.e.base+"/static/fragment.js"); resp.StatusCode != 200 {
		t.Errorf("fragment.js: %d", resp.StatusCode)
	}

	// Refusals before Trello is asked.
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no state", url.Values{"token": {"ATTAtoken"}}, 403, "not started from this browser"},
		{"forged state", url.Values{"token": {"ATTAtoken"}, "state": {state + "x"}}, 403, "not started from this browser"},
		{"no token", url.Values{"state": {start()}}, 502, "Received an unexpected response from Trello"},
		{"hostile token", url.Values{"state": {start()}, "token": {"a\r\nb"}}, 502, "Received an unexpected response from Trello"},
	} {
		resp, body := post(t, s.owner, callback, c.form)
		if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	if n := len(tr.take()); n != 0 {
		t.Fatalf("%d requests to Trello before a good answer", n)
	}

	// The boards are read as upstream reads them, and the lists offered.
	resp, body = post(t, s.owner, callback, url.Values{"state": {state}, "token": {"ATTAtoken"}})
	m := grantRe.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, `<option value="5f0c3d2e1b4a6978c0d1e2f3">Ops / Incidents</option>`) {
		t.Fatalf("choice page %d:\n%s", resp.StatusCode, body)
	}
	reqs := tr.take()
	if len(reqs) != 1 || reqs[0].Method != "GET" ||
		reqs[0].URI != "/1/members/me/boards?fields=id%2Cname&filter=open&key=k3y&list_fields=id%2Cname&lists=open&token=ATTAtoken" {
		t.Fatalf("requests %+v", reqs)
	}
	// The state was spent.
	if resp, body := post(t, s.owner, callback, url.Values{"state": {state}, "token": {"ATTAtoken"}}); resp.StatusCode != 403 || !strings.Contains(body, "already used") {
		t.Errorf("replayed state: %d %s", resp.StatusCode, body)
	}

	saveURL := s.e.base + "/projects/" + s.p.Code + "/add_trello/save/"
	resp, _ = post(t, s.owner, saveURL, url.Values{"grant": {html.UnescapeString(m[1])}, "option": {"5f0c3d2e1b4a6978c0d1e2f3"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	chs := s.channels(t)
	if len(chs) != 1 || chs[0].Kind != "trello" ||
		chs[0].Value != `{"board_name":"Ops","list_id":"5f0c3d2e1b4a6978c0d1e2f3","list_name":"Incidents","token":"ATTAtoken"}` {
		t.Fatalf("channels %+v", chs)
	}
	if n := len(tr.take()); n != 1 {
		t.Errorf("save read the boards %d times, want 1", n)
	}
}

// Trello's refusals and surprises: a clear page and no channel.
func TestTrelloAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	const no = "Received an unexpected response from Trello. Integration not added."
	answers := []notifytest.Reply{
		{Status: 401, Body: `invalid token`},
		{Status: 500, Body: ``},
		{Status: 200, Body: `{"boards": []}`},
		{Status: 200, Body: `[{"id": "b1", "name": "Ops"}]`},
		{Status: 200, Body: `[{"id": "b1", "name": "Ops", "lists": [{"id": 5, "name": "x"}]}]`},
		{Status: 200, Body: `[`},
	}
	tr := newFakeProvider(t, map[string]notifytest.Reply{})
	s := newAppSite(t, map[string]string{"TRELLO_APP_KEY": "k3y"}, patchKind("trello", trello.OAuth("https://trello.com", tr.URL)))
	for _, a := range answers {
		tr.set("GET /1/members/me/boards", a)
		back, _ := url.Parse(s.connect(t, "trello").Query().Get("return_url"))
		resp, body := post(t, s.owner, s.e.base+"/integrations/add_trello/settings/", url.Values{"state": {back.Query().Get("state")}, "token": {"ATTAtoken"}})
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, no) || strings.Contains(body, "ATTAtoken") {
			t.Errorf("%+v: %d %s", a, resp.StatusCode, body)
		}
	}
	// No open list: the page says so and offers no form.
	tr.set("GET /1/members/me/boards", notifytest.Reply{Status: 200, Body: `[{"id": "b2", "name": "Empty", "lists": []}]`})
	back, _ := url.Parse(s.connect(t, "trello").Query().Get("return_url"))
	resp, body := post(t, s.owner, s.e.base+"/integrations/add_trello/settings/", url.Values{"state": {back.Query().Get("state")}, "token": {"ATTAtoken"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "no open board with an open list") || strings.Contains(body, `name="grant"`) {
		t.Errorf("no lists: %d %s", resp.StatusCode, body)
	}
	// A list that is not the user's (or no longer is) adds nothing.
	tr.set("GET /1/members/me/boards", notifytest.Reply{Status: 200, Body: trelloBoards})
	back, _ = url.Parse(s.connect(t, "trello").Query().Get("return_url"))
	_, body = post(t, s.owner, s.e.base+"/integrations/add_trello/settings/", url.Values{"state": {back.Query().Get("state")}, "token": {"ATTAtoken"}})
	m := grantRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no choice page:\n%s", body)
	}
	resp, body = post(t, s.owner, s.e.base+"/projects/"+s.p.Code+"/add_trello/save/", url.Values{"grant": {html.UnescapeString(m[1])}, "option": {"aaaaaaaaaaaaaaaa"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "not one of your open Trello lists") {
		t.Errorf("foreign list: %d %s", resp.StatusCode, body)
	}
	if chs := s.channels(t); len(chs) != 0 {
		t.Errorf("channels %v", chs)
	}
}
