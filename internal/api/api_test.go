package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

const (
	apiRW = "hcw_0123456789abcdefghijklmnopqr"
	apiRO = "hcr_0123456789abcdefghijklmnopqr"
	// A key of another project.
	otherRW = "hcw_zyxwvutsrqponmlkjihgfedcba98"
)

// apiEnv is the API mounted in the real router over a real store, under a
// SITE_ROOT with a path, as deployments behind a prefix have it.
type apiEnv struct {
	t     *testing.T
	st    *store.Store
	h     http.Handler
	owner model.User
	proj  model.Project
	other model.Project
	now   time.Time
}

const siteRoot = "http://hc.example/hc"

func newAPIEnv(t *testing.T, engine string, rateLimit int) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, engine, nil, func(e *apiEnv, _ *apptest.App) server.Surfaces {
		now := func() time.Time { return e.now }
		return server.Surfaces{Badges: api.NewBadges(e.st, "s3cr3t", "Overdue", schedule.NewCache(10), now, nil), API: api.NewAPI(api.APIDeps{
			Store: e.st, SiteRoot: siteRoot, PingEndpoint: "http://ping.example/", SecretKey: "s3cr3t", MetricsKey: "mk",
			Now: now, Cache: schedule.NewCache(100), RateLimit: rateLimit,
		})}
	})
}

// newAPIEnvWith is the apiEnv's fixture (owner, project with the keys,
// other project) in memory under /hc, with the surfaces mount gives, and a
// ping writer when writer is set.
func newAPIEnvWith(t *testing.T, engine string, writer func(e *apiEnv) ping.WriterOptions, mount func(e *apiEnv, a *apptest.App) server.Surfaces) *apiEnv {
	t.Helper()
	e := &apiEnv{t: t, now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	o := apptest.Options{Engine: engine, BasePath: "/hc", NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		e.st = a.Store
		return mount(e, a)
	}}
	if writer != nil {
		wo := writer(e)
		o.Writer = &wo
	}
	a := apptest.New(t, o)
	e.st, e.h = a.Store, a.Handler
	e.owner, e.proj = newProject(t, e.st, func(p *model.Project) {
		p.APIKey, p.APIKeyReadonly, p.BadgeKey = auth.HashAPIKey(apiRW), auth.HashAPIKey(apiRO), "alice"
	})
	e.other = a.AddProject(model.Project{Name: "Other", OwnerID: e.owner.ID, APIKey: auth.HashAPIKey(otherRW),
		PingKey: "zyxwvutsrqponmlkjihgfe", BadgeKey: "bob", Created: e.now})
	return e
}

type apiResp struct {
	code int
	hdr  http.Header
	body string
}

// json decodes the body, failing the test when it is not JSON.
func (r apiResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %q", err, r.body)
	}
	return m
}

// do sends a request; key "" sends no X-Api-Key header.
func (e *apiEnv) do(method, path, key, body string) apiResp {
	e.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, "http://hc.example/hc"+path, rd)
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return apiResp{rec.Code, rec.Header(), rec.Body.String()}
}

func (e *apiEnv) addCheck(mut func(c *model.Check)) model.Check {
	e.t.Helper()
	c := model.NewCheck(e.proj.ID, e.now.Add(-48*time.Hour))
	if mut != nil {
		mut(&c)
	}
	if err := e.st.CreateCheck(context.Background(), &c, false); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *apiEnv) addChannel(projectID int64, name, kind string) model.Channel {
	e.t.Helper()
	ch := model.Channel{Code: uuid.NewString(), ProjectID: projectID, Name: name, Kind: kind, Value: "x"}
	if err := e.st.CreateChannel(context.Background(), &ch); err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// keysOf lists a JSON object's keys in document order.
func keysOf(t *testing.T, body string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

var (
	rwKeysHead = []string{"name", "slug", "tags", "desc", "grace", "n_pings", "status", "started", "last_ping", "next_ping",
		"manual_resume", "methods", "subject", "subject_fail", "start_kw", "success_kw", "failure_kw", "filter_subject",
		"filter_body", "filter_http_body", "filter_default_fail", "badge_url"}
	rwKeysTail = []string{"uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"}
)

func TestAPIChecksLifecycle(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); testAPIChecksLifecycle(t, engine) })
	}
}

func testAPIChecksLifecycle(t *testing.T, engine string) {
	e := newAPIEnv(t, engine, 0)
	ctx := context.Background()
	email := e.addChannel(e.proj.ID, "Work Email", "email")
	sms := e.addChannel(e.proj.ID, "Phone", "sms")

	// Create: 201, upstream's key order, 29 keys for a simple check.
	r := e.do("POST", "/api/v3/checks/", apiRW, `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60, "channels": "*"}`)
	if r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if got, want := keysOf(t, r.body), slices.Concat(rwKeysHead, rwKeysTail, []string{"timeout"}); !slices.Equal(got, want) {
		t.Fatalf("keys\n got %v\nwant %v", got, want)
	}
	if !strings.HasPrefix(r.body, `{"name": "Backups", "slug": "", "tags": "prod www", `) {
		t.Errorf("not Python's separators: %.80s", r.body)
	}
	doc := r.json(t)
	code := doc["uuid"].(string)
	wantChannels := []string{email.Code, sms.Code}
	slices.Sort(wantChannels)
	for k, want := range map[string]any{"grace": 60.0, "timeout": 3600.0, "status": "new", "started": false, "last_ping": nil,
		"next_ping": nil, "n_pings": 0.0, "channels": strings.Join(wantChannels, ","),
		"ping_url": "http://ping.example/" + code, "update_url": siteRoot + "/api/v3/checks/" + code,
		"pause_url": siteRoot + "/api/v3/checks/" + code + "/pause"} {
		if doc[k] != want {
			t.Errorf("%s = %#v, want %#v", k, doc[k], want)
		}
	}
	if r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.hdr)
	}
	stored, err := e.st.CheckByCode(ctx, code)
	if err != nil || stored.Timeout != time.Hour || stored.Grace != time.Minute || stored.AlertAfter != nil {
		t.Fatalf("stored %+v %v", stored, err)
	}

	// Get by UUID, with read-write and read-only keys.
	r = e.do("GET", "/api/v3/checks/"+code, apiRW, "")
	if r.code != 200 || r.json(t)["uuid"] != code {
		t.Fatalf("get: %d %s", r.code, r.body)
	}
	r = e.do("GET", "/api/v3/checks/"+code, apiRO, "")
	ro := r.json(t)
	if got, want := keysOf(t, r.body), slices.Concat(rwKeysHead, []string{"unique_key", "timeout"}); !slices.Equal(got, want) {
		t.Fatalf("read-only keys\n got %v\nwant %v", got, want)
	}
	uniqueKey := ro["unique_key"].(string)
	if uniqueKey != stored.UniqueKey() {
		t.Errorf("unique_key %q", uniqueKey)
	}
	if r = e.do("GET", "/api/v3/checks/"+uniqueKey, apiRO, ""); r.code != 200 || r.json(t)["unique_key"] != uniqueKey {
		t.Errorf("by unique key: %d %s", r.code, r.body)
	}
	if r = e.do("GET", "/api/v3/checks/"+strings.Repeat("a", 40), apiRO, ""); r.code != 404 {
		t.Errorf("unknown unique key: %d", r.code)
	}
	if r = e.do("POST", "/api/v3/checks/"+uniqueKey, apiRW, "{}"); r.code != 405 || r.body != "" {
		t.Errorf("POST by unique key: %d %q", r.code, r.body)
	}

	// Update: only given fields change; schedule switches the kind.
	r = e.do("POST", "/api/v3/checks/"+code, apiRW, `{"schedule": "0 5 * * *", "tz": "Europe/Kiev", "channels": "Phone", "desc": "d"}`)
	if r.code != 200 {
		t.Fatalf("update: %d %s", r.code, r.body)
	}
	doc = r.json(t)
	if doc["schedule"] != "0 5 * * *" || doc["tz"] != "Europe/Kyiv" || doc["channels"] != sms.Code || doc["name"] != "Backups" ||
		doc["desc"] != "d" || doc["timeout"] != nil {
		t.Errorf("updated: %s", r.body)
	}
	if ks := keysOf(t, r.body); !slices.Equal(ks[len(ks)-2:], []string{"schedule", "tz"}) {
		t.Errorf("cron keys end %v", ks)
	}

	// Upsert with "unique": the existing check is updated (200), a new
	// name creates one (201).
	r = e.do("POST", "/api/v3/checks/", apiRW, `{"name": "Backups", "unique": ["name"], "desc": "again"}`)
	if r.code != 200 || r.json(t)["uuid"] != code || r.json(t)["desc"] != "again" {
		t.Errorf("upsert: %d %s", r.code, r.body)
	}
	r = e.do("POST", "/api/v3/checks/", apiRW, `{"name": "Other", "unique": ["name"]}`)
	if r.code != 201 || r.json(t)["channels"] != "" {
		t.Errorf("upsert create (no channels unless asked): %d %s", r.code, r.body)
	}
	second := r.json(t)["uuid"].(string)

	// List: both, tag filter, slug filter.
	r = e.do("GET", "/api/v3/checks/", apiRW, "")
	if list := r.json(t)["checks"].([]any); r.code != 200 || len(list) != 2 {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	r = e.do("GET", "/api/v3/checks/?tag=prod&tag=www", apiRO, "")
	if list := r.json(t)["checks"].([]any); len(list) != 1 || list[0].(map[string]any)["unique_key"] != uniqueKey {
		t.Errorf("tag filter: %s", r.body)
	}
	r = e.do("GET", "/api/v3/checks/?tag=pro", apiRW, "")
	if list := r.json(t)["checks"].([]any); len(list) != 0 {
		t.Errorf("partial tag matched: %s", r.body)
	}

	// Pause, pause again, resume, resume again (409).
	r = e.do("POST", "/api/v3/checks/"+code+"/pause", apiRW, "")
	if r.code != 200 || r.json(t)["status"] != "paused" {
		t.Fatalf("pause: %d %s", r.code, r.body)
	}
	e.now = e.now.Add(time.Minute)
	if r = e.do("POST", "/api/v3/checks/"+code+"/pause", apiRW, ""); r.code != 200 {
		t.Errorf("pause twice: %d", r.code)
	}
	r = e.do("POST", "/api/v3/checks/"+code+"/resume", apiRW, "")
	if r.code != 200 || r.json(t)["status"] != "new" {
		t.Fatalf("resume: %d %s", r.code, r.body)
	}
	if r = e.do("POST", "/api/v3/checks/"+code+"/resume", apiRW, ""); r.code != 409 || r.body != "check is not paused" {
		t.Errorf("resume twice: %d %q", r.code, r.body)
	}
	if r = e.do("GET", "/api/v3/checks/"+code+"/pause", apiRW, ""); r.code != 405 {
		t.Errorf("GET pause: %d", r.code)
	}
	// Two processed flips, newest first, both "up": 0.
	r = e.do("GET", "/api/v3/checks/"+code+"/flips/", apiRO, "")
	if r.body != `{"flips": [{"timestamp": "2026-11-24T12:01:00+00:00", "up": 0}, {"timestamp": "2026-11-24T12:00:00+00:00", "up": 0}]}` {
		t.Errorf("flips: %d %s", r.code, r.body)
	}
	flips, _ := e.st.ListFlips(ctx, stored.ID)
	if len(flips) != 2 || flips[0].Processed == nil || flips[1].OldStatus != model.StatusNew || flips[0].NewStatus != model.StatusNew {
		t.Errorf("stored flips %+v", flips)
	}
	r = e.do("GET", "/api/v3/checks/"+uniqueKey+"/flips/?seconds=30", apiRO, "")
	if r.body != `{"flips": [{"timestamp": "2026-11-24T12:01:00+00:00", "up": 0}]}` {
		t.Errorf("flips by key with seconds: %s", r.body)
	}

	// Other project: 403 with an empty body; read-only key cannot write.
	if r = e.do("GET", "/api/v3/checks/"+code, otherRW, ""); r.code != 403 || r.body != "" {
		t.Errorf("other project: %d %q", r.code, r.body)
	}
	if r = e.do("DELETE", "/api/v3/checks/"+code, apiRO, ""); r.code != 401 || r.json(t)["error"] != "wrong api key" {
		t.Errorf("read-only delete: %d %s", r.code, r.body)
	}

	// Delete answers with the check, then it is gone.
	r = e.do("DELETE", "/api/v3/checks/"+second, apiRW, "")
	if r.code != 200 || r.json(t)["name"] != "Other" {
		t.Errorf("delete: %d %s", r.code, r.body)
	}
	if r = e.do("DELETE", "/api/v3/checks/"+second, apiRW, ""); r.code != 404 {
		t.Errorf("delete twice: %d", r.code)
	}
	if r = e.do("GET", "/api/v3/checks/"+uuid.NewString(), apiRW, ""); r.code != 404 {
		t.Errorf("unknown: %d", r.code)
	}
}

func TestAPICheckLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	e.owner.CheckLimit = 1
	if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v3/checks/", apiRW, `{"name": "a"}`); r.code != 201 {
		t.Fatalf("first: %d %s", r.code, r.body)
	}
	if r := e.do("POST", "/api/v3/checks/", apiRW, `{"name": "b"}`); r.code != 403 || r.body != "" {
		t.Errorf("over the limit: %d %q", r.code, r.body)
	}
	// Updating through "unique" is not creating.
	if r := e.do("POST", "/api/v3/checks/", apiRW, `{"name": "a", "unique": ["name"], "tags": "t"}`); r.code != 200 {
		t.Errorf("upsert at the limit: %d %s", r.code, r.body)
	}
}

func TestAPIVersions(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	start := e.now.Add(-time.Minute)
	c := e.addCheck(func(c *model.Check) { c.LastStart = &start; c.Name = "x" })
	for v, want := range map[string]string{"v1": "started", "v2": "new", "v3": "new"} {
		r := e.do("GET", "/api/"+v+"/checks/"+c.Code, apiRW, "")
		doc := r.json(t)
		if doc["status"] != want || doc["started"] != true || doc["update_url"] != siteRoot+"/api/"+v+"/checks/"+c.Code {
			t.Errorf("%s: %s", v, r.body)
		}
		if doc["next_ping"] != "2026-11-24T11:59:00+00:00" {
			t.Errorf("%s next_ping %v", v, doc["next_ping"])
		}
	}
	// v1 and v2 derive the slug from the name; an explicit slug wins; v3 never derives.
	for _, tc := range []struct{ v, body, slug string }{
		{"v1", `{"name": "Ünïcode  Backup -- Job!"}`, "unicode-backup-job"},
		{"v2", `{"name": "_Hello World_"}`, "hello-world"},
		{"v2", `{"name": "My Job", "slug": "mine"}`, "mine"},
		{"v3", `{"name": "My Job"}`, ""},
	} {
		r := e.do("POST", "/api/"+tc.v+"/checks/", apiRW, tc.body)
		if got := r.json(t)["slug"]; got != tc.slug {
			t.Errorf("%s %s: slug %v, want %q", tc.v, tc.body, got, tc.slug)
		}
	}
}

func TestAPIValidationMessages(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	e.addChannel(e.proj.ID, "dup", "email")
	e.addChannel(e.proj.ID, "dup", "sms")
	c := e.addCheck(nil)
	huge := `{"desc": "` + strings.Repeat("x", api.DefaultMaxBody) + `"}`
	cases := []struct{ body, want string }{
		{`{`, "could not parse request body"},
		{`{"name": "a"} x`, "could not parse request body"},
		{"\xff", "could not parse request body"},
		{huge, "could not parse request body"},
		{`[]`, "json validation error: value is not an object"},
		{`null`, "json validation error: value is not an object"},
		{`{"name": 1}`, "json validation error: name is not a string"},
		{`{"name": null}`, "json validation error: name is not a string"},
		{`{"name": "` + strings.Repeat("é", 101) + `"}`, "json validation error: name is too long"},
		{`{"name": "` + strings.Repeat("é", 100) + `", "tags": 5}`, "json validation error: tags is not a string"},
		{`{"timeout": 59}`, "json validation error: timeout is too small"},
		{`{"timeout": 31536001}`, "json validation error: timeout is too large"},
		{`{"timeout": 1e400}`, "json validation error: timeout is not a number"},
		{`{"timeout": 123456789012345678901234567890}`, "json validation error: timeout is too large"},
		{`{"timeout": -123456789012345678901234567890}`, "json validation error: timeout is too small"},
		{`{"timeout": 3600.0}`, "json validation error: timeout is not a number"},
		{`{"timeout": "3600"}`, "json validation error: timeout is not a number"},
		{`{"timeout": null}`, "json validation error: timeout is not a number"},
		{`{"timeout": true}`, "json validation error: timeout is too small"},
		{`{"grace": []}`, "json validation error: grace is not a number"},
		{`{"manual_resume": 1}`, "json validation error: manual_resume is not a boolean"},
		{`{"filter_http_body": null}`, "json validation error: filter_http_body is not a boolean"},
		{`{"methods": "GET"}`, "json validation error: methods has unexpected value"},
		{`{"methods": null}`, "json validation error: methods has unexpected value"},
		{`{"schedule": "* * * * * *"}`, "json validation error: schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "0 0 30 2 *"}`, "json validation error: schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "@daily"}`, "json validation error: schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "` + strings.Repeat("1", 101) + `"}`, "json validation error: schedule is too long"},
		{`{"slug": "Foo"}`, "json validation error: slug does not match pattern"},
		{`{"slug": "` + strings.Repeat("a", 101) + `"}`, "json validation error: slug is too long"},
		{`{"tz": "Mars/Olympus"}`, "json validation error: tz is not a valid timezone"},
		{`{"tz": null}`, "json validation error: tz is not a string"},
		{`{"subject": "` + strings.Repeat("s", 201) + `"}`, "json validation error: subject is too long"},
		{`{"unique": "name"}`, "json validation error: unique is not an array"},
		{`{"unique": null}`, "json validation error: unique is not an array"},
		{`{"unique": ["name", "desc"]}`, "json validation error: an item in 'unique' has unexpected value"},
		{`{"unique": [1]}`, "json validation error: an item in 'unique' has unexpected value"},
		// Only the first error, in upstream's field order (grace before name, timeout before tz).
		{`{"name": 1, "grace": 1}`, "json validation error: grace is too small"},
		{`{"tz": "nope", "timeout": "x"}`, "json validation error: timeout is not a number"},
		{`{"channels": 5, "desc": 5}`, "json validation error: channels is not a string"},
		{`{"channels": "nope"}`, "invalid channel identifier: nope"},
		{`{"channels": "dup"}`, "non-unique channel identifier: dup"},
		{`{"channels": ","}`, "empty channel identifier"},
	}
	for _, tc := range cases {
		for _, path := range []string{"/api/v3/checks/", "/api/v3/checks/" + c.Code} {
			r := e.do("POST", path, apiRW, tc.body)
			got := ""
			if r.code == 400 {
				got, _ = r.json(t)["error"].(string)
			}
			if r.code != 400 || got != tc.want {
				name := tc.body
				if len(name) > 60 {
					name = name[:60] + "..."
				}
				t.Errorf("POST %s %s: %d %q, want 400 %q", path, name, r.code, got, tc.want)
			}
		}
	}
	// Nothing was saved by the failed updates.
	after, _ := e.st.CheckByCode(context.Background(), c.Code)
	if after.Name != "" || after.Timeout != model.DefaultTimeout {
		t.Errorf("a failed update changed the check: %+v", after)
	}
	if n, _ := e.st.CountChecksOwnedBy(context.Background(), e.owner.ID); n != 1 {
		t.Errorf("failed creates made checks: %d", n)
	}
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	c := e.addCheck(nil)
	cases := []struct {
		method, path, key, body string
		code                    int
		err                     string
	}{
		{"GET", "/api/v3/checks/", "", "", 401, "missing api key"},
		{"GET", "/api/v3/checks/", "short", "", 401, "missing api key"},
		{"GET", "/api/v3/checks/", strings.Repeat("x", 32), "", 401, "wrong api key"},
		{"POST", "/api/v3/checks/", "", `{"api_key": "` + apiRW + `"}`, 201, ""},
		{"POST", "/api/v3/checks/", "", `{"api_key": "` + apiRO + `"}`, 401, "wrong api key"},
		{"POST", "/api/v3/checks/", "", `{"api_key": null}`, 401, "missing api key"},
		// The header wins over the body.
		{"POST", "/api/v3/checks/", "bad", `{"api_key": "` + apiRW + `"}`, 401, "missing api key"},
		// A malformed body is reported before the key is looked at.
		{"POST", "/api/v3/checks/", "", `{`, 400, "could not parse request body"},
		{"GET", "/api/v3/channels/", apiRO, "", 401, "wrong api key"},
		{"GET", "/api/v3/checks/" + c.Code + "/pings/", apiRO, "", 401, "wrong api key"},
		{"GET", "/api/v3/badges/", apiRO, "", 200, ""},
		{"POST", "/api/v3/checks/" + c.Code + "/pause", apiRW, `[1]`, 400, "json validation error: value is not an object"},
	}
	for _, tc := range cases {
		r := e.do(tc.method, tc.path, tc.key, tc.body)
		if r.code != tc.code {
			t.Errorf("%s %s key=%q %s: %d %s, want %d", tc.method, tc.path, tc.key, tc.body, r.code, r.body, tc.code)
			continue
		}
		if tc.err != "" && r.json(t)["error"] != tc.err {
			t.Errorf("%s %s: %s, want %q", tc.method, tc.path, r.body, tc.err)
		}
	}
}

func TestAPIRoutingAndCORS(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	c := e.addCheck(nil)
	r := e.do("OPTIONS", "/api/v3/checks/", "", "")
	if r.code != 204 || r.hdr.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" ||
		r.hdr.Get("Access-Control-Allow-Headers") != "X-Api-Key" || r.hdr.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("OPTIONS: %d %v", r.code, r.hdr)
	}
	r = e.do("OPTIONS", "/api/v1/checks/"+c.Code, "", "")
	if r.code != 204 || r.hdr.Get("Access-Control-Allow-Methods") != "POST, DELETE, GET, OPTIONS" {
		t.Errorf("OPTIONS single: %d %v", r.code, r.hdr)
	}
	if r = e.do("PUT", "/api/v3/checks/", apiRW, ""); r.code != 405 || r.body != "" || r.hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("PUT: %d %q %v", r.code, r.body, r.hdr)
	}
	r = e.do("GET", "/api/v3/checks?tag=a", apiRW, "")
	if r.code != 301 || r.hdr.Get("Location") != "/hc/api/v3/checks/?tag=a" {
		t.Errorf("append slash: %d %v", r.code, r.hdr)
	}
	if r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings", apiRW, ""); r.code != 301 {
		t.Errorf("append slash to pings: %d", r.code)
	}
	for _, p := range []string{"/api/v4/checks/", "/api/v3/nope/", "/api/v3/checks/" + strings.ToUpper(c.Code),
		"/api/v3/checks/" + c.Code + "/", "/api/v3/checks/not-a-uuid", "/api/v3/checks/" + c.Code + "/pings/x/body"} {
		if r = e.do("GET", p, apiRW, ""); r.code != 404 {
			t.Errorf("GET %s: %d", p, r.code)
		}
	}
	if r = e.do("GET", "/api/v3/status/", "", ""); r.code != 200 || r.body != "OK" || r.hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("status: %d %q", r.code, r.body)
	}
	if r = e.do("GET", "/api/v3/metrics/", "", ""); r.code != 403 {
		t.Errorf("ops metrics without key: %d", r.code)
	}
	req := httptest.NewRequest("GET", "http://hc.example/hc/api/v3/metrics/", nil)
	req.Header.Set("X-Metrics-Key", "mk")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"max_ping_id": null, "max_notification_id": null, "num_unprocessed_flips": 0}`) {
		t.Errorf("ops metrics: %d %s", rec.Code, rec.Body)
	}
}

func TestAPIPingsAndBodies(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); testAPIPingsAndBodies(t, engine) })
	}
}

func testAPIPingsAndBodies(t *testing.T, engine string) {
	e := newAPIEnv(t, engine, 0)
	ctx := context.Background()
	c := e.addCheck(nil)
	rid := uuid.NewString()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 250000000, time.UTC)
	pings := []model.Ping{
		{N: 1, Created: t0, Kind: model.PingStart, Scheme: "http", RemoteAddr: "192.0.2.1", Method: "GET", UA: "curl", RID: rid},
		{N: 2, Created: t0.Add(2896 * time.Millisecond), Kind: model.PingSuccess, Scheme: "https", RemoteAddr: "192.0.2.1", Method: "POST",
			UA: "curl", RID: rid, Body: []byte("hello")},
		{N: 3, Created: t0.Add(time.Hour).Truncate(time.Second), Kind: model.PingFail, Scheme: "email", Body: []byte{}},
	}
	err := e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = 3
		for i := range pings {
			pings[i].CheckID = c.ID
		}
		return pings, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
	want := `{"pings": [` +
		`{"type": "fail", "date": "2026-11-24T11:00:00+00:00", "n": 3, "scheme": "email", "remote_addr": null, "method": "", "ua": "", "rid": null, "body_url": null}, ` +
		`{"type": "success", "date": "2026-11-24T10:00:03.146000+00:00", "n": 2, "scheme": "https", "remote_addr": "192.0.2.1", "method": "POST", "ua": "curl", "rid": "` + rid + `", "body_url": "` + siteRoot + `/api/v3/checks/` + c.Code + `/pings/2/body", "duration": 2.9}, ` +
		`{"type": "start", "date": "2026-11-24T10:00:00.250000+00:00", "n": 1, "scheme": "http", "remote_addr": "192.0.2.1", "method": "GET", "ua": "curl", "rid": "` + rid + `", "body_url": null}]}`
	if r.code != 200 || r.body != want {
		t.Errorf("pings:\n got %s\nwant %s", r.body, want)
	}
	r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings/2/body", apiRW, "")
	if r.code != 200 || r.body != "hello" || r.hdr.Get("Content-Type") != "text/plain" {
		t.Errorf("body: %d %q %v", r.code, r.body, r.hdr)
	}
	for _, n := range []string{"1", "3", "4", "99999999999999999999999"} {
		if r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings/"+n+"/body", apiRW, ""); r.code != 404 {
			t.Errorf("body %s: %d", n, r.code)
		}
	}
	// Beyond the owner's ping log limit the body is hidden.
	e.owner.PingLogLimit = 1
	if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
		t.Fatal(err)
	}
	if r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings/2/body", apiRW, ""); r.code != 404 {
		t.Errorf("body beyond the limit: %d", r.code)
	}
	if r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, ""); len(r.json(t)["pings"].([]any)) != 1 {
		t.Errorf("list beyond the limit: %s", r.body)
	}
}

func TestAPIFlipFilters(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	c := e.addCheck(nil)
	for _, tc := range []struct {
		query string
		code  int
	}{
		{"", 200}, {"?seconds=0", 200}, {"?seconds=", 200}, {"?seconds=60.0", 200}, {"?start=0&end=10000000000", 200},
		{"?start=%205%20", 200}, {"?seconds=-1", 400}, {"?seconds=31536001", 400}, {"?seconds=x", 400},
		{"?start=", 400}, {"?start=1.5", 400}, {"?end=10000000001", 400}, {"?start=-1", 400},
		// int() skips Unicode whitespace but not U+001C..U+001F (str.strip does).
		{"?start=%E3%80%805", 200}, {"?start=%1C5", 400}, {"?seconds=5%1F", 400}, {"?start=1_000", 200},
	} {
		r := e.do("GET", "/api/v3/checks/"+c.Code+"/flips/"+tc.query, apiRO, "")
		if r.code != tc.code || (tc.code == 400 && r.body != "") {
			t.Errorf("flips%s: %d %q, want %d", tc.query, r.code, r.body, tc.code)
		}
	}
}

func TestAPIChannelsAndBadges(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	ch := e.addChannel(e.proj.ID, "My <Email>", "email")
	e.addChannel(e.other.ID, "not mine", "sms")
	e.addCheck(func(c *model.Check) { c.Tags = "prod db a&b/ü%" })
	r := e.do("GET", "/api/v3/channels/", apiRW, "")
	if want := `{"channels": [{"id": "` + ch.Code + `", "name": "My <Email>", "kind": "email"}]}`; r.body != want {
		t.Errorf("channels: %s", r.body)
	}
	r = e.do("GET", "/api/v3/badges/", apiRO, "")
	if got := keysOf(t, keysObject(t, r.body, "badges")); !slices.Equal(got, []string{"a&b/ü%", "db", "prod", "*"}) {
		t.Errorf("badge tags %v", got)
	}
	b := r.json(t)["badges"].(map[string]any)
	prod := b["prod"].(map[string]any)
	sig := api.BadgeSignature("alice", "prod", "s3cr3t")
	if prod["svg"] != siteRoot+"/badge/alice/"+sig+"-2/prod.svg" || prod["shields3"] != siteRoot+"/badge/alice/"+sig+"/prod.shields" {
		t.Errorf("prod badges %v", prod)
	}
	// Every listed URL works, odd characters included.
	for tag, urls := range b {
		for variant, u := range urls.(map[string]any) {
			path := strings.TrimPrefix(u.(string), siteRoot)
			if r := e.do("GET", path, "", ""); r.code != 200 || !strings.Contains(r.body, "up") {
				t.Errorf("badge %s %s (%s): %d %s", tag, variant, path, r.code, r.body)
			}
		}
	}
	if all := b["*"].(map[string]any); all["json"] != siteRoot+"/badge/alice/"+api.BadgeSignature("alice", "*", "s3cr3t")+"-2.json" {
		t.Errorf("* badges %v", all)
	}
}

// keysObject returns the raw JSON of doc[key].
func keysObject(t *testing.T, doc, key string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return string(m[key])
}

func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 3)
	for i := range 3 {
		if r := e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
			t.Fatalf("request %d: %d", i, r.code)
		}
	}
	r := e.do("GET", "/api/v3/checks/", apiRW, "")
	if r.code != 429 || r.hdr.Get("Retry-After") == "" {
		t.Errorf("4th request: %d %v", r.code, r.hdr)
	}
	// Another key has its own bucket; time refills.
	if r = e.do("GET", "/api/v3/checks/", apiRO, ""); r.code != 200 {
		t.Errorf("read-only key: %d", r.code)
	}
	e.now = e.now.Add(20 * time.Second)
	if r = e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
		t.Errorf("after 20 s: %d", r.code)
	}
}

// TestAPIConcurrentEdits runs pings-like writes and API edits at once (for
// -race); the API must not overwrite n_pings written meanwhile.
func TestAPIConcurrentEdits(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	c := e.addCheck(nil)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		var err error
		for range 20 {
			err = e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				m[c.ID].NPings++
				return nil, nil, nil
			})
			if err != nil {
				break
			}
		}
		done <- err
	}()
	for i := range 20 {
		req := httptest.NewRequest("POST", "http://hc.example/hc/api/v3/checks/"+c.Code, bytes.NewBufferString(fmt.Sprintf(`{"name": "n%d"}`, i)))
		req.Header.Set("X-Api-Key", apiRW)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("update %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, _ := e.st.CheckByCode(ctx, c.Code)
	if got.NPings != 20 || got.Name != "n19" {
		t.Errorf("n_pings %d name %q", got.NPings, got.Name)
	}
}
