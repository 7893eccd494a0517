package api_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/overdue/overdue/internal/store/storetest"
)

// TestAPIDocsV1V2Examples replays upstream's documentation of the deprecated
// API versions (templates/docs/apiv1.md and apiv2.md) on /api/v1/ and
// /api/v2/: every example request, the response codes each endpoint lists,
// and the fields of the example responses with their JSON types. The two
// documents differ in the check object only: v2 shows the "started"
// boolean, and v1 reports a running check's status as "started" (v2's
// "Changes From v1"). Both derive the slug from the name on create.
func TestAPIDocsV1V2Examples(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		for _, v := range []int{1, 2} {
			t.Run(engine+"/v"+strconv.Itoa(v), func(t *testing.T) {
				e := newAPIEnv(t, engine, 0)
				replayDocs(t, e, newDocsFixture(t, e), v, docsV12Cases(v))
				checkDocumentedBadges(t, e, v)
			})
		}
	}
}

func docsV12Cases(v int) []docCase {
	started := ""
	if v == 2 {
		started = " started:b"
	}
	// The check fields of the list and get examples, in the docs' order.
	checkRW := "name:s slug:s tags:s desc:s grace:n n_pings:n status:s" + started + " last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b " +
		"ping_url:s update_url:s pause_url:s resume_url:s channels:s"
	checkRO := "name:s slug:s tags:s desc:s grace:n n_pings:n status:s" + started + " last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b unique_key:s"
	const roAbsent = "uuid ping_url update_url pause_url resume_url channels"
	// The fields of the create, update, pause, resume and delete examples.
	written := "channels:s desc:s grace:n last_ping:z next_ping:z n_pings:n name:s slug:s manual_resume:b methods:s " +
		"start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b pause_url:s resume_url:s ping_url:s status:s" + started +
		" tags:s timeout:n update_url:s"
	listItems := []string{"last_ping:s next_ping:s timeout:n", "last_ping:s next_ping:z schedule:s tz:s"}
	backups := `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`
	backupsKeyInBody := `{"api_key": "` + apiRW + `", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`
	// v1 and v2 set the slug from the name, as the docs' "slug": "backups" shows.
	created := map[string]any{"name": "Backups", "slug": "backups", "tags": "prod www", "status": "new", "timeout": 3600.0,
		"grace": 60.0, "channels": "", "n_pings": 0.0, "last_ping": nil, "next_ping": nil}
	errorField := func(msg string) map[string]any { return map[string]any{"error": msg} }
	const wrongKey = "hcw_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
	unknown := "6a6b0f3b-6f1e-4b6a-9c1e-0d7c2f6f9e11"
	empty, notPaused := "", "check is not paused"
	runningStatus := map[string]any{"status": "down", "started": true}
	if v == 1 {
		runningStatus = map[string]any{"status": "started"}
	}

	return []docCase{
		// List Existing Checks: 200, 401.
		{name: "list checks", method: "GET", path: "checks/", key: apiRW, code: 200, list: "checks", fields: checkRW, items: listItems,
			values: map[string]any{"name": "Filesystem Backup", "slug": "filesystem-backup", "status": "up", "grace": 600.0, "timeout": 3600.0,
				"filter_subject": true, "start_kw": "START"}},
		{name: "list checks read-only", method: "GET", path: "checks/", key: apiRO, code: 200, list: "checks", fields: checkRO, items: listItems,
			absent: roAbsent},
		{name: "list checks by tags", method: "GET", path: "checks/?tag=backup&tag=fs", key: apiRW, code: 200, list: "checks", fields: checkRW,
			values: map[string]any{"name": "Filesystem Backup"}},
		{name: "list checks, no key", method: "GET", path: "checks/", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "list checks, wrong key", method: "GET", path: "checks/", key: wrongKey, code: 401, fields: "error:s", values: errorField("wrong api key")},

		// Get a Single Check: 200, 401, 403, 404.
		{name: "get check", method: "GET", path: "checks/{down}", key: apiRW, code: 200, fields: checkRW + " last_ping:s next_ping:z schedule:s tz:s",
			values: map[string]any{"name": "Database Backup", "status": "down", "schedule": "15 5 * * *", "tz": "UTC", "grace": 1200.0}},
		{name: "get check read-only", method: "GET", path: "checks/{down_key}", key: apiRO, code: 200,
			fields: checkRO + " last_ping:s next_ping:z schedule:s tz:s", absent: roAbsent},
		{name: "get check by unique_key, read-write key", method: "GET", path: "checks/{up_key}", key: apiRW, code: 200,
			fields: checkRW + " timeout:n", values: map[string]any{"name": "Filesystem Backup"}},
		{name: "get running check", method: "GET", path: "checks/{running}", key: apiRW, code: 200, fields: checkRW, values: runningStatus},
		{name: "get check, no key", method: "GET", path: "checks/{down}", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "get check of another project", method: "GET", path: "checks/{foreign}", key: apiRW, code: 403, raw: &empty},
		{name: "get missing check", method: "GET", path: "checks/" + unknown, key: apiRW, code: 404},

		// Create a Check: 201, 200 (upsert), 400, 401, 403 (check limit, below).
		{name: "create check", method: "POST", path: "checks/", key: apiRW, body: backups, code: 201, fields: written, values: created},
		{name: "create check, key in body", method: "POST", path: "checks/", body: backupsKeyInBody, code: 201, fields: written, values: created},
		{name: "create check, existing found", method: "POST", path: "checks/", key: apiRW,
			body: `{"name": "Filesystem Backup", "unique": ["name"]}`, code: 200, fields: checkRW,
			values: map[string]any{"name": "Filesystem Backup", "slug": "filesystem-backup"}},
		{name: "create check, bad field", method: "POST", path: "checks/", key: apiRW, body: `{"timeout": 1}`, code: 400, fields: "error:s",
			values: errorField("json validation error: timeout is too small")},
		{name: "create check, not JSON", method: "POST", path: "checks/", key: apiRW, body: `{"name": `, code: 400, fields: "error:s",
			values: errorField("could not parse request body")},
		{name: "create check, no key", method: "POST", path: "checks/", body: backups, code: 401, fields: "error:s",
			values: errorField("missing api key")},

		// Update an Existing Check: 200, 400, 401, 403, 404.
		{name: "update check", method: "POST", path: "checks/{created}", key: apiRW, body: backups, code: 200, fields: written, values: created},
		{name: "update check, key in body", method: "POST", path: "checks/{created}", body: backupsKeyInBody, code: 200, fields: written,
			values: created},
		{name: "update check, bad field", method: "POST", path: "checks/{created}", key: apiRW, body: `{"grace": 31536001}`, code: 400,
			fields: "error:s", values: errorField("json validation error: grace is too large")},
		{name: "update check, no key", method: "POST", path: "checks/{created}", body: backups, code: 401, fields: "error:s",
			values: errorField("missing api key")},
		{name: "update check of another project", method: "POST", path: "checks/{foreign}", key: apiRW, body: backups, code: 403, raw: &empty},
		{name: "update missing check", method: "POST", path: "checks/" + unknown, key: apiRW, body: backups, code: 404},

		// Pause Monitoring of a Check: 200, 401, 403, 404.
		{name: "pause", method: "POST", path: "checks/{created}/pause", key: apiRW, code: 200, fields: written,
			values: map[string]any{"status": "paused", "slug": "backups"}},
		{name: "pause, no key", method: "POST", path: "checks/{created}/pause", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "pause another project's check", method: "POST", path: "checks/{foreign}/pause", key: apiRW, code: 403, raw: &empty},
		{name: "pause missing check", method: "POST", path: "checks/" + unknown + "/pause", key: apiRW, code: 404},

		// Resume Monitoring of a Check: 200, 401, 403, 404, 409.
		{name: "resume", method: "POST", path: "checks/{created}/resume", key: apiRW, code: 200, fields: written,
			values: map[string]any{"status": "new"}},
		{name: "resume a check that is not paused", method: "POST", path: "checks/{created}/resume", key: apiRW, code: 409,
			raw: &notPaused, ctype: "text/html; charset=utf-8"},
		{name: "resume, no key", method: "POST", path: "checks/{created}/resume", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "resume another project's check", method: "POST", path: "checks/{foreign}/resume", key: apiRW, code: 403, raw: &empty},
		{name: "resume missing check", method: "POST", path: "checks/" + unknown + "/resume", key: apiRW, code: 404},

		// List check's logged pings: 200, 401, 403, 404.
		{name: "pings", method: "GET", path: "checks/{up}/pings/", key: apiRW, code: 200, list: "pings",
			fields: "type:s date:s n:n scheme:s remote_addr:s method:s ua:s body_url:z",
			items:  []string{"rid:s duration:n", "rid:s", "rid:z duration:n", "rid:z"},
			values: map[string]any{"type": "success", "n": 4.0, "scheme": "http", "method": "GET", "ua": "curl/7.68.0", "duration": 3.0}},
		{name: "pings, read-only key", method: "GET", path: "checks/{up}/pings/", key: apiRO, code: 401, fields: "error:s",
			values: errorField("wrong api key")},
		{name: "pings of another project's check", method: "GET", path: "checks/{foreign}/pings/", key: apiRW, code: 403, raw: &empty},
		{name: "pings of a missing check", method: "GET", path: "checks/" + unknown + "/pings/", key: apiRW, code: 404},

		// Get a ping's logged body: 200, 403, 404.
		{name: "ping body", method: "GET", path: "checks/{down}/pings/7/body", key: apiRW, code: 200, ctype: "text/plain",
			raw: ptrTo("backup of 12 tables done")},
		{name: "ping body of another project's check", method: "GET", path: "checks/{foreign}/pings/1/body", key: apiRW, code: 403, raw: &empty},
		{name: "missing ping's body", method: "GET", path: "checks/{down}/pings/6/body", key: apiRW, code: 404},
		{name: "ping without a body", method: "GET", path: "checks/{up}/pings/4/body", key: apiRW, code: 404},

		// List check's status changes: 200, 400, 401, 403, 404. The docs
		// show a bare array; upstream's code (and so Overdue) wraps it in
		// {"flips": [...]}.
		{name: "flips", method: "GET", path: "checks/{up}/flips/", key: apiRW, code: 200, list: "flips", fields: "timestamp:s up:n",
			items: []string{"up:n", "up:n", "up:n"}, values: map[string]any{"up": 1.0}},
		{name: "flips by unique_key", method: "GET", path: "checks/{up_key}/flips/", key: apiRO, code: 200, list: "flips", fields: "timestamp:s up:n"},
		{name: "flips, seconds", method: "GET", path: "checks/{up}/flips/?seconds=3600000", key: apiRW, code: 200, list: "flips", fields: "timestamp:s up:n"},
		{name: "flips, start", method: "GET", path: "checks/{up}/flips/?start=1592214380", key: apiRW, code: 200, list: "flips", fields: "timestamp:s up:n"},
		{name: "flips, end", method: "GET", path: "checks/{up}/flips/?end=1592217980", key: apiRW, code: 200, fields: "flips:a"},
		{name: "flips, bad filter", method: "GET", path: "checks/{up}/flips/?seconds=abc", key: apiRW, code: 400, raw: &empty},
		{name: "flips, no key", method: "GET", path: "checks/{up}/flips/", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "flips of another project's check", method: "GET", path: "checks/{foreign}/flips/", key: apiRW, code: 403, raw: &empty},
		{name: "flips of a missing check", method: "GET", path: "checks/" + unknown + "/flips/", key: apiRW, code: 404},

		// List Existing Integrations: 200, 401.
		{name: "channels", method: "GET", path: "channels/", key: apiRW, code: 200, list: "channels", fields: "id:s name:s kind:s",
			values: map[string]any{"name": "My Work Email", "kind": "email"}},
		{name: "channels, read-only key", method: "GET", path: "channels/", key: apiRO, code: 401, fields: "error:s",
			values: errorField("wrong api key")},

		// List Project's Badges: 200, 401.
		{name: "badges", method: "GET", path: "badges/", key: apiRO, code: 200, fields: "badges:o"},
		{name: "badges, no key", method: "GET", path: "badges/", code: 401, fields: "error:s", values: errorField("missing api key")},

		// Delete Check: 200, 401, 403, 404.
		{name: "delete, no key", method: "DELETE", path: "checks/{created}", code: 401, fields: "error:s", values: errorField("missing api key")},
		{name: "delete another project's check", method: "DELETE", path: "checks/{foreign}", key: apiRW, code: 403, raw: &empty},
		{name: "delete", method: "DELETE", path: "checks/{created}", key: apiRW, code: 200, fields: written,
			values: map[string]any{"name": "Backups", "slug": "backups"}},
		{name: "delete again", method: "DELETE", path: "checks/{created}", key: apiRW, code: 404},

		// Create a Check, 403: the account is at its check limit (the
		// owner's checks across projects: five, one created above remains).
		{name: "create check at the limit", method: "POST", path: "checks/", key: apiRW, body: backups, code: 403, raw: &empty,
			setup: func(e *apiEnv) {
				e.owner.CheckLimit = 5
				if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
					e.t.Fatal(err)
				}
			}},
	}
}

func ptrTo[T any](v T) *T { return &v }
