package api_test

// Upstream's hc/api/tests/test_auth.py, test_list_checks.py,
// test_get_check.py, test_delete_check.py, test_pause.py and test_resume.py,
// restated against our router and store, followed by the CORS, method and
// hostile-input behaviour of the same endpoints (hc/api/decorators.py,
// hc/api/urls.py). Each upstream test runs on a fresh database, as Django's
// TestCase does, on every engine.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// ucEnv is apiEnv with keys of its own. Each case gets a new owner, project
// and "other" project in a database shared by the cases of one test (a new
// database per case, as Django's TestCase has, costs minutes on PostgreSQL
// and MariaDB), so every key must be unique to its project.
type ucEnv struct {
	*apiEnv
	rw, ro           string // hcw_ / hcr_ keys of proj
	plainRW, plainRO string // legacy 32-character keys, see ucPlainKeys
}

// ucNewEnv stores a fresh owner with a project (keys rw and ro) and another
// project (one key, unused by the cases) and mounts the API as newAPIEnv
// does, under SITE_ROOT siteRoot.
func ucNewEnv(t *testing.T, st *store.Store) *ucEnv {
	t.Helper()
	hex := func() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }
	e := &ucEnv{apiEnv: &apiEnv{t: t, now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)},
		rw: "hcw_" + hex()[:28], ro: "hcr_" + hex()[:28], plainRW: hex(), plainRO: hex()}
	a := apptest.New(t, apptest.Options{Store: st, BasePath: "/hc", NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{API: api.NewAPI(api.APIDeps{
			Store: st, SiteRoot: siteRoot, PingEndpoint: "http://ping.example/", SecretKey: "s3cr3t",
			Now: func() time.Time { return e.now }, Cache: schedule.NewCache(100),
		})}
	}})
	e.st, e.h = st, a.Handler
	e.owner = a.AddUser(model.User{Email: hex() + "@example.org", CheckLimit: 10000, PingLogLimit: 100}, "")
	e.proj = a.AddProject(model.Project{Name: "Alice", OwnerID: e.owner.ID, APIKey: auth.HashAPIKey(e.rw),
		APIKeyReadonly: auth.HashAPIKey(e.ro), PingKey: hex()[:22], BadgeKey: hex(), Created: e.now})
	e.other = a.AddProject(model.Project{Name: "Bob", OwnerID: e.owner.ID, APIKey: auth.HashAPIKey("hcw_" + hex()[:28]),
		PingKey: hex()[:22], BadgeKey: hex(), Created: e.now})
	return e
}

// ucCase is one upstream test (or one of ours), run on a fresh environment.
type ucCase struct {
	name string
	run  func(t *testing.T, e *ucEnv)
}

// ucRun runs every case, each on its own projects, on every engine.
func ucRun(t *testing.T, cases []ucCase) {
	t.Helper()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t, engine)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, ucNewEnv(t, st)) })
			}
		})
	}
}

// ucReq sends a request with exactly the given headers (set without
// canonicalising the values, so odd bytes reach the handler as sent).
func ucReq(e *ucEnv, method, path string, hdr map[string]string, body string) apiResp {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://hc.example/hc"+path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return apiResp{rec.Code, rec.Header(), rec.Body.String()}
}

// ucPlainKeys gives the test project legacy plain-text keys, as upstream's
// fixtures have ("X"*32, and "R"*32 when a test adds a read-only key),
// stored as all of Overdue's keys are, as digests; without ro the project
// has no read-only key.
func ucPlainKeys(t *testing.T, e *ucEnv, ro bool) {
	t.Helper()
	e.proj.APIKey, e.proj.APIKeyReadonly = auth.HashAPIKey(e.plainRW), ""
	if ro {
		e.proj.APIKeyReadonly = auth.HashAPIKey(e.plainRO)
	}
	if err := e.st.UpdateProject(context.Background(), &e.proj); err != nil {
		t.Fatal(err)
	}
}

// ucAdd stores a check in a project; linkAll links it to every channel the
// project has at that moment.
func ucAdd(t *testing.T, e *ucEnv, projectID int64, linkAll bool, mut func(c *model.Check)) model.Check {
	t.Helper()
	c := model.NewCheck(projectID, e.now.Add(-48*time.Hour))
	if mut != nil {
		mut(&c)
	}
	if err := e.st.CreateCheck(context.Background(), &c, linkAll); err != nil {
		t.Fatal(err)
	}
	return c
}

func ucSave(t *testing.T, e *ucEnv, c *model.Check) {
	t.Helper()
	if err := e.st.UpdateCheck(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func ucReload(t *testing.T, e *ucEnv, c model.Check) model.Check {
	t.Helper()
	got, err := e.st.CheckByID(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ucFlips(t *testing.T, e *ucEnv, c model.Check) []model.Flip {
	t.Helper()
	flips, err := e.st.ListFlips(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return flips
}

func ucTime(t time.Time) *time.Time { return &t }

// ucWantCORS asserts upstream's four CORS headers with the endpoint's
// Access-Control-Allow-Methods.
func ucWantCORS(t *testing.T, r apiResp, methods string) {
	t.Helper()
	for k, want := range map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "X-Api-Key",
		"Access-Control-Allow-Methods": methods, "Access-Control-Max-Age": "600"} {
		if got := r.hdr.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// ucWantNoCORS: Django's Http404 escapes the cors decorator, so the page
// carries none of its headers.
func ucWantNoCORS(t *testing.T, r apiResp) {
	t.Helper()
	for k := range r.hdr {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("unexpected %s: %q", k, r.hdr.Get(k))
		}
	}
}

// ucWant404Page is Django's not-found page (get_object_or_404, or no URL
// pattern matched): HTML, no CORS headers.
func ucWant404Page(t *testing.T, r apiResp) {
	t.Helper()
	if r.code != 404 || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "Not Found") {
		t.Errorf("want Django's 404 page, got %d %q %q", r.code, r.hdr.Get("Content-Type"), r.body)
	}
	ucWantNoCORS(t, r)
}

// ucWantEmpty is a bare HttpResponse(status=...): no body, Django's
// default content type, the CORS headers of the endpoint.
func ucWantEmpty(t *testing.T, r apiResp, code int, methods string) {
	t.Helper()
	if r.code != code || r.body != "" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("want an empty %d, got %d %q %q", code, r.code, r.hdr.Get("Content-Type"), r.body)
	}
	ucWantCORS(t, r, methods)
}

func ucWantError(t *testing.T, r apiResp, code int, msg string) {
	t.Helper()
	if want := `{"error": "` + msg + `"}`; r.code != code || r.body != want || r.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("want %d %s, got %d %q %s", code, want, r.code, r.hdr.Get("Content-Type"), r.body)
	}
}

const (
	ucMethodsList   = "GET, POST, OPTIONS"
	ucMethodsSingle = "POST, DELETE, GET, OPTIONS"
	ucMethodsGet    = "GET, OPTIONS"
	ucMethodsPost   = "POST, OPTIONS"
)

// --- test_auth.py -----------------------------------------------------------

func TestUpstreamAuth(t *testing.T) {
	t.Parallel()
	get := func(e *ucEnv, key string) apiResp { return e.do("GET", "/api/v1/checks/", key, "") }
	post := func(e *ucEnv, key string) apiResp { return e.do("POST", "/api/v1/checks/", key, `{"name": "Foo"}`) }
	ucRun(t, []ucCase{
		{"plain_text_api_key_works", func(t *testing.T, e *ucEnv) {
			ucPlainKeys(t, e, false)
			if r := get(e, e.plainRW); r.code != 200 {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"plain_text_readonly_key_works", func(t *testing.T, e *ucEnv) {
			ucPlainKeys(t, e, true)
			ucAdd(t, e, e.proj.ID, false, nil)
			r := get(e, e.plainRO)
			if r.code != 200 || !strings.Contains(r.body, `"unique_key": `) || strings.Contains(r.body, `"uuid"`) {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"rejects_wrong_key", func(t *testing.T, e *ucEnv) {
			ucPlainKeys(t, e, false)
			ucWantError(t, get(e, strings.Repeat("W", 32)), 401, "wrong api key")
		}},
		{"ro_endpoint_accepts_hashed_api_key", func(t *testing.T, e *ucEnv) {
			if r := get(e, e.rw); r.code != 200 {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"ro_endpoint_accepts_hashed_readonly_key", func(t *testing.T, e *ucEnv) {
			if r := get(e, e.ro); r.code != 200 {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"rw_endpoint_accepts_hashed_api_key", func(t *testing.T, e *ucEnv) {
			if r := post(e, e.rw); r.code != 201 || r.json(t)["name"] != "Foo" {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"rw_endpoint_rejects_hashed_readonly_key", func(t *testing.T, e *ucEnv) {
			ucWantError(t, post(e, e.ro), 401, "wrong api key")
			if checks, _ := e.st.ListChecks(context.Background(), e.proj.ID); len(checks) != 0 {
				t.Errorf("a check was created: %+v", checks)
			}
		}},
		// Upstream asserts with a mock that no digest is compared when the
		// stored key is plain text; what a client sees is the 401.
		{"does_not_compare_digest_to_plaintext_key", func(t *testing.T, e *ucEnv) {
			ucPlainKeys(t, e, false)
			ucWantError(t, post(e, "hcw_"+strings.Repeat("X", 28)), 401, "wrong api key")
		}},

		// Ours: the key rules of authorize / authorize_read.
		{"key_must_be_exactly_32_characters", func(t *testing.T, e *ucEnv) {
			for _, key := range []string{e.rw[:31], e.rw + "x", " " + e.rw[1:] + " ", strings.Repeat("x", 1000)} {
				ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": key}, ""), 401, "missing api key")
			}
			ucWantError(t, e.do("GET", "/api/v3/checks/", "", ""), 401, "missing api key")
			ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": ""}, ""), 401, "missing api key")
		}},
		{"header_is_measured_in_bytes", func(t *testing.T, e *ucEnv) {
			// WSGI hands Django header values decoded as Latin-1, so a
			// header's length is its length in bytes: 16 two-byte
			// characters are a 32-character (wrong) key, 32 of them are not
			// a key at all.
			ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": strings.Repeat("é", 16)}, ""), 401, "wrong api key")
			ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": strings.Repeat("é", 32)}, ""), 401, "missing api key")
			// Bytes that are not UTF-8 at all, and control bytes that a
			// proxy might let through: a wrong key, never a 500.
			for _, key := range []string{strings.Repeat("\xff", 32), strings.Repeat("\x00", 32), "hcw_" + strings.Repeat("\x80", 28), "hcr_" + strings.Repeat("%", 28)} {
				ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": key}, ""), 401, "wrong api key")
			}
		}},
		{"body_key_is_measured_in_characters", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			url := "/api/v3/checks/" + c.Code + "/pause"
			ucWantError(t, e.do("POST", url, "", `{"api_key": "`+strings.Repeat("é", 32)+`"}`), 401, "wrong api key")
			ucWantError(t, e.do("POST", url, "", `{"api_key": "`+strings.Repeat("é", 16)+`"}`), 401, "missing api key")
		}},
		{"api_key_in_body_is_str_of_the_value", func(t *testing.T, e *ucEnv) {
			// authorize takes str(value): a number of 32 digits is a
			// 32-character key (wrong), null is "None", true is "True", and
			// no float prints as 32 characters.
			c := ucAdd(t, e, e.proj.ID, false, nil)
			url := "/api/v3/checks/" + c.Code + "/pause"
			for body, msg := range map[string]string{
				`{"api_key": 12345678901234567890123456789012}`:  "wrong api key",
				`{"api_key": -1234567890123456789012345678901}`:  "wrong api key",
				`{"api_key": 0.123456789012345678901234567890}`:  "missing api key",
				`{"api_key": 1234567890123456789012345678901.0}`: "missing api key",
				`{"api_key": null}`:                              "missing api key",
				`{"api_key": true}`:                              "missing api key",
				`{"api_key": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}`:  "wrong api key",   // ['aaa…'] is 32 characters
				`{"api_key": ["aaaaaaaaaaaaaaaaaaaaaa", 1, 2]}`:  "wrong api key",   // ['aaa…', 1, 2]
				`{"api_key": {"aaaaaaaaaaaaaaaaaaaaaaaa": 1}}`:   "missing api key", // {'aaa…': 1} is 31
				`{"api_key": {"aaaaaaaaaaaaaaaaaaaaaaaaa": 1}}`:  "wrong api key",
				`{"api_key": ""}`:                                "missing api key",
			} {
				ucWantError(t, e.do("POST", url, "", body), 401, msg)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusNew {
				t.Errorf("paused with a bad key: %s", got.Status)
			}
		}},
		{"header_wins_over_body", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			url := "/api/v3/checks/" + c.Code + "/pause"
			body := `{"api_key": "` + e.rw + `"}`
			// An empty X-Api-Key header is still "in request.headers".
			ucWantError(t, ucReq(e, "POST", url, map[string]string{"X-Api-Key": ""}, body), 401, "missing api key")
			ucWantError(t, e.do("POST", url, e.ro, body), 401, "wrong api key")
			if r := e.do("POST", url, e.rw, `{"api_key": "short"}`); r.code != 200 {
				t.Errorf("header key with a bad body key: %d %s", r.code, r.body)
			}
		}},
		{"api_key_in_body_only_for_post", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			body := `{"api_key": "` + e.rw + `"}`
			for _, rq := range []struct{ method, path string }{
				{"GET", "/api/v3/checks/"}, {"GET", "/api/v3/checks/" + c.Code}, {"GET", "/api/v3/checks/" + c.UniqueKey()},
				{"DELETE", "/api/v3/checks/" + c.Code},
			} {
				ucWantError(t, e.do(rq.method, rq.path, "", body), 401, "missing api key")
			}
			// GET and DELETE do not parse the body at all.
			if r := e.do("GET", "/api/v3/checks/", e.rw, "{not json"); r.code != 200 {
				t.Errorf("GET with a junk body: %d %s", r.code, r.body)
			}
			if r := e.do("DELETE", "/api/v3/checks/"+c.Code, e.rw, "[1]"); r.code != 200 {
				t.Errorf("DELETE with a junk body: %d %s", r.code, r.body)
			}
		}},
		{"readonly_key_only_reads", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Status = model.StatusPaused })
			for _, rq := range []struct{ method, path string }{
				{"POST", "/api/v3/checks/"}, {"POST", "/api/v3/checks/" + c.Code}, {"DELETE", "/api/v3/checks/" + c.Code},
				{"POST", "/api/v3/checks/" + c.Code + "/pause"}, {"POST", "/api/v3/checks/" + c.Code + "/resume"},
			} {
				ucWantError(t, e.do(rq.method, rq.path, e.ro, ""), 401, "wrong api key")
			}
			for _, path := range []string{"/api/v3/checks/", "/api/v3/checks/" + c.Code, "/api/v3/checks/" + c.UniqueKey()} {
				if r := e.do("GET", path, e.ro, ""); r.code != 200 {
					t.Errorf("GET %s: %d %s", path, r.code, r.body)
				}
			}
			if got := ucReload(t, e, c); got.Status != model.StatusPaused {
				t.Errorf("read-only key changed the check: %s", got.Status)
			}
		}},
		{"auth_errors_come_with_cors", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			r := e.do("GET", "/api/v3/checks/", "", "")
			ucWantCORS(t, r, ucMethodsList)
			r = e.do("POST", "/api/v3/checks/"+c.Code+"/pause", "bad", "")
			ucWantError(t, r, 401, "missing api key")
			ucWantCORS(t, r, ucMethodsPost)
			r = e.do("POST", "/api/v3/checks/"+c.Code+"/resume", "", "{")
			ucWantError(t, r, 400, "could not parse request body")
			ucWantCORS(t, r, ucMethodsPost)
		}},
	})
}

// --- test_list_checks.py ----------------------------------------------------

// ucListFixture is upstream's setUp: "Alice 1" (new, linked to a channel)
// and "Alice 2" (up, pinged now), with the legacy "X"*32 key.
func ucListFixture(t *testing.T, e *ucEnv) (a1, a2 model.Check, c1 model.Channel) {
	ucPlainKeys(t, e, false)
	c1 = e.addChannel(e.proj.ID, "", "email")
	a1 = ucAdd(t, e, e.proj.ID, true, func(c *model.Check) {
		c.Name, c.Slug, c.Timeout, c.Grace = "Alice 1", "alice-1", time.Hour, 15*time.Minute
		c.Tags, c.Desc = "a1-tag a1-additional-tag", "This is description"
	})
	a2 = ucAdd(t, e, e.proj.ID, false, func(c *model.Check) {
		c.Name, c.Timeout, c.Grace, c.Status, c.Tags = "Alice 2", 24*time.Hour, time.Hour, model.StatusUp, "a2-tag"
		c.LastPing = ucTime(e.now)
	})
	return a1, a2, c1
}

// ucChecks decodes a checks/ list into objects keyed by name.
func ucChecks(t *testing.T, r apiResp) map[string]map[string]any {
	t.Helper()
	if r.code != 200 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	list, ok := r.json(t)["checks"].([]any)
	if !ok {
		t.Fatalf("no checks array: %s", r.body)
	}
	out := map[string]map[string]any{}
	for _, item := range list {
		c := item.(map[string]any)
		out[c["name"].(string)] = c
	}
	if len(out) != len(list) {
		t.Fatalf("duplicate names in %s", r.body)
	}
	return out
}

func ucNames(t *testing.T, r apiResp) []string {
	t.Helper()
	var names []string
	for name := range ucChecks(t, r) {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func TestUpstreamListChecks(t *testing.T) {
	t.Parallel()
	list := func(e *ucEnv, query string) apiResp { return e.do("GET", "/api/v1/checks/"+query, e.plainRW, "") }
	ucRun(t, []ucCase{
		{"works", func(t *testing.T, e *ucEnv) {
			a1, a2, c1 := ucListFixture(t, e)
			r := list(e, "")
			ucWantCORS(t, r, ucMethodsList)
			if r.hdr.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.hdr.Get("Content-Type"))
			}
			checks := ucChecks(t, r)
			if len(checks) != 2 {
				t.Fatalf("%d checks: %s", len(checks), r.body)
			}
			update := siteRoot + "/api/v1/checks/" + a1.Code
			for k, want := range map[string]any{"uuid": a1.Code, "timeout": 3600.0, "grace": 900.0, "ping_url": "http://ping.example/" + a1.Code,
				"last_ping": nil, "n_pings": 0.0, "status": "new", "started": false, "channels": c1.Code, "desc": "This is description",
				"update_url": update, "pause_url": update + "/pause", "resume_url": update + "/resume", "next_ping": nil} {
				if got := checks["Alice 1"][k]; got != want {
					t.Errorf("Alice 1 %s = %#v, want %#v", k, got, want)
				}
			}
			for k, want := range map[string]any{"uuid": a2.Code, "timeout": 86400.0, "grace": 3600.0, "ping_url": "http://ping.example/" + a2.Code,
				"status": "up", "last_ping": "2026-11-24T12:00:00+00:00", "next_ping": "2026-11-25T12:00:00+00:00", "channels": ""} {
				if got := checks["Alice 2"][k]; got != want {
					t.Errorf("Alice 2 %s = %#v, want %#v", k, got, want)
				}
			}
		}},
		{"handles_options", func(t *testing.T, e *ucEnv) {
			r := e.do("OPTIONS", "/api/v1/checks/", "", "")
			if r.code != 204 || r.body != "" {
				t.Errorf("%d %q", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsList)
		}},
		{"shows_only_users_checks", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			ucAdd(t, e, e.other.ID, false, func(c *model.Check) { c.Name = "Bob 1" })
			if got := ucNames(t, list(e, "")); !slices.Equal(got, []string{"Alice 1", "Alice 2"}) {
				t.Errorf("listed %v", got)
			}
		}},
		{"works_with_tags_param", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			checks := ucChecks(t, list(e, "?tag=a2-tag"))
			if len(checks) != 1 || checks["Alice 2"]["tags"] != "a2-tag" {
				t.Errorf("%v", checks)
			}
		}},
		{"filters_with_multiple_tags_param", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			checks := ucChecks(t, list(e, "?tag=a1-tag&tag=a1-additional-tag"))
			if len(checks) != 1 || checks["Alice 1"]["tags"] != "a1-tag a1-additional-tag" {
				t.Errorf("%v", checks)
			}
		}},
		{"does_not_match_tag_partially", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			if r := list(e, "?tag=tag"); r.body != `{"checks": []}` {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"non_existing_tags_filter_returns_empty_result", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			if r := list(e, "?tag=non_existing_tag_with_no_checks"); r.code != 200 || r.body != `{"checks": []}` {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		// Upstream also counts queries (3 with a read-write key, 2 with a
		// read-only one); ours are 2 and 1, see listChecks.
		{"readonly_key_works", func(t *testing.T, e *ucEnv) {
			a1, a2, _ := ucListFixture(t, e)
			ucPlainKeys(t, e, true)
			r := e.do("GET", "/api/v1/checks/", e.plainRO, "")
			if r.code != 200 || strings.Contains(r.body, a1.Code) || strings.Contains(r.body, a2.Code) {
				t.Fatalf("%d %s", r.code, r.body)
			}
			checks := ucChecks(t, r)
			if checks["Alice 1"]["unique_key"] != a1.UniqueKey() || checks["Alice 2"]["unique_key"] != a2.UniqueKey() {
				t.Errorf("unique keys: %s", r.body)
			}
		}},
		{"v1_reports_status_started", func(t *testing.T, e *ucEnv) {
			a1, a2, _ := ucListFixture(t, e)
			a1.LastStart = ucTime(e.now)
			ucSave(t, e, &a1)
			if err := e.st.DeleteCheck(context.Background(), a2.ID); err != nil {
				t.Fatal(err)
			}
			c := ucChecks(t, list(e, ""))["Alice 1"]
			if c["status"] != "started" || c["started"] != true {
				t.Errorf("status %v started %v", c["status"], c["started"])
			}
		}},
		{"v2_reports_started_separately", func(t *testing.T, e *ucEnv) {
			a1, a2, _ := ucListFixture(t, e)
			a1.LastStart = ucTime(e.now)
			ucSave(t, e, &a1)
			if err := e.st.DeleteCheck(context.Background(), a2.ID); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"v2", "v3"} {
				c := ucChecks(t, e.do("GET", "/api/"+v+"/checks/", e.plainRW, ""))["Alice 1"]
				if c["status"] != "new" || c["started"] != true {
					t.Errorf("%s: status %v started %v", v, c["status"], c["started"])
				}
			}
		}},
		{"works_with_slug_param", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			if got := ucNames(t, list(e, "?slug=alice-1")); !slices.Equal(got, []string{"Alice 1"}) {
				t.Errorf("listed %v", got)
			}
		}},

		// Ours.
		{"slug_filter_returns_every_duplicate", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Name, c.Slug = "Alice 1 again", "alice-1" })
			if got := ucNames(t, list(e, "?slug=alice-1")); !slices.Equal(got, []string{"Alice 1", "Alice 1 again"}) {
				t.Errorf("listed %v", got)
			}
			// request.GET.get takes the last value; an empty one is no filter.
			if got := ucNames(t, list(e, "?slug=nope&slug=alice-1")); len(got) != 2 {
				t.Errorf("last slug wins: %v", got)
			}
			if got := ucNames(t, list(e, "?slug=")); len(got) != 3 {
				t.Errorf("empty slug: %v", got)
			}
			if got := ucNames(t, list(e, "?slug=ALICE-1")); len(got) != 0 {
				t.Errorf("slug is case-sensitive: %v", got)
			}
		}},
		{"tag_filter_edges", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Name, c.Tags = "Commas", "bar,baz  a2-tag " })
			for query, want := range map[string][]string{
				"?tag=":                        nil, // a tag set {""} matches no check
				"?tag=a2-tag&tag=a2-tag":       {"Alice 2", "Commas"},
				"?tag=bar":                     nil, // "bar,baz" is one tag
				"?tag=bar,baz":                 {"Commas"},
				"?tag=A2-TAG":                  nil,
				"?tag=a2-tag&slug=":            {"Alice 2", "Commas"},
				"?tag=a1-tag&tag=a2-tag":       nil,
				"?tag=%FF":                     nil,
				"?tag=a1-tag&slug=alice-1":     {"Alice 1"},
				"?tag=a1-additional-tag&x=1&y": {"Alice 1"},
			} {
				if got := ucNames(t, list(e, query)); !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", query, got, want)
				}
			}
		}},
		{"readonly_list_shape", func(t *testing.T, e *ucEnv) {
			ucListFixture(t, e)
			ucPlainKeys(t, e, true)
			r := e.do("GET", "/api/v3/checks/", e.plainRO, "")
			for _, c := range ucChecks(t, r) {
				if _, ok := c["channels"]; ok {
					t.Errorf("read-only list has channels: %v", c)
				}
				if len(c) != 24 {
					t.Errorf("%d keys: %v", len(c), c)
				}
			}
		}},
		{"empty_project", func(t *testing.T, e *ucEnv) {
			if r := e.do("GET", "/api/v3/checks/", e.rw, ""); r.code != 200 || r.body != `{"checks": []}` {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
	})
}

// --- test_get_check.py ------------------------------------------------------

func ucGetFixture(t *testing.T, e *ucEnv) (model.Check, model.Channel) {
	ucPlainKeys(t, e, false)
	c1 := e.addChannel(e.proj.ID, "", "email")
	a1 := ucAdd(t, e, e.proj.ID, true, func(c *model.Check) {
		c.Name, c.Slug, c.Timeout, c.Grace = "Alice 1", "alice-1-custom-slug", time.Hour, 15*time.Minute
		c.Tags, c.Desc = "a1-tag a1-additional-tag", "This is description"
		c.FilterSubject, c.StartKw, c.SuccessKw, c.FailureKw = true, "START", "SUCCESS", "ERROR"
	})
	return a1, c1
}

func TestUpstreamGetCheck(t *testing.T) {
	t.Parallel()
	get := func(e *ucEnv, id, key string, v int) apiResp {
		return e.do("GET", fmt.Sprintf("/api/v%d/checks/%s", v, id), key, "")
	}
	started := func(t *testing.T, e *ucEnv, a1 model.Check, id string) {
		a1.LastStart = ucTime(e.now)
		ucSave(t, e, &a1)
		doc := get(e, id, e.plainRW, 1).json(t)
		if doc["status"] != "started" || doc["started"] != true {
			t.Errorf("v1: status %v started %v", doc["status"], doc["started"])
		}
		for _, v := range []int{2, 3} {
			doc = get(e, id, e.plainRW, v).json(t)
			if doc["status"] != "new" || doc["started"] != true {
				t.Errorf("v%d: status %v started %v", v, doc["status"], doc["started"])
			}
		}
	}
	ucRun(t, []ucCase{
		{"works", func(t *testing.T, e *ucEnv) {
			a1, c1 := ucGetFixture(t, e)
			r := get(e, a1.Code, e.plainRW, 1)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsSingle)
			want := slices.Concat(rwKeysHead, rwKeysTail, []string{"timeout"})
			if got := keysOf(t, r.body); len(got) != 29 || !slices.Equal(got, want) {
				t.Errorf("keys %v", got)
			}
			doc := r.json(t)
			for k, want := range map[string]any{"uuid": a1.Code, "slug": "alice-1-custom-slug", "timeout": 3600.0, "grace": 900.0,
				"ping_url": "http://ping.example/" + a1.Code, "last_ping": nil, "n_pings": 0.0, "status": "new", "started": false,
				"channels": c1.Code, "desc": "This is description", "manual_resume": false, "methods": "", "subject": "SUCCESS",
				"subject_fail": "ERROR", "start_kw": "START", "success_kw": "SUCCESS", "failure_kw": "ERROR", "filter_subject": true,
				"filter_body": false, "filter_http_body": false, "filter_default_fail": false,
				"badge_url": siteRoot + "/b/2/" + a1.BadgeKey + ".svg", "update_url": siteRoot + "/api/v1/checks/" + a1.Code} {
				if doc[k] != want {
					t.Errorf("%s = %#v, want %#v", k, doc[k], want)
				}
			}
		}},
		{"handles_invalid_uuid", func(t *testing.T, e *ucEnv) {
			ucGetFixture(t, e)
			ucWant404Page(t, get(e, "not-an-uuid", e.plainRW, 1))
		}},
		{"handles_missing_check", func(t *testing.T, e *ucEnv) {
			ucGetFixture(t, e)
			ucWant404Page(t, get(e, "07c2f548-9850-4b27-af5d-6c9dc157ec02", e.plainRW, 1))
		}},
		{"handles_unique_key", func(t *testing.T, e *ucEnv) {
			a1, c1 := ucGetFixture(t, e)
			r := get(e, a1.UniqueKey(), e.plainRW, 1)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsGet)
			if got := keysOf(t, r.body); len(got) != 29 {
				t.Errorf("keys %v", got)
			}
			doc := r.json(t)
			for k, want := range map[string]any{"timeout": 3600.0, "grace": 900.0, "ping_url": "http://ping.example/" + a1.Code,
				"last_ping": nil, "n_pings": 0.0, "status": "new", "channels": c1.Code, "desc": "This is description"} {
				if doc[k] != want {
					t.Errorf("%s = %#v, want %#v", k, doc[k], want)
				}
			}
		}},
		{"rejects_post_unique_key", func(t *testing.T, e *ucEnv) {
			a1, _ := ucGetFixture(t, e)
			ucWantEmpty(t, e.do("POST", "/api/v1/checks/"+a1.UniqueKey(), "", ""), 405, ucMethodsGet)
			ucWantEmpty(t, e.do("DELETE", "/api/v1/checks/"+a1.UniqueKey(), e.plainRW, ""), 405, ucMethodsGet)
			if _, err := e.st.CheckByID(context.Background(), a1.ID); err != nil {
				t.Errorf("check gone: %v", err)
			}
		}},
		{"readonly_key_works", func(t *testing.T, e *ucEnv) {
			a1, _ := ucGetFixture(t, e)
			ucPlainKeys(t, e, true)
			r := get(e, a1.Code, e.plainRO, 1)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			for _, s := range []string{a1.Code, "uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"} {
				if strings.Contains(r.body, s) {
					t.Errorf("read-only response contains %q: %s", s, r.body)
				}
			}
			if got, want := keysOf(t, r.body), slices.Concat(rwKeysHead, []string{"unique_key", "timeout"}); !slices.Equal(got, want) {
				t.Errorf("keys %v", got)
			}
			if r.json(t)["unique_key"] != a1.UniqueKey() {
				t.Errorf("unique_key: %s", r.body)
			}
		}},
		{"v1_reports_status_started", func(t *testing.T, e *ucEnv) {
			a1, _ := ucGetFixture(t, e)
			started(t, e, a1, a1.Code)
		}},
		{"v1_by_unique_key_reports_status_started", func(t *testing.T, e *ucEnv) {
			a1, _ := ucGetFixture(t, e)
			started(t, e, a1, a1.UniqueKey())
		}},

		// Ours.
		{"other_projects_check", func(t *testing.T, e *ucEnv) {
			ucGetFixture(t, e)
			bob := ucAdd(t, e, e.other.ID, false, nil)
			ucWantEmpty(t, get(e, bob.Code, e.plainRW, 3), 403, ucMethodsSingle)
			// unique_key lookups walk the key's own project only: 404, and
			// it is a bare HttpResponseNotFound (empty, with CORS).
			ucWantEmpty(t, get(e, bob.UniqueKey(), e.plainRW, 3), 404, ucMethodsGet)
			ucWantEmpty(t, get(e, strings.Repeat("0", 40), e.plainRW, 3), 404, ucMethodsGet)
		}},
		{"readonly_unique_key", func(t *testing.T, e *ucEnv) {
			a1, _ := ucGetFixture(t, e)
			ucPlainKeys(t, e, true)
			r := get(e, a1.UniqueKey(), e.plainRO, 2)
			if r.code != 200 || strings.Contains(r.body, a1.Code) || r.json(t)["unique_key"] != a1.UniqueKey() {
				t.Errorf("%d %s", r.code, r.body)
			}
		}},
		{"cron_check_and_last_duration", func(t *testing.T, e *ucEnv) {
			d := 93 * time.Second
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) {
				c.Kind, c.Schedule, c.TZ, c.Status = model.KindCron, "0 10 * * *", "Europe/Riga", model.StatusUp
				c.LastPing, c.LastDuration = ucTime(e.now.Add(-1500*time.Millisecond)), &d
			})
			r := get(e, c.Code, e.rw, 3)
			want := slices.Concat(rwKeysHead, []string{"last_duration"}, rwKeysTail, []string{"schedule", "tz"})
			if got := keysOf(t, r.body); !slices.Equal(got, want) {
				t.Errorf("keys %v", got)
			}
			doc := r.json(t)
			// 10:00 in Riga (UTC+2 in November) after 11:59:58 UTC.
			for k, want := range map[string]any{"last_duration": 93.0, "schedule": "0 10 * * *", "tz": "Europe/Riga",
				"last_ping": "2026-11-24T11:59:58+00:00", "next_ping": "2026-11-25T08:00:00+00:00", "status": "up"} {
				if doc[k] != want {
					t.Errorf("%s = %#v, want %#v", k, doc[k], want)
				}
			}
			// A zero duration is falsy upstream: left out.
			zero := time.Duration(0)
			c.LastDuration = &zero
			ucSave(t, e, &c)
			if r := get(e, c.Code, e.rw, 3); strings.Contains(r.body, "last_duration") {
				t.Errorf("zero last_duration shown: %s", r.body)
			}
		}},
		{"started_past_grace_is_down_in_every_version", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) {
				c.Status, c.Grace, c.LastStart = model.StatusPaused, time.Hour, ucTime(e.now.Add(-time.Hour))
			})
			for v := 1; v <= 3; v++ {
				doc := get(e, c.Code, e.rw, v).json(t)
				// next_ping: a paused check that got /start has a deadline.
				if doc["status"] != "down" || doc["started"] != true || doc["next_ping"] != "2026-11-24T11:00:00+00:00" {
					t.Errorf("v%d: %v %v %v", v, doc["status"], doc["started"], doc["next_ping"])
				}
			}
		}},
	})
}

// --- test_delete_check.py ---------------------------------------------------

func TestUpstreamDeleteCheck(t *testing.T) {
	t.Parallel()
	del := func(e *ucEnv, v int, c model.Check, key string) apiResp {
		return e.do("DELETE", fmt.Sprintf("/api/v%d/checks/%s", v, c.Code), key, "")
	}
	gone := func(t *testing.T, e *ucEnv, c model.Check) bool {
		_, err := e.st.CheckByID(context.Background(), c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err != nil
	}
	ucRun(t, []ucCase{
		{"works", func(t *testing.T, e *ucEnv) {
			ucPlainKeys(t, e, false)
			c := ucAdd(t, e, e.proj.ID, false, nil)
			r := del(e, 2, c, e.plainRW)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsSingle)
			if !gone(t, e, c) {
				t.Error("still there")
			}
		}},
		{"handles_missing_check", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			if err := e.st.DeleteCheck(context.Background(), c.ID); err != nil {
				t.Fatal(err)
			}
			ucWant404Page(t, del(e, 2, c, e.rw))
		}},
		{"handles_options", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			r := e.do("OPTIONS", "/api/v2/checks/"+c.Code, "", "")
			if r.code != 204 || r.body != "" {
				t.Errorf("%d %q", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsSingle)
		}},
		{"handles_missing_api_key", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, nil)
			ucWantError(t, del(e, 2, c, ""), 401, "missing api key")
			if gone(t, e, c) {
				t.Error("deleted without a key")
			}
		}},
		{"v1_reports_status_started", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.LastStart = ucTime(e.now) })
			doc := del(e, 1, c, e.rw).json(t)
			if doc["status"] != "started" || doc["started"] != true {
				t.Errorf("status %v started %v", doc["status"], doc["started"])
			}
		}},
		{"v2_reports_started_separately", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.LastStart = ucTime(e.now) })
			doc := del(e, 2, c, e.rw).json(t)
			if doc["status"] != "new" || doc["started"] != true {
				t.Errorf("status %v started %v", doc["status"], doc["started"])
			}
		}},

		// Ours.
		{"answers_with_the_state_before_deletion", func(t *testing.T, e *ucEnv) {
			e.addChannel(e.proj.ID, "mail", "email")
			c := ucAdd(t, e, e.proj.ID, true, func(c *model.Check) {
				c.Name, c.Slug, c.Status, c.NPings, c.LastPing = "Doomed", "doomed", model.StatusUp, 7, ucTime(e.now.Add(-time.Minute))
			})
			r := del(e, 3, c, e.rw)
			if got, want := keysOf(t, r.body), slices.Concat(rwKeysHead, rwKeysTail, []string{"timeout"}); !slices.Equal(got, want) {
				t.Errorf("keys %v", got)
			}
			doc := r.json(t)
			// Upstream renders the check after the delete, when its channel
			// links are gone: "channels" is "".
			for k, want := range map[string]any{"name": "Doomed", "slug": "doomed", "uuid": c.Code, "status": "up", "n_pings": 7.0,
				"channels": "", "update_url": siteRoot + "/api/v3/checks/" + c.Code, "next_ping": "2026-11-25T11:59:00+00:00"} {
				if doc[k] != want {
					t.Errorf("%s = %#v, want %#v", k, doc[k], want)
				}
			}
			ucWant404Page(t, e.do("GET", "/api/v3/checks/"+c.Code, e.rw, ""))
			ucWant404Page(t, del(e, 3, c, e.rw))
			if r := e.do("GET", "/api/v3/checks/"+c.UniqueKey(), e.rw, ""); r.code != 404 {
				t.Errorf("by unique key after delete: %d", r.code)
			}
		}},
		{"other_project_and_readonly_key", func(t *testing.T, e *ucEnv) {
			bob := ucAdd(t, e, e.other.ID, false, nil)
			ucWantEmpty(t, del(e, 3, bob, e.rw), 403, ucMethodsSingle)
			mine := ucAdd(t, e, e.proj.ID, false, nil)
			ucWantError(t, del(e, 3, mine, e.ro), 401, "wrong api key")
			if gone(t, e, bob) || gone(t, e, mine) {
				t.Error("deleted")
			}
		}},
	})
}

// --- test_pause.py ----------------------------------------------------------

func TestUpstreamPause(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, e *ucEnv) (model.Check, string) {
		ucPlainKeys(t, e, false)
		c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Status, c.LastPing = model.StatusUp, ucTime(e.now) })
		return c, "/api/v3/checks/" + c.Code + "/pause"
	}
	ucRun(t, []ucCase{
		{"works", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			r := e.do("POST", url, e.plainRW, "")
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
			if got := ucReload(t, e, c); got.Status != model.StatusPaused {
				t.Errorf("status %s", got.Status)
			}
			flips := ucFlips(t, e, c)
			if len(flips) != 1 || flips[0].OldStatus != "up" || flips[0].NewStatus != "paused" || flips[0].Processed == nil ||
				!flips[0].Processed.Equal(flips[0].Created) || !flips[0].Created.Equal(e.now) {
				t.Errorf("flips %+v", flips)
			}
			doc := r.json(t)
			if doc["status"] != "paused" || doc["next_ping"] != nil || doc["last_ping"] != "2026-11-24T12:00:00+00:00" || doc["uuid"] != c.Code {
				t.Errorf("response %s", r.body)
			}
		}},
		{"accepts_api_key_in_post_body", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			if r := e.do("POST", url, "", `{"api_key": "`+e.plainRW+`"}`); r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusPaused {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"handles_options", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			r := e.do("OPTIONS", url, "", "")
			if r.code != 204 || r.body != "" {
				t.Errorf("%d %q", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
		}},
		{"only_allows_post", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			for _, m := range []string{"GET", "HEAD", "PUT", "PATCH", "DELETE"} {
				ucWantEmpty(t, e.do(m, url, e.plainRW, ""), 405, ucMethodsPost)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusUp {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"validates_ownership", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			bob := ucAdd(t, e, e.other.ID, false, func(c *model.Check) { c.Status = model.StatusUp })
			ucWantEmpty(t, e.do("POST", "/api/v1/checks/"+bob.Code+"/pause", e.plainRW, ""), 403, ucMethodsPost)
			if got := ucReload(t, e, bob); got.Status != model.StatusUp || len(ucFlips(t, e, bob)) != 0 {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"validates_uuid", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			ucWant404Page(t, e.do("POST", "/api/v1/checks/not-uuid/pause", e.plainRW, ""))
		}},
		{"handles_missing_check", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			ucWant404Page(t, e.do("POST", "/api/v1/checks/07c2f548-9850-4b27-af5d-6c9dc157ec02/pause", e.plainRW, ""))
		}},
		{"clears_last_start_alert_after", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			c.LastStart, c.AlertAfter = ucTime(e.now), ucTime(e.now.Add(time.Hour))
			ucSave(t, e, &c)
			r := e.do("POST", url, e.plainRW, "")
			if r.code != 200 || r.json(t)["started"] != false {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
			if got := ucReload(t, e, c); got.LastStart != nil || got.AlertAfter != nil {
				t.Errorf("last_start %v alert_after %v", got.LastStart, got.AlertAfter)
			}
		}},
		{"clears_next_nag_date", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			e.owner.NagPeriod, e.owner.NextNagDate = time.Hour, ucTime(e.now.Add(30*time.Minute))
			if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
				t.Fatal(err)
			}
			if r := e.do("POST", url, e.plainRW, ""); r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			if u, err := e.st.UserByID(context.Background(), e.owner.ID); err != nil || u.NextNagDate != nil {
				t.Errorf("next_nag_date %v (%v)", u.NextNagDate, err)
			}
		}},
		{"rejects_non_dict_post_body", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			r := e.do("POST", url, "", "123")
			ucWantError(t, r, 400, "json validation error: value is not an object")
			ucWantCORS(t, r, ucMethodsPost)
		}},
		{"does_not_pause_already_paused_check", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			c.Status, c.LastStart = model.StatusPaused, ucTime(e.now)
			ucSave(t, e, &c)
			r := e.do("POST", url, e.plainRW, "")
			if r.code != 200 || r.json(t)["status"] != "paused" {
				t.Fatalf("%d %s", r.code, r.body)
			}
			got := ucReload(t, e, c)
			if got.Status != model.StatusPaused || got.LastStart == nil {
				t.Errorf("changed: %+v", got)
			}
			if flips := ucFlips(t, e, c); len(flips) != 0 {
				t.Errorf("flips %+v", flips)
			}
		}},

		// Ours.
		{"nag_date_planned_when_another_check_is_down", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Status = model.StatusDown })
			e.owner.NagPeriod = time.Hour
			if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
				t.Fatal(err)
			}
			if r := e.do("POST", url, e.plainRW, ""); r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			u, err := e.st.UserByID(context.Background(), e.owner.ID)
			if err != nil || u.NextNagDate == nil || !u.NextNagDate.Equal(e.now.Add(time.Hour)) {
				t.Errorf("next_nag_date %v (%v)", u.NextNagDate, err)
			}
		}},
		{"pauses_new_and_down_checks", func(t *testing.T, e *ucEnv) {
			for _, status := range []string{model.StatusNew, model.StatusDown} {
				c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Status = status })
				if r := e.do("POST", "/api/v1/checks/"+c.Code+"/pause", e.rw, "{}"); r.code != 200 || r.json(t)["status"] != "paused" {
					t.Errorf("%s: %d %s", status, r.code, r.body)
				}
				if flips := ucFlips(t, e, c); len(flips) != 1 || flips[0].OldStatus != status || flips[0].NewStatus != "paused" {
					t.Errorf("%s: flips %+v", status, flips)
				}
			}
		}},
		{"body_errors", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			for body, msg := range map[string]string{
				"{":          "could not parse request body",
				" ":          "could not parse request body",
				"{} x":       "could not parse request body",
				"\xff":       "could not parse request body",
				"null":       "json validation error: value is not an object",
				`"x"`:        "json validation error: value is not an object",
				"[]":         "json validation error: value is not an object",
				"NaN":        "json validation error: value is not an object",
				"-Infinity":  "json validation error: value is not an object",
				"[Infinity]": "json validation error: value is not an object",
				// Python refuses integers of more than 4,300 digits.
				`{"x": ` + strings.Repeat("7", 4301) + `}`: "could not parse request body",
			} {
				ucWantError(t, e.do("POST", url, e.plainRW, body), 400, msg)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusUp {
				t.Errorf("status %s", got.Status)
			}
			// Python's json module reads NaN and Infinity as numbers.
			if r := e.do("POST", url, "", `{"api_key": "`+e.plainRW+`", "x": [NaN, -Infinity, "NaN"]}`); r.code != 200 {
				t.Errorf("NaN in an object: %d %s", r.code, r.body)
			}
		}},
	})
}

// --- test_resume.py ---------------------------------------------------------

func TestUpstreamResume(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, e *ucEnv) (model.Check, string) {
		ucPlainKeys(t, e, false)
		at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) {
			c.Status, c.LastStart, c.LastPing, c.AlertAfter = model.StatusPaused, ucTime(at), ucTime(at), ucTime(at.Add(time.Hour))
		})
		return c, "/api/v1/checks/" + c.Code + "/resume"
	}
	ucRun(t, []ucCase{
		{"works", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			r := e.do("POST", url, e.plainRW, "")
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
			got := ucReload(t, e, c)
			if got.Status != model.StatusNew || got.LastStart != nil || got.LastPing != nil || got.AlertAfter != nil {
				t.Errorf("stored %+v", got)
			}
			flips := ucFlips(t, e, c)
			if len(flips) != 1 || flips[0].OldStatus != "paused" || flips[0].NewStatus != "new" || flips[0].Processed == nil {
				t.Errorf("flips %+v", flips)
			}
			doc := r.json(t)
			if doc["status"] != "new" || doc["started"] != false || doc["last_ping"] != nil || doc["next_ping"] != nil ||
				doc["resume_url"] != siteRoot+"/api/v1/checks/"+c.Code+"/resume" {
				t.Errorf("response %s", r.body)
			}
		}},
		{"handles_not_paused_checks", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			c.Status = model.StatusUp
			ucSave(t, e, &c)
			r := e.do("POST", url, e.plainRW, "")
			if r.code != 409 || r.body != "check is not paused" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%d %q %q", r.code, r.hdr.Get("Content-Type"), r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
			if got := ucReload(t, e, c); got.Status != model.StatusUp || got.LastPing == nil || len(ucFlips(t, e, c)) != 0 {
				t.Errorf("changed: %+v", got)
			}
		}},
		{"accepts_api_key_in_post_body", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			if r := e.do("POST", url, "", `{"api_key": "`+e.plainRW+`"}`); r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusNew {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"handles_options", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			r := e.do("OPTIONS", url, "", "")
			if r.code != 204 || r.body != "" {
				t.Errorf("%d %q", r.code, r.body)
			}
			ucWantCORS(t, r, ucMethodsPost)
		}},
		{"only_allows_post", func(t *testing.T, e *ucEnv) {
			c, url := setup(t, e)
			for _, m := range []string{"GET", "HEAD", "PUT", "DELETE"} {
				ucWantEmpty(t, e.do(m, url, e.plainRW, ""), 405, ucMethodsPost)
			}
			if got := ucReload(t, e, c); got.Status != model.StatusPaused {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"validates_ownership", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			bob := ucAdd(t, e, e.other.ID, false, func(c *model.Check) { c.Status = model.StatusUp })
			ucWantEmpty(t, e.do("POST", "/api/v1/checks/"+bob.Code+"/resume", e.plainRW, ""), 403, ucMethodsPost)
			// Ownership comes before the paused test: 403 even when paused.
			bob.Status = model.StatusPaused
			ucSave(t, e, &bob)
			ucWantEmpty(t, e.do("POST", "/api/v1/checks/"+bob.Code+"/resume", e.plainRW, ""), 403, ucMethodsPost)
			if got := ucReload(t, e, bob); got.Status != model.StatusPaused {
				t.Errorf("status %s", got.Status)
			}
		}},
		{"validates_uuid", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			ucWant404Page(t, e.do("POST", "/api/v1/checks/not-uuid/resume", e.plainRW, ""))
		}},
		{"handles_missing_check", func(t *testing.T, e *ucEnv) {
			setup(t, e)
			ucWant404Page(t, e.do("POST", "/api/v1/checks/07c2f548-9850-4b27-af5d-6c9dc157ec02/resume", e.plainRW, ""))
		}},
		{"rejects_non_dict_post_body", func(t *testing.T, e *ucEnv) {
			_, url := setup(t, e)
			ucWantError(t, e.do("POST", url, "", "123"), 400, "json validation error: value is not an object")
		}},

		// Ours: pause then resume leaves two processed flips, and resume is
		// refused a second time.
		{"pause_resume_round_trip", func(t *testing.T, e *ucEnv) {
			c := ucAdd(t, e, e.proj.ID, false, func(c *model.Check) { c.Status, c.LastPing = model.StatusUp, ucTime(e.now) })
			base := "/api/v3/checks/" + c.Code
			if r := e.do("POST", base+"/pause", e.rw, ""); r.code != 200 {
				t.Fatalf("pause %d %s", r.code, r.body)
			}
			e.now = e.now.Add(time.Minute)
			if r := e.do("POST", base+"/resume", e.rw, ""); r.code != 200 {
				t.Fatalf("resume %d %s", r.code, r.body)
			}
			if r := e.do("POST", base+"/resume", e.rw, ""); r.code != 409 {
				t.Errorf("second resume %d %s", r.code, r.body)
			}
			flips := ucFlips(t, e, c)
			if len(flips) != 2 {
				t.Fatalf("flips %+v", flips)
			}
			slices.SortFunc(flips, func(a, b model.Flip) int { return a.Created.Compare(b.Created) })
			if flips[0].OldStatus != "up" || flips[0].NewStatus != "paused" || flips[1].OldStatus != "paused" || flips[1].NewStatus != "new" ||
				flips[0].Processed == nil || flips[1].Processed == nil {
				t.Errorf("flips %+v", flips)
			}
		}},
	})
}

// --- CORS, methods, routing -------------------------------------------------

func TestUpstreamCORSAndMethods(t *testing.T) {
	t.Parallel()
	ucRun(t, []ucCase{{"every_endpoint", func(t *testing.T, e *ucEnv) {
		c := ucAdd(t, e, e.proj.ID, false, nil)
		endpoints := []struct {
			path, methods string
			denied        []string
		}{
			{"checks/", ucMethodsList, []string{"HEAD", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"}},
			{"checks/" + c.Code, ucMethodsSingle, []string{"HEAD", "PUT", "PATCH"}},
			{"checks/" + c.UniqueKey(), ucMethodsGet, []string{"HEAD", "POST", "PUT", "DELETE"}},
			{"checks/" + c.Code + "/pause", ucMethodsPost, []string{"GET", "HEAD", "PUT", "DELETE"}},
			{"checks/" + c.Code + "/resume", ucMethodsPost, []string{"GET", "HEAD", "PATCH", "DELETE"}},
		}
		for v := 1; v <= 3; v++ {
			for _, ep := range endpoints {
				path := fmt.Sprintf("/api/v%d/%s", v, ep.path)
				// OPTIONS needs no key and checks nothing else.
				for _, key := range []string{"", e.ro, "junk"} {
					r := e.do("OPTIONS", path, key, "{")
					if r.code != 204 || r.body != "" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
						t.Errorf("OPTIONS %s: %d %q %q", path, r.code, r.hdr.Get("Content-Type"), r.body)
					}
					ucWantCORS(t, r, ep.methods)
				}
				// A method the endpoint does not have: 405 before any
				// authentication, with an empty body.
				for _, m := range ep.denied {
					for _, key := range []string{"", e.rw} {
						ucWantEmpty(t, e.do(m, path, key, ""), 405, ep.methods)
					}
				}
			}
		}
		if got := ucReload(t, e, c); got.Status != model.StatusNew {
			t.Errorf("status %s", got.Status)
		}
	}}})
}

// TestUpstreamHostileInputs: malformed identifiers, overlong paths and odd
// keys get precise 4xx answers, never a 5xx.
func TestUpstreamHostileInputs(t *testing.T) {
	t.Parallel()
	e := ucNewEnv(t, storetest.Open(t, "sqlite"))
	c := ucAdd(t, e, e.proj.ID, false, nil)
	upper := strings.ToUpper(c.Code)

	// No URL pattern matches: Django's 404 page.
	for _, id := range []string{
		"not-an-uuid", upper, "{" + c.Code + "}", c.Code[:35], c.Code + "0", strings.ReplaceAll(c.Code, "-", ""),
		"urn:uuid:" + c.Code, c.Code + "%00", "%00", "...", "..", "%2e%2e", ".", "./", "/" + c.Code, "../checks/" + c.Code,
		c.Code + "/../" + c.Code, c.Code + "//pause", "./" + c.Code + "/pause", strings.Repeat("a", 39), strings.Repeat("a", 41),
		strings.Repeat("a", 10000), strings.Repeat("%E2%82%AC", 40), c.Code + "/pause/", c.Code + "/Pause", c.Code + "/pause/x",
		c.Code + "/", c.UniqueKey() + "/", c.UniqueKey() + "/pause", c.Code + "/pings/-1/body", c.Code + "/pings/1e3/body",
	} {
		for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS"} {
			r := e.do(m, "/api/v3/checks/"+id, e.rw, "")
			if r.code != 404 {
				t.Errorf("%s %.60s: %d %.100s", m, id, r.code, r.body)
				continue
			}
			ucWant404Page(t, r)
		}
	}
	// ServeMux does not get to clean these into other endpoints' paths.
	for _, p := range []string{"/api/v3//checks/", "/api//v3/checks/", "/api/v3/./checks/", "/api/v2/../v3/checks/"} {
		ucWant404Page(t, e.do("GET", p, e.rw, ""))
	}
	// Forty characters of [A-z0-9] (A-z spans [\]^_` too) match upstream's
	// unique_key pattern: the view runs and finds nothing.
	for _, id := range []string{strings.Repeat("_", 40), strings.Repeat("Z", 40), "%5B" + strings.Repeat("^", 38) + "%5D", strings.ToUpper(c.UniqueKey())} {
		ucWantEmpty(t, e.do("GET", "/api/v3/checks/"+id, e.rw, ""), 404, ucMethodsGet)
		ucWantEmpty(t, e.do("POST", "/api/v3/checks/"+id, e.rw, ""), 405, ucMethodsGet)
	}
	// Query strings the list does not expect.
	for _, q := range []string{"?tag=%ZZ", "?tag=" + strings.Repeat("x", 5000), "?slug[]=x", "?=&&&", "?tag=%00"} {
		if r := e.do("GET", "/api/v3/checks/"+q, e.rw, ""); r.code != 200 {
			t.Errorf("%.40s: %d %s", q, r.code, r.body)
		}
	}
	// A huge key header reaches the handler and is not a key.
	huge := strings.Repeat("k", 60<<10)
	ucWantError(t, ucReq(e, "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": huge}, ""), 401, "missing api key")
	ucWantError(t, e.do("POST", "/api/v3/checks/"+c.Code+"/pause", "", `{"api_key": "`+huge+`"}`), 401, "missing api key")
	// A body over the cap is refused before the key is looked at.
	ucWantError(t, e.do("POST", "/api/v3/checks/"+c.Code+"/pause", e.rw, `{"x": "`+strings.Repeat("y", 2<<20)+`"}`), 400, "could not parse request body")

	// Over a real socket, what net/http refuses before the handler.
	srvCtx, stop := context.WithCancel(context.Background())
	addrc, done := make(chan net.Addr, 1), make(chan error, 1)
	go func() {
		done <- server.Serve(srvCtx, "127.0.0.1:0", e.h, slog.New(slog.DiscardHandler), func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	raw := func(req string) int {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%.60q: %v", req, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	path := "/hc/api/v3/checks/"
	for _, tc := range []struct {
		name, req string
		code      int
	}{
		{"plain", "GET " + path + " HTTP/1.1\r\nHost: hc.example\r\nX-Api-Key: " + e.rw + "\r\n\r\n", 200},
		{"latin-1 key", "GET " + path + " HTTP/1.1\r\nHost: hc.example\r\nX-Api-Key: " + strings.Repeat("\xe9", 32) + "\r\n\r\n", 401},
		{"control byte in key", "GET " + path + " HTTP/1.1\r\nHost: hc.example\r\nX-Api-Key: " + strings.Repeat("\x01", 32) + "\r\n\r\n", 400},
		{"header over 64 KiB", "GET " + path + " HTTP/1.1\r\nHost: hc.example\r\nX-Api-Key: " + strings.Repeat("k", 70<<10) + "\r\n\r\n", 431},
		{"path over 64 KiB", "GET " + path + strings.Repeat("a", 70<<10) + " HTTP/1.1\r\nHost: hc.example\r\n\r\n", 431},
		{"space in path", "GET " + path + "a b HTTP/1.1\r\nHost: hc.example\r\n\r\n", 400},
		{"uuid with NUL", "GET " + path + c.Code + "%00 HTTP/1.1\r\nHost: hc.example\r\nX-Api-Key: " + e.rw + "\r\n\r\n", 404},
	} {
		if got := raw(tc.req); got != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.code)
		}
	}
}
