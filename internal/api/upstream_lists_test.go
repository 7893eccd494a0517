package api_test

// Ports of upstream's tests for the Management API's secondary endpoints
// (hc/api/tests/test_get_pings.py, test_get_ping_body.py, test_get_flips.py,
// test_list_channels.py, test_get_badges.py, test_status.py, test_metrics.py,
// test_notification_status.py, test_bounces.py), plus the behaviour of the
// same views that those tests leave out: exact bodies and headers, version
// specific URLs, caps and ordering, and hostile input.

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// eachEngine runs fn against a fresh API environment on every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e *apiEnv)) {
	t.Helper()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); fn(t, newAPIEnv(t, engine, 0)) })
	}
}

// doHeaders sends a request with the given headers (X-Api-Key among them,
// if any) and a raw body.
func (e *apiEnv) doHeaders(method, path string, hdr map[string]string, body string) apiResp {
	e.t.Helper()
	req := httptest.NewRequest(method, "http://hc.example/hc"+path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return apiResp{rec.Code, rec.Header(), rec.Body.String()}
}

// storePings stores pings for c as given (N, Created and the rest set by
// the caller) and sets the check's n_pings.
func (e *apiEnv) storePings(c model.Check, nPings int64, pings []model.Ping) {
	e.t.Helper()
	for i := range pings {
		pings[i].CheckID = c.ID
		if pings[i].Scheme == "" {
			pings[i].Scheme = "http"
		}
	}
	err := e.st.ApplyPings(context.Background(), []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = nPings
		return pings, nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// setPingLogLimit changes the project owner's ping log limit.
func (e *apiEnv) setPingLogLimit(n int) {
	e.t.Helper()
	e.owner.PingLogLimit = n
	if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
		e.t.Fatal(err)
	}
}

// addFlip records a processed flip of c (processed = nil leaves it for
// the alert engine).
func (e *apiEnv) addFlip(c model.Check, created time.Time, oldStatus, newStatus string, processed *time.Time) {
	e.t.Helper()
	_, err := e.st.EditCheckState(context.Background(), c.ID, func(c *model.Check) (*model.Flip, error) {
		c.Status = newStatus
		return &model.Flip{Created: created, OldStatus: oldStatus, NewStatus: newStatus, Processed: processed}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func expectStatus(t *testing.T, what string, r apiResp, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: %d %q, want %d", what, r.code, r.body, code)
	}
}

func expectError(t *testing.T, what string, r apiResp, code int, msg string) {
	t.Helper()
	if want := `{"error": "` + msg + `"}`; r.code != code || r.body != want || r.hdr.Get("Content-Type") != "application/json" {
		t.Errorf("%s: %d %q (%s), want %d %s", what, r.code, r.body, r.hdr.Get("Content-Type"), code, want)
	}
}

// expectEmpty asserts one of upstream's bare responses: a status, an
// empty body and Django's default Content-Type.
func expectEmpty(t *testing.T, what string, r apiResp, code int) {
	t.Helper()
	if r.code != code || r.body != "" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("%s: %d %q (%s), want %d with an empty body", what, r.code, r.body, r.hdr.Get("Content-Type"), code)
	}
}

// --- test_get_pings.py ---------------------------------------------------

// pingsFixture is upstream's set-up: check "Alice 1" with one ping.
func pingsFixture(e *apiEnv) (model.Check, time.Time) {
	c := e.addCheck(func(c *model.Check) {
		c.Name, c.Timeout, c.Grace, c.Tags, c.Desc = "Alice 1", time.Hour, 15*time.Minute, "a1-tag a1-additional-tag", "This is description"
	})
	created := time.Date(2026, 11, 24, 11, 59, 1, 113073000, time.UTC)
	e.storePings(c, 1, []model.Ping{{N: 1, Created: created, RemoteAddr: "1.2.3.4", Scheme: "https", Method: "get", UA: "foo-agent"}})
	return c, created
}

func TestUpstreamGetPings(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c, _ := pingsFixture(e)
		url := "/api/v3/checks/" + c.Code + "/pings/"

		// test_it_works, with the whole document: upstream's keys and
		// order, microseconds in the date, nulls for rid and body_url.
		r := e.do("GET", url, apiRW, "")
		want := `{"pings": [{"type": "success", "date": "2026-11-24T11:59:01.113073+00:00", "n": 1, "scheme": "https", ` +
			`"remote_addr": "1.2.3.4", "method": "get", "ua": "foo-agent", "rid": null, "body_url": null}]}`
		if r.code != 200 || r.body != want || r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Content-Type") != "application/json" {
			t.Errorf("it works: %d %v\n got %s\nwant %s", r.code, r.hdr, r.body, want)
		}

		// test_readonly_key_is_not_allowed
		expectError(t, "read-only key", e.do("GET", url, apiRO, ""), 401, "wrong api key")
		// test_it_rejects_post
		expectEmpty(t, "POST", e.do("POST", url, apiRW, ""), 405)
		// test_it_handles_missing_api_key
		expectError(t, "no key", e.do("GET", url, "", ""), 401, "missing api key")

		// Other checks: another project's is 403 (empty), an unknown one 404.
		other := model.NewCheck(e.other.ID, e.now)
		if err := e.st.CreateCheck(context.Background(), &other, false); err != nil {
			t.Fatal(err)
		}
		expectEmpty(t, "other project's check", e.do("GET", "/api/v3/checks/"+other.Code+"/pings/", apiRW, ""), 403)
		expectStatus(t, "unknown check", e.do("GET", "/api/v3/checks/"+uuid.NewString()+"/pings/", apiRW, ""), 404)
		// Query parameters mean nothing here.
		expectStatus(t, "junk query", e.do("GET", url+"?limit=abc&n=-1&"+strings.Repeat("x&", 2000), apiRW, ""), 200)
	})
}

func TestUpstreamGetPingsDurations(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		m := time.Minute

		// test_it_calculates_overlapping_durations
		c := e.addCheck(nil)
		a, b := uuid.NewString(), uuid.NewString()
		e.storePings(c, 4, []model.Ping{
			{N: 1, RID: a, Created: epoch, Kind: model.PingStart},
			{N: 2, RID: b, Created: epoch.Add(m), Kind: model.PingStart},
			{N: 3, RID: a, Created: epoch.Add(2 * m)},
			{N: 4, RID: b, Created: epoch.Add(6 * m)},
		})
		r := e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
		if !strings.Contains(r.body, `"n": 4, `) || !strings.Contains(r.body, `"rid": "`+b+`", "body_url": null, "duration": 300.0}`) ||
			!strings.Contains(r.body, `"rid": "`+a+`", "body_url": null, "duration": 120.0}`) {
			t.Errorf("overlapping durations: %s", r.body)
		}
		if got := pingDurations(t, e, c); got != "4:300.0, 3:120.0, 2:-, 1:-" {
			t.Errorf("overlapping durations: %s", got)
		}

		// test_it_disables_duration_calculation: eleven successes, each
		// of its own run, no starts.
		c = e.addCheck(nil)
		var pings []model.Ping
		for i := 1; i <= 11; i++ {
			pings = append(pings, model.Ping{N: int64(i), RID: uuid.NewString(), Created: epoch.Add(time.Duration(i) * m)})
		}
		e.storePings(c, 11, pings)
		if got := pingDurations(t, e, c); strings.Contains(got, ".") {
			t.Errorf("durations shown with 11 look-ups: %s", got)
		}

		// round(total_seconds, 2) as Python computes it, ties included.
		c = e.addCheck(nil)
		micros := []int64{1005000, 2675000, 125000, 375000, 2896000, 1234567, 5000, 15000, 25000, 259199999999, 4445000, 1115000}
		wants := []string{"1.0", "2.67", "0.12", "0.38", "2.9", "1.23", "0.01", "0.01", "0.03", "259200.0", "4.45", "1.11"}
		pings = nil
		rids := make([]string, len(micros))
		for i := range micros {
			rids[i] = uuid.NewString()
			pings = append(pings, model.Ping{N: int64(i + 1), RID: rids[i], Created: epoch, Kind: model.PingStart})
		}
		for i, us := range micros {
			pings = append(pings, model.Ping{N: int64(len(micros) + i + 1), RID: rids[i], Created: epoch.Add(time.Duration(us) * time.Microsecond)})
		}
		e.storePings(c, int64(len(pings)), pings)
		r = e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
		for i, want := range wants {
			if frag := `"rid": "` + rids[i] + `", "body_url": null, "duration": ` + want + `}`; !strings.Contains(r.body, frag) {
				t.Errorf("duration of %d µs: want %s in %s", micros[i], want, r.body)
			}
		}
		// 72 hours or more is no duration at all.
		c = e.addCheck(nil)
		e.storePings(c, 2, []model.Ping{{N: 1, Created: epoch, Kind: model.PingStart}, {N: 2, Created: epoch.Add(72 * time.Hour)}})
		if got := pingDurations(t, e, c); got != "2:-, 1:-" {
			t.Errorf("72 h run: %s", got)
		}
	})
}

func TestUpstreamGetPingsFields(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c, _ := pingsFixture(e)
		rid := uuid.NewString()
		t0 := time.Date(2026, 11, 24, 11, 59, 30, 0, time.UTC)
		e.storePings(c, 6, []model.Ping{
			// test_it_handles_rid, test_it_handles_nonempty_body_raw
			{N: 2, Created: t0, RID: rid, Kind: model.PingStart, Body: []byte("this is ping body")},
			// test_it_handles_empty_body_raw
			{N: 3, Created: t0.Add(time.Second), Kind: model.PingFail, Body: []byte{}},
			{N: 4, Created: t0.Add(2 * time.Second), Kind: model.PingLog, Body: []byte("x")},
			{N: 5, Created: t0.Add(3 * time.Second), Kind: model.PingIgnored},
			// Older than the rest, yet newest by id: the list goes by id.
			{N: 6, Created: t0.Add(-time.Hour), Kind: model.PingSuccess, Scheme: "email"},
		})
		body := func(v, n int) string {
			return fmt.Sprintf(`"%s/api/v%d/checks/%s/pings/%d/body"`, siteRoot, v, c.Code, n)
		}
		for v := 1; v <= 3; v++ {
			r := e.do("GET", fmt.Sprintf("/api/v%d/checks/%s/pings/", v, c.Code), apiRW, "")
			want := `{"pings": [` +
				`{"type": "success", "date": "2026-11-24T10:59:30+00:00", "n": 6, "scheme": "email", "remote_addr": null, "method": "", "ua": "", "rid": null, "body_url": null}, ` +
				`{"type": "ign", "date": "2026-11-24T11:59:33+00:00", "n": 5, "scheme": "http", "remote_addr": null, "method": "", "ua": "", "rid": null, "body_url": null}, ` +
				`{"type": "log", "date": "2026-11-24T11:59:32+00:00", "n": 4, "scheme": "http", "remote_addr": null, "method": "", "ua": "", "rid": null, "body_url": ` + body(v, 4) + `}, ` +
				`{"type": "fail", "date": "2026-11-24T11:59:31+00:00", "n": 3, "scheme": "http", "remote_addr": null, "method": "", "ua": "", "rid": null, "body_url": null}, ` +
				`{"type": "start", "date": "2026-11-24T11:59:30+00:00", "n": 2, "scheme": "http", "remote_addr": null, "method": "", "ua": "", "rid": "` + rid + `", "body_url": ` + body(v, 2) + `}, ` +
				`{"type": "success", "date": "2026-11-24T11:59:01.113073+00:00", "n": 1, "scheme": "https", "remote_addr": "1.2.3.4", "method": "get", "ua": "foo-agent", "rid": null, "body_url": null}]}`
			if r.code != 200 || r.body != want {
				t.Errorf("v%d pings:\n got %s\nwant %s", v, r.body, want)
			}
		}
	})
}

// The list holds the newest min(ping_log_limit, 1000) pings.
func TestUpstreamGetPingsCap(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(nil)
		t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		pings := make([]model.Ping, 1005)
		for i := range pings {
			pings[i] = model.Ping{N: int64(i + 1), Created: t0.Add(time.Duration(i) * time.Second)}
		}
		e.storePings(c, int64(len(pings)), pings)
		ns := func() []int {
			r := e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
			if r.code != 200 {
				t.Fatalf("pings: %d %s", r.code, r.body)
			}
			var out []int
			for _, p := range r.json(t)["pings"].([]any) {
				out = append(out, int(p.(map[string]any)["n"].(float64)))
			}
			return out
		}
		for _, tc := range []struct{ limit, count int }{{100, 100}, {3, 3}, {5000, 1000}, {1000, 1000}, {0, 0}} {
			e.setPingLogLimit(tc.limit)
			got := ns()
			if len(got) != tc.count {
				t.Errorf("ping log limit %d: %d pings, want %d", tc.limit, len(got), tc.count)
				continue
			}
			for i, n := range got {
				if n != 1005-i {
					t.Errorf("ping log limit %d: position %d is ping %d, want %d", tc.limit, i, n, 1005-i)
					break
				}
			}
		}
	})
}

// --- test_get_ping_body.py -----------------------------------------------

func TestUpstreamGetPingBody(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(func(c *model.Check) { c.Name, c.Status = "Alice 1", model.StatusUp })
		e.storePings(c, 1, []model.Ping{{N: 1, Created: e.now.Add(-time.Minute), Body: []byte("Foo\nBar\nBaz")}})
		url := "/api/v1/checks/" + c.Code + "/pings/1/body"

		// test_it_works
		r := e.do("GET", url, apiRW, "")
		if r.code != 200 || r.hdr.Get("Content-Type") != "text/plain" || r.body != "Foo\nBar\nBaz" {
			t.Errorf("it works: %d %v %q", r.code, r.hdr, r.body)
		}
		if r.hdr.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("no CORS headers: %v", r.hdr)
		}
		// test_it_handles_missing_api_key
		expectError(t, "no key", e.do("GET", url, "", ""), 401, "missing api key")
		// test_readonly_key_is_not_allowed
		expectError(t, "read-only key", e.do("GET", url, apiRO, ""), 401, "wrong api key")
		// test_it_rejects_post
		expectEmpty(t, "POST", e.do("POST", url, apiRW, ""), 405)
		// test_it_rejects_charlies_key: a key of another project.
		expectEmpty(t, "another project's key", e.do("GET", url, otherRW, ""), 403)

		// Leading zeros are the same number, as Django's int converter;
		// the path is matched percent-decoded, as WSGI's PATH_INFO.
		for _, n := range []string{"0001", "%31"} {
			if r := e.do("GET", "/api/v1/checks/"+c.Code+"/pings/"+n+"/body", apiRW, ""); r.code != 200 || r.body != "Foo\nBar\nBaz" {
				t.Errorf("n = %s: %d %q", n, r.code, r.body)
			}
		}
		// Missing pings and hostile n: 404, never 500.
		for _, n := range []string{"0", "2", "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999999999999"} {
			expectStatus(t, "body of ping "+n, e.do("GET", "/api/v1/checks/"+c.Code+"/pings/"+n+"/body", apiRW, ""), 404)
		}
		for _, n := range []string{"-1", "abc", "1.0", "1%20", "%EF%BC%91"} {
			expectStatus(t, "body of ping "+n, e.do("GET", "/api/v1/checks/"+c.Code+"/pings/"+n+"/body", apiRW, ""), 404)
		}
		expectStatus(t, "unknown check", e.do("GET", "/api/v1/checks/"+uuid.NewString()+"/pings/1/body", apiRW, ""), 404)

		// test_it_handles_no_body
		c2 := e.addCheck(nil)
		e.storePings(c2, 2, []model.Ping{{N: 1, Created: e.now}, {N: 2, Created: e.now, Body: []byte{}}})
		for _, n := range []string{"1", "2"} {
			expectStatus(t, "bodiless ping "+n, e.do("GET", "/api/v1/checks/"+c2.Code+"/pings/"+n+"/body", apiRW, ""), 404)
		}

		// test_it_returns_original_bytes
		c3 := e.addCheck(nil)
		raw := "Hello\x01\x99World"
		e.storePings(c3, 1, []model.Ping{{N: 1, Created: e.now, Body: []byte(raw)}})
		if r := e.do("GET", "/api/v1/checks/"+c3.Code+"/pings/1/body", apiRW, ""); r.code != 200 || r.body != raw || r.hdr.Get("Content-Type") != "text/plain" {
			t.Errorf("original bytes: %d %q %v", r.code, r.body, r.hdr)
		}

		// test_it_checks_n_threshold: with n_pings = 101 and the default
		// limit of 100, ping 1 is not visible any more; ping 2 still is.
		c4 := e.addCheck(nil)
		e.storePings(c4, 101, []model.Ping{{N: 1, Created: e.now, Body: []byte("one")}, {N: 2, Created: e.now, Body: []byte("two")}})
		expectStatus(t, "below the threshold", e.do("GET", "/api/v1/checks/"+c4.Code+"/pings/1/body", apiRW, ""), 404)
		if r := e.do("GET", "/api/v1/checks/"+c4.Code+"/pings/2/body", apiRW, ""); r.code != 200 || r.body != "two" {
			t.Errorf("at the threshold: %d %q", r.code, r.body)
		}
		// The list, unlike the body, does not hide pings below the threshold.
		if got := pingDurations(t, e, c4); got != "2:-, 1:-" {
			t.Errorf("list below the threshold: %s", got)
		}
	})
}

// --- test_get_flips.py ---------------------------------------------------

func flipsFixture(e *apiEnv) model.Check {
	c := e.addCheck(func(c *model.Check) {
		c.Name, c.Timeout, c.Grace, c.Tags, c.Desc = "Alice 1", time.Hour, 15*time.Minute, "a1-tag a1-additional-tag", "This is description"
	})
	processed := e.now
	e.addFlip(c, time.Date(2020, 6, 1, 12, 24, 32, 123000000, time.UTC), model.StatusNew, model.StatusUp, &processed)
	return c
}

func TestUpstreamGetFlips(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := flipsFixture(e)
		url := "/api/v1/checks/" + c.Code + "/flips/"
		get := func(qs string) apiResp { return e.do("GET", url+qs, apiRW, "") }

		// test_it_works: microseconds stripped.
		r := get("")
		if want := `{"flips": [{"timestamp": "2020-06-01T12:24:32+00:00", "up": 1}]}`; r.code != 200 || r.body != want ||
			r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Content-Type") != "application/json" {
			t.Errorf("it works: %d %v %s", r.code, r.hdr, r.body)
		}
		// test_it_works_with_unique_key
		if r := e.do("GET", "/api/v1/checks/"+c.UniqueKey()+"/flips/", apiRW, ""); r.code != 200 || len(r.json(t)["flips"].([]any)) != 1 {
			t.Errorf("by unique key: %d %s", r.code, r.body)
		}
		// test_readonly_key_is_allowed
		expectStatus(t, "read-only key", e.do("GET", url, apiRO, ""), 200)
		expectStatus(t, "read-only key, unique key", e.do("GET", "/api/v1/checks/"+c.UniqueKey()+"/flips/", apiRO, ""), 200)
		// test_it_rejects_post
		expectEmpty(t, "POST", e.do("POST", url, apiRW, ""), 405)
		expectEmpty(t, "POST by unique key", e.do("POST", "/api/v1/checks/"+c.UniqueKey()+"/flips/", apiRW, ""), 405)
		// test_it_rejects_non_integer_start, _negative_start,
		// _huge_start, _negative_seconds, _huge_seconds: 400, empty.
		for _, qs := range []string{"?start=abc", "?start=-123", "?start=12345678901234567890", "?seconds=-123", "?seconds=12345678901234567890"} {
			r := get(qs)
			expectEmpty(t, qs, r, 400)
			if r.hdr.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s: no CORS headers on the 400", qs)
			}
		}
		// test_it_filters_by_start (12:25:00), test_it_filters_by_end (12:23:00)
		for _, qs := range []string{"?start=1591014300", "?end=1591014180"} {
			if r := get(qs); r.code != 200 || r.body != `{"flips": []}` {
				t.Errorf("%s: %d %s", qs, r.code, r.body)
			}
		}
		// test_it_handles_missing_api_key
		expectError(t, "no key", e.do("GET", url, "", ""), 401, "missing api key")
	})
}

// The filters' bounds, and the input Django's forms take or refuse.
func TestUpstreamGetFlipsFilters(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := flipsFixture(e) // 2020-06-01T12:24:32.123 = 1591014272.123
		url := "/api/v3/checks/" + c.Code + "/flips/"
		const one, none = `{"flips": [{"timestamp": "2020-06-01T12:24:32+00:00", "up": 1}]}`, `{"flips": []}`
		lots := strings.Repeat("x=1&", 999)
		for _, tc := range []struct{ qs, want string }{
			{"?start=1591014272", one}, // created >= start
			{"?start=1591014273", none},
			{"?end=1591014273", one}, // created < end
			{"?end=1591014272", none},
			{"?start=0&end=10000000000", one},
			{"?start=1591014272&end=1591014273", one},
			{"?end=-0", none},
			{"?start=+1591014272", one},
			{"?start=%201591014272%0A", one},             // int() strips whitespace
			{"?start=1_591_014_272", one},                // and takes underscores
			{"?start=%D9%A1%D9%A5%D9%A9%D9%A1", one},     // Arabic-Indic 1591
			{"?start=%EF%BC%91%EF%BC%96", one},           // full-width 16
			{"?start=0000000000000000000000000001", one}, // leading zeros
			{"?start=abc&start=1591014273", none},        // the last value counts
			{"?seconds=", one},                           // empty: no filter
			{"?seconds=0", one},
			{"?seconds=31536000", none}, // the flip is over a year old
			{"?seconds=60.0", none},     // Django's IntegerField takes "60.0"
			{"?seconds=60.%20", none},
			{"?seconds=+60", none},
			{"?start=&seconds=60", ""},
			{"?start", ""}, // no "=": an empty value
			{"?start=", ""},
			{"?start=1.0", ""},
			{"?start=1e3", ""},
			{"?start=0x10", ""},
			{"?start=1__0", ""},
			{"?start=_1", ""},
			{"?start=1_", ""},
			{"?start=-", ""},
			{"?start=10000000001", ""},
			{"?end=10000000001", ""},
			{"?end=-1", ""},
			{"?start=1;2", ""}, // ";" is not a separator for Django
			{"?start=%zz", ""}, // a bad escape stays in the value
			{"?start=%FF", ""}, // not UTF-8
			{"?start=" + strings.Repeat("9", 5000), ""},
			{"?start=" + strings.Repeat("0", 4300) + "1", ""}, // over Python's 4300 digits
			{"?seconds=%20", ""},                              // only whitespace is not empty
			{"?seconds=.0", ""},
			{"?seconds=1.5", ""},
			{"?seconds=31536001", ""},
			{"?seconds=-1", ""},
			{"?seconds=1e3", ""},
			{"?seconds=99999999999999999999999999999999999999", ""},
			{"?" + lots + "start=0", one}, // 1000 fields are fine
			{"?unknown=1&start=0&", one},
		} {
			r := e.do("GET", url+tc.qs, apiRO, "")
			label := tc.qs
			if len(label) > 60 {
				label = label[:60] + "…"
			}
			if tc.want == "" {
				expectEmpty(t, label, r, 400)
			} else if r.code != 200 || r.body != tc.want {
				t.Errorf("%s: %d %s, want %s", label, r.code, r.body, tc.want)
			}
		}
		// More than 1000 fields is Django's TooManyFieldsSent: its 400
		// page, raised past the CORS decorator.
		r := e.do("GET", url+"?"+lots+"x=1&start=0", apiRO, "")
		if r.code != 400 || !strings.Contains(r.body, "Bad Request (400)") || r.hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("1001 fields: %d %v %q", r.code, r.hdr, r.body)
		}

		// Lookups come before validation: 404 and 403 win over 400.
		other := model.NewCheck(e.other.ID, e.now)
		if err := e.st.CreateCheck(context.Background(), &other, false); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, "unknown check, bad filter", e.do("GET", "/api/v3/checks/"+uuid.NewString()+"/flips/?start=x", apiRO, ""), 404)
		expectEmpty(t, "other project's check, bad filter", e.do("GET", "/api/v3/checks/"+other.Code+"/flips/?start=x", apiRO, ""), 403)
		expectStatus(t, "other project's check by unique key", e.do("GET", "/api/v3/checks/"+other.UniqueKey()+"/flips/", apiRO, ""), 404)
		expectStatus(t, "unknown unique key", e.do("GET", "/api/v3/checks/"+strings.Repeat("a", 40)+"/flips/", apiRO, ""), 404)
		expectError(t, "no key, bad filter", e.do("GET", url+"?start=x", "", ""), 401, "missing api key")
	})
}

// up is 1 only for flips to "up": paused, new, down and grace are 0. The
// list is newest first by id; ?seconds= counts back from now.
func TestUpstreamGetFlipsStatuses(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(nil)
		p := e.now
		base := e.now.Add(-10 * time.Hour)
		steps := []struct{ old, new string }{
			{model.StatusNew, model.StatusUp}, {model.StatusUp, model.StatusGrace}, {model.StatusGrace, model.StatusDown},
			{model.StatusDown, model.StatusUp}, {model.StatusUp, model.StatusPaused}, {model.StatusPaused, model.StatusNew},
		}
		for i, s := range steps {
			e.addFlip(c, base.Add(time.Duration(i)*time.Hour+500*time.Millisecond), s.old, s.new, &p)
		}
		// Created out of order: listed by id, not by time.
		e.addFlip(c, base.Add(-time.Hour), model.StatusNew, model.StatusUp, &p)

		r := e.do("GET", "/api/v3/checks/"+c.Code+"/flips/", apiRO, "")
		want := `{"flips": [{"timestamp": "2026-11-24T01:00:00+00:00", "up": 1}, ` +
			`{"timestamp": "2026-11-24T07:00:00+00:00", "up": 0}, {"timestamp": "2026-11-24T06:00:00+00:00", "up": 0}, ` +
			`{"timestamp": "2026-11-24T05:00:00+00:00", "up": 1}, {"timestamp": "2026-11-24T04:00:00+00:00", "up": 0}, ` +
			`{"timestamp": "2026-11-24T03:00:00+00:00", "up": 0}, {"timestamp": "2026-11-24T02:00:00+00:00", "up": 1}]}`
		if r.code != 200 || r.body != want {
			t.Errorf("flips:\n got %s\nwant %s", r.body, want)
		}
		// The last five hours (now is 12:00): the flips of 07:00 only.
		r = e.do("GET", "/api/v3/checks/"+c.Code+"/flips/?seconds=18000", apiRO, "")
		if want := `{"flips": [{"timestamp": "2026-11-24T07:00:00+00:00", "up": 0}]}`; r.body != want {
			t.Errorf("seconds=18000: %s", r.body)
		}
		// seconds and start both apply: the later bound wins.
		r = e.do("GET", fmt.Sprintf("/api/v3/checks/%s/flips/?seconds=36000&start=%d", c.Code, base.Add(4*time.Hour).Unix()), apiRO, "")
		if want := `{"flips": [{"timestamp": "2026-11-24T07:00:00+00:00", "up": 0}, {"timestamp": "2026-11-24T06:00:00+00:00", "up": 0}]}`; r.body != want {
			t.Errorf("seconds and start: %s", r.body)
		}
		// A check without flips.
		if r := e.do("GET", "/api/v3/checks/"+e.addCheck(nil).Code+"/flips/", apiRO, ""); r.code != 200 || r.body != `{"flips": []}` {
			t.Errorf("no flips: %d %s", r.code, r.body)
		}
	})
}

// --- test_list_channels.py -----------------------------------------------

func TestUpstreamListChannels(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c1 := e.addChannel(e.proj.ID, "Email to Alice", "email")
		url := "/api/v1/channels/"

		// test_it_works
		r := e.do("GET", url, apiRW, "")
		if want := `{"channels": [{"id": "` + c1.Code + `", "name": "Email to Alice", "kind": "email"}]}`; r.code != 200 || r.body != want ||
			r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Content-Type") != "application/json" {
			t.Errorf("it works: %d %v %s", r.code, r.hdr, r.body)
		}
		// test_it_handles_options
		r = e.do("OPTIONS", url, "", "")
		if r.code != 204 || !strings.Contains(r.hdr.Get("Access-Control-Allow-Methods"), "GET") || r.body != "" {
			t.Errorf("OPTIONS: %d %v %q", r.code, r.hdr, r.body)
		}
		// test_it_shows_only_users_channels
		e.addChannel(e.other.ID, "Bob", "email")
		if r := e.do("GET", url, apiRW, ""); strings.Contains(r.body, "Bob") || len(r.json(t)["channels"].([]any)) != 1 {
			t.Errorf("another project's channel listed: %s", r.body)
		}
		// test_it_handles_missing_api_key
		expectError(t, "no key", e.do("GET", url, "", ""), 401, "missing api key")
		// test_it_rejects_post
		expectEmpty(t, "POST", e.do("POST", url, apiRW, ""), 405)

		// Read-write keys only.
		expectError(t, "read-only key", e.do("GET", url, apiRO, ""), 401, "wrong api key")
		// Disabled channels are listed too; names may be empty.
		c2 := e.addChannel(e.proj.ID, "", "webhook")
		if err := e.st.DisableChannel(context.Background(), c2.ID); err != nil {
			t.Fatal(err)
		}
		r = e.do("GET", "/api/v3/channels/", apiRW, "")
		if want := `{"channels": [{"id": "` + c1.Code + `", "name": "Email to Alice", "kind": "email"}, {"id": "` + c2.Code +
			`", "name": "", "kind": "webhook"}]}`; r.body != want {
			t.Errorf("with a disabled channel: %s", r.body)
		}
		// The other project's key sees its own channel only.
		if r := e.do("GET", url, otherRW, ""); !strings.Contains(r.body, `"name": "Bob"`) || strings.Contains(r.body, "Alice") {
			t.Errorf("other project: %s", r.body)
		}
	})
}

// --- test_get_badges.py --------------------------------------------------

func TestUpstreamGetBadges(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		url := "/api/v1/badges/"
		// A project without checks has the "*" badges only.
		r := e.do("GET", url, apiRW, "")
		if got := keysOf(t, keysObject(t, r.body, "badges")); !slices.Equal(got, []string{"*"}) {
			t.Errorf("no checks: %s", r.body)
		}

		e.addCheck(func(c *model.Check) { c.Name, c.Tags = "Alice 1", "foo bar" })
		e.addCheck(func(c *model.Check) { c.Tags = " bar  baz " })
		other := model.NewCheck(e.other.ID, e.now)
		other.Tags = "secret"
		if err := e.st.CreateCheck(context.Background(), &other, false); err != nil {
			t.Fatal(err)
		}

		// test_it_works
		r = e.do("GET", url, apiRW, "")
		if r.code != 200 || r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("it works: %d %v %s", r.code, r.hdr, r.body)
		}
		tags := keysOf(t, keysObject(t, r.body, "badges"))
		slices.Sort(tags)
		if !slices.Equal(tags, []string{"*", "bar", "baz", "foo"}) {
			t.Errorf("badge tags %v", tags)
		}
		badges := r.json(t)["badges"].(map[string]any)
		for tag, v := range badges {
			if got := keysOf(t, keysObject(t, keysObject(t, r.body, "badges"), tag)); !slices.Equal(got, []string{"svg", "svg3", "json", "json3", "shields", "shields3"}) {
				t.Errorf("%s: variants %v", tag, got)
			}
			sig := api.BadgeSignature("alice", tag, "s3cr3t")
			path := "/" + tag
			if tag == "*" {
				path = ""
			}
			urls := v.(map[string]any)
			for variant, ext := range map[string]string{"svg": "svg", "json": "json", "shields": "shields"} {
				if want := siteRoot + "/badge/alice/" + sig + "-2" + path + "." + ext; urls[variant] != want {
					t.Errorf("%s %s = %v, want %s", tag, variant, urls[variant], want)
				}
				if want := siteRoot + "/badge/alice/" + sig + path + "." + ext; urls[variant+"3"] != want {
					t.Errorf("%s %s3 = %v, want %s", tag, variant, urls[variant+"3"], want)
				}
			}
		}
		// test_readonly_key_is_allowed: the same document.
		if ro := e.do("GET", url, apiRO, ""); ro.code != 200 || ro.body != r.body {
			t.Errorf("read-only key: %d %s", ro.code, ro.body)
		}
		// test_it_rejects_post
		expectEmpty(t, "POST", e.do("POST", url, apiRW, ""), 405)
		// test_it_handles_missing_api_key
		expectError(t, "no key", e.do("GET", url, "", ""), 401, "missing api key")
		// The same URLs under every version.
		if v3 := e.do("GET", "/api/v3/badges/", apiRW, ""); v3.body != r.body {
			t.Errorf("v3 differs: %s", v3.body)
		}
	})
}

// --- test_status.py ------------------------------------------------------

func TestUpstreamStatus(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		for _, v := range []string{"v1", "v2", "v3"} {
			r := e.do("GET", "/api/"+v+"/status/", "", "")
			if r.code != 200 || r.body != "OK" || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%s status: %d %v %q", v, r.code, r.hdr, r.body)
			}
		}
		// Not csrf_exempt upstream: unsafe methods meet Django's CSRF check.
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			if r := e.do(m, "/api/v3/status/", "", ""); r.code != 403 {
				t.Errorf("%s status: %d %q", m, r.code, r.body)
			}
		}
		if r := e.do("HEAD", "/api/v3/status/", "", ""); r.code != 200 {
			t.Errorf("HEAD status: %d", r.code)
		}
	})
}

// --- test_metrics.py -----------------------------------------------------

func TestUpstreamOperatorMetrics(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		ctx := context.Background()
		get := func() map[string]any {
			r := e.doHeaders("GET", "/api/v1/metrics/", map[string]string{"X-Metrics-Key": "mk"}, "")
			if r.code != 200 || r.hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("metrics: %d %v %s", r.code, r.hdr, r.body)
			}
			if got := keysOf(t, r.body); !slices.Equal(got, []string{"ts", "max_ping_id", "max_notification_id", "num_unprocessed_flips"}) {
				t.Errorf("keys %v", got)
			}
			return r.json(t)
		}
		// An empty database: nulls and zero.
		doc := get()
		if doc["max_ping_id"] != nil || doc["max_notification_id"] != nil || doc["num_unprocessed_flips"] != 0.0 || doc["ts"] != float64(e.now.Unix()) {
			t.Errorf("empty: %v", doc)
		}

		// test_it_returns_num_unprocessed_flips
		c := e.addCheck(func(c *model.Check) { c.Status = model.StatusDown })
		e.addFlip(c, e.now, model.StatusUp, model.StatusDown, nil)
		p := e.now
		e.addFlip(c, e.now, model.StatusDown, model.StatusUp, &p)
		if doc := get(); doc["num_unprocessed_flips"] != 1.0 {
			t.Errorf("unprocessed flips: %v", doc)
		}

		// test_it_returns_max_ping_id
		e.storePings(c, 2, []model.Ping{{N: 1, Created: e.now}, {N: 2, Created: e.now}})
		infos, err := e.st.ListPingInfos(ctx, c.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if doc := get(); doc["max_ping_id"] != float64(infos[0].ID) {
			t.Errorf("max_ping_id %v, want %d", doc["max_ping_id"], infos[0].ID)
		}

		// test_it_returns_max_notification_id
		code, _ := e.addNotification(c)
		ns, err := e.st.ListNotifications(ctx, c.ID)
		if err != nil || len(ns) == 0 || ns[len(ns)-1].Code != code {
			t.Fatalf("notifications %+v %v", ns, err)
		}
		if doc := get(); doc["max_notification_id"] != float64(ns[len(ns)-1].ID) {
			t.Errorf("max_notification_id %v, want %d", doc["max_notification_id"], ns[len(ns)-1].ID)
		}

		// test_it_handles_incorrect_metrics_key, and no key at all.
		for _, hdr := range []map[string]string{{"X-Metrics-Key": "bar"}, {"X-Metrics-Key": ""}, {"X-Metrics-Key": "mk "}, {}, {"X-Api-Key": apiRW}} {
			expectEmpty(t, fmt.Sprintf("metrics with %v", hdr), e.doHeaders("GET", "/api/v1/metrics/", hdr, ""), 403)
		}
		// A POST meets the CSRF check even with the right key.
		expectStatus(t, "POST metrics", e.doHeaders("POST", "/api/v3/metrics/", map[string]string{"X-Metrics-Key": "mk"}, ""), 403)

		// test_it_handles_unset_metrics_key
		unset := api.NewAPI(api.APIDeps{Store: e.st, SiteRoot: siteRoot})
		for _, key := range []string{"", "foo"} {
			req := httptest.NewRequest("GET", "/api/v1/metrics/", nil)
			req.Header.Set("X-Metrics-Key", key)
			rec := httptest.NewRecorder()
			unset.ServeHTTP(rec, req)
			if rec.Code != 403 || rec.Body.Len() != 0 {
				t.Errorf("METRICS_KEY unset, key %q: %d %q", key, rec.Code, rec.Body.String())
			}
		}
	})
}

// --- test_notification_status.py -----------------------------------------

// addNotification attaches a new verified email channel to c and records
// a down alert for it, created now; it returns the notification's and the
// channel's codes.
func (e *apiEnv) addNotification(c model.Check) (string, string) {
	e.t.Helper()
	ctx := context.Background()
	ch := model.Channel{Code: uuid.NewString(), ProjectID: e.proj.ID, Kind: "email", Value: `{"value": "alice@example.org", "up": true, "down": true}`, EmailVerified: true}
	if err := e.st.CreateChannel(ctx, &ch); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SetCheckChannels(ctx, c.ID, []int64{ch.ID}); err != nil {
		e.t.Fatal(err)
	}
	before, err := e.st.ListNotifications(ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].Status = model.StatusDown
		return nil, []model.Flip{{CheckID: c.ID, Created: e.now, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Reason: "timeout"}}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	after, err := e.st.ListNotifications(ctx, c.ID)
	if err != nil || len(after) <= len(before) {
		e.t.Fatalf("notifications %+v %v", after, err)
	}
	return after[len(after)-1].Code, ch.Code
}

// feedback reads a notification's error and its channel.
func (e *apiEnv) feedback(c model.Check, code, channel string) (string, model.Channel) {
	e.t.Helper()
	ctx := context.Background()
	ns, err := e.st.ListNotifications(ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	ch, err := e.st.ChannelByCode(ctx, channel)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range ns {
		if n.Code == code {
			return n.Error, ch
		}
	}
	e.t.Fatalf("notification %s not found", code)
	return "", ch
}

// formBody encodes fields as urlencoded or as multipart/form-data (what
// Django's test client sends); it returns the body and its Content-Type.
func formBody(t *testing.T, multi bool, fields [][2]string) (string, string) {
	t.Helper()
	if !multi {
		v := url.Values{}
		for _, f := range fields {
			v.Add(f[0], f[1])
		}
		return v.Encode(), "application/x-www-form-urlencoded"
	}
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), mw.FormDataContentType()
}

func TestUpstreamNotificationStatus(t *testing.T) {
	t.Parallel()
	for _, multi := range []bool{false, true} {
		t.Run(map[bool]string{false: "urlencoded", true: "multipart"}[multi], func(t *testing.T) {
			eachEngine(t, func(t *testing.T, e *apiEnv) { testUpstreamNotificationStatus(t, e, multi) })
		})
	}
}

func testUpstreamNotificationStatus(t *testing.T, e *apiEnv, multi bool) {
	c := e.addCheck(func(c *model.Check) { c.Status = model.StatusUp })
	post := func(code string, fields ...[2]string) apiResp {
		body, ct := formBody(t, multi, fields)
		return e.doHeaders("POST", "/api/v1/notifications/"+code+"/status", map[string]string{"Content-Type": ct}, body)
	}
	fresh := func() (string, string) { return e.addNotification(c) }
	check := func(what, code, channel, wantErr, wantLast string, wantDisabled bool) {
		t.Helper()
		got, ch := e.feedback(c, code, channel)
		if got != wantErr || ch.LastError != wantLast || ch.Disabled != wantDisabled || !ch.EmailVerified {
			t.Errorf("%s: notification error %q, channel %q disabled %v verified %v; want %q, %q, %v",
				what, got, ch.LastError, ch.Disabled, ch.EmailVerified, wantErr, wantLast, wantDisabled)
		}
	}

	// test_it_handles_twilio_failed_status
	n, ch := fresh()
	expectEmpty(t, "failed", post(n, [2]string{"MessageStatus", "failed"}), 200)
	check("failed", n, ch, "Delivery failed (status=failed).", "Delivery failed (status=failed).", false)
	// test_it_handles_twilio_undelivered_status
	n, ch = fresh()
	expectEmpty(t, "undelivered", post(n, [2]string{"MessageStatus", "undelivered"}), 200)
	check("undelivered", n, ch, "Delivery failed (status=undelivered).", "Delivery failed (status=undelivered).", false)
	// test_it_handles_twilio_delivered_status
	n, ch = fresh()
	expectEmpty(t, "delivered", post(n, [2]string{"MessageStatus", "delivered"}), 200)
	check("delivered", n, ch, "", "", false)
	// test_it_checks_ttl: 61 minutes later the report is ignored.
	n, ch = fresh()
	e.now = e.now.Add(61 * time.Minute)
	expectEmpty(t, "hour-old", post(n, [2]string{"MessageStatus", "failed"}), 200)
	check("hour-old", n, ch, "", "", false)
	// test_it_handles_missing_notification
	expectEmpty(t, "missing", post("07c2f548-9850-4b27-af5d-6c9dc157ec02", [2]string{"MessageStatus", "failed"}), 200)
	// test_it_requires_post
	r := e.do("GET", "/api/v1/notifications/"+n+"/status", "", "")
	expectEmpty(t, "GET", r, 405)
	if r.hdr.Get("Allow") != "POST" || r.hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET: headers %v", r.hdr)
	}
	expectEmpty(t, "OPTIONS", e.do("OPTIONS", "/api/v1/notifications/"+n+"/status", "", ""), 405)
	// test_it_handles_error_key
	n, ch = fresh()
	expectEmpty(t, "error", post(n, [2]string{"error", "Something went wrong."}), 200)
	check("error", n, ch, "Something went wrong.", "Something went wrong.", false)
	// test_it_handles_mark_disabled_key
	n, ch = fresh()
	expectEmpty(t, "mark_disabled", post(n, [2]string{"error", "Received complaint."}, [2]string{"mark_disabled", "1"}), 200)
	check("mark_disabled", n, ch, "Received complaint.", "Received complaint.", true)
	// test_it_handles_twilio_call_status_failed
	n, ch = fresh()
	expectEmpty(t, "CallStatus", post(n, [2]string{"CallStatus", "failed"}), 200)
	check("CallStatus", n, ch, "Delivery failed (status=failed).", "Delivery failed (status=failed).", false)

	// mark_disabled counts only with an error; Twilio's statuses override
	// the error, but not mark_disabled; "error" is cut to 200 characters.
	n, ch = fresh()
	post(n, [2]string{"mark_disabled", "1"})
	check("mark_disabled alone", n, ch, "", "", false)
	n, ch = fresh()
	post(n, [2]string{"error", strings.Repeat("é", 250)}, [2]string{"mark_disabled", "yes"}, [2]string{"MessageStatus", "failed"})
	check("error and MessageStatus", n, ch, "Delivery failed (status=failed).", "Delivery failed (status=failed).", true)
	n, ch = fresh()
	post(n, [2]string{"error", strings.Repeat("é", 250)})
	check("long error", n, ch, strings.Repeat("é", 200), strings.Repeat("é", 200), false)
	// Repeated fields: the last value counts, as request.POST.get.
	n, ch = fresh()
	post(n, [2]string{"error", "first"}, [2]string{"error", "second"}, [2]string{"mark_disabled", "1"}, [2]string{"mark_disabled", ""})
	check("repeated fields", n, ch, "second", "second", false)
	n, ch = fresh()
	post(n, [2]string{"error", "x"}, [2]string{"error", ""})
	check("last error empty", n, ch, "", "", false)
}

// Bodies Django does not read as a form, and oversized ones.
func TestUpstreamNotificationStatusBodies(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(nil)
		path := func(code string) string { return "/api/v3/notifications/" + code + "/status" }
		send := func(code, ct, body string) apiResp {
			return e.doHeaders("POST", path(code), map[string]string{"Content-Type": ct}, body)
		}
		// JSON and text bodies are not forms: nothing is recorded.
		n, ch := e.addNotification(c)
		for _, tc := range [][2]string{{"application/json", `{"error": "x"}`}, {"text/plain", "error=x"}, {"", "error=x"}} {
			expectEmpty(t, "Content-Type "+tc[0], send(n, tc[0], tc[1]), 200)
		}
		if got, chn := e.feedback(c, n, ch); got != "" || chn.LastError != "" {
			t.Errorf("non-form bodies recorded %q %q", got, chn.LastError)
		}
		// Content-Type parameters and case do not matter; ";" is data.
		expectEmpty(t, "charset", send(n, "Application/X-WWW-Form-Urlencoded; charset=utf-8", "error=a;b"), 200)
		if got, _ := e.feedback(c, n, ch); got != "a;b" {
			t.Errorf("error %q, want a;b", got)
		}
		// Invalid UTF-8 and bad escapes are stored replaced, not refused.
		n, ch = e.addNotification(c)
		expectEmpty(t, "bad bytes", send(n, "application/x-www-form-urlencoded", "error=%FFok%zz"), 200)
		if got, _ := e.feedback(c, n, ch); got != "\uFFFDok%zz" {
			t.Errorf("error %q", got)
		}
		// What Django cannot read is a 400 for a known notification and
		// the quiet 200 for an unknown one.
		n, _ = e.addNotification(c)
		for _, tc := range []struct{ what, ct, body string }{
			{"over 2.5 MB", "application/x-www-form-urlencoded", "error=" + strings.Repeat("x", 2_621_440)},
			{"1001 fields", "application/x-www-form-urlencoded", strings.Repeat("a=1&", 1000) + "error=x"},
			{"no boundary", "multipart/form-data", "--x\r\n"},
			{"multipart over 2.5 MB", "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"error\"\r\n\r\n" + strings.Repeat("x", 2_621_440)},
		} {
			if r := send(n, tc.ct, tc.body); r.code != 400 {
				t.Errorf("%s: %d %q", tc.what, r.code, r.body)
			}
			expectEmpty(t, tc.what+", unknown notification", send(uuid.NewString(), tc.ct, tc.body), 200)
		}
		// Just under the limits is fine.
		n, ch = e.addNotification(c)
		expectEmpty(t, "1000 fields", send(n, "application/x-www-form-urlencoded", strings.Repeat("a=1&", 999)+"error=ok"), 200)
		if got, _ := e.feedback(c, n, ch); got != "ok" {
			t.Errorf("1000 fields: error %q", got)
		}
		// A multipart body that stops short keeps what it has, as
		// Django's lenient parser; one without any part has no fields.
		n, ch = e.addNotification(c)
		expectEmpty(t, "unterminated multipart", send(n, "multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"error\"\r\n\r\ncut"), 200)
		if got, _ := e.feedback(c, n, ch); got != "cut" {
			t.Errorf("unterminated multipart: error %q", got)
		}
		expectEmpty(t, "no parts", send(n, "multipart/form-data; boundary=zz", "just text"), 200)
		// A multipart file part is not a field.
		n, ch = e.addNotification(c)
		body := "--zz\r\nContent-Disposition: form-data; name=\"error\"; filename=\"e.txt\"\r\n\r\nfile\r\n--zz--\r\n"
		expectEmpty(t, "file part", send(n, "multipart/form-data; boundary=zz", body), 200)
		if got, _ := e.feedback(c, n, ch); got != "" {
			t.Errorf("file part recorded %q", got)
		}
		// Only lower-case UUIDs route, as Django's converter.
		expectStatus(t, "upper-case UUID", send(strings.ToUpper(n), "application/x-www-form-urlencoded", "error=x"), 404)
	})
}

// --- test_bounces.py -----------------------------------------------------

// bounceMessage is a DSN like the one upstream's tests post: LF line
// ends, a folded Content-Type, the report, and the returned headers.
func bounceMessage(toLocal, status, diagnostic string) string {
	const b = "e8ed4343d6876891e609b8b58c7e77c88887386efa98970174bb7a6c29a0"
	return "Subject: Undelivered Mail Returned to Sender\n" +
		"To: " + toLocal + "@example.org\n" +
		"Content-Type: multipart/report; report-type=delivery-status;\n boundary=" + b + "\n\n" +
		"--" + b + "\nContent-Description: Notification\nContent-Type: text/plain; charset=\"utf-8\"\n\n\nHello.\n\n" +
		"--" + b + "\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n" +
		"Reporting-Mta: dns; example.com\n\nStatus: " + status + "\nAction: failed\n" + diagnostic + "\n\n" +
		"--" + b + "\nContent-Transfer-Encoding: 8bit\nContent-Type: message/rfc822-headers\nContent-Description: Undelivered message header\n\n" +
		"To: foo@example.com\n\n\n" +
		"--" + b + "--\n"
}

func TestUpstreamBounces(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e *apiEnv) {
		c := e.addCheck(func(c *model.Check) { c.Status = model.StatusUp })
		sign := func(s string) string { return auth.SignBounceID("s3cr3t", s, e.now) }
		post := func(toLocal, status, diagnostic string) apiResp {
			return e.doHeaders("POST", "/api/v2/bounces/", map[string]string{"Content-Type": "text/plain"}, bounceMessage(toLocal, status, diagnostic))
		}
		expectOK := func(what string, r apiResp, want string) {
			t.Helper()
			if r.code != 200 || r.body != want || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%s: %d %q (%s), want %q", what, r.code, r.body, r.hdr.Get("Content-Type"), want)
			}
		}
		check := func(what, code, channel, wantErr string, wantDisabled bool) {
			t.Helper()
			got, ch := e.feedback(c, code, channel)
			if got != wantErr || ch.LastError != wantErr || ch.Disabled != wantDisabled {
				t.Errorf("%s: notification %q, channel %q disabled %v; want %q, %v", what, got, ch.LastError, ch.Disabled, wantErr, wantDisabled)
			}
		}

		// test_it_handles_permanent_notification_bounce
		n, ch := e.addNotification(c)
		expectOK("permanent", post(sign("n."+n), "5.0.0", ""), "OK")
		check("permanent", n, ch, "Delivery failed (SMTP status code: 5.0.0)", true)
		// test_it_handles_transient_notification_bounce
		n, ch = e.addNotification(c)
		expectOK("transient", post(sign("n."+n), "4.0.0", ""), "OK")
		check("transient", n, ch, "Delivery failed (SMTP status code: 4.0.0)", false)
		// test_it_categorizes_5_4_4_as_transient
		n, ch = e.addNotification(c)
		expectOK("5.4.4", post(sign("n."+n), "5.4.4", ""), "OK")
		check("5.4.4", n, ch, "Delivery failed (SMTP status code: 5.4.4)", false)
		// test_it_handles_notification_non_bounce
		n, ch = e.addNotification(c)
		expectOK("2.0.0", post(sign("n."+n), "2.0.0", ""), "OK (ignored)")
		check("2.0.0", n, ch, "", false)
		// test_it_handles_bad_signature
		expectOK("bad signature", post(auth.SignBounceID("wrong-signing-key", "n."+n, e.now), "5.0.0", ""), "OK (bad signature)")
		// test_it_handles_expired_signature
		expectOK("expired", post(auth.SignBounceID("s3cr3t", "n."+n, e.now.Add(-48*time.Hour-time.Second)), "5.0.0", ""), "OK (bad signature)")
		check("rejected signatures", n, ch, "", false)
		// test_it_checks_notification_age: 49 hours later, with a fresh signature.
		e.now = e.now.Add(49 * time.Hour)
		expectOK("49 h old", post(sign("n."+n), "5.0.0", ""), "OK (notification not found)")
		check("49 h old", n, ch, "", false)
		// test_it_handles_permanent_report_bounce: reports name their user
		// by id ("r.<id>") where upstream has a user name.
		owner := "r." + strconv.FormatInt(e.owner.ID, 10)
		nagAt := e.now
		u, _ := e.st.UserByID(context.Background(), e.owner.ID)
		u.Reports, u.NextReportDate, u.NagPeriod, u.NextNagDate = "monthly", &nagAt, time.Hour, &nagAt
		if err := e.st.UpdateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
		// test_it_handles_transient_report_bounce: nothing changes.
		expectOK("transient report bounce", post(sign(owner), "4.0.0", ""), "OK")
		if got, _ := e.st.UserByID(context.Background(), e.owner.ID); got.Reports != "monthly" || got.NagPeriod != time.Hour {
			t.Errorf("transient report bounce changed the settings: %+v", got)
		}
		expectOK("permanent report bounce", post(sign(owner), "5.0.0", ""), "OK")
		if got, _ := e.st.UserByID(context.Background(), e.owner.ID); got.Reports != "off" || got.NextReportDate != nil || got.NagPeriod != 0 || got.NextNagDate != nil {
			t.Errorf("permanent report bounce: %+v", got)
		}
		// test_it_handles_bad_username
		expectOK("bad user", post(sign("r.999999"), "5.0.0", ""), "OK (user not found)")
		expectOK("upstream user name", post(sign("r.alice"), "5.0.0", ""), "OK (user not found)")
		// test_it_logs_diagnostic_code
		n, ch = e.addNotification(c)
		expectOK("diagnostic", post(sign("n."+n), "4.0.0", "Diagnostic-Code: smtp; 451 4.0.0 No usable MXs, last err: try again later"), "OK")
		check("diagnostic", n, ch, "Delivery failed (451 4.0.0 No usable MXs, last err: try again later)", false)
		// test_it_truncates_long_diagnostic_code
		n, ch = e.addNotification(c)
		expectOK("long diagnostic", post(sign("n."+n), "4.0.0", "Diagnostic-Code: smtp; 451 4.0.0 "+strings.Repeat("foo ", 100)), "OK")
		if got, chn := e.feedback(c, n, ch); len([]rune(got)) != 200 || len([]rune(chn.LastError)) != 200 || !strings.HasPrefix(got, "Delivery failed (451 4.0.0 foo foo") {
			t.Errorf("long diagnostic: %d and %d characters: %q", len([]rune(got)), len([]rune(chn.LastError)), got)
		}

		// Any method, any body: an empty or non-mail body has no signature.
		for _, m := range []string{"GET", "PUT", "POST"} {
			expectOK(m+" without a body", e.do(m, "/api/v3/bounces/", "", ""), "OK (bad signature)")
		}
		expectOK("not mail", e.doHeaders("POST", "/api/v3/bounces/", nil, "\x00\xff garbage"), "OK (bad signature)")
		// Over Django's 2.5 MB upload limit: its 400 page.
		r := e.doHeaders("POST", "/api/v3/bounces/", nil, bounceMessage(sign("n."+n), "5.0.0", "")+strings.Repeat("x", 2_621_440))
		if r.code != 400 {
			t.Errorf("oversized bounce: %d %.80q", r.code, r.body)
		}
	})
}

// Every endpoint answers a huge or odd query string without a 5xx.
func TestUpstreamListsHostileQueries(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 0)
	c := e.addCheck(nil)
	e.storePings(c, 1, []model.Ping{{N: 1, Created: e.now, Body: []byte("b")}})
	huge := "?" + strings.Repeat("a=%zz;&", 5000) + "seconds=" + strings.Repeat("9", 10000)
	for _, p := range []string{"/api/v3/checks/" + c.Code + "/pings/", "/api/v3/checks/" + c.Code + "/pings/1/body",
		"/api/v3/checks/" + c.Code + "/flips/", "/api/v3/checks/" + c.UniqueKey() + "/flips/", "/api/v3/channels/", "/api/v3/badges/",
		"/api/v3/status/", "/api/v3/metrics/", "/api/v3/bounces/"} {
		r := e.do("GET", p+huge, apiRW, "")
		if r.code >= 500 {
			t.Errorf("%s: %d %q", p, r.code, r.body)
		}
	}
	r := e.do("GET", "/api/v3/checks/"+c.Code+"/flips/?seconds="+strings.Repeat("9", 10000), apiRW, "")
	expectEmpty(t, "10,000-digit seconds", r, 400)
}
