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
	t.Parallel()
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

// TestUpdateCheckReference covers what the reference (§2.5, §2.8, §3.1,
// §3.3, §3.5) says about POST checks/<uuid> beyond upstream's tests.
func TestUpdateCheckReference(t *testing.T) {
	t.Parallel()
	runCUCases(t, updateReferenceCases)
}

// cuFull is a check with every configurable field set and some state.
func cuFull(e *cuEnv) model.Check {
	lastPing := e.now.Add(-10 * time.Minute)
	alertAfter := e.now.Add(10 * time.Minute) // next match 12:05, then 5 minutes of grace
	dur := 42 * time.Second
	return e.addCheck(func(c *model.Check) {
		c.Name, c.Slug, c.Tags, c.Desc = "Old", "old", "a b", "desc"
		c.Kind, c.Schedule, c.TZ, c.Grace = model.KindCron, "5,35 * * * *", "Europe/Riga", 5*time.Minute
		c.Timeout = 2 * time.Hour
		c.FilterSubject, c.FilterBody, c.StartKw, c.SuccessKw, c.FailureKw = true, true, "go", "ok", "bad"
		c.Methods, c.ManualResume = "POST", true
		c.Status, c.NPings, c.LastPing, c.LastDuration, c.AlertAfter = model.StatusUp, 7, &lastPing, &dur, &alertAfter
	})
}

var updateReferenceCases = []cuCase{
	{"only_given_fields_change", func(t *testing.T, e *cuEnv) {
		c := cuFull(e)
		before := cuReload(t, e, c)
		r := cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"desc": "new"})
		cuWantStatus(t, r, http.StatusOK)
		after := cuReload(t, e, c)
		before.Desc = "new"
		if !cuSameConfig(before, after) {
			t.Errorf("more than desc changed:\n%+v\n%+v", before, after)
		}
		// An empty document changes nothing and still answers the check.
		r = e.do("POST", "/api/v3/checks/"+c.Code, e.rw, "")
		cuWantStatus(t, r, http.StatusOK)
		if !cuSameConfig(after, cuReload(t, e, c)) || r.json(t)["n_pings"] != 7.0 || r.json(t)["last_duration"] != 42.0 {
			t.Errorf("empty update: %s", r.body)
		}
	}},
	{"exact_cron_body", func(t *testing.T, e *cuEnv) {
		c := cuFull(e)
		r := cuUpdate(t, e, "v2", c.Code, e.rw, map[string]any{"name": "Nightly"})
		u := siteRoot + "/api/v2/checks/" + c.Code
		want := `{"name": "Nightly", "slug": "nightly", "tags": "a b", "desc": "desc", "grace": 300, "n_pings": 7, "status": "up", ` +
			`"started": false, "last_ping": "2026-11-24T11:50:00+00:00", "next_ping": "2026-11-24T12:05:00+00:00", ` +
			`"manual_resume": true, "methods": "POST", "subject": "ok", "subject_fail": "bad", "start_kw": "go", "success_kw": "ok", ` +
			`"failure_kw": "bad", "filter_subject": true, "filter_body": true, "filter_http_body": false, "filter_default_fail": false, ` +
			`"badge_url": "` + siteRoot + `/b/2/` + c.BadgeKey + `.svg", "last_duration": 42, "uuid": "` + c.Code + `", ` +
			`"ping_url": "http://ping.example/` + c.Code + `", "update_url": "` + u + `", "pause_url": "` + u + `/pause", ` +
			`"resume_url": "` + u + `/resume", "channels": "", "schedule": "5,35 * * * *", "tz": "Europe/Riga"}`
		if r.code != http.StatusOK || r.body != want {
			t.Errorf("%d\n got %s\nwant %s", r.code, r.body, want)
		}
	}},
	{"failed_update_changes_nothing", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "one", "email")
		c := cuFull(e)
		cuAssignAll(t, e, c)
		before := cuReload(t, e, c)
		for _, tc := range []struct {
			doc map[string]any
			err string
		}{
			{map[string]any{"name": "new", "desc": "new", "channels": "one,nope"}, "invalid channel identifier: nope"},
			{map[string]any{"name": "new", "channels": ""}, ""}, // control: this one succeeds
		} {
			r := cuUpdate(t, e, "v3", c.Code, e.rw, tc.doc)
			if tc.err == "" {
				cuWantStatus(t, r, http.StatusOK)
				continue
			}
			cuWant400(t, r, tc.err)
			if !cuSameConfig(before, cuReload(t, e, c)) || !slices.Equal(cuLinks(t, e, c), []string{ch.Code}) {
				t.Errorf("%v changed the check", tc.doc)
			}
		}
		for _, doc := range []map[string]any{
			{"name": "ok", "timeout": 1}, {"tags": "t", "unique": "name"}, {"desc": "d", "tz": "Nowhere/City"},
			{"name": "ok", "schedule": "61 * * * *"}, {"manual_resume": false, "methods": "GET"},
		} {
			if r := cuUpdate(t, e, "v3", c.Code, e.rw, doc); r.code != http.StatusBadRequest {
				t.Errorf("%v: %d", doc, r.code)
			}
		}
		after := cuReload(t, e, c)
		before.Name = "new"
		if !cuSameConfig(before, after) || len(cuLinks(t, e, c)) != 0 {
			t.Errorf("failed updates changed the check:\n%+v\n%+v", before, after)
		}
	}},
	{"alert_after_follows_schedule", func(t *testing.T, e *cuEnv) {
		lastPing := time.Date(2026, 11, 24, 3, 10, 0, 0, time.UTC)
		c := e.addCheck(func(c *model.Check) { c.Status, c.LastPing = model.StatusUp, &lastPing })
		// 05:00 in Riga (UTC+2 in November) is 03:00 UTC: next match is the
		// next day, then the grace of 10 minutes.
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"schedule": "0 5 * * *", "tz": "Europe/Riga", "grace": 600}), http.StatusOK)
		want := time.Date(2026, 11, 25, 3, 10, 0, 0, time.UTC)
		if got := cuReload(t, e, c); got.AlertAfter == nil || !got.AlertAfter.Equal(want) {
			t.Errorf("alert_after %v, want %v", got.AlertAfter, want)
		}
		// Back to simple: last ping + timeout + grace.
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"timeout": 3600}), http.StatusOK)
		got := cuReload(t, e, c)
		if want := lastPing.Add(time.Hour + 10*time.Minute); got.AlertAfter == nil || !got.AlertAfter.Equal(want) {
			t.Errorf("alert_after %v, want %v", got.AlertAfter, want)
		}
		// The schedule and zone stay stored while the check is simple.
		if got.Kind != model.KindSimple || got.Schedule != "0 5 * * *" || got.TZ != "Europe/Riga" {
			t.Errorf("stored %+v", got)
		}
		// A paused check cannot go down: no alert_after.
		p := e.addCheck(func(c *model.Check) { c.Status, c.LastPing = model.StatusPaused, &lastPing })
		cuWantStatus(t, cuUpdate(t, e, "v3", p.Code, e.rw, map[string]any{"timeout": 60}), http.StatusOK)
		if got := cuReload(t, e, p); got.AlertAfter != nil || got.Status != model.StatusPaused {
			t.Errorf("paused: %+v", got)
		}
	}},
	{"schedule_keeps_tz_unless_given", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.TZ = "Asia/Tokyo" })
		r := cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"schedule": "Mon..Fri 09:00"})
		cuWantStatus(t, r, http.StatusOK)
		if doc := r.json(t); doc["tz"] != "Asia/Tokyo" || doc["schedule"] != "Mon..Fri 09:00" {
			t.Errorf("%s", r.body)
		}
		// tz alone changes no kind.
		r = cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"tz": "UTC"})
		if got := cuReload(t, e, c); got.Kind != model.KindOnCalendar || got.TZ != "UTC" {
			t.Errorf("stored %+v", got)
		}
		// Both schedule and timeout: the schedule wins, the timeout is ignored.
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"schedule": "*/5 * * * *", "timeout": 120}), http.StatusOK)
		if got := cuReload(t, e, c); got.Kind != model.KindCron || got.Timeout != model.DefaultTimeout {
			t.Errorf("stored %+v", got)
		}
	}},
	{"error_precedence", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		theirs := model.NewCheck(e.other.ID, e.now)
		if err := e.st.CreateCheck(context.Background(), &theirs, false); err != nil {
			t.Fatal(err)
		}
		missing := uuid.NewString()
		for _, tc := range []struct {
			code, key, body string
			status          int
			resp            string
		}{
			// The body is parsed before the key is looked at...
			{missing, "", "{", 400, `{"error": "could not parse request body"}`},
			{missing, e.rw, "[]", 400, `{"error": "json validation error: value is not an object"}`},
			// ...the key before the check...
			{missing, "", `{"timeout": 1}`, 401, `{"error": "missing api key"}`},
			{missing, strings.Repeat("k", 32), `{"timeout": 1}`, 401, `{"error": "wrong api key"}`},
			// ...the check before the fields.
			{missing, e.rw, `{"timeout": 1}`, 404, ""},
			{theirs.Code, e.rw, `{"timeout": 1}`, 403, ""},
			{theirs.Code, e.rw, `{"channels": "nope"}`, 403, ""},
			{c.Code, e.rw, `{"timeout": 1, "channels": "nope"}`, 400, `{"error": "json validation error: timeout is too small"}`},
			// The body may carry the key.
			{c.Code, "", `{"api_key": "` + e.rw + `", "name": "via body"}`, 200, ""},
			{theirs.Code, "", `{"api_key": "` + e.otherRW + `", "name": "theirs"}`, 200, ""},
		} {
			r := e.do("POST", "/api/v3/checks/"+tc.code, tc.key, tc.body)
			if r.code != tc.status || (tc.resp != "" && r.body != tc.resp) || (tc.status == 403 && r.body != "") {
				t.Errorf("%s key=%q %s: %d %s, want %d %s", tc.code, tc.key, tc.body, r.code, r.body, tc.status, tc.resp)
			}
		}
		if cuReload(t, e, c).Name != "via body" || cuReload(t, e, theirs).Name != "theirs" {
			t.Error("updates with the key in the body were not saved")
		}
	}},
	{"unique_is_validated_but_ignored", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Name = "A" })
		e.addCheck(func(c *model.Check) { c.Name = "B" })
		cuWant400(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"unique": []string{"desc"}}),
			"json validation error: an item in 'unique' has unexpected value")
		r := cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"name": "B", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusOK)
		if r.json(t)["uuid"] != c.Code || cuReload(t, e, c).Name != "B" || len(cuChecks(t, e)) != 2 {
			t.Errorf("%s", r.body)
		}
	}},
	{"slug_by_version", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Slug = "keep" })
		for _, tc := range []struct {
			v    string
			doc  map[string]any
			slug string
		}{
			{"v3", map[string]any{"name": "Name One"}, "keep"},
			{"v2", map[string]any{"name": "Name Two"}, "name-two"},
			{"v1", map[string]any{"name": "Name Three", "slug": "explicit"}, "explicit"},
			{"v1", map[string]any{"desc": "no name, no slug change"}, "explicit"},
			{"v2", map[string]any{"name": "!!!"}, ""},
			{"v3", map[string]any{"slug": ""}, ""},
		} {
			cuWantStatus(t, cuUpdate(t, e, tc.v, c.Code, e.rw, tc.doc), http.StatusOK)
			if got := cuReload(t, e, c).Slug; got != tc.slug {
				t.Errorf("%s %v: slug %q, want %q", tc.v, tc.doc, got, tc.slug)
			}
		}
	}},
	{"subject_recomputes_filter_from_both_keywords", func(t *testing.T, e *cuEnv) {
		// filter_subject becomes bool(success_kw or failure_kw): clearing
		// subject while failure_kw is set turns filtering on.
		c := e.addCheck(func(c *model.Check) { c.FailureKw = "F" })
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"subject": ""}), http.StatusOK)
		if got := cuReload(t, e, c); !got.FilterSubject || got.SuccessKw != "" || got.FailureKw != "F" {
			t.Errorf("stored %+v", got)
		}
		r := cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"subject_fail": ""})
		if got := cuReload(t, e, c); got.FilterSubject || got.FailureKw != "" {
			t.Errorf("stored %+v", got)
		}
		if doc := r.json(t); doc["subject"] != "" || doc["subject_fail"] != "" || doc["filter_subject"] != false {
			t.Errorf("%s", r.body)
		}
		// failure_kw given with subject_fail: the plain field is applied last.
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"subject_fail": "X", "failure_kw": "Y"}), http.StatusOK)
		if got := cuReload(t, e, c); !got.FilterSubject || got.FailureKw != "Y" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"nul_characters", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		r := cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"tags": "a\x00", "desc": "ok"})
		if e.st.Engine() == "postgres" {
			cuWant400(t, r, "json validation error: tags contains a NUL character")
			if got := cuReload(t, e, c); got.Desc != "" {
				t.Errorf("stored %+v", got)
			}
			return
		}
		cuWantStatus(t, r, http.StatusOK)
		if got := cuReload(t, e, c); got.Tags != "a\x00" {
			t.Errorf("tags %q", got.Tags)
		}
	}},
	{"state_is_not_touched", func(t *testing.T, e *cuEnv) {
		// An edit never changes status, pings, last_ping or last_start,
		// even when it changes the schedule under a running job.
		start := e.now.Add(-time.Minute)
		c := e.addCheck(func(c *model.Check) {
			c.Status, c.NPings, c.LastPing, c.LastStart, c.LastStartRID = model.StatusDown, 3, &start, &start, uuid.NewString()
		})
		cuWantStatus(t, cuUpdate(t, e, "v3", c.Code, e.rw, map[string]any{"timeout": 60, "grace": 60, "manual_resume": true}), http.StatusOK)
		got := cuReload(t, e, c)
		if got.Status != model.StatusDown || got.NPings != 3 || got.LastPing == nil || got.LastStart == nil || got.LastStartRID != c.LastStartRID ||
			got.AlertAfter != nil {
			t.Errorf("stored %+v", got)
		}
	}},
}
