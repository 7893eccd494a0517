package api_test

// Upstream's hc/api/tests/test_create_check.py, case by case, against the
// real router and store on every engine, followed by behaviour of POST
// checks/ that the reference describes but upstream's tests leave out.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// cuCase is one test of the create/update files.
type cuCase struct {
	name string
	run  func(t *testing.T, e *cuEnv)
}

// cuEnv is an apiEnv whose owner and projects belong to one test case
// alone, so that the cases of an engine share one database (creating and
// migrating a server database per case would take a second or two each).
type cuEnv struct {
	*apiEnv
	rw, ro, otherRW string // the API keys of proj and of other
}

func runCUCases(t *testing.T, cases []cuCase) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			base := newAPIEnv(t, engine, 0)
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, cuFresh(t, base, i)) })
			}
		})
	}
}

// cuFresh gives case i its own owner (check limit 10000, as without
// payments), project and second project, on base's store and handler.
func cuFresh(t *testing.T, base *apiEnv, i int) *cuEnv {
	ctx := context.Background()
	e := *base
	e.t = t
	x := &cuEnv{apiEnv: &e, rw: fmt.Sprintf("hcw_cu%026d", i), ro: fmt.Sprintf("hcr_cu%026d", i), otherRW: fmt.Sprintf("hcw_ot%026d", i)}
	e.owner = model.User{Email: fmt.Sprintf("cu%d@example.org", i), Password: "!", CheckLimit: 10000, PingLogLimit: 100}
	if err := e.st.CreateUser(ctx, &e.owner); err != nil {
		t.Fatal(err)
	}
	mk := func(name, rw, ro string) model.Project {
		p := model.Project{Code: uuid.NewString(), Name: name, OwnerID: e.owner.ID, APIKey: auth.HashAPIKey(rw),
			PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: e.now}
		if ro != "" {
			p.APIKeyReadonly = auth.HashAPIKey(ro)
		}
		if err := e.st.CreateProject(ctx, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e.proj = mk("P", x.rw, x.ro)
	e.other = mk("Other", x.otherRW, "")
	return x
}

// cuCreate posts doc to /api/v<v>/checks/ with the read-write key in the
// body, as upstream's create tests do (unless doc has its own api_key).
func cuCreate(t *testing.T, e *cuEnv, v string, doc map[string]any) apiResp {
	t.Helper()
	if _, ok := doc["api_key"]; !ok {
		doc["api_key"] = e.rw
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e.do("POST", "/api/"+v+"/checks/", "", string(b))
}

// cuChecks lists the project's checks, oldest first.
func cuChecks(t *testing.T, e *cuEnv) []model.Check {
	t.Helper()
	checks, err := e.st.ListChecks(context.Background(), e.proj.ID)
	if err != nil {
		t.Fatal(err)
	}
	return checks
}

// cuOnly is the project's one and only check.
func cuOnly(t *testing.T, e *cuEnv) model.Check {
	t.Helper()
	checks := cuChecks(t, e)
	if len(checks) != 1 {
		t.Fatalf("%d checks in the project, want 1", len(checks))
	}
	return checks[0]
}

// cuReload reads a check again.
func cuReload(t *testing.T, e *cuEnv, c model.Check) model.Check {
	t.Helper()
	got, err := e.st.CheckByCode(context.Background(), c.Code)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// cuLinks is the sorted list of channel UUIDs linked to a check.
func cuLinks(t *testing.T, e *cuEnv, c model.Check) []string {
	t.Helper()
	codes, err := e.st.CheckChannelCodes(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(codes)
	return codes
}

// cuWant400 asserts a 400 whose body is exactly {"error": msg}.
func cuWant400(t *testing.T, r apiResp, msg string) {
	t.Helper()
	want, _ := json.Marshal(map[string]string{"error": msg})
	if r.code != http.StatusBadRequest || r.hdr.Get("Content-Type") != "application/json" || !jsonEqual(r.body, string(want)) {
		t.Errorf("got %d %q, want 400 %s", r.code, r.body, want)
	}
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

func cuWantStatus(t *testing.T, r apiResp, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
}

func TestUpstreamCreateCheck(t *testing.T) {
	t.Parallel()
	runCUCases(t, upstreamCreateCases)
}

var upstreamCreateCases = []cuCase{
	{"it_works", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{
			"name": "Foo", "tags": "bar,baz", "desc": "description goes here", "timeout": 3600, "grace": 60,
			"start_kw": "START", "success_kw": "SUCCESS", "failure_kw": "FAILURE", "filter_subject": true,
			"filter_body": true, "filter_http_body": true, "filter_default_fail": true,
		})
		cuWantStatus(t, r, http.StatusCreated)
		if r.hdr.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("CORS header %q", r.hdr.Get("Access-Control-Allow-Origin"))
		}
		doc := r.json(t)
		for k, want := range map[string]any{
			"name": "Foo", "slug": "foo", "tags": "bar,baz", "desc": "description goes here", "last_ping": nil,
			"n_pings": 0.0, "methods": "", "start_kw": "START", "success_kw": "SUCCESS", "failure_kw": "FAILURE",
			"filter_subject": true, "filter_body": true, "filter_http_body": true, "filter_default_fail": true,
			// filter_subject is on, so the deprecated fields echo the keywords.
			"subject": "SUCCESS", "subject_fail": "FAILURE", "timeout": 3600.0, "grace": 60.0,
		} {
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
		c := cuOnly(t, e)
		if c.Name != "Foo" || c.Slug != "foo" || c.Tags != "bar,baz" || c.Desc != "description goes here" || c.Methods != "" ||
			c.StartKw != "START" || c.SuccessKw != "SUCCESS" || c.FailureKw != "FAILURE" || !c.FilterSubject || !c.FilterBody ||
			!c.FilterHTTPBody || !c.FilterDefaultFail || c.Timeout != time.Hour || c.Grace != time.Minute ||
			c.ProjectID != e.proj.ID || c.Kind != model.KindSimple {
			t.Errorf("stored %+v", c)
		}
		if doc["uuid"] != c.Code {
			t.Errorf("uuid %v, stored %s", doc["uuid"], c.Code)
		}
	}},
	{"it_rejects_null_values", func(t *testing.T, e *cuEnv) {
		for field, msg := range map[string]string{
			"channels": "channels is not a string", "timeout": "timeout is not a number", "grace": "grace is not a number",
			"name": "name is not a string", "schedule": "schedule is not a string", "subject": "subject is not a string",
			"subject_fail": "subject_fail is not a string", "unique": "unique is not an array",
		} {
			cuWant400(t, cuCreate(t, e, "v1", map[string]any{field: nil}), "json validation error: "+msg)
		}
		if n := len(cuChecks(t, e)); n != 0 {
			t.Errorf("%d checks created", n)
		}
	}},
	{"it_handles_options", func(t *testing.T, e *cuEnv) {
		r := e.do("OPTIONS", "/api/v1/checks/", "", "")
		if r.code != http.StatusNoContent || !strings.Contains(r.hdr.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("OPTIONS: %d %v", r.code, r.hdr)
		}
	}},
	{"30_days_works", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"name": "Foo", "timeout": 2592000, "grace": 2592000}), http.StatusCreated)
		if c := cuOnly(t, e); c.Timeout != 30*24*time.Hour || c.Grace != 30*24*time.Hour {
			t.Errorf("timeout %v grace %v", c.Timeout, c.Grace)
		}
	}},
	{"it_accepts_api_key_in_header", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, e.do("POST", "/api/v1/checks/", e.rw, `{"name": "Foo"}`), http.StatusCreated)
	}},
	{"it_assigns_channels", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "", "email")
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"channels": "*"}), http.StatusCreated)
		if got := cuLinks(t, e, cuOnly(t, e)); !slices.Equal(got, []string{ch.Code}) {
			t.Errorf("links %v", got)
		}
	}},
	{"it_sets_channel_by_name", func(t *testing.T, e *cuEnv) {
		ch := e.addChannel(e.proj.ID, "alerts", "email")
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"channels": "alerts"}), http.StatusCreated)
		if got := cuLinks(t, e, cuOnly(t, e)); !slices.Equal(got, []string{ch.Code}) {
			t.Errorf("links %v", got)
		}
	}},
	{"it_sets_channel_by_name_formatted_as_uuid", func(t *testing.T, e *cuEnv) {
		name := "102eaa82-a274-4b15-a499-c1bb6bbcd7b6"
		ch := e.addChannel(e.proj.ID, name, "email")
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"channels": name}), http.StatusCreated)
		if got := cuLinks(t, e, cuOnly(t, e)); !slices.Equal(got, []string{ch.Code}) {
			t.Errorf("links %v", got)
		}
	}},
	{"it_handles_channel_lookup_by_name_with_no_results", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"channels": "abc"}), "invalid channel identifier: abc")
		if n := len(cuChecks(t, e)); n != 0 {
			t.Errorf("the check was saved (%d checks)", n)
		}
	}},
	{"it_handles_channel_lookup_by_name_with_multiple_results", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "foo", "email")
		e.addChannel(e.proj.ID, "foo", "email")
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"channels": "foo"}), "non-unique channel identifier: foo")
		if n := len(cuChecks(t, e)); n != 0 {
			t.Errorf("the check was saved (%d checks)", n)
		}
	}},
	{"it_rejects_multiple_empty_channel_names", func(t *testing.T, e *cuEnv) {
		e.addChannel(e.proj.ID, "", "email")
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"channels": ","}), "empty channel identifier")
		if n := len(cuChecks(t, e)); n != 0 {
			t.Errorf("the check was saved (%d checks)", n)
		}
	}},
	{"it_rejects_non_string_channels_key", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"channels": 123}), "json validation error: channels is not a string")
	}},
	{"it_supports_unique_name", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Name = "Foo" })
		r := cuCreate(t, e, "v1", map[string]any{"name": "Foo", "tags": "bar", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusOK)
		if got := cuOnly(t, e); got.Code != c.Code || got.Tags != "bar" {
			t.Errorf("stored %+v", got)
		}
		if r.json(t)["uuid"] != c.Code {
			t.Errorf("answered with another check: %s", r.body)
		}
	}},
	{"it_creates_new_check_if_unique_references_absent_field", func(t *testing.T, e *cuEnv) {
		e.addCheck(nil)
		for i, f := range []string{"name", "slug", "tags", "timeout", "grace"} {
			cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"unique": []string{f}}), http.StatusCreated)
			if n := len(cuChecks(t, e)); n != i+2 {
				t.Errorf("unique [%s]: %d checks", f, n)
			}
		}
	}},
	{"it_supports_unique_slug", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Slug = "foo" })
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"slug": "foo", "tags": "bar", "unique": []string{"slug"}}), http.StatusOK)
		if got := cuOnly(t, e); got.Code != c.Code || got.Tags != "bar" {
			t.Errorf("stored %+v", got)
		}
	}},
	{"it_supports_unique_tags", func(t *testing.T, e *cuEnv) {
		e.addCheck(func(c *model.Check) { c.Tags = "foo" })
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"tags": "foo", "unique": []string{"tags"}}), http.StatusOK)
		cuOnly(t, e)
	}},
	{"it_supports_unique_timeout", func(t *testing.T, e *cuEnv) {
		e.addCheck(func(c *model.Check) { c.Timeout = 123 * time.Second })
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"timeout": 123, "unique": []string{"timeout"}}), http.StatusOK)
		cuOnly(t, e)
	}},
	{"it_supports_unique_grace", func(t *testing.T, e *cuEnv) {
		e.addCheck(func(c *model.Check) { c.Grace = 123 * time.Second })
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"grace": 123, "unique": []string{"grace"}}), http.StatusOK)
		cuOnly(t, e)
	}},
	{"it_handles_empty_unique_parameter", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(nil)
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"name": "Hello", "unique": []string{}}), http.StatusCreated)
		if got := cuReload(t, e, c); got.Name != "" {
			t.Errorf("the existing check changed: %+v", got)
		}
		if n := len(cuChecks(t, e)); n != 2 {
			t.Errorf("%d checks", n)
		}
	}},
	{"it_handles_missing_request_body", func(t *testing.T, e *cuEnv) {
		r := e.do("POST", "/api/v1/checks/", "", "")
		if r.code != http.StatusUnauthorized || r.body != `{"error": "missing api key"}` {
			t.Errorf("%d %s", r.code, r.body)
		}
	}},
	{"it_handles_invalid_json", func(t *testing.T, e *cuEnv) {
		cuWant400(t, e.do("POST", "/api/v1/checks/", "", "this is not json"), "could not parse request body")
	}},
	{"it_handles_non_dict_json", func(t *testing.T, e *cuEnv) {
		cuWant400(t, e.do("POST", "/api/v1/checks/", "", "[1,2,3]"), "json validation error: value is not an object")
	}},
	{"it_rejects_wrong_api_key", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{"api_key": strings.Repeat("Y", 32)})
		if r.code != http.StatusUnauthorized || r.body != `{"error": "wrong api key"}` {
			t.Errorf("%d %s", r.code, r.body)
		}
	}},
	{"it_rejects_small_timeout", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"timeout": 0}), "json validation error: timeout is too small")
	}},
	{"it_rejects_large_timeout", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"timeout": 31536001}), "json validation error: timeout is too large")
	}},
	{"it_rejects_non_number_timeout", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"timeout": "oops"}), "json validation error: timeout is not a number")
	}},
	{"it_rejects_non_string_name", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"name": false}), "json validation error: name is not a string")
	}},
	{"it_rejects_long_name", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"name": strings.Repeat("01234567890", 20)}), "json validation error: name is too long")
	}},
	{"unique_accepts_only_specific_values", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"name": "Foo", "unique": []string{"status"}}),
			"json validation error: an item in 'unique' has unexpected value")
	}},
	{"it_rejects_bad_unique_values", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"name": "Foo", "unique": "not a list"}), "json validation error: unique is not an array")
	}},
	{"it_supports_cron_syntax", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{"schedule": "5 * * * *", "tz": "Europe/Riga", "grace": 60})
		cuWantStatus(t, r, http.StatusCreated)
		doc := r.json(t)
		if doc["schedule"] != "5 * * * *" || doc["tz"] != "Europe/Riga" || doc["grace"] != 60.0 {
			t.Errorf("%s", r.body)
		}
		if _, ok := doc["timeout"]; ok {
			t.Error("a cron check has timeout")
		}
		if c := cuOnly(t, e); c.Kind != model.KindCron {
			t.Errorf("kind %q", c.Kind)
		}
	}},
	{"it_validates_cron_expression", func(t *testing.T, e *cuEnv) {
		for _, expr := range []string{"bad-expression", "* * * * * *"} {
			cuWant400(t, cuCreate(t, e, "v1", map[string]any{"schedule": expr, "tz": "Europe/Riga", "grace": 60}),
				"json validation error: schedule is not a valid cron or OnCalendar expression")
		}
	}},
	{"it_rejects_long_cron_expression", func(t *testing.T, e *cuEnv) {
		s := strings.Repeat("1,", 100) + "1 * * * *"
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"schedule": s, "tz": "Europe/Riga", "grace": 60}),
			"json validation error: schedule is too long")
	}},
	{"it_validates_timezone", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"schedule": "* * * * *", "tz": "not-a-timezone", "grace": 60}),
			"json validation error: tz is not a valid timezone")
	}},
	{"it_converts_legacy_timezone", func(t *testing.T, e *cuEnv) {
		for old, canonical := range map[string]string{"Europe/Kiev": "Europe/Kyiv", "UCT": "Etc/UTC", "CET": "Europe/Brussels"} {
			r := cuCreate(t, e, "v1", map[string]any{"schedule": "* * * * *", "tz": old, "grace": 60})
			cuWantStatus(t, r, http.StatusCreated)
			if got := r.json(t)["tz"]; got != canonical {
				t.Errorf("tz %s answered as %v, want %s", old, got, canonical)
			}
			if c := cuReload(t, e, model.Check{Code: r.json(t)["uuid"].(string)}); c.TZ != canonical {
				t.Errorf("tz %s stored as %s", old, c.TZ)
			}
		}
	}},
	{"it_supports_oncalendar_syntax", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{"schedule": "12:34", "tz": "Europe/Riga", "grace": 60})
		cuWantStatus(t, r, http.StatusCreated)
		doc := r.json(t)
		if doc["schedule"] != "12:34" || doc["tz"] != "Europe/Riga" || doc["grace"] != 60.0 {
			t.Errorf("%s", r.body)
		}
		if _, ok := doc["timeout"]; ok {
			t.Error("an OnCalendar check has timeout")
		}
		if c := cuOnly(t, e); c.Kind != model.KindOnCalendar {
			t.Errorf("kind %q", c.Kind)
		}
	}},
	{"it_validates_oncalendar_expression", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"schedule": "12:34\nsurprise", "tz": "Europe/Riga", "grace": 60}),
			"json validation error: schedule is not a valid cron or OnCalendar expression")
	}},
	{"it_sets_default_timeout", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{})
		cuWantStatus(t, r, http.StatusCreated)
		if doc := r.json(t); doc["timeout"] != 86400.0 || doc["grace"] != 3600.0 {
			t.Errorf("%s", r.body)
		}
	}},
	{"it_obeys_check_limit", func(t *testing.T, e *cuEnv) {
		e.owner.CheckLimit = 0
		if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
			t.Fatal(err)
		}
		r := cuCreate(t, e, "v1", map[string]any{})
		if r.code != http.StatusForbidden || r.body != "" {
			t.Errorf("%d %q", r.code, r.body)
		}
	}},
	{"it_rejects_readonly_key", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v1", map[string]any{"api_key": e.ro, "name": "Foo"})
		if r.code != http.StatusUnauthorized || r.body != `{"error": "wrong api key"}` {
			t.Errorf("%d %s", r.code, r.body)
		}
	}},
	{"it_sets_manual_resume", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"manual_resume": true}), http.StatusCreated)
		if !cuOnly(t, e).ManualResume {
			t.Error("manual_resume not stored")
		}
	}},
	{"it_rejects_non_boolean_manual_resume", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"manual_resume": "surprise"}), "json validation error: manual_resume is not a boolean")
	}},
	{"it_rejects_non_boolean_filter_flags", func(t *testing.T, e *cuEnv) {
		for _, f := range []string{"filter_subject", "filter_body"} {
			cuWant400(t, cuCreate(t, e, "v1", map[string]any{f: "surprise"}), "json validation error: "+f+" is not a boolean")
		}
	}},
	{"it_sets_methods", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"methods": "POST"}), http.StatusCreated)
		if m := cuOnly(t, e).Methods; m != "POST" {
			t.Errorf("methods %q", m)
		}
	}},
	{"it_rejects_bad_methods_value", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"methods": "bad-value"}), "json validation error: methods has unexpected value")
	}},
	{"it_rejects_long_filtering_keywords", func(t *testing.T, e *cuEnv) {
		for _, f := range []string{"subject", "subject_fail", "start_kw", "success_kw", "failure_kw"} {
			cuWant400(t, cuCreate(t, e, "v1", map[string]any{f: strings.Repeat("A", 201)}), "json validation error: "+f+" is too long")
			// 200 is the limit, not 199.
			cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{f: strings.Repeat("A", 200)}), http.StatusCreated)
		}
	}},
	{"it_sets_success_kw", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"subject": "SUCCESS,COMPLETE"}), http.StatusCreated)
		if c := cuOnly(t, e); !c.FilterSubject || c.SuccessKw != "SUCCESS,COMPLETE" {
			t.Errorf("stored %+v", c)
		}
	}},
	{"it_sets_failure_kw", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v1", map[string]any{"subject_fail": "FAILED,FAILURE"}), http.StatusCreated)
		if c := cuOnly(t, e); !c.FilterSubject || c.FailureKw != "FAILED,FAILURE" {
			t.Errorf("stored %+v", c)
		}
	}},
	{"it_rejects_non_string_subject", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"subject": false}), "json validation error: subject is not a string")
	}},
	{"it_rejects_non_string_subject_fail", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v1", map[string]any{"subject_fail": false}), "json validation error: subject_fail is not a string")
	}},
	{"v2_reports_started_separately", func(t *testing.T, e *cuEnv) {
		now := e.now
		e.addCheck(func(c *model.Check) { c.Name, c.LastStart = "X", &now })
		r := cuCreate(t, e, "v2", map[string]any{"name": "X", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusOK)
		if doc := r.json(t); doc["status"] != "new" || doc["started"] != true {
			t.Errorf("%s", r.body)
		}
	}},
	{"v3_saves_slug", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "Foo", "slug": "custom-slug"}), http.StatusCreated)
		if c := cuOnly(t, e); c.Name != "Foo" || c.Slug != "custom-slug" {
			t.Errorf("stored %+v", c)
		}
	}},
	{"v3_does_not_autogenerate_slug", func(t *testing.T, e *cuEnv) {
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "Foo"}), http.StatusCreated)
		if c := cuOnly(t, e); c.Slug != "" {
			t.Errorf("slug %q", c.Slug)
		}
	}},
	{"it_handles_invalid_slug", func(t *testing.T, e *cuEnv) {
		for _, slug := range []string{"Uppercase", "special!", "look spaces"} {
			cuWant400(t, cuCreate(t, e, "v3", map[string]any{"name": "Foo", "slug": slug}), "json validation error: slug does not match pattern")
		}
	}},
	{"it_rejects_long_slug", func(t *testing.T, e *cuEnv) {
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"name": "Foo", "slug": strings.Repeat("a", 101)}), "json validation error: slug is too long")
	}},
}

// TestCreateCheckReference covers what the reference (§2.8, §2.9, §3.3,
// §3.5) says about POST checks/ beyond upstream's own tests.
func TestCreateCheckReference(t *testing.T) {
	t.Parallel()
	runCUCases(t, createReferenceCases)
}

var createReferenceCases = []cuCase{
	{"exact_v3_body", func(t *testing.T, e *cuEnv) {
		a := e.addChannel(e.proj.ID, "a", "email")
		b := e.addChannel(e.proj.ID, "b", "sms")
		r := e.do("POST", "/api/v3/checks/", e.rw,
			`{"name": "Backups \u00e9\u2603", "tags": "prod www", "desc": "line\nnext", "timeout": 120, "grace": 60, "channels": "*"}`)
		cuWantStatus(t, r, http.StatusCreated)
		c := cuOnly(t, e)
		links := []string{a.Code, b.Code}
		slices.Sort(links)
		u := siteRoot + "/api/v3/checks/" + c.Code
		want := `{"name": "Backups \u00e9\u2603", "slug": "", "tags": "prod www", "desc": "line\nnext", "grace": 60, "n_pings": 0, ` +
			`"status": "new", "started": false, "last_ping": null, "next_ping": null, "manual_resume": false, "methods": "", ` +
			`"subject": "", "subject_fail": "", "start_kw": "", "success_kw": "", "failure_kw": "", "filter_subject": false, ` +
			`"filter_body": false, "filter_http_body": false, "filter_default_fail": false, ` +
			`"badge_url": "` + siteRoot + `/b/2/` + c.BadgeKey + `.svg", "uuid": "` + c.Code + `", ` +
			`"ping_url": "http://ping.example/` + c.Code + `", "update_url": "` + u + `", "pause_url": "` + u + `/pause", ` +
			`"resume_url": "` + u + `/resume", "channels": "` + strings.Join(links, ",") + `", "timeout": 120}`
		if r.body != want {
			t.Errorf("body\n got %s\nwant %s", r.body, want)
		}
		if r.hdr.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.hdr.Get("Content-Type"))
		}
		if c.AlertAfter != nil || c.Status != model.StatusNew || c.NPings != 0 || c.LastPing != nil {
			t.Errorf("a new check has state: %+v", c)
		}
	}},
	{"schedule_wins_over_timeout", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v3", map[string]any{"schedule": "0 5 * * *", "timeout": 120})
		cuWantStatus(t, r, http.StatusCreated)
		doc := r.json(t)
		if doc["schedule"] != "0 5 * * *" || doc["tz"] != "UTC" {
			t.Errorf("%s", r.body)
		}
		if _, ok := doc["timeout"]; ok {
			t.Errorf("timeout in a cron check: %s", r.body)
		}
		if c := cuOnly(t, e); c.Kind != model.KindCron || c.Timeout != model.DefaultTimeout {
			t.Errorf("kind %q timeout %v: the timeout must be ignored", c.Kind, c.Timeout)
		}
	}},
	{"guess_kind", func(t *testing.T, e *cuEnv) {
		for sched, kind := range map[string]string{
			"*/5 * * * *": model.KindCron, " 0  5 * * 1-5 ": model.KindCron, "0 5 * * *\n": model.KindCron,
			"Mon 12:00": model.KindOnCalendar, "12:00\n13:00": model.KindOnCalendar, "daily": model.KindOnCalendar,
			"*-*-* 00:00:00 UTC": model.KindOnCalendar,
		} {
			r := cuCreate(t, e, "v3", map[string]any{"schedule": sched})
			cuWantStatus(t, r, http.StatusCreated)
			if c := cuReload(t, e, model.Check{Code: r.json(t)["uuid"].(string)}); c.Kind != kind || c.Schedule != sched {
				t.Errorf("%q: kind %q schedule %q, want %q", sched, c.Kind, c.Schedule, kind)
			}
		}
	}},
	{"unique_first_match_by_id", func(t *testing.T, e *cuEnv) {
		first := e.addCheck(func(c *model.Check) { c.Name = "X" })
		second := e.addCheck(func(c *model.Check) { c.Name = "X" })
		r := cuCreate(t, e, "v3", map[string]any{"name": "X", "desc": "new", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusOK)
		if r.json(t)["uuid"] != first.Code || cuReload(t, e, first).Desc != "new" || cuReload(t, e, second).Desc != "" {
			t.Errorf("not the oldest match: %s", r.body)
		}
	}},
	{"unique_needs_every_field_equal", func(t *testing.T, e *cuEnv) {
		e.addCheck(func(c *model.Check) { c.Name, c.Tags = "X", "a" })
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "X", "tags": "b", "unique": []string{"name", "tags"}}), http.StatusCreated)
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "X", "tags": "a", "unique": []string{"name", "tags"}}), http.StatusOK)
		// Exact comparison: case and spaces count.
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "x", "unique": []string{"name"}}), http.StatusCreated)
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "X ", "unique": []string{"name"}}), http.StatusCreated)
		// A timeout of a cron check is still its stored timeout.
		e.addCheck(func(c *model.Check) { c.Kind, c.Schedule, c.Timeout = model.KindCron, "0 5 * * *", 300*time.Second })
		r := cuCreate(t, e, "v3", map[string]any{"timeout": 300, "unique": []string{"timeout"}})
		cuWantStatus(t, r, http.StatusOK)
		if _, ok := r.json(t)["timeout"]; !ok {
			t.Errorf("the matched check is not simple now: %s", r.body)
		}
	}},
	{"unique_stays_in_project", func(t *testing.T, e *cuEnv) {
		theirs := model.NewCheck(e.other.ID, e.now)
		theirs.Name = "X"
		if err := e.st.CreateCheck(context.Background(), &theirs, false); err != nil {
			t.Fatal(err)
		}
		r := cuCreate(t, e, "v3", map[string]any{"name": "X", "desc": "mine", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusCreated)
		if cuReload(t, e, theirs).Desc != "" || cuOnly(t, e).Desc != "mine" {
			t.Error("matched a check of another project")
		}
	}},
	{"unique_update_in_v1_derives_slug", func(t *testing.T, e *cuEnv) {
		c := e.addCheck(func(c *model.Check) { c.Name, c.Slug = "My Job", "old" })
		ch := e.addChannel(e.proj.ID, "pager", "sms")
		r := cuCreate(t, e, "v1", map[string]any{"name": "My Job", "channels": "pager", "unique": []string{"name"}})
		cuWantStatus(t, r, http.StatusOK)
		if got := cuReload(t, e, c); got.Slug != "my-job" || !slices.Equal(cuLinks(t, e, got), []string{ch.Code}) {
			t.Errorf("slug %q links %v", got.Slug, cuLinks(t, e, got))
		}
		if r.json(t)["channels"] != ch.Code {
			t.Errorf("channels in answer: %s", r.body)
		}
	}},
	{"check_limit_counts_every_owned_project", func(t *testing.T, e *cuEnv) {
		e.owner.CheckLimit = 2
		if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
			t.Fatal(err)
		}
		theirs := model.NewCheck(e.other.ID, e.now)
		if err := e.st.CreateCheck(context.Background(), &theirs, false); err != nil {
			t.Fatal(err)
		}
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "one"}), http.StatusCreated)
		if r := cuCreate(t, e, "v3", map[string]any{"name": "two"}); r.code != http.StatusForbidden || r.body != "" {
			t.Errorf("over the limit: %d %q", r.code, r.body)
		}
		// An upsert that finds its check is not a creation.
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "one", "unique": []string{"name"}}), http.StatusOK)
		// Validation comes before the limit, the limit before channels.
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"timeout": 1}), "json validation error: timeout is too small")
		if r := cuCreate(t, e, "v3", map[string]any{"channels": "nope"}); r.code != http.StatusForbidden {
			t.Errorf("limit and bad channel: %d %s", r.code, r.body)
		}
		// A read-write key of the other project sees the same owner's limit.
		if r := e.do("POST", "/api/v3/checks/", e.otherRW, `{}`); r.code != http.StatusForbidden {
			t.Errorf("other project over the limit: %d", r.code)
		}
	}},
	{"channels_are_the_projects_own", func(t *testing.T, e *cuEnv) {
		mine := e.addChannel(e.proj.ID, "mine", "email")
		theirs := e.addChannel(e.other.ID, "theirs", "email")
		r := cuCreate(t, e, "v3", map[string]any{"channels": "*"})
		cuWantStatus(t, r, http.StatusCreated)
		if r.json(t)["channels"] != mine.Code {
			t.Errorf("* linked %v", r.json(t)["channels"])
		}
		for _, s := range []string{"theirs", theirs.Code, "mine,theirs", " mine", "mine,", "*,mine", "MINE", strings.ToUpper(mine.Code)} {
			want := "invalid channel identifier: " + strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "mine,"), "*,"))
			switch s {
			case " mine":
				want = "invalid channel identifier:  mine"
			case "mine,":
				want = "empty channel identifier"
			case "*,mine":
				want = "invalid channel identifier: *"
			}
			cuWant400(t, cuCreate(t, e, "v3", map[string]any{"channels": s}), want)
		}
		// Names and UUIDs mix; a channel named twice is linked once.
		r = cuCreate(t, e, "v3", map[string]any{"channels": "mine," + mine.Code})
		cuWantStatus(t, r, http.StatusCreated)
		if r.json(t)["channels"] != mine.Code {
			t.Errorf("duplicates: %v", r.json(t)["channels"])
		}
		// Without "channels" a created check has none (the UI assigns all).
		r = cuCreate(t, e, "v3", map[string]any{"name": "plain"})
		if r.json(t)["channels"] != "" {
			t.Errorf("linked without being asked: %s", r.body)
		}
		if n := len(cuChecks(t, e)); n != 3 {
			t.Errorf("%d checks after 3 successful creates", n)
		}
	}},
	{"null_for_every_field", func(t *testing.T, e *cuEnv) {
		for field, msg := range map[string]string{
			"desc": "is not a string", "failure_kw": "is not a string", "filter_subject": "is not a boolean",
			"filter_body": "is not a boolean", "filter_http_body": "is not a boolean", "filter_default_fail": "is not a boolean",
			"manual_resume": "is not a boolean", "methods": "has unexpected value", "slug": "is not a string",
			"start_kw": "is not a string", "success_kw": "is not a string", "tags": "is not a string", "tz": "is not a string",
		} {
			cuWant400(t, cuCreate(t, e, "v3", map[string]any{field: nil}), "json validation error: "+field+" "+msg)
		}
		// Unknown keys are ignored, null or not.
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"status": nil, "n_pings": 5, "kind": "cron"}), http.StatusCreated)
		if c := cuOnly(t, e); c.Kind != model.KindSimple || c.NPings != 0 {
			t.Errorf("unknown keys were used: %+v", c)
		}
	}},
	{"python_json_dialect", func(t *testing.T, e *cuEnv) {
		for _, tc := range []struct{ body, err string }{
			{`{"timeout": NaN}`, "json validation error: timeout is not a number"},
			{`{"grace": Infinity}`, "json validation error: grace is not a number"},
			{`{"timeout": -Infinity}`, "json validation error: timeout is not a number"},
			{`{"name": NaN}`, "json validation error: name is not a string"},
			{`{"unique": [Infinity]}`, "json validation error: an item in 'unique' has unexpected value"},
			{`{"timeout": 1e400}`, "json validation error: timeout is not a number"},
			{`{"timeout": -0}`, "json validation error: timeout is too small"},
			{`{"timeout": -0.0}`, "json validation error: timeout is not a number"},
			{`{"timeout": 6e1}`, "json validation error: timeout is not a number"},
			{`{"timeout": 1` + strings.Repeat("0", 4299) + `}`, "json validation error: timeout is too large"},
			{`{"x": 1` + strings.Repeat("0", 4300) + `}`, "could not parse request body"},
			{`{"x": -1` + strings.Repeat("0", 4300) + `}`, "could not parse request body"},
			{`{"x": 1` + strings.Repeat("0", 4300) + `.5}`, ""},
			{`{"x": NaN, "y": [Infinity, -Infinity], "name": "n"}`, ""},
			{`{"x": -NaN}`, "could not parse request body"},
			{`{"x": NaN1}`, "could not parse request body"},
			{`{"x": 1NaN}`, "could not parse request body"},
			{`{"x": nan}`, "could not parse request body"},
			{`{"x": inf}`, "could not parse request body"},
			{`{"x": "NaN"}`, ""},
			{`{"x": "a\"NaN"}`, ""},
			{"\ufeff{}", "could not parse request body"},
			{`{"name": "a", "name": "b"}`, ""},
			{` {} `, ""},
			{` `, "could not parse request body"},
			{`{"name": "\ud83d\ude00"}`, ""},
		} {
			r := e.do("POST", "/api/v3/checks/", e.rw, tc.body)
			if tc.err != "" {
				cuWant400(t, r, tc.err)
			} else if r.code != http.StatusCreated {
				t.Errorf("%.60s: %d %s", tc.body, r.code, r.body)
			}
		}
		names := map[string]bool{}
		for _, c := range cuChecks(t, e) {
			names[c.Name] = true
		}
		// Duplicate keys: the last one wins, as in Python.
		if !names["b"] || names["a"] || !names["n"] || !names["😀"] {
			t.Errorf("stored names %v", names)
		}
	}},
	{"subject_and_filter_subject", func(t *testing.T, e *cuEnv) {
		r := cuCreate(t, e, "v3", map[string]any{"subject": "S", "filter_subject": false})
		cuWantStatus(t, r, http.StatusCreated)
		if c := cuOnly(t, e); c.SuccessKw != "S" || c.FilterSubject {
			t.Errorf("stored %+v", c)
		}
		if doc := r.json(t); doc["subject"] != "" || doc["success_kw"] != "S" || doc["filter_subject"] != false {
			t.Errorf("%s", r.body)
		}
		// success_kw applies after subject and wins.
		r = cuCreate(t, e, "v3", map[string]any{"subject": "S", "success_kw": "K", "subject_fail": ""})
		if doc := r.json(t); doc["success_kw"] != "K" || doc["filter_subject"] != true || doc["subject"] != "K" {
			t.Errorf("%s", r.body)
		}
		// Both empty turn filtering off.
		r = cuCreate(t, e, "v3", map[string]any{"subject": "", "subject_fail": ""})
		if doc := r.json(t); doc["filter_subject"] != false {
			t.Errorf("%s", r.body)
		}
	}},
	{"nul_characters", func(t *testing.T, e *cuEnv) {
		r := e.do("POST", "/api/v3/checks/", e.rw, `{"name": "a\u0000b", "desc": "\u0000"}`)
		if e.st.Engine() == "postgres" {
			// PostgreSQL text cannot hold U+0000 (upstream: 500).
			cuWant400(t, r, "json validation error: desc contains a NUL character")
			for _, f := range []string{"name", "tags", "start_kw", "success_kw", "failure_kw", "subject", "subject_fail"} {
				cuWant400(t, cuCreate(t, e, "v3", map[string]any{f: "\x00"}), "json validation error: "+f+" contains a NUL character")
			}
			if n := len(cuChecks(t, e)); n != 0 {
				t.Errorf("%d checks stored", n)
			}
		} else {
			cuWantStatus(t, r, http.StatusCreated)
			if c := cuOnly(t, e); c.Name != "a\x00b" || c.Desc != "\x00" {
				t.Errorf("stored %q %q", c.Name, c.Desc)
			}
			if !strings.HasPrefix(r.body, `{"name": "a\u0000b", `) {
				t.Errorf("body %.60s", r.body)
			}
		}
		// Where the value never reaches the database the usual errors stand.
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"slug": "a\x00"}), "json validation error: slug does not match pattern")
		cuWant400(t, cuCreate(t, e, "v3", map[string]any{"channels": "a\x00"}), "invalid channel identifier: a\x00")
	}},
	{"long_tags_and_derived_slug", func(t *testing.T, e *cuEnv) {
		// Upstream does not limit tags; a v1 slug made from a 100-character
		// name can be 500 characters long. Every engine stores both.
		tags := strings.Repeat("t ", 1000)
		name := strings.Repeat("\u33af", 100) // ㎯ is "rad∕s2" under NFKD
		r := cuCreate(t, e, "v1", map[string]any{"tags": tags, "name": name})
		cuWantStatus(t, r, http.StatusCreated)
		if c := cuOnly(t, e); c.Tags != tags || c.Slug != strings.Repeat("rads2", 100) || c.Name != name {
			t.Errorf("stored tags %d slug %d name %d characters", len(c.Tags), len(c.Slug), len([]rune(c.Name)))
		}
	}},
	{"slug_from_name_v1_v2", func(t *testing.T, e *cuEnv) {
		for _, tc := range []struct{ v, name, slug string }{
			{"v1", "Foo Bar", "foo-bar"}, {"v2", "  Daily -- backup!  ", "daily-backup"}, {"v1", "Crème brûlée", "creme-brulee"},
			{"v2", "__x__", "x"}, {"v1", "a_b-c d", "a_b-c-d"}, {"v1", "日本", ""}, {"v2", "", ""}, {"v1", "ﬁle №1", "file-no1"},
			{"v3", "Foo Bar", ""},
		} {
			r := cuCreate(t, e, tc.v, map[string]any{"name": tc.name})
			cuWantStatus(t, r, http.StatusCreated)
			if got := r.json(t)["slug"]; got != tc.slug {
				t.Errorf("%s %q: slug %v, want %q", tc.v, tc.name, got, tc.slug)
			}
		}
		// An explicit slug wins over the derived one.
		if r := cuCreate(t, e, "v1", map[string]any{"name": "Foo", "slug": "bar"}); r.json(t)["slug"] != "bar" {
			t.Errorf("%s", r.body)
		}
		if r := cuCreate(t, e, "v2", map[string]any{"name": "Foo", "slug": ""}); r.json(t)["slug"] != "" {
			t.Errorf("%s", r.body)
		}
	}},
	{"api_version_in_urls_and_status", func(t *testing.T, e *cuEnv) {
		now := e.now
		e.addCheck(func(c *model.Check) { c.Name, c.LastStart = "S", &now })
		for _, v := range []string{"v1", "v2", "v3"} {
			r := cuCreate(t, e, v, map[string]any{"name": "S", "unique": []string{"name"}})
			doc := r.json(t)
			wantStatus := "new"
			if v == "v1" {
				wantStatus = "started"
			}
			if doc["status"] != wantStatus || doc["started"] != true || !strings.HasPrefix(doc["update_url"].(string), siteRoot+"/api/"+v+"/checks/") {
				t.Errorf("%s: %s", v, r.body)
			}
		}
	}},
	{"cloning_recipe", func(t *testing.T, e *cuEnv) {
		// templates/docs/cloning_checks.md: the objects of a read-only
		// listing are POSTed unchanged to another project.
		e.addChannel(e.proj.ID, "c", "email")
		cuWantStatus(t, cuCreate(t, e, "v3", map[string]any{"name": "N", "tags": "a b", "desc": "d", "schedule": "0 5 * * *",
			"tz": "Europe/Riga", "grace": 120, "manual_resume": true, "methods": "POST", "success_kw": "ok", "filter_body": true,
			"channels": "*"}), http.StatusCreated)
		for _, key := range []string{e.ro, e.rw} {
			var list struct {
				Checks []map[string]any `json:"checks"`
			}
			if err := json.Unmarshal([]byte(e.do("GET", "/api/v3/checks/", key, "").body), &list); err != nil || len(list.Checks) != 1 {
				t.Fatalf("list: %v", err)
			}
			b, _ := json.Marshal(list.Checks[0])
			r := e.do("POST", "/api/v3/checks/", e.otherRW, string(b))
			if key == e.rw {
				// A read-write listing carries the source's channel UUIDs.
				cuWant400(t, r, "invalid channel identifier: "+list.Checks[0]["channels"].(string))
				continue
			}
			cuWantStatus(t, r, http.StatusCreated)
			clone := r.json(t)
			for _, k := range []string{"name", "tags", "desc", "schedule", "tz", "grace", "manual_resume", "methods", "success_kw", "filter_body"} {
				if clone[k] != list.Checks[0][k] {
					t.Errorf("%s: %v, source %v", k, clone[k], list.Checks[0][k])
				}
			}
			if clone["channels"] != "" || clone["n_pings"] != 0.0 {
				t.Errorf("clone %s", r.body)
			}
		}
	}},
}
