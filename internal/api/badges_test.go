package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestBadgeSignatureMatchesDjango(t *testing.T) {
	t.Parallel()
	// Expected values computed in Python with hashlib/hmac/base64 exactly as
	// Django's base64_hmac(salt, value, key, algorithm="sha1") does.
	cases := []struct{ key, tag, secret, want string }{
		{"alice", "*", "---", "6SKpySaJ"},
		{"alice", "prod", "---", "kItSqhu1"},
		{"9d6f1b2c-0000-4000-8000-000000000001", "db", "s3cr3t", "0-3R6HWB"},
		{"k", "ünï", "x", "4OxPRqHs"},
	}
	for _, tc := range cases {
		if got := api.BadgeSignature(tc.key, tc.tag, tc.secret); got != tc.want {
			t.Errorf("BadgeSignature(%q, %q) = %q, want %q", tc.key, tc.tag, got, tc.want)
		}
	}
	if got := api.BadgeURL("https://hc.example", "alice", "prod", "svg", "---", false); got != "https://hc.example/badge/alice/kItSqhu1-2/prod.svg" {
		t.Errorf("2-state URL %q", got)
	}
	if got := api.BadgeURL("https://hc.example", "alice", "*", "json", "---", true); got != "https://hc.example/badge/alice/6SKpySaJ.json" {
		t.Errorf("3-state all-checks URL %q", got)
	}
}

func TestBadgeSVGGeometry(t *testing.T) {
	t.Parallel()
	svg := api.BadgeSVG("foo", "up")
	// f=4 o=7 o=7 (+10 padding) = 28; u=7 p=7 (+10) = 24.
	for _, want := range []string{`width="52" height="20"`, `<rect width="28" height="20" fill="#555"/>`,
		`<rect x="28" width="24" height="20" fill="#4c1"/>`, `<text x="14.0" y="14">foo</text>`, `<text x="40.0" y="14">up</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q:\n%s", want, svg)
		}
	}
	svg = api.BadgeSVG(`<a&"b'>`, "late")
	if !strings.Contains(svg, `&lt;a&amp;&quot;b&#x27;&gt;`) || strings.Contains(svg, "<a&") || !strings.Contains(svg, `fill="#fe7d37"`) {
		t.Errorf("label not escaped or wrong colour:\n%s", svg)
	}
}

func TestBadgeEndpoints(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testBadgeEndpoints(t, engine)
		})
	}
}

func testBadgeEndpoints(t *testing.T, engine string) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := apptest.New(t, apptest.Options{Engine: engine, NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Badges: api.NewBadges(a.Store, "---", "Overdue", schedule.NewCache(10), func() time.Time { return now }, nil)}
	}})
	_, proj := newProject(t, a.Store, func(p *model.Project) { p.BadgeKey = "alice" })
	mk := func(name, tags string, lastPing time.Duration, status string) model.Check {
		return a.AddCheck(proj.ID, now, func(c *model.Check) {
			c.Name, c.Tags, c.Status = name, tags, status
			if status != model.StatusNew {
				lp := now.Add(-lastPing)
				c.LastPing = &lp
			}
		})
	}
	up := mk("web", "prod web", time.Hour, model.StatusUp)
	late := mk("db", "prod db", 24*time.Hour+30*time.Minute, model.StatusUp) // in its hour of grace
	down := mk("", "backup", 0, model.StatusDown)
	_ = up

	get := func(method, path string) (int, string, http.Header) {
		t.Helper()
		return badgeServe(t, a.Handler, method, path)
	}
	sig := func(tag string) string { return api.BadgeSignature("alice", tag, "---") }

	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/badge/alice/" + sig("prod") + "/prod.json", 200, `{"status": "late", "total": 2, "grace": 1, "down": 0}`},
		{"/badge/alice/" + sig("prod") + "-2/prod.json", 200, `{"status": "up", "total": 2, "grace": 1, "down": 0}`},
		{"/badge/alice/" + sig("*") + ".json", 200, `{"status": "down", "total": 3, "grace": 1, "down": 1}`},
		{"/badge/alice/" + sig("web") + "/web.shields", 200, `{"schemaVersion": 1, "label": "web", "message": "up", "color": "success"}`},
		{"/badge/alice/" + sig("*") + ".shields", 200, `{"schemaVersion": 1, "label": "Overdue", "message": "down", "color": "critical"}`},
		{"/badge/alice/" + sig("nope") + "/nope.json", 200, `{"status": "up", "total": 0, "grace": 0, "down": 0}`},
		{"/badge/alice/" + sig("prod") + "/prod.png", 404, ""},
		{"/badge/alice/AAAAAAAA/prod.json", 404, ""},
		{"/badge/alice/" + sig("prod") + "/web.json", 404, ""},
		{"/badge/alice/short/prod.json", 404, ""},
		{"/b/3/" + late.BadgeKey + ".json", 200, `{"status": "late", "total": 1, "grace": 1, "down": 0}`},
		{"/b/2/" + late.BadgeKey + ".json", 200, `{"status": "up", "total": 1, "grace": 1, "down": 0}`},
		{"/b/2/" + down.BadgeKey + ".shields", 200, `{"schemaVersion": 1, "label": "` + down.Code + `", "message": "down", "color": "critical"}`},
		{"/b/2/" + strings.ToUpper(down.BadgeKey) + ".json", 404, ""},
		{"/b/2/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee.json", 404, ""},
		{"/b/2/" + down.BadgeKey + ".gif", 404, ""},
		{"/b/x/" + down.BadgeKey + ".svg", 404, ""},
	}
	for _, tc := range cases {
		status, body, hdr := get("GET", tc.path)
		if status != tc.status || (tc.status == 200 && body != tc.body) {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, status, body, tc.status, tc.body)
		}
		if status == 200 && (hdr.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(hdr.Get("Cache-Control"), "no-cache")) {
			t.Errorf("GET %s: headers %v", tc.path, hdr)
		}
	}
	status, body, hdr := get("GET", "/badge/alice/"+sig("prod")+"/prod.svg")
	if status != 200 || hdr.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, ">late</text>") || !strings.Contains(body, ">prod</text>") {
		t.Errorf("SVG badge: %d %s %q", status, hdr.Get("Content-Type"), body)
	}
	if status, _, _ := get("OPTIONS", "/b/2/"+down.BadgeKey+".svg"); status != 204 {
		t.Errorf("OPTIONS: %d", status)
	}
	// Not csrf_exempt upstream: Django's CSRF middleware refuses POST.
	if status, _, _ := get("POST", "/b/2/"+down.BadgeKey+".svg"); status != 403 {
		t.Errorf("POST: %d", status)
	}
	if status, _, _ := get("HEAD", "/b/2/"+down.BadgeKey+".svg"); status != 405 {
		t.Errorf("HEAD: %d", status)
	}
}

func badgeServe(t *testing.T, h http.Handler, method, path string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "http://localhost"+path, nil))
	return rec.Code, rec.Body.String(), rec.Header()
}
