package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// docCase is one request of upstream's API documentation and what the docs
// say it answers. Paths may hold placeholders (see docsFixture.expand).
// Field lists are "name:type" words; types: s string, n number, b bool,
// z null, S string or null, o object, a array.
type docCase struct {
	name, method, path, key, body string
	code                          int
	// list is the key of the documented array, "" for an object; fields
	// are then checked on every item, items[i] (if given) on item i only.
	list   string
	fields string
	items  []string
	// absent lists fields the docs say the response leaves out.
	absent string
	// values holds exact values of the object, or of the list's first item.
	values map[string]any
	// ctype is the Content-Type the docs promise for a non-JSON answer; a
	// case with no fields and no list checks the status (and ctype) only.
	ctype string
	// body, when set, is the exact body of a non-JSON answer.
	raw *string
	// setup runs before the request.
	setup func(e *apiEnv)
}

// docsFixture is the project the docs' examples show: a simple check that
// is up with four pings (two timed runs, one with a run id) and three flips,
// a cron check that is down with a ping body, a check that is down but
// running (API v2's "Changes From v1"), and two integrations.
type docsFixture struct {
	up, down, running, foreign model.Check
	created                    string // the check the first 201 created
}

func newDocsFixture(t *testing.T, e *apiEnv) *docsFixture {
	t.Helper()
	email := e.addChannel(e.proj.ID, "My Work Email", "email")
	sms := e.addChannel(e.proj.ID, "My Phone", "sms")
	t0 := e.now.Add(-time.Hour)
	lp := t0.Add(10 * time.Second)
	f := &docsFixture{}
	f.up = e.addCheck(func(c *model.Check) {
		c.Name, c.Slug, c.Tags, c.Desc = "Filesystem Backup", "filesystem-backup", "backup fs", "Runs incremental backup every hour"
		c.Grace, c.Timeout, c.Status, c.LastPing = 10*time.Minute, time.Hour, model.StatusUp, &lp
		c.FilterSubject, c.StartKw, c.SuccessKw, c.FailureKw = true, "START", "SUCCESS", "ERROR"
	})
	f.down = e.addCheck(func(c *model.Check) {
		c.Name, c.Slug, c.Tags, c.Desc = "Database Backup", "database-backup", "production db", "Runs ~/db-backup.sh"
		c.Kind, c.Schedule, c.Grace, c.Status, c.LastPing = model.KindCron, "15 5 * * *", 20*time.Minute, model.StatusDown, &lp
	})
	f.running = e.addCheck(func(c *model.Check) {
		c.Name, c.Status, c.LastPing, c.LastStart = "Nightly", model.StatusDown, ptime(e.now.Add(-48*time.Hour)), ptime(e.now.Add(-time.Minute))
	})
	f.foreign = model.NewCheck(e.other.ID, e.now)
	if err := e.st.CreateCheck(context.Background(), &f.foreign, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []model.Check{f.up, f.down} {
		if err := e.st.SetCheckChannels(context.Background(), c.ID, []int64{email.ID, sms.ID}); err != nil {
			t.Fatal(err)
		}
	}
	rid := uuid.NewString()
	e.addPings(f.up, []model.Ping{
		{Kind: model.PingStart, Created: t0, RemoteAddr: "192.0.2.0", Method: "GET", UA: "curl/7.68.0"},
		{Created: t0.Add(3 * time.Second), RemoteAddr: "192.0.2.0", Method: "GET", UA: "curl/7.68.0"},
		{Kind: model.PingStart, RID: rid, Created: t0.Add(7 * time.Second), RemoteAddr: "192.0.2.0", Method: "GET", UA: "curl/7.68.0"},
		{RID: rid, Created: lp, RemoteAddr: "192.0.2.0", Method: "GET", UA: "curl/7.68.0"},
	})
	e.storePings(f.down, 7, []model.Ping{{N: 7, Created: lp, RemoteAddr: "192.0.2.0", Method: "POST", UA: "curl/7.68.0",
		Body: []byte("backup of 12 tables done")}})
	err := e.st.ApplyPings(context.Background(), []int64{f.up.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		return nil, []model.Flip{
			{CheckID: f.up.ID, Created: t0.Add(-3 * time.Minute), OldStatus: "new", NewStatus: "up"},
			{CheckID: f.up.ID, Created: t0.Add(-2 * time.Minute), OldStatus: "up", NewStatus: "down"},
			{CheckID: f.up.ID, Created: t0.Add(-time.Minute), OldStatus: "down", NewStatus: "up"},
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// expand fills a documented path in: {up}, {down}, {running} and {foreign}
// are those checks' UUIDs, {up_key} and {down_key} their unique_keys,
// {created} the UUID of the check the replay created.
func (f *docsFixture) expand(path string) string {
	return strings.NewReplacer("{up}", f.up.Code, "{down}", f.down.Code, "{running}", f.running.Code,
		"{foreign}", f.foreign.Code, "{up_key}", f.up.UniqueKey(), "{down_key}", f.down.UniqueKey(),
		"{created}", f.created).Replace(path)
}

// replayDocs sends the cases in order on /api/v<v>/ and checks each answer
// against the docs: status, fields and their JSON types, left-out fields,
// exact values, and that URLs in the answer name the request's version.
func replayDocs(t *testing.T, e *apiEnv, f *docsFixture, v int, cases []docCase) {
	t.Helper()
	prefix := "/api/v" + strconv.Itoa(v) + "/"
	for _, tc := range cases {
		name := "v" + strconv.Itoa(v) + " " + tc.name
		if tc.setup != nil {
			tc.setup(e)
		}
		r := e.do(tc.method, prefix+f.expand(tc.path), tc.key, tc.body)
		if r.code != tc.code {
			t.Errorf("%s: %d %s, want %d", name, r.code, r.body, tc.code)
			continue
		}
		if tc.ctype != "" && r.hdr.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, r.hdr.Get("Content-Type"), tc.ctype)
		}
		if tc.raw != nil && r.body != *tc.raw {
			t.Errorf("%s: body %q, want %q", name, r.body, *tc.raw)
		}
		if tc.fields == "" && tc.list == "" {
			continue
		}
		doc := r.json(t)
		if tc.code == 201 && f.created == "" {
			f.created = doc["uuid"].(string)
		}
		items := []any{doc}
		if tc.list != "" {
			items, _ = doc[tc.list].([]any)
			if len(items) == 0 {
				t.Errorf("%s: no %s in %s", name, tc.list, r.body)
			}
		}
		for i, it := range items {
			m := it.(map[string]any)
			fields := tc.fields
			if i < len(tc.items) {
				fields += " " + tc.items[i]
			}
			for _, fl := range strings.Fields(fields) {
				k, typ, _ := strings.Cut(fl, ":")
				if val, ok := m[k]; !ok || !jsonTypeIs(val, typ) {
					t.Errorf("%s: item %d: field %s = %#v (present %v), want type %s", name, i, k, val, ok, typ)
				}
			}
			for _, k := range strings.Fields(tc.absent) {
				if _, ok := m[k]; ok {
					t.Errorf("%s: item %d has %s, which the docs leave out", name, i, k)
				}
			}
			for _, k := range []string{"update_url", "pause_url", "resume_url", "body_url"} {
				if u, ok := m[k].(string); ok && !strings.HasPrefix(u, siteRoot+prefix+"checks/") {
					t.Errorf("%s: item %d: %s %q is not under %s", name, i, k, u, siteRoot+prefix)
				}
			}
			if i == 0 {
				for k, want := range tc.values {
					if m[k] != want {
						t.Errorf("%s: %s = %#v, want %#v", name, k, m[k], want)
					}
				}
			}
		}
	}
}

// TestAPIDocsExamples replays the requests of upstream's API documentation
// (templates/docs/api.md) and checks the status and that every field its
// example responses show is present with the same JSON type.
func TestAPIDocsExamples(t *testing.T) {
	t.Parallel()
	const checkRW = "name:s slug:s tags:s desc:s grace:n n_pings:n status:s started:b last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b filter_http_body:b filter_default_fail:b " +
		"badge_url:s uuid:s ping_url:s update_url:s pause_url:s resume_url:s channels:s"
	const checkRO = "name:s slug:s tags:s desc:s grace:n n_pings:n status:s started:b last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b filter_http_body:b filter_default_fail:b " +
		"badge_url:s unique_key:s"
	cases := []docCase{
		{name: "list checks", method: "GET", path: "checks/", key: apiRW, code: 200, list: "checks", fields: checkRW,
			items: []string{"next_ping:s timeout:n", "next_ping:z schedule:s tz:s"}},
		{name: "list checks read-only", method: "GET", path: "checks/", key: apiRO, code: 200, list: "checks", fields: checkRO,
			items: []string{"next_ping:s timeout:n", "next_ping:z schedule:s tz:s"}, absent: "uuid ping_url update_url pause_url resume_url channels"},
		{name: "list checks by slug", method: "GET", path: "checks/?slug=filesystem-backup", key: apiRW, code: 200, list: "checks", fields: checkRW,
			values: map[string]any{"name": "Filesystem Backup"}},
		{name: "get check", method: "GET", path: "checks/{down}", key: apiRW, code: 200, fields: checkRW + " schedule:s tz:s"},
		{name: "get check by unique_key", method: "GET", path: "checks/{up_key}", key: apiRO, code: 200, fields: checkRO + " timeout:n"},
		{name: "create check", method: "POST", path: "checks/", key: apiRW, body: `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`,
			code: 201, fields: checkRW + " timeout:n", values: map[string]any{"slug": "", "status": "new", "timeout": 3600.0, "grace": 60.0}},
		{name: "create check, key in body", method: "POST", path: "checks/", body: `{"api_key": "` + apiRW + `", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`,
			code: 201, fields: checkRW},
		{name: "update check", method: "POST", path: "checks/{created}", key: apiRW, body: `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`,
			code: 200, fields: checkRW + " timeout:n"},
		{name: "update check, key in body", method: "POST", path: "checks/{created}", body: `{"api_key": "` + apiRW + `", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`,
			code: 200, fields: checkRW},
		{name: "pause", method: "POST", path: "checks/{created}/pause", key: apiRW, code: 200, fields: checkRW, values: map[string]any{"status": "paused"}},
		{name: "resume", method: "POST", path: "checks/{created}/resume", key: apiRW, code: 200, fields: checkRW, values: map[string]any{"status": "new"}},
		{name: "pings", method: "GET", path: "checks/{up}/pings/", key: apiRW, code: 200, list: "pings",
			fields: "type:s date:s n:n scheme:s remote_addr:s method:s ua:s body_url:z",
			items:  []string{"rid:s duration:n", "rid:s", "rid:z duration:n", "rid:z"}},
		{name: "ping body", method: "GET", path: "checks/{down}/pings/7/body", key: apiRW, code: 200, ctype: "text/plain"},
		{name: "flips", method: "GET", path: "checks/{up}/flips/", key: apiRW, code: 200, list: "flips", fields: "timestamp:s up:n"},
		{name: "channels", method: "GET", path: "channels/", key: apiRW, code: 200, list: "channels", fields: "id:s name:s kind:s"},
		{name: "badges", method: "GET", path: "badges/", key: apiRW, code: 200, fields: "badges:o"},
		{name: "delete", method: "DELETE", path: "checks/{created}", key: apiRW, code: 200, fields: checkRW},
	}
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newAPIEnv(t, engine, 0)
			replayDocs(t, e, newDocsFixture(t, e), 3, cases)
			checkDocumentedBadges(t, e, 3)
			if r := e.do("GET", "/api/v3/status/", "", ""); r.code != 200 || r.body != "OK" {
				t.Errorf("status: %d %q", r.code, r.body)
			}
		})
	}
}

// checkDocumentedBadges: every entry of GET badges/ (each tag and "*") has
// the six badge URLs the docs list, the plain ones 2-state ("-2" before the
// extension), the "3" ones not.
func checkDocumentedBadges(t *testing.T, e *apiEnv, v int) {
	t.Helper()
	badges, _ := e.do("GET", "/api/v"+strconv.Itoa(v)+"/badges/", apiRW, "").json(t)["badges"].(map[string]any)
	for _, tag := range []string{"backup", "fs", "production", "db", "*"} {
		entry, ok := badges[tag].(map[string]any)
		if !ok || len(entry) != 6 {
			t.Errorf("v%d badges: %q = %#v, want six URLs", v, tag, badges[tag])
			continue
		}
		for _, format := range []string{"svg", "json", "shields"} {
			two, _ := entry[format].(string)
			three, _ := entry[format+"3"].(string)
			// .../<signature>-2/<tag>.<format>, or .../<signature>-2.<format> for "*".
			want3 := ""
			if tag == "*" {
				if base, ok := strings.CutSuffix(two, "-2."+format); ok {
					want3 = base + "." + format
				}
			} else if i := strings.LastIndex(two, "/"); i > 0 && strings.HasSuffix(two[:i], "-2") && two[i:] == "/"+tag+"."+format {
				want3 = two[:i-2] + two[i:]
			}
			if !strings.HasPrefix(two, siteRoot+"/badge/") || want3 == "" || three != want3 {
				t.Errorf("v%d badges: %q %s = %q, %s3 = %q", v, tag, format, two, format, three)
			}
		}
	}
}

func jsonTypeIs(v any, typ string) bool {
	switch typ {
	case "s":
		_, ok := v.(string)
		return ok
	case "S":
		_, ok := v.(string)
		return ok || v == nil
	case "n":
		_, ok := v.(float64)
		return ok
	case "b":
		_, ok := v.(bool)
		return ok
	case "z":
		return v == nil
	case "o":
		_, ok := v.(map[string]any)
		return ok
	case "a":
		_, ok := v.([]any)
		return ok
	}
	return false
}
