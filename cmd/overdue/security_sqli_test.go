package main

// Threat: a filter parameter that reaches SQL as text (SQL injection), or
// bytes a database refuses (NUL, invalid UTF-8) that turn a filter into a
// 500. Every filter of the API lists, the dashboard and the event log is
// sent hostile values on every engine: each answers as for any value that
// matches nothing (or with its usual 400), and the data is intact.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

var sqlPayloads = []string{
	`' OR '1'='1`,
	`' OR 1=1 --`,
	`x'; DROP TABLE checks; --`,
	`"; DELETE FROM channels; --`,
	`1 UNION SELECT id, email, password FROM users --`,
	`%' OR name LIKE '%`,
	`1) OR (1=1`,
	`\'; SELECT pg_sleep(5); --`,
	"a\x00b",
	"\xff\xfe",
	strings.Repeat("'", 5000),
}

func TestSecuritySQLInjectionThroughFilters(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(engine, func(t *testing.T) {
			s := newSecApp(t, engine, nil)
			alice := s.login("alice")
			key := map[string]string{"X-Api-Key": s.a.keys.APIKeyReadonly}
			before := s.snapshot()
			for _, p := range sqlPayloads {
				q := url.QueryEscape(p)
				// The API's list filters: a value that matches nothing is an
				// empty list.
				for _, path := range []string{
					"/api/v3/checks/?tag=" + q, "/api/v3/checks/?slug=" + q, "/api/v3/checks/?tag=prod&tag=" + q,
					"/api/v1/checks/?tag=" + q, "/api/v2/checks/?slug=" + q,
				} {
					resp, body := s.send(http.DefaultClient, "GET", path, nil, key)
					var doc struct {
						Checks []any `json:"checks"`
					}
					if resp.StatusCode == http.StatusOK {
						if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Checks) != 0 {
							t.Errorf("GET %s: %v, %d checks, want an empty list: %.200s", path, err, len(doc.Checks), body)
						}
					} else if resp.StatusCode != http.StatusBadRequest {
						t.Errorf("GET %s: %d %.200s, want 200 or 400", path, resp.StatusCode, body)
					}
				}
				// The flips' time filters take numbers only: upstream's 400.
				for _, f := range []string{"start", "end", "seconds"} {
					path := "/api/v3/checks/" + s.a.check + "/flips/?" + f + "=" + q
					if resp, body := s.send(http.DefaultClient, "GET", path, nil, key); resp.StatusCode != http.StatusBadRequest {
						t.Errorf("GET %s: %d %.200s, want 400", path, resp.StatusCode, body)
					}
				}
				// The dashboard filters; the page answers normally.
				for _, f := range []string{"search", "tag", "status", "sort"} {
					path := "/projects/" + s.a.Code + "/checks/?" + f + "=" + q
					if resp, body := s.get(alice, path); resp.StatusCode != http.StatusOK {
						t.Errorf("GET %s: %d %.200s, want 200", path, resp.StatusCode, body)
					}
				}
				// The event log's page number.
				path := "/checks/" + s.a.check + "/log/?before=" + q
				if resp, body := s.get(alice, path); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The page number is not valid.") {
					t.Errorf("GET %s: %d %.200s, want 400", path, resp.StatusCode, body)
				}
			}
			if after := s.snapshot(); after != before {
				t.Errorf("hostile filters changed data: %s", snapDiff(before, after))
			}
			// The tables are there and the filters still work.
			resp, body := s.send(http.DefaultClient, "GET", "/api/v3/checks/?slug=alpha-check", nil, key)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"name": "alpha-check"`) {
				t.Errorf("control: slug filter after the attack: %d %.300s", resp.StatusCode, body)
			}
			resp, body = s.get(alice, "/projects/"+s.a.Code+"/checks/?search=alpha")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alpha-check") {
				t.Errorf("control: dashboard search after the attack: %d", resp.StatusCode)
			}
		})
	}
}
