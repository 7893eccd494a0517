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
