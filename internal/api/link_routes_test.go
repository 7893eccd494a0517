package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// The public links' tables (badges, metrics, email links) are what the
// security tests walk, and server.Compat mounts the URL spaces they lie
// in by hand: every listed route, its parameters filled with a value of
// their form, must reach its handler through Compat (not fall through to
// the UI behind it), and a path with a segment too many must be the 404
// page, so a table and Compat cannot drift apart unnoticed. (That each
// route reaches its view with real values is the security tests' part:
// cmd/overdue/security_links_test.go.)
func TestLinkRoutesAreMountedAndListed(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	badges := api.NewBadges(st, "secret", "Overdue", schedule.NewCache(10), nil, nil)
	metrics := api.NewMetrics(st, schedule.NewCache(10), nil, nil)
	links := api.NewIntegrations(st, "secret", "Overdue", nil, nil)
	const ui = http.StatusTeapot
	h := server.Handler(server.Options{Groups: []server.Group{
		server.Compat(server.Surfaces{Badges: badges, Metrics: metrics, Integrations: links}),
		{Mounts: []server.Mount{{Pattern: "/", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(ui) })}}},
	}})
	const id = "0f3b2f6e-6c1d-4c55-9a5a-1c1e2d3f4a5b"
	fill := strings.NewReplacer("{badge_key}", id, "{signature}", "abcdefgh", "{tag}", "db", "{fmt}", "svg", "{states}", "3",
		"{badge_uuid}", id, "{code}", id, "{key}", strings.Repeat("k", 32), "{token}", "tok", "{signed_token}", "tok:1:sig", "{signed_username}", "u:1:sig")
	var all []string
	for _, routes := range [][]string{badges.Routes(), metrics.Routes(), links.Routes()} {
		if len(routes) == 0 {
			t.Fatal("a handler lists no routes")
		}
		all = append(all, routes...)
	}
	seen := walkRoutes(t, all, fill, http.MethodGet, func(p, method, target string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		if rec.Code == ui {
			t.Errorf("%s as %s: %d %.100q: server.Compat does not hand it to the route", p, target, rec.Code, rec.Body.String())
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, strings.TrimSuffix(target, "/")+"/extra/x", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s with a segment too many: %d, want the 404 page", p, rec.Code)
		}
	})
	for _, want := range []string{"GET /badge/{badge_key}/{signature}/{tag}.{fmt}", "GET /b/{states}/{badge_uuid}.{fmt}",
		"GET /projects/{code}/metrics/{key}", "GET /projects/{code}/metrics/", "/integrations/{code}/unsub/{signed_token}/",
		"/accounts/unsubscribe_reports/{signed_username}/"} {
		if !seen[want] {
			t.Errorf("%s is not listed (listed: %q)", want, all)
		}
	}
}

// Django's APPEND_SLASH, from the table: a link without its final "/" is
// a 301 to the one with it, whatever the method; a path whose slash form
// matches nothing stays the 404 page.
func TestLinkRoutesAppendSlash(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	h := server.Handler(server.Options{BasePath: "/hc", Groups: []server.Group{server.Compat(server.Surfaces{
		Metrics: api.NewDisabledMetrics(), Integrations: api.NewIntegrations(st, "secret", "Overdue", nil, nil)})}})
	const id = "0f3b2f6e-6c1d-4c55-9a5a-1c1e2d3f4a5b"
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/hc/accounts/unsubscribe_reports/u:1:sig?x=1", 301},
		{"POST", "/hc/integrations/" + id + "/unsub/t:1:sig", 301},
		{"GET", "/hc/integrations/" + id + "/verify/tok", 301},
		{"POST", "/hc/projects/" + id + "/metrics", 301},
		{"GET", "/hc/integrations/" + id + "/verify/a.b", 404}, // not a slug: no pattern with the slash either
		{"GET", "/hc/integrations/" + strings.ToUpper(id) + "/verify/tok", 404},
		{"GET", "/hc/projects/not-a-uuid/metrics", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		path, query, _ := strings.Cut(tc.path, "?")
		want := path + "/"
		if query != "" {
			want += "?" + query
		}
		if rec.Code != tc.code || tc.code == 301 && rec.Header().Get("Location") != want {
			t.Errorf("%s %s: %d Location %q, want %d", tc.method, tc.path, rec.Code, rec.Header().Get("Location"), tc.code)
		}
	}
}
