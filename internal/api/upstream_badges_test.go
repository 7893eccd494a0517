package api_test

// Ports of upstream's badge and Prometheus tests (hc/api/tests/test_badge.py,
// test_check_badge.py, hc/lib/tests/test_badges.py, the URL-building parts of
// hc/front/tests/test_badges.py and hc/integrations/prometheus/tests/
// test_metrics.py), plus the exact responses of upstream's views: headers,
// empty bodies, SVG text, JSON bytes and the exposition text.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
)

const (
	upSecret = "upstream-test-secret"
	// Upstream's tests use a plain "R"*32 read-only key; hashed keys
	// ("hcr_" + 28 characters) are 32 characters too.
	upRO      = "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
	upRW      = "hcw_abcdefghijklmnopqrstuvwxyz12"
	upHashedR = "hcr_zyxwvutsrqponmlkjihgfedcba98"
)

// badgeEnv mounts the badge and metrics handlers of one store in the real
// router, with a clock fixed at now.
type badgeEnv struct {
	t    *testing.T
	st   *store.Store
	proj model.Project
	now  time.Time
	h    http.Handler
}

func newBadgeEnv(t *testing.T, engine string) *badgeEnv {
	t.Helper()
	e := &badgeEnv{t: t, now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	now := func() time.Time { return e.now }
	cache := schedule.NewCache(10)
	a := apptest.New(t, apptest.Options{Engine: engine, BasePath: "/hc", NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Badges: api.NewBadges(a.Store, upSecret, "Overall Status", cache, now, nil), Metrics: api.NewMetrics(a.Store, cache, now, nil)}
	}})
	e.st, e.h = a.Store, a.Handler
	_, e.proj = newProject(t, e.st, func(p *model.Project) {
		p.BadgeKey = "alices-badge-key"
		p.APIKey, p.APIKeyReadonly = auth.HashAPIKey(upRW), auth.HashAPIKey(upRO)
	})
	return e
}

func (e *badgeEnv) add(mut func(c *model.Check)) model.Check {
	e.t.Helper()
	c := model.NewCheck(e.proj.ID, e.now.Add(-time.Hour))
	if mut != nil {
		mut(&c)
	}
	if err := e.st.CreateCheck(context.Background(), &c, false); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *badgeEnv) update(c model.Check, mut func(c *model.Check)) model.Check {
	e.t.Helper()
	mut(&c)
	if err := e.st.UpdateCheck(context.Background(), &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *badgeEnv) do(method, path string, hdr map[string]string) apiResp {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://hc.example/hc"+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return apiResp{rec.Code, rec.Header(), rec.Body.String()}
}

func (e *badgeEnv) sig(tag string) string { return api.BadgeSignature(e.proj.BadgeKey, tag, upSecret) }

func ptime(t time.Time) *time.Time { return &t }

// wantBadgeHeaders asserts what never_cache and cors("GET") add.
func wantBadgeHeaders(t *testing.T, what string, r apiResp) {
	t.Helper()
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Headers": "X-Api-Key",
		"Access-Control-Max-Age":       "600",
		"Cache-Control":                "max-age=0, no-cache, no-store, must-revalidate, private",
	} {
		if got := r.hdr.Get(k); got != want {
			t.Errorf("%s: header %s = %q, want %q", what, k, got, want)
		}
	}
	if m := r.hdr.Get("Access-Control-Allow-Methods"); m != "GET, OPTIONS" && m != "OPTIONS, GET" {
		t.Errorf("%s: Access-Control-Allow-Methods = %q", what, m)
	}
	if r.hdr.Get("Expires") == "" {
		t.Errorf("%s: no Expires header", what)
	}
}

func wantNoBadgeHeaders(t *testing.T, what string, r apiResp) {
	t.Helper()
	if r.hdr.Get("Access-Control-Allow-Origin") != "" || r.hdr.Get("Cache-Control") != "" {
		t.Errorf("%s: a resolver 404 carries the view's headers: %v", what, r.hdr)
	}
}

// TestUpstreamTagBadges ports test_badge.py: a check tagged "foo bar" and
// the badges of tag "foo".
func TestUpstreamTagBadges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newBadgeEnv(t, engine)
		key := e.proj.BadgeKey
		sig := e.sig("foo")
		svgURL := "/badge/" + key + "/" + sig + "-2/foo.svg"
		jsonURL := "/badge/" + key + "/" + sig + "-2/foo.json"
		lateURL := "/badge/" + key + "/" + sig + "/foo.json"
		shieldsURL := "/badge/" + key + "/" + sig + "-2/foo.shields"
		c := e.add(func(c *model.Check) { c.Tags = "foo bar" })

		// test_it_rejects_bad_signature: 404 with an empty body, still
		// decorated (never_cache and cors run around the view).
		r := e.do("GET", "/badge/"+key+"/12345678/foo.svg", nil)
		if r.code != 404 || r.body != "" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("bad signature: %d %q %q", r.code, r.body, r.hdr.Get("Content-Type"))
		}
		wantBadgeHeaders(t, "bad signature", r)

		// test_it_returns_svg
		r = e.do("GET", svgURL, nil)
		if r.code != 200 || !strings.Contains(r.body, "#4c1") || r.hdr.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("svg: %d %q %q", r.code, r.hdr.Get("Content-Type"), r.body)
		}
		wantBadgeHeaders(t, "svg", r)
		if r.body != api.BadgeSVG("foo", "up") {
			t.Errorf("svg body is not the rendered badge:\n%s", r.body)
		}

		// test_it_rejects_bad_format
		r = e.do("GET", jsonURL+"foo", nil)
		if r.code != 404 || r.body != "" {
			t.Errorf("bad format: %d %q", r.code, r.body)
		}
		wantBadgeHeaders(t, "bad format", r)

		// test_it_handles_options
		r = e.do("OPTIONS", svgURL, nil)
		if r.code != 204 || r.body != "" {
			t.Errorf("options: %d %q", r.code, r.body)
		}
		wantBadgeHeaders(t, "options", r)

		json := func(path string) string {
			t.Helper()
			r := e.do("GET", path, nil)
			if r.code != 200 || r.hdr.Get("Content-Type") != "application/json" {
				t.Errorf("GET %s: %d %q", path, r.code, r.hdr.Get("Content-Type"))
			}
			wantBadgeHeaders(t, path, r)
			return r.body
		}
		expectBody := func(what, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s:\n got %s\nwant %s", what, got, want)
			}
		}

		// test_it_handles_new
		expectBody("new", json(jsonURL), `{"status": "up", "total": 1, "grace": 0, "down": 0}`)

		// test_it_ignores_started_when_down
		c = e.update(c, func(c *model.Check) { c.LastStart, c.Status = ptime(e.now), model.StatusDown })
		expectBody("started when down", json(jsonURL), `{"status": "down", "total": 1, "grace": 0, "down": 1}`)

		// test_it_treats_late_as_up
		c = e.update(c, func(c *model.Check) {
			c.LastStart, c.LastPing, c.Status = nil, ptime(e.now.Add(-24*time.Hour-10*time.Minute)), model.StatusUp
		})
		expectBody("late as up", json(jsonURL), `{"status": "up", "total": 1, "grace": 1, "down": 0}`)

		// test_late_mode_returns_late_status
		expectBody("late mode", json(lateURL), `{"status": "late", "total": 1, "grace": 1, "down": 0}`)

		// test_late_mode_ignores_started_when_late
		c = e.update(c, func(c *model.Check) { c.LastStart = ptime(e.now) })
		expectBody("late mode, started", json(lateURL), `{"status": "late", "total": 1, "grace": 1, "down": 0}`)

		// test_it_returns_shields_json (late shows as up in the 2-state form)
		expectBody("shields", json(shieldsURL), `{"schemaVersion": 1, "label": "foo", "message": "up", "color": "success"}`)
		expectBody("shields, 3 states", json("/badge/"+key+"/"+sig+"/foo.shields"),
			`{"schemaVersion": 1, "label": "foo", "message": "late", "color": "important"}`)

		// test_it_handles_special_characters: the tag is quoted twice in the
		// URL ("@" → "%40" → "%2540").
		e.update(c, func(c *model.Check) { c.Tags = "db@dc1" })
		r = e.do("GET", "/badge/"+key+"/"+e.sig("db@dc1")+"/db%2540dc1.svg", nil)
		if r.code != 200 || !strings.Contains(r.body, ">db@dc1</text>") {
			t.Errorf("special characters: %d %s", r.code, r.body)
		}
		// Quoted once, the path holds a literal "@", which the tag pattern
		// ([\w%~_.-]+) does not match: a resolver 404.
		r = e.do("GET", "/badge/"+key+"/"+e.sig("db@dc1")+"/db%40dc1.svg", nil)
		if r.code != 404 {
			t.Errorf("singly quoted tag: %d", r.code)
		}
		wantNoBadgeHeaders(t, "singly quoted tag", r)
	})
}

// TestUpstreamCheckBadges ports test_check_badge.py: /b/<states>/<badge key>.
func TestUpstreamCheckBadges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newBadgeEnv(t, engine)
		c := e.add(func(c *model.Check) { c.Name = "foobar" })
		svgURL := "/b/2/" + c.BadgeKey + ".svg"
		jsonURL := "/b/2/" + c.BadgeKey + ".json"
		lateURL := "/b/3/" + c.BadgeKey + ".json"
		shieldsURL := "/b/2/" + c.BadgeKey + ".shields"

		// test_it_handles_bad_badge_key: get_object_or_404 raises through the
		// decorators, so the 404 has no CORS or never_cache headers.
		r := e.do("GET", "/b/2/869fe06a-a604-4140-b15a-118637c25f3e.svg", nil)
		if r.code != 404 {
			t.Errorf("bad badge key: %d", r.code)
		}
		wantNoBadgeHeaders(t, "bad badge key", r)

		// test_it_returns_svg
		r = e.do("GET", svgURL, nil)
		if r.code != 200 || !strings.Contains(r.body, "#4c1") || r.hdr.Get("Content-Type") != "image/svg+xml" || r.body != api.BadgeSVG("foobar", "up") {
			t.Errorf("svg: %d %q %q", r.code, r.hdr.Get("Content-Type"), r.body)
		}
		wantBadgeHeaders(t, "svg", r)

		// test_it_rejects_bad_format: the view's own empty 404, decorated.
		r = e.do("GET", jsonURL+"foo", nil)
		if r.code != 404 || r.body != "" {
			t.Errorf("bad format: %d %q", r.code, r.body)
		}
		wantBadgeHeaders(t, "bad format", r)

		// test_it_handles_options
		r = e.do("OPTIONS", svgURL, nil)
		if r.code != 204 {
			t.Errorf("options: %d", r.code)
		}
		wantBadgeHeaders(t, "options", r)

		json := func(path string) string {
			t.Helper()
			r := e.do("GET", path, nil)
			if r.code != 200 || r.hdr.Get("Content-Type") != "application/json" {
				t.Errorf("GET %s: %d %q", path, r.code, r.hdr.Get("Content-Type"))
			}
			wantBadgeHeaders(t, path, r)
			return r.body
		}
		expectBody := func(what, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s:\n got %s\nwant %s", what, got, want)
			}
		}

		// test_it_handles_new
		expectBody("new", json(jsonURL), `{"status": "up", "total": 1, "grace": 0, "down": 0}`)

		// test_it_ignores_started_when_down
		c = e.update(c, func(c *model.Check) { c.LastStart, c.Status = ptime(e.now), model.StatusDown })
		expectBody("started when down", json(jsonURL), `{"status": "down", "total": 1, "grace": 0, "down": 1}`)

		// test_it_treats_late_as_up
		c = e.update(c, func(c *model.Check) {
			c.LastStart, c.LastPing, c.Status = nil, ptime(e.now.Add(-24*time.Hour-10*time.Minute)), model.StatusUp
		})
		expectBody("late as up", json(jsonURL), `{"status": "up", "total": 1, "grace": 1, "down": 0}`)

		// test_late_mode_returns_late_status
		expectBody("late mode", json(lateURL), `{"status": "late", "total": 1, "grace": 1, "down": 0}`)

		// test_late_mode_ignores_started_when_late
		c = e.update(c, func(c *model.Check) { c.LastStart = ptime(e.now) })
		expectBody("late mode, started", json(lateURL), `{"status": "late", "total": 1, "grace": 1, "down": 0}`)

		// test_it_returns_shields_json
		expectBody("shields", json(shieldsURL), `{"schemaVersion": 1, "label": "foobar", "message": "up", "color": "success"}`)

		// <int:states>: any number; only 3 (leading zeros allowed) shows late.
		for states, want := range map[string]string{"3": "late", "03": "late", "0": "up", "4": "up", "99999999999999999999": "up"} {
			got := json("/b/" + states + "/" + c.BadgeKey + ".json")
			if !strings.HasPrefix(got, `{"status": "`+want+`"`) {
				t.Errorf("states %s: %s, want status %s", states, got, want)
			}
		}
		for _, path := range []string{"/b/+3/" + c.BadgeKey + ".json", "/b/-3/" + c.BadgeKey + ".json",
			"/b/3/" + strings.ToUpper(c.BadgeKey) + ".json", "/b/3/" + c.BadgeKey + ".json/", "/b/3/" + c.BadgeKey} {
			r := e.do("GET", path, nil)
			if r.code != 404 {
				t.Errorf("GET %s: %d, want 404", path, r.code)
			}
			wantNoBadgeHeaders(t, path, r)
		}

		// A check without a name is labelled by its UUID; the JSON escapes
		// as Python's json.dumps (ensure_ascii).
		anon := e.add(func(c *model.Check) { c.Status = model.StatusDown })
		expectBody("unnamed", json("/b/2/"+anon.BadgeKey+".shields"),
			`{"schemaVersion": 1, "label": "`+anon.Code+`", "message": "down", "color": "critical"}`)
		named := e.add(func(c *model.Check) { c.Name = "Bäckup \"db\"" })
		expectBody("non-ASCII", json("/b/2/"+named.BadgeKey+".shields"),
			`{"schemaVersion": 1, "label": "B\u00e4ckup \"db\"", "message": "up", "color": "success"}`)
	})
}

// TestUpstreamBadgeRouting covers the rest of the two views: signatures with
// suffixes, methods, the all-checks badge and the URL patterns.
func TestUpstreamBadgeRouting(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newBadgeEnv(t, engine)
		key := e.proj.BadgeKey
		e.add(func(c *model.Check) { c.Tags = "foo" })
		e.add(func(c *model.Check) {
			c.Tags, c.LastPing, c.Status = "foo bar", ptime(e.now.Add(-24*time.Hour-10*time.Minute)), model.StatusUp
		})
		e.add(func(c *model.Check) { c.Tags, c.Status = "Foo food", model.StatusDown })
		sig := e.sig("foo")

		for _, tc := range []struct {
			path string
			code int
			body string
		}{
			// Only the first 8 characters are checked; exactly "-2" as the
			// 9th and 10th selects 2 states.
			{"/badge/" + key + "/" + sig + "xy/foo.json", 200, `{"status": "late", "total": 2, "grace": 1, "down": 0}`},
			{"/badge/" + key + "/" + sig + "-2x/foo.json", 200, `{"status": "late", "total": 2, "grace": 1, "down": 0}`},
			{"/badge/" + key + "/" + sig + "-2/foo.json", 200, `{"status": "up", "total": 2, "grace": 1, "down": 0}`},
			{"/badge/" + key + "/" + sig[:7] + "/foo.json", 404, ""},
			// Tags match exactly and case-sensitively.
			{"/badge/" + key + "/" + e.sig("Foo") + "/Foo.json", 200, `{"status": "down", "total": 1, "grace": 0, "down": 1}`},
			{"/badge/" + key + "/" + e.sig("fo") + "/fo.json", 200, `{"status": "up", "total": 0, "grace": 0, "down": 0}`},
			// The all-checks badge: tag "*", label MASTER_BADGE_LABEL.
			{"/badge/" + key + "/" + e.sig("*") + ".json", 200, `{"status": "down", "total": 3, "grace": 1, "down": 1}`},
			{"/badge/" + key + "/" + e.sig("*") + "-2.shields", 200, `{"schemaVersion": 1, "label": "Overall Status", "message": "down", "color": "critical"}`},
			{"/badge/" + key + "/" + e.sig("*") + ".png", 404, ""},
			{"/badge/" + key + "/" + sig + "/foo.s-v.g", 404, ""}, // tag "foo.s-v", format "g"
			// A valid signature for a key that no project has: zero checks, up.
			{"/badge/nobody/" + api.BadgeSignature("nobody", "*", upSecret) + ".json", 200, `{"status": "up", "total": 0, "grace": 0, "down": 0}`},
			// A tag with a dot: the format is after the last dot.
			{"/badge/" + key + "/" + e.sig("v1.2") + "/v1.2.json", 200, `{"status": "up", "total": 0, "grace": 0, "down": 0}`},
		} {
			r := e.do("GET", tc.path, nil)
			if r.code != tc.code || r.body != tc.body {
				t.Errorf("GET %s: %d %s, want %d %s", tc.path, r.code, r.body, tc.code, tc.body)
			}
			wantBadgeHeaders(t, tc.path, r)
		}

		// Methods: the cors decorator answers safe methods before the view;
		// unsafe ones never reach it, since the badge views are not
		// csrf_exempt and Django's CSRF middleware refuses them with 403
		// (no CORS or never_cache headers: the decorators do not run).
		for method, code := range map[string]int{"HEAD": 405, "TRACE": 405, "OPTIONS": 204, "POST": 403, "PUT": 403, "PATCH": 403, "DELETE": 403} {
			for _, path := range []string{"/badge/" + key + "/" + sig + "/foo.svg", "/badge/" + key + "/00000000/foo.gif", "/b/2/869fe06a-a604-4140-b15a-118637c25f3e.svg"} {
				r := e.do(method, path, nil)
				if code == 403 {
					if r.code != 403 || !strings.Contains(r.body, "CSRF verification failed") {
						t.Errorf("%s %s: %d %q, want 403 (CSRF)", method, path, r.code, r.body)
					}
					wantNoBadgeHeaders(t, method+" "+path, r)
					continue
				}
				if r.code != code || r.body != "" {
					t.Errorf("%s %s: %d %q, want %d", method, path, r.code, r.body, code)
				}
				wantBadgeHeaders(t, method+" "+path, r)
			}
		}

		// Paths that match no URL pattern: Django's resolver 404.
		for _, path := range []string{
			"/badge/" + key + "/" + sig + "/foo.svg/",
			"/badge/" + key + "/" + sig + "/foo",
			"/badge/" + key + "/" + sig + "/.svg",
			"/badge/" + key + "/" + sig + "/a/b.svg",
			"/badge/" + key + "/" + sig + ".svg.json",
			"/badge/" + key + "/" + sig,
			"/badge/al!ce/" + sig + "/foo.svg",
			"/badge/" + key + "/" + sig + "=/foo.svg",
			"/badge/" + key,
			"/badge/",
			"/b/2/",
		} {
			r := e.do("GET", path, nil)
			if r.code != 404 {
				t.Errorf("GET %s: %d, want 404", path, r.code)
			}
			wantNoBadgeHeaders(t, path, r)
		}
	})
}

// TestUpstreamBadgeSVG ports hc/lib/tests/test_badges.py and checks the SVG
// text against upstream's template, byte for byte.
func TestUpstreamBadgeSVG(t *testing.T) {
	t.Parallel()
	// test_get_width_works: "mm" is 20 pixels wide, an unknown character
	// ("@") 7; each half of the badge adds 10.
	if svg := api.BadgeSVG("mm", "up"); !strings.Contains(svg, `<rect width="30" height="20" fill="#555"/>`) {
		t.Errorf("width of mm:\n%s", svg)
	}
	if svg := api.BadgeSVG("@", "up"); !strings.Contains(svg, `<rect width="17" height="20" fill="#555"/>`) {
		t.Errorf("width of @:\n%s", svg)
	}
	// test_it_makes_svg: colours.
	for status, colour := range map[string]string{"up": "#4c1", "late": "#fe7d37", "down": "#e05d44"} {
		if svg := api.BadgeSVG("bar", status); !strings.Contains(svg, `fill="`+colour+`"`) {
			t.Errorf("%s badge lacks %s", status, colour)
		}
	}
	// test_it_uses_decimal_dot: "a" is 7 wide, so its half is 8.5.
	if svg := api.BadgeSVG("a", "up"); !strings.Contains(svg, `x="8.5"`) || strings.Contains(svg, "8,5") {
		t.Errorf("decimal dot:\n%s", svg)
	}

	// The whole document for "foo"/"up": f4 o7 o7 +10 = 28, u7 p7 +10 = 24.
	want := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="52" height="20">
  <linearGradient id="smooth" x2="0" y2="100%">
    <stop offset="0" stop-color="#bbb" stop-opacity=".1"/>
    <stop offset="1" stop-opacity=".1"/>
  </linearGradient>

  <mask id="round">
    <rect width="52" height="20" rx="3" fill="#fff"/>
  </mask>

  <g mask="url(#round)">
    <rect width="28" height="20" fill="#555"/>
    <rect x="28" width="24" height="20" fill="#4c1"/>
    <rect width="52" height="20" fill="url(#smooth)"/>
  </g>

  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">
    <text x="14.0" y="15" fill="#010101" fill-opacity=".3">foo</text>
    <text x="14.0" y="14">foo</text>
    <text x="40.0" y="15" fill="#010101" fill-opacity=".3">up</text>
    <text x="40.0" y="14">up</text>
  </g>
</svg>
`
	if got := api.BadgeSVG("foo", "up"); got != want {
		t.Errorf("SVG differs from upstream's template:\n got %q\nwant %q", got, want)
	}

	// Widths across upstream's table (values worked out with upstream's
	// get_width), and the halves as Python's str() of a float prints them.
	for _, tc := range []struct{ label, status, w1, w2, width, x1, x2 string }{
		{"Overall Status", "down", "93", "40", "133", "46.5", "113.0"},
		{"db-backup_1", "late", "81", "31", "112", "40.5", "96.5"},
		{"WMIJ", "up", "38", "24", "62", "19.0", "50.0"},
		{"ünï €", "up", "45", "24", "69", "22.5", "57.0"}, // characters outside the table count 7
		{"0123456789", "up", "79", "24", "103", "39.5", "91.0"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "up", "202", "24", "226", "101.0", "214.0"},
		{"abcdefghijklmnopqrstuvwxyz", "late", "173", "31", "204", "86.5", "188.5"},
	} {
		svg := api.BadgeSVG(tc.label, tc.status)
		for _, want := range []string{
			`width="` + tc.width + `" height="20">`,
			`<rect width="` + tc.w1 + `" height="20" fill="#555"/>`,
			`<rect x="` + tc.w1 + `" width="` + tc.w2 + `" height="20" fill="`,
			`<text x="` + tc.x1 + `" y="14">` + tc.label + `</text>`,
			`<text x="` + tc.x2 + `" y="14">` + tc.status + `</text>`,
		} {
			if !strings.Contains(svg, want) {
				t.Errorf("%q: SVG lacks %q:\n%s", tc.label, want, svg)
			}
		}
	}
	// The label is autoescaped as Django's templates do.
	if svg := api.BadgeSVG(`<a href="x">&'`, "up"); !strings.Contains(svg, `>&lt;a href=&quot;x&quot;&gt;&amp;&#x27;</text>`) {
		t.Errorf("escaping:\n%s", svg)
	}
}

// TestUpstreamBadgeURLs ports the URL-building parts of
// hc/lib/tests/test_badges.py and hc/front/tests/test_badges.py.
func TestUpstreamBadgeURLs(t *testing.T) {
	t.Parallel()
	// test_it_generates_absolute_url
	if u := api.BadgeURL("https://example.org", "fake-key", "prod", "svg", upSecret, false); !strings.HasPrefix(u, "https://example.org/badge/fake-key/") || !strings.HasSuffix(u, "-2/prod.svg") {
		t.Errorf("absolute URL %q", u)
	}
	// test_it_previews_tag_svg
	sig := api.BadgeSignature("alices-badge-key", "foo", upSecret)
	if u := api.BadgeURL("https://example.org", "alices-badge-key", "foo", "svg", upSecret, false); u != "https://example.org/badge/alices-badge-key/"+sig+"-2/foo.svg" {
		t.Errorf("tag URL %q", u)
	}
	// test_it_handles_special_characters_in_tags: quoted, then the "%" quoted again.
	if u := api.BadgeURL("https://example.org", "alices-badge-key", "db@dc1", "svg", upSecret, false); !strings.HasSuffix(u, "/db%2540dc1.svg") {
		t.Errorf("special characters %q", u)
	}
	if u := api.BadgeURL("https://example.org", "k", "ü/ _~.-", "json", upSecret, true); !strings.HasSuffix(u, "/"+api.BadgeSignature("k", "ü/ _~.-", upSecret)+"/%25C3%25BC%252F%2520_~.-.json") {
		t.Errorf("non-ASCII tag %q", u)
	}
	// test_it_previews_master_svg: the all-checks URL has no tag part.
	if u := api.BadgeURL("https://example.org", "k", "*", "shields", upSecret, true); u != "https://example.org/badge/k/"+api.BadgeSignature("k", "*", upSecret)+".shields" {
		t.Errorf("all-checks URL %q", u)
	}
}

// TestUpstreamBadgeURLRoundTrip serves the URLs BadgeURL builds for awkward
// tags: the handler must undo both rounds of quoting.
func TestUpstreamBadgeURLRoundTrip(t *testing.T) {
	t.Parallel()
	e := newBadgeEnv(t, "sqlite")
	tags := []string{"db@dc1", "ü", "a%b", "100%25", "x+y", "a&b", "日本", "v1.2", "a/b"}
	e.add(func(c *model.Check) { c.Tags = strings.Join(tags, " ") })
	for _, tag := range tags {
		for _, fmtName := range []string{"svg", "json", "shields"} {
			u := api.BadgeURL("", e.proj.BadgeKey, tag, fmtName, upSecret, true)
			r := e.do("GET", u, nil)
			if r.code != 200 {
				t.Errorf("tag %q: GET %s: %d", tag, u, r.code)
				continue
			}
			if fmtName == "json" && r.body != `{"status": "up", "total": 1, "grace": 0, "down": 0}` {
				t.Errorf("tag %q: %s", tag, r.body)
			}
		}
	}
}

// TestUpstreamMetrics ports test_metrics.py.
func TestUpstreamMetrics(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newBadgeEnv(t, engine)
		c := e.add(func(c *model.Check) { c.Name, c.Tags = "Alice Was Here", "foo" })
		url := "/projects/" + e.proj.Code + "/metrics/" + upRO
		authURL := "/projects/" + e.proj.Code + "/metrics/"
		spec := func(c model.Check) string {
			return fmt.Sprintf(`{name="%s", tags="%s", unique_key="%s"}`, c.Name, c.Tags, c.UniqueKey())
		}

		// test_it_works
		r := e.do("GET", url, nil)
		if r.code != 200 || r.hdr.Get("Content-Type") != "text/plain" {
			t.Fatalf("metrics: %d %q %s", r.code, r.hdr.Get("Content-Type"), r.body)
		}
		for _, want := range []string{"hc_check_up" + spec(c) + " 1\n", "hc_check_started" + spec(c) + " 0\n", "hc_check_paused" + spec(c) + " 0\n",
			"hc_check_grace" + spec(c) + " 0\n", "hc_tag_up{tag=\"foo\"} 1\n", "hc_checks_total 1\n"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("metrics lack %q:\n%s", want, r.body)
			}
		}
		// The metrics view is not decorated: no CORS, no never_cache.
		if r.hdr.Get("Access-Control-Allow-Origin") != "" || r.hdr.Get("Cache-Control") != "" {
			t.Errorf("metrics headers %v", r.hdr)
		}
		full := r.body

		// test_it_accepts_hashed_ro_key / test_it_rejects_hashed_rw_key
		ctx := context.Background()
		e.proj.APIKeyReadonly = auth.HashAPIKey(upHashedR)
		if err := e.st.UpdateProject(ctx, &e.proj); err != nil {
			t.Fatal(err)
		}
		if r := e.do("GET", "/projects/"+e.proj.Code+"/metrics/"+upHashedR, nil); r.code != 200 || r.body != full {
			t.Errorf("hashed read-only key: %d", r.code)
		}
		if r := e.do("GET", "/projects/"+e.proj.Code+"/metrics/"+upRW, nil); r.code != 403 || r.body != "" {
			t.Errorf("read-write key: %d %q", r.code, r.body)
		}
		// The old read-only key no longer works.
		if r := e.do("GET", url, nil); r.code != 403 {
			t.Errorf("replaced key: %d", r.code)
		}
		e.proj.APIKeyReadonly = auth.HashAPIKey(upRO)
		if err := e.st.UpdateProject(ctx, &e.proj); err != nil {
			t.Fatal(err)
		}

		// test_authenticated_request_requires_bearer_token
		for _, authz := range []string{"", "Basic " + upRO, "bearer " + upRO, "Bearer", upRO, "Token " + upRO} {
			hdr := map[string]string{}
			if authz != "" {
				hdr["Authorization"] = authz
			}
			if r := e.do("GET", authURL, hdr); r.code != 401 || r.body != "" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("Authorization %q: %d %q %q", authz, r.code, r.body, r.hdr.Get("Content-Type"))
			}
		}
		// test_authenticated_request_accepts_bearer_token
		if r := e.do("GET", authURL, map[string]string{"Authorization": "Bearer " + upRO}); r.code != 200 || r.body != full {
			t.Errorf("bearer token: %d", r.code)
		}
		// Only the prefix "Bearer " is removed: a second space is part of the key.
		if r := e.do("GET", authURL, map[string]string{"Authorization": "Bearer  " + upRO[1:]}); r.code != 403 {
			t.Errorf("bearer with two spaces: %d", r.code)
		}

		// test_it_does_not_mangle_bearer_token
		bKey := "B" + strings.Repeat("R", 31)
		e.proj.APIKeyReadonly = auth.HashAPIKey(bKey)
		if err := e.st.UpdateProject(ctx, &e.proj); err != nil {
			t.Fatal(err)
		}
		if r := e.do("GET", authURL, map[string]string{"Authorization": "Bearer " + bKey}); r.code != 200 {
			t.Errorf("key starting with B: %d", r.code)
		}
		e.proj.APIKeyReadonly = auth.HashAPIKey(upRO)
		if err := e.st.UpdateProject(ctx, &e.proj); err != nil {
			t.Fatal(err)
		}

		// test_it_checks_api_key_length: 400 with an empty body, in both forms.
		for _, r := range []apiResp{
			e.do("GET", url+"R", nil),
			e.do("GET", "/projects/"+e.proj.Code+"/metrics/"+upRO[:31], nil),
			e.do("GET", authURL, map[string]string{"Authorization": "Bearer " + upRO + "R"}),
			e.do("GET", authURL, map[string]string{"Authorization": "Bearer "}),
		} {
			if r.code != 400 || r.body != "" {
				t.Errorf("key length: %d %q", r.code, r.body)
			}
		}

		// test_it_checks_api_key: the legacy path, an unknown key.
		if r := e.do("GET", "/projects/"+e.proj.Code+"/checks/metrics/"+strings.Repeat("X", 32), nil); r.code != 403 || r.body != "" {
			t.Errorf("unknown key: %d %q", r.code, r.body)
		}
		// The legacy path serves the same text; the UUID in the path is not
		// checked, the project comes from the key.
		for _, path := range []string{"/projects/" + e.proj.Code + "/checks/metrics/" + upRO, "/projects/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee/metrics/" + upRO} {
			if r := e.do("GET", path, nil); r.code != 200 || r.body != full {
				t.Errorf("GET %s: %d", path, r.code)
			}
		}
		// The view does not restrict the method, so safe ones are served;
		// unsafe ones meet the CSRF middleware first (the view is not
		// csrf_exempt): 403, whatever the key.
		for _, m := range []string{"HEAD", "OPTIONS"} {
			if r := e.do(m, url, nil); r.code != 200 {
				t.Errorf("%s: %d", m, r.code)
			}
		}
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			for _, path := range []string{url, authURL, "/projects/" + e.proj.Code + "/checks/metrics/" + upRW} {
				if r := e.do(m, path, nil); r.code != 403 || !strings.Contains(r.body, "CSRF verification failed") {
					t.Errorf("%s %s: %d %q, want the CSRF 403", m, path, r.code, r.body)
				}
			}
		}

		// test_it_reports_hc_check_started
		c = e.update(c, func(c *model.Check) { c.LastStart = ptime(e.now) })
		r = e.do("GET", url, nil)
		for _, want := range []string{"hc_check_up" + spec(c) + " 1\n", "hc_check_started" + spec(c) + " 1\n"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("started: lacks %q:\n%s", want, r.body)
			}
		}

		// test_it_reports_hc_check_paused
		c = e.update(c, func(c *model.Check) { c.LastStart, c.Status = nil, model.StatusPaused })
		r = e.do("GET", url, nil)
		for _, want := range []string{"hc_check_up" + spec(c) + " 1\n", "hc_check_paused" + spec(c) + " 1\n"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("paused: lacks %q:\n%s", want, r.body)
			}
		}

		// test_it_reports_hc_check_grace
		c = e.update(c, func(c *model.Check) {
			c.Timeout, c.Grace, c.Status, c.LastPing = 10*time.Minute, 10*time.Minute, model.StatusUp, ptime(e.now.Add(-15*time.Minute))
		})
		r = e.do("GET", url, nil)
		for _, want := range []string{"hc_check_up" + spec(c) + " 1\n", "hc_check_grace" + spec(c) + " 1\n"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("grace: lacks %q:\n%s", want, r.body)
			}
		}

		// test_it_escapes_newline: backslash, quote and newline in names and
		// tags; unique_key needs none.
		e.update(c, func(c *model.Check) { c.Name, c.Tags = "Line 1\nLine2", `A\C` })
		r = e.do("GET", url, nil)
		if !strings.Contains(r.body, `{name="Line 1\nLine2", tags="A\\C", unique_key="`+c.UniqueKey()+`"} 1`) ||
			!strings.Contains(r.body, `hc_tag_up{tag="A\\C"} 1`+"\n") {
			t.Errorf("escaping:\n%s", r.body)
		}
	})
}

// TestUpstreamMetricsText compares the whole exposition text with what
// upstream's view yields for the same checks: block order, HELP and TYPE
// lines, blank lines, label order, checks by id, tags sorted.
func TestUpstreamMetricsText(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newBadgeEnv(t, engine)
		a := e.add(func(c *model.Check) {
			c.Name, c.Tags, c.Status, c.LastPing = `web "front"`, "prod web", model.StatusUp, ptime(e.now.Add(-time.Hour))
			c.LastStart = ptime(e.now.Add(-time.Minute))
		})
		b := e.add(func(c *model.Check) { c.Name, c.Tags, c.Status = "db", "prod  Äpfel", model.StatusDown })
		g := e.add(func(c *model.Check) {
			c.Tags, c.Status, c.LastPing = "web", model.StatusUp, ptime(e.now.Add(-24*time.Hour-time.Minute))
		})
		p := e.add(func(c *model.Check) { c.Name, c.Status = "paused", model.StatusPaused })
		l := func(c model.Check) string {
			name := strings.ReplaceAll(c.Name, `"`, `\"`)
			return fmt.Sprintf(`{name="%s", tags="%s", unique_key="%s"}`, name, c.Tags, c.UniqueKey())
		}
		want := "# HELP hc_check_up Whether the check is currently up (1 for yes, 0 for no).\n" +
			"# TYPE hc_check_up gauge\n" +
			"hc_check_up" + l(a) + " 1\n" +
			"hc_check_up" + l(b) + " 0\n" +
			"hc_check_up" + l(g) + " 1\n" +
			"hc_check_up" + l(p) + " 1\n" +
			"\n" +
			"# HELP hc_check_started Whether the check is currently started (1 for yes, 0 for no).\n" +
			"# TYPE hc_check_started gauge\n" +
			"hc_check_started" + l(a) + " 1\n" +
			"hc_check_started" + l(b) + " 0\n" +
			"hc_check_started" + l(g) + " 0\n" +
			"hc_check_started" + l(p) + " 0\n" +
			"\n" +
			"# HELP hc_check_grace Whether the check is currently in the grace period (1 for yes, 0 for no).\n" +
			"# TYPE hc_check_grace gauge\n" +
			"hc_check_grace" + l(a) + " 0\n" +
			"hc_check_grace" + l(b) + " 0\n" +
			"hc_check_grace" + l(g) + " 1\n" +
			"hc_check_grace" + l(p) + " 0\n" +
			"\n" +
			"# HELP hc_check_paused Whether the check is currently paused (1 for yes, 0 for no).\n" +
			"# TYPE hc_check_paused gauge\n" +
			"hc_check_paused" + l(a) + " 0\n" +
			"hc_check_paused" + l(b) + " 0\n" +
			"hc_check_paused" + l(g) + " 0\n" +
			"hc_check_paused" + l(p) + " 1\n" +
			"\n" +
			"# HELP hc_tag_up Whether all checks with this tag are up (1 for yes, 0 for no).\n" +
			"# TYPE hc_tag_up gauge\n" +
			"hc_tag_up{tag=\"prod\"} 0\n" +
			"hc_tag_up{tag=\"web\"} 1\n" +
			"hc_tag_up{tag=\"Äpfel\"} 0\n" +
			"\n" +
			"# HELP hc_checks_total The total number of checks.\n" +
			// Overdue declares the two totals as counters (README, "Upgrading
			// from Healthchecks"); upstream's TYPE lines say gauge.
			"# TYPE hc_checks_total counter\n" +
			"hc_checks_total 4\n" +
			"\n" +
			"# HELP hc_checks_down_total The number of checks currently down.\n" +
			"# TYPE hc_checks_down_total counter\n" +
			"hc_checks_down_total 1\n"
		r := e.do("GET", "/projects/"+e.proj.Code+"/metrics/"+upRO, nil)
		if r.code != 200 || r.body != want {
			t.Errorf("metrics text differs (%d):\n got %q\nwant %q", r.code, r.body, want)
		}
		promtoolCheck(t, r.body)

		// A project without checks still has every block.
		_, empty := newProjectNamed(t, e.st, "empty@example.org", upHashedR)
		r = e.do("GET", "/projects/"+empty.Code+"/metrics/"+upHashedR, nil)
		wantEmpty := "# HELP hc_check_up Whether the check is currently up (1 for yes, 0 for no).\n# TYPE hc_check_up gauge\n\n" +
			"# HELP hc_check_started Whether the check is currently started (1 for yes, 0 for no).\n# TYPE hc_check_started gauge\n\n" +
			"# HELP hc_check_grace Whether the check is currently in the grace period (1 for yes, 0 for no).\n# TYPE hc_check_grace gauge\n\n" +
			"# HELP hc_check_paused Whether the check is currently paused (1 for yes, 0 for no).\n# TYPE hc_check_paused gauge\n\n" +
			"# HELP hc_tag_up Whether all checks with this tag are up (1 for yes, 0 for no).\n# TYPE hc_tag_up gauge\n\n" +
			"# HELP hc_checks_total The total number of checks.\n# TYPE hc_checks_total counter\nhc_checks_total 0\n\n" +
			"# HELP hc_checks_down_total The number of checks currently down.\n# TYPE hc_checks_down_total counter\nhc_checks_down_total 0\n"
		if r.code != 200 || r.body != wantEmpty {
			t.Errorf("empty project (%d):\n got %q\nwant %q", r.code, r.body, wantEmpty)
		}
	})
}

// newProjectNamed stores a second owner and project whose read-only key is ro.
func newProjectNamed(t *testing.T, st *store.Store, email, ro string) (model.User, model.Project) {
	t.Helper()
	ctx := context.Background()
	owner := model.User{Email: email, Password: "!", CheckLimit: 10000, PingLogLimit: 100}
	if err := st.CreateUser(ctx, &owner); err != nil {
		t.Fatal(err)
	}
	proj := model.Project{Code: "99999999-2222-4333-8444-555555555555", Name: "Empty", OwnerID: owner.ID,
		PingKey: "emptyemptyemptyemptyem", BadgeKey: "empty", APIKeyReadonly: auth.HashAPIKey(ro), Created: time.Now().UTC()}
	if err := st.CreateProject(ctx, &proj); err != nil {
		t.Fatal(err)
	}
	return owner, proj
}

// TestUpstreamMetricsRouting covers the URL patterns around the view.
func TestUpstreamMetricsRouting(t *testing.T) {
	t.Parallel()
	e := newBadgeEnv(t, "sqlite")
	code := e.proj.Code
	for _, path := range []string{
		"/projects/AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE/metrics/" + upRO, // the uuid converter is lowercase only
		"/projects/" + strings.ReplaceAll(code, "-", "") + "/metrics/" + upRO,
		"/projects/" + code + "/metrics/" + upRO + "/",
		"/projects/" + code + "/checks/metrics/",
		"/projects/" + code + "/checks/metrics",
		"/projects/" + code + "/metrics/" + upRO[:31] + "!",
		"/projects/" + code + "/other/" + upRO,
		"/projects/" + code,
		"/projects/",
	} {
		r := e.do("GET", path, map[string]string{"Authorization": "Bearer " + upRO})
		if r.code != 404 {
			t.Errorf("GET %s: %d, want 404", path, r.code)
		}
	}
	// Django's APPEND_SLASH: /metrics without the slash redirects to the
	// bearer-token form, keeping SITE_ROOT's path and the query.
	r := e.do("GET", "/projects/"+code+"/metrics?x=1", nil)
	if r.code != 301 || r.hdr.Get("Location") != "/hc/projects/"+code+"/metrics/?x=1" || r.body != "" {
		t.Errorf("no trailing slash: %d %q %q", r.code, r.hdr.Get("Location"), r.body)
	}

	// test_it_requires_prometheus_enabled: without PROMETHEUS_ENABLED the
	// handler is not mounted.
	badgesOnly := apptest.New(t, apptest.Options{Store: e.st, NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Badges: api.NewBadges(e.st, upSecret, "x", nil, nil, nil)}
	}})
	rec := badgesOnly.Record(httptest.NewRequest("GET", "/projects/"+code+"/metrics/"+upRO, nil))
	if rec.Code != 404 {
		t.Errorf("Prometheus disabled: %d", rec.Code)
	}
}
