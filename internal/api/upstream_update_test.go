package api_test

// Upstream's hc/api/tests/test_update_check.py, case by case (helpers in
// upstream_create_test.go), then behaviour of POST checks/<uuid> that the
// reference describes beyond upstream's tests.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// cuUpdate posts doc to /api/<v>/checks/<code> with key in the header.
func cuUpdate(t *testing.T, e *cuEnv, v, code, key string, doc map[string]any) apiResp {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e.do("POST", "/api/"+v+"/checks/"+code, key, string(b))
}

func TestUpstreamUpdateCheck(t *testing.T) {
	runCUCases(t, upstreamUpdateCases)
}

var upstreamUpdateCases = []cuCase{
	{"it_works", func(t *testing.T, e *cuEnv) {
		lastPing := e.now.Add(-time.Minute)
		c := e.addCheck(func(c *model.Check) { c.LastPing, c.Status = &lastPing, model.StatusUp })
		r := cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"name": "Foo", "tags": "bar,baz", "desc": "My description",
			"timeout": 3600, "grace": 60, "filter_http_body": true, "filter_default_fail": true})
		cuWantStatus(t, r, http.StatusOK)
		if r.hdr.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("CORS header %q", r.hdr.Get("Access-Control-Allow-Origin"))
		}
		doc := r.json(t)
		for k, want := range map[string]any{"name": "Foo", "slug": "foo", "tags": "bar,baz", "desc": "My description", "n_pings": 0.0,
			"timeout": 3600.0, "grace": 60.0, "status": "up", "filter_http_body": true, "filter_default_fail": true} {
			if doc[k] != want {
				t.Errorf("%s = %#v, want %#v", k, doc[k], want)
			}
		}
		if _, ok := doc["ping_url"]; !ok {
			t.Error("no ping_url")
		}
		for _, k := range []string{"schedule", "tz"} {
			if _, ok := doc[k]; ok {
				t.Errorf("a simple check has %q", k)
			}
		}
		got := cuOnly(t, e)
		if got.Name != "Foo" || got.Slug != "foo" || got.Tags != "bar,baz" || got.Timeout != time.Hour || got.Grace != time.Minute ||
			!got.FilterHTTPBody || !got.FilterDefaultFail {
			t.Errorf("stored %+v", got)
		}
		// alert_after follows the new timeout and grace.
		if want := lastPing.Add(3660 * time.Second); got.AlertAfter == nil || !got.AlertAfter.Equal(want) {
			t.Errorf("alert_after %v, want %v", got.AlertAfter, want)
		}
	}},
	{"it_handles_options", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		r := e.do("OPTIONS", "/api/v1/checks/"+c.Code, "", "")
		if r.code != http.StatusNoContent || !strings.Contains(r.hdr.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("OPTIONS: %d %v", r.code, r.hdr)
		}
	}},
	{"it_unassigns_channels", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuAssignAll(t, e, c)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": ""}), http.StatusOK)
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_handles_invalid_uuid", func(t *testing.T, e *cuEnv) {
		if r := cuUpdate(t, e, "v1", "not-an-uuid", e.rw, map[string]any{}); r.code != http.StatusNotFound {
			t.Errorf("%d", r.code)
		}
	}},
	{"it_handles_missing_check", func(t *testing.T, e *cuEnv) {
		if r := cuUpdate(t, e, "v1", "07c2f548-9850-4b27-af5d-6c9dc157ec02", e.rw, map[string]any{}); r.code != http.StatusNotFound {
			t.Errorf("%d", r.code)
		}
	}},
	{"it_validates_ownership", func(t *testing.T, e *cuEnv) {
		theirs := model.NewCheck(e.other.ID, e.now)
		theirs.Status = model.StatusUp
		if err := e.st.CreateCheck(context.Background(), &theirs, false); err != nil {
			t.Fatal(err)
		}
		if r := cuUpdate(t, e, "v1", theirs.Code, e.rw, map[string]any{}); r.code != http.StatusForbidden || r.body != "" {
			t.Errorf("%d %q", r.code, r.body)
		}
	}},
	{"it_updates_cron_to_simple", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Kind, c.Schedule = model.KindCron, "5 * * * *" })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"timeout": 3600}), http.StatusOK)
		if got := cuReload(t, e, c); got.Kind != model.KindSimple || got.Timeout != time.Hour {
			t.Errorf("kind %q timeout %v", got.Kind, got.Timeout)
		}
	}},
	{"it_updates_cron_to_oncalendar", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Kind, c.Schedule = model.KindCron, "5 * * * *" })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"schedule": "12:34"}), http.StatusOK)
		if got := cuReload(t, e, c); got.Kind != model.KindOnCalendar || got.Schedule != "12:34" {
			t.Errorf("kind %q schedule %q", got.Kind, got.Schedule)
		}
	}},
	{"it_sets_single_channel", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "", "email")
		e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": ch.Code}), http.StatusOK)
		if links := cuLinks(t, e, c); !slices.Equal(links, []string{ch.Code}) {
			t.Errorf("links %v", links)
		}
	}},
	{"it_sets_the_channel_only_once", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": ch.Code + "," + ch.Code}), http.StatusOK)
		if links := cuLinks(t, e, c); !slices.Equal(links, []string{ch.Code}) {
			t.Errorf("links %v", links)
		}
	}},
	{"it_sets_channel_by_name", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "alerts", "email")
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": "alerts"}), http.StatusOK)
		if links := cuLinks(t, e, c); !slices.Equal(links, []string{ch.Code}) {
			t.Errorf("links %v", links)
		}
	}},
	{"it_sets_channel_by_name_formatted_as_uuid", func(t *testing.T, e *cuEnv) {
		name := "102eaa82-a274-4b15-a499-c1bb6bbcd7b6"
		ch := e.addChannel(e.proj.ID, name, "email")
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": name}), http.StatusOK)
		if links := cuLinks(t, e, c); !slices.Equal(links, []string{ch.Code}) {
			t.Errorf("links %v", links)
		}
	}},
	{"it_handles_comma_separated_channel_codes", func(t *testing.T, e *cuEnv) {
		c1 := e.addChannel(e.proj.ID, "", "email")
		c2 := e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		r := cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": c1.Code + "," + c2.Code})
		cuWantStatus(t, r, http.StatusOK)
		want := []string{c1.Code, c2.Code}
		slices.Sort(want)
		if links := cuLinks(t, e, c); !slices.Equal(links, want) {
			t.Errorf("links %v", links)
		}
		if r.json(t)["channels"] != strings.Join(want, ",") {
			t.Errorf("answered channels %v, want sorted %v", r.json(t)["channels"], want)
		}
	}},
	{"it_handles_asterix", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "", "email")
		e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": "*"}), http.StatusOK)
		if links := cuLinks(t, e, c); len(links) != 2 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_ignores_channels_if_channels_key_missing", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuAssignAll(t, e, c)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{}), http.StatusOK)
		if links := cuLinks(t, e, c); len(links) != 1 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_rejects_bad_channel_code", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": "abc", "name": "New Name"}), "invalid channel identifier: abc")
		if got := cuReload(t, e, c); got.Name != "" {
			t.Errorf("name changed to %q", got.Name)
		}
	}},
	{"it_rejects_missing_channel", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		code := uuid.NewString()
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": code}), "invalid channel identifier: "+code)
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_rejects_channel_from_another_project", func(t *testing.T, e *cuEnv) {
		theirs := e.addChannel(e.other.ID, "", "email")
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": theirs.Code}), "invalid channel identifier: "+theirs.Code)
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_handles_channel_lookup_by_name_with_no_results", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": "foo"}), "invalid channel identifier: foo")
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_handles_channel_lookup_by_name_with_multiple_results", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "foo", "email")
		e.addChannel(e.proj.ID, "foo", "email")
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": "foo"}), "non-unique channel identifier: foo")
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_rejects_multiple_empty_channel_names", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "", "email")
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": ","}), "empty channel identifier")
		if links := cuLinks(t, e, c); len(links) != 0 {
			t.Errorf("links %v", links)
		}
	}},
	{"it_rejects_non_string_channels_key", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"channels": 123}), "json validation error: channels is not a string")
	}},
	{"it_rejects_non_string_desc", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"desc": 123}), "json validation error: desc is not a string")
	}},
	{"it_rejects_null_values", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		for field, msg := range map[string]string{
			"channels": "channels is not a string", "timeout": "timeout is not a number", "grace": "grace is not a number",
			"name": "name is not a string", "schedule": "schedule is not a string", "subject": "subject is not a string",
			"subject_fail": "subject_fail is not a string", "unique": "unique is not an array",
		} {
			cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{field: nil}), "json validation error: "+msg)
		}
		if got := cuReload(t, e, c); !cuSameConfig(got, c) {
			t.Errorf("changed: %+v", got)
		}
	}},
	{"it_validates_schedule", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Kind, c.Schedule = model.KindCron, "5 * * * *" })
		for _, s := range []string{"* invalid *", "1,2 61 * * *", "0 0 31 2 *", "Surprise 12:34", "12:34 Europe/surprise"} {
			cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"schedule": s}),
				"json validation error: schedule is not a valid cron or OnCalendar expression")
		}
		if got := cuReload(t, e, c); got.Schedule != "5 * * * *" || got.Kind != model.KindCron {
			t.Errorf("schedule %q kind %q", got.Schedule, got.Kind)
		}
	}},
	{"it_rejects_readonly_key", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		r := cuUpdate(t, e, "v1", c.Code, e.ro, map[string]any{"name": "Foo"})
		if r.code != http.StatusUnauthorized || r.body != `{"error": "wrong api key"}` {
			t.Errorf("%d %s", r.code, r.body)
		}
		if cuReload(t, e, c).Name != "" {
			t.Error("the read-only key changed the check")
		}
	}},
	{"it_sets_manual_resume_to_true", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"manual_resume": true}), http.StatusOK)
		if !cuReload(t, e, c).ManualResume {
			t.Error("not set")
		}
	}},
	{"it_sets_manual_resume_to_false", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.ManualResume = true })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"manual_resume": false}), http.StatusOK)
		if cuReload(t, e, c).ManualResume {
			t.Error("not cleared")
		}
	}},
	{"it_sets_methods", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"methods": "POST"}), http.StatusOK)
		if m := cuReload(t, e, c).Methods; m != "POST" {
			t.Errorf("methods %q", m)
		}
	}},
	{"it_clears_methods", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Methods = "POST" })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"methods": ""}), http.StatusOK)
		if m := cuReload(t, e, c).Methods; m != "" {
			t.Errorf("methods %q", m)
		}
	}},
	{"it_leaves_methods_unchanged", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Methods = "POST" })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{}), http.StatusOK)
		if m := cuReload(t, e, c).Methods; m != "POST" {
			t.Errorf("methods %q", m)
		}
	}},
	{"it_rejects_bad_methods_value", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"methods": "bad-value"}), "json validation error: methods has unexpected value")
	}},
	{"it_sets_success_kw", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"subject": "SUCCESS,COMPLETE"}), http.StatusOK)
		if got := cuReload(t, e, c); !got.FilterSubject || got.SuccessKw != "SUCCESS,COMPLETE" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"it_sets_failure_kw", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"subject_fail": "FAILED,FAILURE"}), http.StatusOK)
		if got := cuReload(t, e, c); !got.FilterSubject || got.FailureKw != "FAILED,FAILURE" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"it_unsets_filter_subject_flag", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.FilterSubject, c.SuccessKw = true, "SUCCESS" })
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"subject": ""}), http.StatusOK)
		if got := cuReload(t, e, c); got.FilterSubject || got.SuccessKw != "" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"it_accepts_60_days_timeout", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"timeout": 60 * 24 * 3600}), http.StatusOK)
		if got := cuReload(t, e, c); got.Timeout != 60*24*time.Hour {
			t.Errorf("timeout %v", got.Timeout)
		}
	}},
	{"it_rejects_out_of_range_timeout", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWant400(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"timeout": 500 * 24 * 3600}), "json validation error: timeout is too large")
	}},
	{"it_prioritizes_filter_subject_field", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"subject": "SUCCESS", "filter_subject": false}), http.StatusOK)
		if got := cuReload(t, e, c); got.FilterSubject || got.SuccessKw != "SUCCESS" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"v1_reports_status_started", func(t *testing.T, e *cuEnv) {
		now := e.now
		c := e.addCheck(func(c *model.Check) { c.LastStart = &now })
		r := cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{})
		if doc := r.json(t); doc["status"] != "started" || doc["started"] != true {
			t.Errorf("%s", r.body)
		}
	}},
	{"v2_reports_started_separately", func(t *testing.T, e *cuEnv) {
		now := e.now
		c := e.addCheck(func(c *model.Check) { c.LastStart = &now })
		r := cuUpdate(t, e, "v2", c.Code, e.rw, map[string]any{})
		if doc := r.json(t); doc["status"] != "new" || doc["started"] != true {
			t.Errorf("%s", r.body)
		}
	}},
	{"v3_saves_slug", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"slug": "updated-slug"}), http.StatusOK)
		if got := cuReload(t, e, c); got.Slug != "updated-slug" {
			t.Errorf("slug %q", got.Slug)
		}
	}},
	{"v3_does_not_autogenerate_slug", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Slug = "foo" })
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"name": "Bar"}), http.StatusOK)
		if got := cuReload(t, e, c); got.Slug != "foo" || got.Name != "Bar" {
			t.Errorf("slug %q name %q", got.Slug, got.Name)
		}
	}},
	{"it_handles_concurrent_delete", func(t *testing.T, e *cuEnv) {
		// Upstream patches the lookup to delete the check after reading it
		// and expects 404. Without a seam between the lookup and the write,
		// this races real deletes against updates instead: each update
		// answers 200 (before the delete) or 404 (after it, including a
		// delete between its read and its write), never 500, and no update
		// brings a deleted check back.
		for round := range 10 {
			c := e.addCheck(nil)
			var wg sync.WaitGroup
			results := make(chan apiResp, 4)
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results <- cuUpdate(t, e, "v1", c.Code, e.rw, map[string]any{"name": "n", "channels": "", "desc": strings.Repeat("d", i)})
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.st.RenameAndDeleteCheck(context.Background(), c.ID); err != nil {
					t.Errorf("round %d: delete: %v", round, err)
				}
			}()
			wg.Wait()
			close(results)
			for r := range results {
				if r.code != http.StatusOK && r.code != http.StatusNotFound {
					t.Errorf("round %d: update racing a delete: %d %s", round, r.code, r.body)
				}
			}
			if _, err := e.st.CheckByCode(context.Background(), c.Code); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("round %d: the deleted check is back (%v)", round, err)
			}
		}
		if n := len(cuChecks(t, e)); n != 0 {
			t.Errorf("%d checks left", n)
		}
	}},
}

// cuAssignAll links every channel of the project to c, as upstream's
// Check.assign_all_channels.
func cuAssignAll(t *testing.T, e *cuEnv, c model.Check) {
	t.Helper()
	chans, err := e.st.ListChannels(context.Background(), e.proj.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ch := range chans {
		ids = append(ids, ch.ID)
	}
	if err := e.st.SetCheckChannels(context.Background(), c.ID, ids); err != nil {
		t.Fatal(err)
	}
}

// cuSameConfig compares the fields an update may change, and the state.
func cuSameConfig(a, b model.Check) bool {
	norm := func(c model.Check) model.Check {
		c.Created = c.Created.UTC().Truncate(time.Microsecond)
		return c
	}
	x, y := norm(a), norm(b)
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return string(xj) == string(yj)
}
