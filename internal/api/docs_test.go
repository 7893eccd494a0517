package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// TestAPIDocsExamples replays the requests of upstream's API documentation
// (templates/docs/api.md) and checks the status and that every field its
// example responses show is present with the same JSON type. Types: s
// string, n number, b bool, z null, S string or null, o object, a array.
func TestAPIDocsExamples(t *testing.T) {
	e := newAPIEnv(t, "sqlite", 0)
	e.addChannel(e.proj.ID, "My Work Email", "email")
	lp := e.now.Add(-time.Minute)
	up := e.addCheck(func(c *model.Check) {
		c.Name, c.Tags, c.Status, c.LastPing, c.NPings = "Filesystem Backup", "backup fs", model.StatusUp, &lp, 1
	})
	e.addCheck(func(c *model.Check) {
		c.Name, c.Kind, c.Schedule, c.Status, c.LastPing = "Database Backup", model.KindCron, "15 5 * * *", model.StatusDown, &lp
	})
	err := e.st.ApplyPings(context.Background(), []int64{up.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		return []model.Ping{{CheckID: up.ID, N: 1, Created: lp, Scheme: "http", RemoteAddr: "192.0.2.0", Method: "GET", UA: "curl/7.68.0"}},
			[]model.Flip{{CheckID: up.ID, Created: lp, OldStatus: "new", NewStatus: "up"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	const checkRW = "name:s slug:s tags:s desc:s grace:n n_pings:n status:s started:b last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b filter_http_body:b filter_default_fail:b " +
		"badge_url:s uuid:s ping_url:s update_url:s pause_url:s resume_url:s channels:s"
	const checkRO = "name:s slug:s tags:s desc:s grace:n n_pings:n status:s started:b last_ping:S next_ping:S manual_resume:b " +
		"methods:s start_kw:s success_kw:s failure_kw:s filter_subject:b filter_body:b filter_http_body:b filter_default_fail:b " +
		"badge_url:s unique_key:s"
	created := ""
	cases := []struct {
		name, method, path, key, body string
		code                          int
		list                          string // the key of the documented array, "" for an object
		fields                        string
	}{
		{"list checks", "GET", "/api/v3/checks/", apiRW, "", 200, "checks", checkRW},
		{"list checks read-only", "GET", "/api/v3/checks/", apiRO, "", 200, "checks", checkRO},
		{"get check", "GET", "/api/v3/checks/" + up.Code, apiRW, "", 200, "", checkRW + " timeout:n"},
		{"create check", "POST", "/api/v3/checks/", apiRW, `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, 201, "", checkRW + " timeout:n"},
		{"create check, key in body", "POST", "/api/v3/checks/", "", `{"api_key": "` + apiRW + `", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, 201, "", checkRW},
		{"update check", "POST", "/api/v3/checks/{created}", apiRW, `{"name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, 200, "", checkRW + " timeout:n"},
		{"update check, key in body", "POST", "/api/v3/checks/{created}", "", `{"api_key": "` + apiRW + `", "name": "Backups", "tags": "prod www", "timeout": 3600, "grace": 60}`, 200, "", checkRW},
		{"pause", "POST", "/api/v3/checks/{created}/pause", apiRW, "", 200, "", checkRW},
		{"resume", "POST", "/api/v3/checks/{created}/resume", apiRW, "", 200, "", checkRW},
		{"pings", "GET", "/api/v3/checks/" + up.Code + "/pings/", apiRW, "", 200, "pings", "type:s date:s n:n scheme:s remote_addr:s method:s ua:s rid:z body_url:z"},
		{"flips", "GET", "/api/v3/checks/" + up.Code + "/flips/", apiRW, "", 200, "flips", "timestamp:s up:n"},
		{"channels", "GET", "/api/v3/channels/", apiRW, "", 200, "channels", "id:s name:s kind:s"},
		{"badges", "GET", "/api/v3/badges/", apiRW, "", 200, "", "badges:o"},
		{"delete", "DELETE", "/api/v3/checks/{created}", apiRW, "", 200, "", checkRW},
	}
	for _, tc := range cases {
		r := e.do(tc.method, strings.ReplaceAll(tc.path, "{created}", created), tc.key, tc.body)
		if r.code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, r.code, r.body, tc.code)
			continue
		}
		doc := r.json(t)
		if tc.code == 201 && created == "" {
			created = doc["uuid"].(string)
		}
		items := []any{doc}
		if tc.list != "" {
			items, _ = doc[tc.list].([]any)
			if len(items) == 0 {
				t.Errorf("%s: no %s in %s", tc.name, tc.list, r.body)
			}
		}
		for _, it := range items {
			m := it.(map[string]any)
			for _, f := range strings.Fields(tc.fields) {
				k, typ, _ := strings.Cut(f, ":")
				v, ok := m[k]
				if !ok || !jsonTypeIs(v, typ) {
					t.Errorf("%s: field %s = %#v (present %v), want type %s", tc.name, k, v, ok, typ)
				}
			}
		}
	}
	if r := e.do("GET", "/api/v3/status/", "", ""); r.code != 200 || r.body != "OK" {
		t.Errorf("status: %d %q", r.code, r.body)
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
