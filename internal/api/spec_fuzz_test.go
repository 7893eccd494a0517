package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store/storetest"
)

// FuzzCheckSpec posts arbitrary bytes as a create or update body to the
// real Management API handler on SQLite (one store for the whole run) and
// holds it to: no panic, no 5xx, only 200/201/400/401/403; a 400 or 401 is
// {"error": "<something>"} and a 400, 401 or 403 leaves the database as it
// was; a 200 or 201 answers the check as stored.
//
// target picks the request: 0 create, 1 update of an own check, 2 update of
// another project's check (then by target/3 the version v1, v2 or v3);
// keyMode picks the key: 0 the read-write key in X-Api-Key, 1 no header (a
// body's "api_key" may then carry one), 2 the read-only key.
func FuzzCheckSpec(f *testing.F) {
	ctx := context.Background()
	st := storetest.Open(f, "sqlite")
	const rw, ro, otherRW = "hcw_fuzzfuzzfuzzfuzzfuzzfuzzfuzz", "hcr_fuzzfuzzfuzzfuzzfuzzfuzzfuzz", "hcw_otherotherotherotherotherot"
	owner := model.User{Email: "fuzz@example.org", Password: "!", CheckLimit: 10000, PingLogLimit: 100}
	if err := st.CreateUser(ctx, &owner); err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	mkProject := func(rwKey, roKey string) model.Project {
		p := model.Project{Code: uuid.NewString(), Name: "P", OwnerID: owner.ID, APIKey: auth.HashAPIKey(rwKey),
			PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: now}
		if roKey != "" {
			p.APIKeyReadonly = auth.HashAPIKey(roKey)
		}
		if err := st.CreateProject(ctx, &p); err != nil {
			f.Fatal(err)
		}
		return p
	}
	proj, other := mkProject(rw, ro), mkProject(otherRW, "")
	for _, name := range []string{"alerts", "dup", "dup", ""} {
		ch := model.Channel{Code: uuid.NewString(), ProjectID: proj.ID, Name: name, Kind: "email", Value: "x"}
		if err := st.CreateChannel(ctx, &ch); err != nil {
			f.Fatal(err)
		}
	}
	mkCheck := func(p model.Project, name string) model.Check {
		c := model.NewCheck(p.ID, now.Add(-time.Hour))
		c.Name = name
		if err := st.CreateCheck(ctx, &c, true); err != nil {
			f.Fatal(err)
		}
		return c
	}
	mine, theirs := mkCheck(proj, "mine"), mkCheck(other, "theirs")
	// restore puts both checks back as they were, so that every input
	// starts from the same database and a failure reproduces alone.
	var restore func(t *testing.T)
	{
		var saved []model.Check
		var links [][]int64
		for _, c := range []model.Check{mine, theirs} {
			c, err := st.CheckByCode(ctx, c.Code)
			if err != nil {
				f.Fatal(err)
			}
			chans, err := st.ChannelsForCheck(ctx, c.ID)
			if err != nil {
				f.Fatal(err)
			}
			var ids []int64
			for _, ch := range chans {
				ids = append(ids, ch.ID)
			}
			saved, links = append(saved, c), append(links, ids)
		}
		restore = func(t *testing.T) {
			for i := range saved {
				c := saved[i]
				if err := st.UpdateCheck(ctx, &c); err != nil {
					t.Fatal(err)
				}
				if err := st.SetCheckChannels(ctx, c.ID, links[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	h := api.NewAPI(api.APIDeps{Store: st, SiteRoot: "http://hc.example", Now: func() time.Time { return now },
		Cache: schedule.NewCache(100)})

	// snapshot is every check of both projects with its channel links.
	snapshot := func(t *testing.T) string {
		var all []any
		for _, p := range []model.Project{proj, other} {
			checks, err := st.ListChecks(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range checks {
				links, err := st.CheckChannelCodes(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(links)
				all = append(all, c, links)
			}
		}
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	deep := func(n int, open, close string) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	big := strings.Repeat("x", api.DefaultMaxBody)
	for i, s := range []string{
		``, `{}`, ` `, `null`, `[]`, `"x"`, `1`, `{`, `}`, `{"name": "a"} x`, `{"name": "a"}{}`,
		`{"name": "Foo", "tags": "bar baz", "desc": "d", "timeout": 3600, "grace": 60, "channels": "*"}`,
		`{"schedule": "5 * * * *", "tz": "Europe/Kiev", "grace": 60, "channels": "alerts"}`,
		`{"schedule": "Mon..Fri 12:34\n18:00 Europe/Riga", "subject": "OK", "subject_fail": "FAIL", "filter_subject": false}`,
		`{"name": "mine", "unique": ["name"], "desc": "upserted"}`, `{"unique": ["name", "slug", "tags", "timeout", "grace"]}`,
		`{"unique": ["status"]}`, `{"unique": "name"}`, `{"unique": [null]}`, `{"unique": [["name"]]}`,
		`{"channels": "dup"}`, `{"channels": ","}`, `{"channels": "nope"}`, `{"channels": "alerts,nope"}`, `{"channels": ""}`,
		`{"methods": "POST", "manual_resume": true}`, `{"methods": "GET"}`, `{"methods": 0}`,
		`{"name": null, "slug": null, "tags": null, "desc": null, "timeout": null, "grace": null, "schedule": null, "tz": null}`,
		`{"timeout": 1e400}`, `{"timeout": -1e400}`, `{"timeout": 1e308}`, `{"timeout": -0}`, `{"timeout": -0.0}`, `{"timeout": 0}`,
		`{"timeout": 60}`, `{"timeout": 59}`, `{"timeout": 31536000}`, `{"timeout": 31536001}`, `{"timeout": true}`, `{"grace": false}`,
		`{"timeout": 99999999999999999999999999999999999999}`, `{"grace": -99999999999999999999999999999999999999}`,
		`{"timeout": 1` + strings.Repeat("0", 4299) + `}`, `{"timeout": 1` + strings.Repeat("0", 4300) + `}`,
		`{"timeout": NaN}`, `{"grace": Infinity}`, `{"timeout": -Infinity}`, `{"name": NaN}`, `{"x": [NaN, Infinity, -Infinity]}`,
		`{"x": -NaN}`, `{"x": NaN1}`, `{"x": "NaN"}`, `{"x": nan}`,
		"\xff", `{"name": "` + "\xc3" + `"}`, `{"name": "` + "\xc0\xaf" + `"}`, `{"name": "` + "\xed\xa0\x80" + `"}`,
		`{"name": "\ud800"}`, `{"name": "\udc00\ud800"}`, `{"name": "\ud83d\ude00"}`, `{"name": "a\u0000b", "desc": "\u0000"}`,
		`{"name": "a", "name": 5}`, `{"timeout": 60, "timeout": "x"}`, `{"channels": "*", "channels": "nope"}`,
		"\ufeff{}", "\ufeff{\"name\": \"bom\"}", "{\"name\": \"\ufeff\"}",
		`{"a": ` + deep(10001, "[", "]") + `}`, `{"a": ` + deep(5000, "[", "]") + `}`, deep(3000, `{"a": `, "}"),
		`{"unique": ` + deep(100, "[", "]") + `}`, `{"name": ` + deep(50, "[", "]") + `}`,
		`{"desc": "` + big + `"}`, `{"desc": "` + big[:api.DefaultMaxBody-20] + `"}`, `{"name": "` + strings.Repeat("é", 100) + `"}`,
		`{"name": "` + strings.Repeat("é", 101) + `"}`, `{"name": "` + strings.Repeat("\u33af", 100) + `"}`,
		`{"tags": "` + strings.Repeat("t ", 10000) + `"}`, `{"slug": "` + strings.Repeat("a", 101) + `"}`, `{"slug": "A"}`,
		`{"schedule": "` + strings.Repeat("1,", 60) + `1 * * * *"}`, `{"schedule": "* * * * * *"}`, `{"schedule": "@daily"}`,
		`{"schedule": ""}`, `{"schedule": "\n"}`, `{"schedule": "0 0 30 2 *"}`, `{"schedule": "12:00 Mars/Olympus"}`,
		`{"tz": ""}`, `{"tz": "UTC\u0000"}`, `{"tz": "../../etc/passwd"}`, `{"tz": "CET"}`,
		`{"api_key": "` + rw + `", "name": "body key"}`, `{"api_key": "` + ro + `"}`, `{"api_key": "` + otherRW + `"}`,
		`{"api_key": null}`, `{"api_key": 12345678901234567890123456789012}`, `{"api_key": ["` + rw + `"]}`,
		`{"subject": "` + strings.Repeat("s", 201) + `"}`, `{"start_kw": "` + strings.Repeat("s", 200) + `"}`,
	} {
		// Every seed once, round the targets and versions; every fifth
		// one also without a key and with the read-only key.
		f.Add(uint8(i%9), uint8(0), []byte(s))
		if i%5 == 0 {
			f.Add(uint8(i%9), uint8(1), []byte(s))
			f.Add(uint8(i%9), uint8(2), []byte(s))
		}
	}

	// Errors found after some fields were read, on every path and version.
	for _, s := range []string{
		`{"name": "half", "tags": "t", "channels": "nope"}`, `{"desc": "half", "channels": "dup"}`,
		`{"name": "half", "channels": "alerts,"}`, `{"name": "half", "unique": ["desc"]}`, `{"desc": "half", "tz": "x"}`,
	} {
		for target := range uint8(9) {
			f.Add(target, uint8(0), []byte(s))
		}
	}

	var baseline string
	f.Fuzz(func(t *testing.T, target, keyMode uint8, body []byte) {
		v := []string{"v1", "v2", "v3"}[target/3%3]
		path := "/api/" + v + "/checks/"
		switch target % 3 {
		case 1:
			path += mine.Code
		case 2:
			path += theirs.Code
		}
		req := httptest.NewRequest(http.MethodPost, "http://hc.example"+path, strings.NewReader(string(body)))
		switch keyMode % 3 {
		case 0:
			req.Header.Set("X-Api-Key", rw)
		case 2:
			req.Header.Set("X-Api-Key", ro)
		}
		before := snapshot(t)
		if baseline == "" {
			baseline = before
		} else if before != baseline {
			t.Fatalf("the previous input left the database changed\nbaseline %.500s\nnow      %.500s", baseline, before)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code, resp := rec.Code, rec.Body.String()

		switch code {
		case http.StatusOK, http.StatusCreated:
			var doc map[string]any
			if err := json.Unmarshal([]byte(resp), &doc); err != nil {
				t.Fatalf("%d with a body that is not JSON (%v): %.200q", code, err, resp)
			}
			id, _ := doc["uuid"].(string)
			c, err := st.CheckByCode(ctx, id)
			if err != nil {
				t.Fatalf("%d for check %q that is not stored: %v", code, id, err)
			}
			if c.ProjectID != proj.ID && c.ProjectID != other.ID {
				t.Fatalf("check stored in project %d", c.ProjectID)
			}
			for k, stored := range map[string]string{"name": c.Name, "tags": c.Tags, "desc": c.Desc, "slug": c.Slug} {
				if doc[k] != stored {
					t.Fatalf("%s answered %.80q, stored %.80q", k, doc[k], stored)
				}
			}
			if code == http.StatusCreated {
				if c.ID == mine.ID || c.ID == theirs.ID {
					t.Fatalf("201 for an existing check")
				}
				if err := st.DeleteCheck(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
			} else {
				restore(t)
			}
			return
		case http.StatusBadRequest, http.StatusUnauthorized:
			var doc map[string]any
			if err := json.Unmarshal([]byte(resp), &doc); err != nil || len(doc) != 1 {
				t.Fatalf("%d body is not {\"error\": ...} (%v): %.200q", code, err, resp)
			}
			if msg, _ := doc["error"].(string); msg == "" {
				t.Fatalf("%d without an error message: %.200q", code, resp)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%d with Content-Type %q", code, ct)
			}
		case http.StatusForbidden:
			if resp != "" {
				t.Fatalf("403 with a body: %.200q", resp)
			}
		default:
			t.Fatalf("status %d for %s key mode %d body %.200q: %.300q", code, path, keyMode%3, body, resp)
		}
		if after := snapshot(t); after != before {
			t.Fatalf("a %d changed the database\nbefore %.500s\nafter  %.500s", code, before, after)
		}
	})
}
