package main

// Threat: a user or an API key of project A reads or changes project B by
// putting B's codes in a URL. Every UI route on a project, check or
// channel (from the router) and every Management API route on a check
// (upstream's list: the API has no router to ask) answers 404, the same as
// for a code that does not exist, and B is unchanged.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
)

func TestSecurityProjectIsolationUI(t *testing.T) {
	t.Parallel()
	s := newSecApp(t, "sqlite", nil)
	alice := s.login("alice")
	before := s.snapshot()
	for _, r := range s.routesWhere("object", route.objectRoute) {
		path := r.fill(s.b)
		for _, method := range r.methods() {
			var resp *http.Response
			var body string
			if method == "GET" {
				resp, body = s.get(alice, path)
			} else {
				resp, body = s.postForm(alice, path, url.Values{"name": {"stolen"}}, nil)
			}
			// A POST-only page may answer GET with upstream's 405, which shows nothing.
			if resp.StatusCode != http.StatusNotFound && !(method == "GET" && resp.StatusCode == http.StatusMethodNotAllowed) {
				t.Errorf("alice %s %s (project B): %d %.200q, want 404", method, path, resp.StatusCode, body)
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
}

// apiObjectRoutes are the Management API's routes on one check ({id} is
// the check's UUID, {key} its unique_key), by method.
var apiObjectRoutes = []struct{ method, path string }{
	{"GET", "checks/{id}"},
	{"POST", "checks/{id}"},
	{"DELETE", "checks/{id}"},
	{"POST", "checks/{id}/pause"},
	{"POST", "checks/{id}/resume"},
	{"GET", "checks/{id}/pings/"},
	{"GET", "checks/{id}/pings/1/body"},
	{"GET", "checks/{id}/flips/"},
	{"GET", "checks/{key}"},
	{"GET", "checks/{key}/flips/"},
}

func uniqueKey(code string) string {
	c := model.Check{Code: code}
	return c.UniqueKey()
}

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
			for _, v := range []string{"v1", "v2", "v3"} {
				for _, rt := range apiObjectRoutes {
					for _, key := range []string{s.a.keys.APIKey, s.a.keys.APIKeyReadonly} {
						path := "/api/" + v + "/" + strings.NewReplacer("{id}", s.b.check, "{key}", uniqueKey(s.b.check)).Replace(rt.path)
						resp, body := s.send(http.DefaultClient, rt.method, path, strings.NewReader(`{"name": "stolen"}`),
							map[string]string{"X-Api-Key": key, "Content-Type": "application/json"})
						// Upstream's answers: 403 for another project's UUID, 404
						// for a unique_key it does not hold, and 401 before any
						// look-up for a read-only key where a read-write one is needed.
						want := http.StatusForbidden
						if strings.Contains(rt.path, "{key}") {
							want = http.StatusNotFound
						}
						if key == s.a.keys.APIKeyReadonly && (rt.method != "GET" || strings.Contains(rt.path, "pings/")) {
							want = http.StatusUnauthorized
						}
						if resp.StatusCode != want || strings.Contains(body, "bravo") {
							t.Errorf("%s %s with A's key: %d %.200q, want %d", rt.method, path, resp.StatusCode, body, want)
						}
					}
				}
			}
			// The lists of A's key show only A's.
			for _, list := range []string{"checks/", "channels/", "badges/"} {
				resp, body := s.send(http.DefaultClient, "GET", "/api/v3/"+list, nil, map[string]string{"X-Api-Key": s.a.keys.APIKey})
				if resp.StatusCode != 200 || strings.Contains(body, s.b.check) || strings.Contains(body, s.b.channel) || strings.Contains(body, "bravo") {
					t.Errorf("GET %s with A's key: %d %.300s", list, resp.StatusCode, body)
				}
			}
			if after := s.snapshot(); after != before {
				t.Errorf("A's key changed B: %s", snapDiff(before, after))
			}
			// The control: the same routes with B's own key find the check.
			resp, body := s.send(http.DefaultClient, "GET", "/api/v3/checks/"+uniqueKey(s.b.check), nil, map[string]string{"X-Api-Key": s.b.keys.APIKeyReadonly})
			if resp.StatusCode != 200 || !strings.Contains(body, "bravo-check") {
				t.Errorf("control: B's key by unique_key: %d %.200s", resp.StatusCode, body)
			}
			resp, body = s.send(http.DefaultClient, "GET", "/api/v3/checks/"+s.b.check+"/pings/1/body", nil, map[string]string{"X-Api-Key": s.b.keys.APIKey})
			if resp.StatusCode != 200 {
				t.Errorf("control: B's ping body: %d %.200s", resp.StatusCode, body)
			}
		})
	}
}
