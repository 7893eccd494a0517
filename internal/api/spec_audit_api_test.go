package api_test

// Rules of the compatibility reference (§2 check model, §3 management API)
// that no other test pinned, found by the spec audit
// (/work/notes/audit-api.md). Each case names the section it pins.

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
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestSpecAuditCreateLimits(t *testing.T) {
	t.Parallel()
	runCUCases(t, specAuditLimitCases)
}

var specAuditLimitCases = []cuCase{
	// §2.9: timeout and grace are 60 ... 31,536,000 seconds, both ends included.
	{"period_bounds_inclusive", func(t *testing.T, e *cuEnv) {
		for _, secs := range []int{60, 31536000} {
			r := cuCreate(t, e, "v3", map[string]any{"timeout": secs, "grace": secs})
			cuWantStatus(t, r, http.StatusCreated)
			doc := r.json(t)
			if doc["timeout"] != float64(secs) || doc["grace"] != float64(secs) {
				t.Errorf("%d s: %s", secs, r.body)
			}
			c := cuReload(t, e, model.Check{Code: doc["uuid"].(string)})
			if c.Timeout != time.Duration(secs)*time.Second || c.Grace != time.Duration(secs)*time.Second {
				t.Errorf("%d s stored as timeout %v grace %v", secs, c.Timeout, c.Grace)
			}
		}
		for _, tc := range []struct {
			doc map[string]any
			msg string
		}{
			{map[string]any{"grace": 59}, "grace is too small"},
			{map[string]any{"grace": 31536001}, "grace is too large"},
			{map[string]any{"grace": true}, "grace is too small"}, // True is the integer 1
		} {
			cuWant400(t, cuCreate(t, e, "v3", tc.doc), "json validation error: "+tc.msg)
		}
		// A float is not an integer, even with a zero fraction.
		cuWant400(t, e.do("POST", "/api/v3/checks/", e.rw, `{"grace": 60.0}`), "json validation error: grace is not a number")
	}},
	// §2.9 / §3.5: the length limits are inclusive and count characters.
	{"string_limits_inclusive", func(t *testing.T, e *cuEnv) {
		name := strings.Repeat("n", 100)
		slug := strings.Repeat("s", 100)
		r := cuCreate(t, e, "v3", map[string]any{"name": name, "slug": slug})
		cuWantStatus(t, r, http.StatusCreated)
		if doc := r.json(t); doc["name"] != name || doc["slug"] != slug {
			t.Errorf("%s", r.body)
		}
		// The length is checked before the pattern (pydantic's order).
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"slug": strings.Repeat("S", 101)}), "json validation error: slug is too long")
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"slug": strings.Repeat("S", 100)}), "json validation error: slug does not match pattern")
		// desc has no limit (here 200,000 characters, under the body cap).
		desc := strings.Repeat("d", 200000)
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"desc": desc}), http.StatusCreated)
	}},
	// §2.9: the schedule's 100 characters count the raw string, whitespace
	// the engines strip included.
	{"schedule_length_counts_raw_string", func(t *testing.T, e *cuEnv) {
		for _, n := range []int{100, 101} {
			s := strings.Repeat(" ", n-5) + "12:00"
			r := cuCreate(t, e, "v3", map[string]any{"schedule": s})
			if n == 101 {
				cuWant400(t, r, "json validation error: schedule is too long")
				continue
			}
			cuWantStatus(t, r, http.StatusCreated)
			c := cuReload(t, e, model.Check{Code: r.json(t)["uuid"].(string)})
			if c.Kind != model.KindOnCalendar || c.Schedule != s {
				t.Errorf("stored kind %q schedule %q", c.Kind, c.Schedule)
			}
		}
		// A 100-character cron expression (repeated list values are fine).
		cron := "00 0 * * 1" + strings.Repeat(",1", 45)
		if len(cron) != 100 {
			t.Fatalf("test expression has %d characters", len(cron))
		}
		r := cuCreate(t, e, "v3", map[string]any{"schedule": cron})
		cuWantStatus(t, r, http.StatusCreated)
		if c := cuReload(t, e, model.Check{Code: r.json(t)["uuid"].(string)}); c.Kind != model.KindCron {
			t.Errorf("kind %q", c.Kind)
		}
		// An empty schedule is an OnCalendar expression without fields.
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"schedule": ""}),
			"json validation error: schedule is not a valid cron or OnCalendar expression")
	}},
	// §3.3: the body of a POST is JSON whatever its Content-Type.
	{"content_type_is_ignored", func(t *testing.T, e *cuEnv) {
		for i, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/xml", ""} {
			name := fmt.Sprintf("ct%d", i)
			r := e.doHeaders("POST", "/api/v3/checks/", map[string]string{"Content-Type": ct, "X-Api-Key": e.rw}, `{"name": "`+name+`"}`)
			cuWantStatus(t, r, http.StatusCreated)
			if r.json(t)["name"] != name {
				t.Errorf("%q: %s", ct, r.body)
			}
		}
		// A real form body is not JSON.
		r := e.doHeaders("POST", "/api/v3/checks/", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": e.rw}, "name=x")
		cuWant400(t, r, "could not parse request body")
		// The key may come in a JSON body sent as a form.
		r = e.doHeaders("POST", "/api/v3/checks/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, `{"api_key": "`+e.rw+`"}`)
		cuWantStatus(t, r, http.StatusCreated)
	}},
	// §2.10: ping_url is always PING_ENDPOINT + UUID, even when the project
	// shows slug URLs.
	{"ping_url_is_always_the_uuid_form", func(t *testing.T, e *cuEnv) {
		e.proj.ShowSlugs = true
		if err := e.st.UpdateProject(context.Background(), &e.proj); err != nil {
			t.Fatal(err)
		}
		c := e.addCheck(func(c *model.Check) { c.Slug = "backups" })
		for _, path := range []string{"/api/v3/checks/" + c.Code, "/api/v1/checks/" + c.Code} {
			r := e.do("GET", path, e.rw, "")
			if got := r.json(t)["ping_url"]; got != "http://ping.example/"+c.Code {
				t.Errorf("%s: ping_url %v", path, got)
			}
		}
	}},
	// §2.1, §2.8: a new check via the API has the model defaults; tz alone
	// leaves it simple (and is kept for a later schedule).
	{"defaults_and_tz_alone", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v3", map[string]any{"tz": "Europe/Riga"})
		cuWantStatus(t, r, http.StatusCreated)
		doc := r.json(t)
		if _, ok := doc["tz"]; ok || doc["timeout"] != 86400.0 || doc["grace"] != 3600.0 {
			t.Errorf("%s", r.body)
		}
		c := cuReload(t, e, model.Check{Code: doc["uuid"].(string)})
		if c.Kind != model.KindSimple || c.TZ != "Europe/Riga" || c.Schedule != "* * * * *" || c.Status != model.StatusNew {
			t.Errorf("stored %+v", c)
		}
		r = cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"schedule": "0 5 * * *"})
		if doc := r.json(t); doc["tz"] != "Europe/Riga" || doc["schedule"] != "0 5 * * *" {
			t.Errorf("%s", r.body)
		}
	}},
}

// §2.3: a cron check's next ping is the first match after the last ping,
// not after the previous scheduled slot: a daily 10:00 job that pinged at
// 09:59 is expected again at 10:00 the same day.
func TestSpecAuditCronMeasuredFromLastPing(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		last := time.Date(2026, 11, 24, 9, 59, 0, 0, time.UTC)
		c := e.addCheck(func(c *model.Check) {
			c.Kind, c.Schedule, c.Status, c.LastPing = model.KindCron, "0 10 * * *", model.StatusUp, &last
		})
		for _, tc := range []struct {
			now    time.Time
			status string
		}{
			{time.Date(2026, 11, 24, 9, 59, 30, 0, time.UTC), "up"},
			{time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), "grace"},
			{time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC), "down"},
		} {
			e.now = tc.now
			doc := e.do("GET", "/api/v3/checks/"+c.Code, apiRW, "").json(t)
			if doc["next_ping"] != "2026-11-24T10:00:00+00:00" || doc["status"] != tc.status {
				t.Errorf("at %s: next_ping %v status %v, want 10:00 the same day and %s", tc.now.Format(time.TimeOnly), doc["next_ping"], doc["status"], tc.status)
			}
		}
	})
}

// §3.3: the CORS headers, OPTIONS and 405 of the GET-only endpoints, in
// every version, before authentication.
func TestSpecAuditGetEndpointsCORS(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(nil)
		e.storePings(c, 1, []model.Ping{{N: 1, Created: e.now, Body: []byte("b")}})
		for v := 1; v <= 3; v++ {
			for _, p := range []string{"checks/" + c.Code + "/pings/", "checks/" + c.Code + "/pings/1/body", "checks/" + c.Code + "/flips/",
				"checks/" + c.UniqueKey() + "/flips/", "channels/", "badges/"} {
				path := fmt.Sprintf("/api/v%d/%s", v, p)
				r := e.do("OPTIONS", path, "", "")
				if r.code != 204 || r.body != "" {
					t.Errorf("OPTIONS %s: %d %q", path, r.code, r.body)
				}
				corsHeaders(t, path, r, "GET, OPTIONS")
				for _, m := range []string{"HEAD", "POST", "PUT", "PATCH", "DELETE"} {
					r := e.do(m, path, apiRW, "")
					expectEmpty(t, m+" "+path, r, 405)
					corsHeaders(t, m+" "+path, r, "GET, OPTIONS")
				}
				r = e.do("GET", path, "", "")
				expectError(t, "no key "+path, r, 401, "missing api key")
				corsHeaders(t, "no key "+path, r, "GET, OPTIONS")
				if r := e.do("GET", path, apiRW, ""); r.code != 200 {
					t.Errorf("GET %s: %d %s", path, r.code, r.body)
				} else {
					corsHeaders(t, "GET "+path, r, "GET, OPTIONS")
				}
			}
		}
	})
}

func corsHeaders(t *testing.T, what string, r apiResp, methods string) {
	t.Helper()
	for k, want := range map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "X-Api-Key",
		"Access-Control-Allow-Methods": methods, "Access-Control-Max-Age": "600"} {
		if got := r.hdr.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
}

// §3.4: status/ runs a query and fails with 500 when the database does not
// answer (upstream: Django's error page; Overdue: a short text body).
func TestSpecAuditStatusDatabaseDown(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			// A store of the test's own (not migrated: status/ needs no
			// table), as the test closes it.
			st, err := store.Open(context.Background(), storetest.NewDatabase(t, engine))
			if err != nil {
				t.Fatal(err)
			}
			a := apptest.New(t, apptest.Options{Store: st, NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
				return server.Surfaces{API: api.NewAPI(api.APIDeps{Store: st, SiteRoot: "http://hc.example", Now: time.Now, Cache: schedule.NewCache(10)})}
			}})
			get := func() *httptest.ResponseRecorder {
				return a.Record(httptest.NewRequest("GET", "http://hc.example/api/v3/status/", nil))
			}
			if rec := get(); rec.Code != 200 || rec.Body.String() != "OK" {
				t.Fatalf("up: %d %q", rec.Code, rec.Body)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if rec := get(); rec.Code != 500 || rec.Body.String() == "OK" {
				t.Errorf("down: %d %q", rec.Code, rec.Body)
			}
		})
	}
}

// §3.7: GET checks/ reads ?tag= and ?slug= through Django's QueryDict: a
// bad escape or a ";" is part of the value (so it filters, and matches
// nothing here), bytes that are not UTF-8 become U+FFFD, and more than
// 1000 fields is Django's TooManyFieldsSent, a 400 page without CORS
// headers, raised after the key is checked.
func TestSpecAuditListChecksQueryString(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		e.addCheck(func(c *model.Check) { c.Name, c.Tags, c.Slug = "plain", "a b", "s" })
		e.addCheck(func(c *model.Check) { c.Name, c.Tags, c.Slug = "odd", "%ZZ a;b \ufffd", "s;t" })
		names := func(query string) string {
			t.Helper()
			r := e.do("GET", "/api/v3/checks/"+query, apiRW, "")
			if r.code != 200 {
				t.Fatalf("%.60s: %d %s", query, r.code, r.body)
			}
			var out []string
			for _, c := range r.json(t)["checks"].([]any) {
				out = append(out, c.(map[string]any)["name"].(string))
			}
			return strings.Join(out, ",")
		}
		for query, want := range map[string]string{
			"":                   "plain,odd",
			"?tag=%ZZ":           "odd",
			"?tag=%zz":           "",
			"?tag=a;b":           "odd",
			"?tag=a;tag=b":       "",
			"?tag=%FF":           "odd", // U+FFFD
			"?slug=s;t":          "odd",
			"?slug=s%ZZ":         "",
			"?tag=a;b&tag=%ZZ":   "odd",
			"?tag=a&tag=%ZZ":     "",
			"?tag=b&slug=%":      "",
			"?tag=b&x=%ZZ&y=a;b": "plain",
			"?" + strings.Repeat("x=1&", 999) + "tag=b": "plain", // 1000 fields
		} {
			if got := names(query); got != want {
				t.Errorf("%.60s: %q, want %q", query, got, want)
			}
		}
		many := "?" + strings.Repeat("x=1&", 1000) + "tag=b"
		r := e.do("GET", "/api/v3/checks/"+many, apiRW, "")
		if r.code != 400 || !strings.Contains(r.body, "Bad Request (400)") || r.hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("1001 fields: %d %v %.80q", r.code, r.hdr, r.body)
		}
		expectError(t, "1001 fields without a key", e.do("GET", "/api/v3/checks/"+many, "", ""), 401, "missing api key")
	})
}
