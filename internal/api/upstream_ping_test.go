package api_test

// Ports of upstream's hc/api/tests/test_ping.py (49 tests) and
// test_ping_by_slug.py (14 tests), against the real router, ping writer and
// store, plus the response details upstream's views have and its tests do
// not pin: headers of every answer, exit codes, body filters overriding the
// URL, create=1 and slug rules.

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
)

const neverCacheValue = "max-age=0, no-cache, no-store, must-revalidate, private"

// onePing returns the check's only recorded ping, failing when there is not
// exactly one.
func (e *pingEnv) onePing(what string, c model.Check) model.Ping {
	e.t.Helper()
	pings, err := e.st.ListPings(context.Background(), c.ID, 10)
	if err != nil || len(pings) != 1 {
		e.t.Fatalf("%s: want exactly one ping, got %d (%v)", what, len(pings), err)
	}
	return pings[0]
}

func (e *pingEnv) countPings(c model.Check) int {
	e.t.Helper()
	pings, err := e.st.ListPings(context.Background(), c.ID, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(pings)
}

func (e *pingEnv) post(path, body string) answer {
	return e.do("POST", path, strings.NewReader(body), map[string]string{"Content-Type": "text/plain"})
}

// wantOKHeaders asserts what upstream's ping view adds to a 200 or 201.
func wantOKHeaders(t *testing.T, what string, a answer, bodyLimit string) {
	t.Helper()
	if a.header.Get("Access-Control-Allow-Origin") != "*" || a.header.Get("Ping-Body-Limit") != bodyLimit ||
		a.header.Get("Cache-Control") != neverCacheValue || a.header.Get("Expires") == "" ||
		a.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("%s: headers %v", what, a.header)
	}
}

func TestUpstreamPing(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		ctx := context.Background()
		url := func(c model.Check) string { return "/ping/" + c.Code }

		{ // test_it_works
			c := e.newCheck(nil)
			a := e.get(url(c))
			expect(t, "test_it_works", a, 200, "OK")
			wantOKHeaders(t, "test_it_works", a, "10000")
			got := e.reload(c)
			if got.NPings != 1 || got.Status != model.StatusUp || got.LastPing == nil || got.AlertAfter == nil ||
				!got.AlertAfter.Equal(got.LastPing.Add(25*time.Hour)) {
				t.Errorf("test_it_works: check %+v", got)
			}
			p := e.onePing("test_it_works", c)
			if p.N != 1 || p.Scheme != "http" || p.Kind != model.PingSuccess || !p.Created.Equal(*got.LastPing) || p.ExitStatus != nil ||
				p.Method != "GET" || p.RID != "" || len(p.Body) != 0 {
				t.Errorf("test_it_works: ping %+v", p)
			}
		}
		{ // test_it_changes_status_of_paused_check
			c := e.newCheck(func(c *model.Check) { c.Status = model.StatusPaused })
			expect(t, "paused", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusUp {
				t.Errorf("paused check after a ping: %s", got.Status)
			}
		}
		{ // test_it_clears_last_start
			c := e.newCheck(func(c *model.Check) { c.LastStart = ptime(time.Now()) })
			expect(t, "clears last_start", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.LastStart != nil {
				t.Errorf("last_start kept: %v", got.LastStart)
			}
		}
		{ // test_post_works
			c := e.newCheck(nil)
			expect(t, "post", e.post(url(c), "hello world"), 200, "OK")
			if p := e.onePing("post", c); p.Method != "POST" || string(p.Body) != "hello world" {
				t.Errorf("post: ping %+v", p)
			}
		}
		{ // test_head_works
			c := e.newCheck(nil)
			a := e.do("HEAD", url(c), nil, nil)
			expect(t, "head", a, 200, "")
			if p := e.onePing("head", c); p.Method != "HEAD" {
				t.Errorf("head: ping %+v", p)
			}
		}
		// test_it_handles_bad_uuid, test_it_rejects_alternative_uuid_formats
		for _, path := range []string{"/ping/not-uuid/", "/ping/07c2f54898504b27af5d6c9dc157ec02/", "/ping/07C2F548-9850-4B27-AF5D-6C9DC157EC02"} {
			if a := e.get(path); a.status != 404 || a.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("GET %s: %d %v", path, a.status, a.header)
			}
		}
		{ // test_it_handles_missing_check: the UUID view's 404 is never_cache'd, without CORS.
			a := e.get("/ping/07c2f548-9850-4b27-af5d-6c9dc157ec02/")
			expect(t, "missing check", a, 404, "not found")
			if a.header.Get("Cache-Control") != neverCacheValue || a.header.Get("Access-Control-Allow-Origin") != "" ||
				a.header.Get("Ping-Body-Limit") != "" || a.header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("missing check: headers %v", a.header)
			}
		}
		{ // test_it_handles_120_char_ua, test_it_truncates_long_ua
			ua := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.89 Safari/537.36"
			c := e.newCheck(nil)
			expect(t, "120-char UA", e.do("GET", url(c), nil, map[string]string{"User-Agent": ua}), 200, "OK")
			if p := e.onePing("120-char UA", c); p.UA != ua {
				t.Errorf("UA stored as %q", p.UA)
			}
			long := strings.Repeat("01234567890", 30)
			c = e.newCheck(nil)
			expect(t, "long UA", e.do("GET", url(c), nil, map[string]string{"User-Agent": long}), 200, "OK")
			if p := e.onePing("long UA", c); p.UA != long[:200] {
				t.Errorf("long UA stored as %q", p.UA)
			}
			// Characters, not bytes.
			wide := strings.Repeat("ä", 250)
			c = e.newCheck(nil)
			expect(t, "non-ASCII UA", e.do("GET", url(c), nil, map[string]string{"User-Agent": wide}), 200, "OK")
			if p := e.onePing("non-ASCII UA", c); p.UA != strings.Repeat("ä", 200) {
				t.Errorf("non-ASCII UA stored as %d bytes", len(p.UA))
			}
		}
		// test_it_reads_forwarded_ip, _ipv6_ip, _first_forwarded_ip,
		// test_it_handles_forwarded_ip_plus_port, _ipv4_mapped_ipv6_address.
		for _, tc := range []struct{ xff, want string }{
			{"1.1.1.1", "1.1.1.1"},
			{"2001::1", "2001::1"},
			{"1.1.1.1, 2.2.2.2", "1.1.1.1"},
			{"1.1.1.1:1234", "1.1.1.1"},
			{"::ffff:1.1.1.1", "::ffff:1.1.1.1"},
			{"[2001::1]:80", "[2001::1]:80"}, // not a.b.c.d:port: kept as it is
			{"1.1.1.1 ,2.2.2.2", "1.1.1.1 "}, // the first item is not trimmed
			{"", ""},                         // present but empty: upstream stores NULL
		} {
			c := e.newCheck(nil)
			expect(t, "XFF "+tc.xff, e.do("GET", url(c), nil, map[string]string{"X-Forwarded-For": tc.xff}), 200, "OK")
			if p := e.onePing("XFF", c); p.RemoteAddr != tc.want {
				t.Errorf("X-Forwarded-For %q stored as %q, want %q", tc.xff, p.RemoteAddr, tc.want)
			}
		}
		{ // No X-Forwarded-For: the peer address.
			c := e.newCheck(nil)
			expect(t, "no XFF", e.get(url(c)), 200, "OK")
			if p := e.onePing("no XFF", c); p.RemoteAddr != "127.0.0.1" {
				t.Errorf("peer address stored as %q", p.RemoteAddr)
			}
		}
		{ // test_it_reads_forwarded_protocol; the raw value is stored.
			for proto, want := range map[string]string{"https": "https", "gopher": "gopher"} {
				c := e.newCheck(nil)
				expect(t, "proto", e.do("GET", url(c), nil, map[string]string{"X-Forwarded-Proto": proto}), 200, "OK")
				if p := e.onePing("proto", c); p.Scheme != want {
					t.Errorf("X-Forwarded-Proto %q stored as %q", proto, p.Scheme)
				}
			}
		}
		{ // test_it_never_caches
			c := e.newCheck(nil)
			if a := e.get(url(c)); !strings.Contains(a.header.Get("Cache-Control"), "no-cache") {
				t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
			}
		}
		{ // test_it_updates_confirmation_flag: set by any ping, cleared by the next.
			c := e.newCheck(nil)
			expect(t, "confirm", e.post(url(c), "Please Confirm ..."), 200, "OK")
			if got := e.reload(c); !got.HasConfirmationLink {
				t.Error("has_confirmation_link not set")
			}
			expect(t, "no confirm", e.post(url(c)+"/log", "nothing"), 200, "OK")
			if got := e.reload(c); got.HasConfirmationLink {
				t.Error("has_confirmation_link not cleared")
			}
		}
		{ // test_fail_endpoint_works
			c := e.newCheck(nil)
			expect(t, "fail", e.get(url(c)+"/fail"), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusDown || got.AlertAfter != nil {
				t.Errorf("fail: status %s alert_after %v", got.Status, got.AlertAfter)
			}
			if p := e.onePing("fail", c); p.Kind != model.PingFail {
				t.Errorf("fail: kind %q", p.Kind)
			}
			flips, err := e.st.ListFlips(ctx, c.ID)
			if err != nil || len(flips) != 1 || flips[0].OldStatus != model.StatusNew || flips[0].NewStatus != model.StatusDown ||
				flips[0].Reason != "fail" {
				t.Errorf("fail: flips %+v %v", flips, err)
			}
			// And back up: a flip with an empty reason.
			expect(t, "recover", e.get(url(c)), 200, "OK")
			flips, _ = e.st.ListFlips(ctx, c.ID)
			if len(flips) != 2 || flips[0].OldStatus != model.StatusDown || flips[0].NewStatus != model.StatusUp || flips[0].Reason != "" {
				t.Errorf("recover: flips %+v", flips)
			}
		}
		{ // test_start_endpoint_works
			lastPing := time.Now().Add(-2 * time.Hour)
			c := e.newCheck(func(c *model.Check) { c.LastPing, c.Status = ptime(lastPing), model.StatusUp })
			before := e.reload(c)
			expect(t, "start", e.get(url(c)+"/start"), 200, "OK")
			got := e.reload(c)
			if got.LastStart == nil || got.LastPing == nil || !got.LastPing.Equal(*before.LastPing) || got.Status != model.StatusUp {
				t.Errorf("start: last_start %v last_ping %v (was %v)", got.LastStart, got.LastPing, before.LastPing)
			}
			if p := e.onePing("start", c); p.Kind != model.PingStart {
				t.Errorf("start: kind %q", p.Kind)
			}
			// A new check stays new, and no flip is made.
			n := e.newCheck(nil)
			expect(t, "start new", e.get(url(n)+"/start"), 200, "OK")
			if got := e.reload(n); got.Status != model.StatusNew || got.LastPing != nil {
				t.Errorf("start on a new check: %s %v", got.Status, got.LastPing)
			}
			if flips, _ := e.st.ListFlips(ctx, n.ID); len(flips) != 0 {
				t.Errorf("start made flips %+v", flips)
			}
		}
		{ // test_start_does_not_change_status_of_paused_check
			c := e.newCheck(func(c *model.Check) { c.Status = model.StatusPaused })
			expect(t, "start paused", e.get(url(c)+"/start"), 200, "OK")
			if got := e.reload(c); got.LastStart == nil || got.Status != model.StatusPaused {
				t.Errorf("start paused: %s %v", got.Status, got.LastStart)
			}
		}
		{ // test_start_sets_last_start_rid, test_it_saves_run_id
			rid := uuid.NewString()
			c := e.newCheck(nil)
			expect(t, "start rid", e.get(url(c)+"/start?rid="+rid), 200, "OK")
			if got := e.reload(c); got.LastStart == nil || got.LastStartRID != rid {
				t.Errorf("start rid: %v %q", got.LastStart, got.LastStartRID)
			}
			if p := e.onePing("start rid", c); p.RID != rid {
				t.Errorf("ping rid %q", p.RID)
			}
		}
		{ // test_it_accepts_uppercase_rid
			rid := "04603D8B-EDF4-4E85-8F61-24BEDBCAAB59"
			c := e.newCheck(nil)
			expect(t, "uppercase rid", e.get(url(c)+"/start?rid="+rid), 200, "OK")
			if got := e.reload(c); got.LastStart == nil || got.LastStartRID != strings.ToLower(rid) {
				t.Errorf("uppercase rid: %q", got.LastStartRID)
			}
		}
		{ // test_it_sets_last_duration
			c := e.newCheck(func(c *model.Check) { c.LastStart = ptime(time.Now().Add(-10 * time.Second)) })
			expect(t, "duration", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.LastDuration == nil || *got.LastDuration < 10*time.Second || got.LastStart != nil {
				t.Errorf("duration: %v, last_start %v", got.LastDuration, got.LastStart)
			}
		}
		{ // test_it_does_not_update_last_ping_on_rid_mismatch
			c := e.newCheck(func(c *model.Check) {
				c.LastStart, c.LastStartRID = ptime(time.Now().Add(-10*time.Second)), uuid.NewString()
			})
			before := e.reload(c)
			expect(t, "rid mismatch", e.get(url(c)+"?rid="+uuid.NewString()), 200, "OK")
			if got := e.reload(c); got.LastStart == nil || !got.LastStart.Equal(*before.LastStart) || got.LastDuration != nil {
				t.Errorf("rid mismatch: last_start %v (was %v) duration %v", got.LastStart, before.LastStart, got.LastDuration)
			}
		}
		{ // test_it_clears_last_ping_and_sets_last_duration_if_rid_matches
			rid := uuid.NewString()
			c := e.newCheck(func(c *model.Check) { c.LastStart, c.LastStartRID = ptime(time.Now().Add(-10*time.Second)), rid })
			expect(t, "rid match", e.get(url(c)+"?rid="+rid), 200, "OK")
			if got := e.reload(c); got.LastStart != nil || got.LastDuration == nil || *got.LastDuration < 10*time.Second {
				t.Errorf("rid match: last_start %v duration %v", got.LastStart, got.LastDuration)
			}
		}
		{ // test_it_clears_last_ping_if_rid_is_absent
			c := e.newCheck(func(c *model.Check) {
				c.LastStart, c.LastStartRID = ptime(time.Now().Add(-10*time.Second)), uuid.NewString()
			})
			expect(t, "rid absent", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.LastStart != nil || got.LastDuration != nil {
				t.Errorf("rid absent: last_start %v duration %v", got.LastStart, got.LastDuration)
			}
		}
		{ // test_it_clears_last_ping_on_failure
			c := e.newCheck(func(c *model.Check) {
				c.LastStart, c.LastStartRID = ptime(time.Now().Add(-10*time.Second)), uuid.NewString()
			})
			expect(t, "fail other rid", e.get(url(c)+"/fail?rid="+uuid.NewString()), 200, "OK")
			if got := e.reload(c); got.LastStart != nil || got.LastDuration != nil {
				t.Errorf("fail other rid: last_start %v duration %v", got.LastStart, got.LastDuration)
			}
		}
		{ // test_it_requires_post
			c := e.newCheck(func(c *model.Check) { c.Methods = "POST" })
			expect(t, "requires post", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusNew || got.LastPing != nil || got.NPings != 1 {
				t.Errorf("requires post: %s %v n=%d", got.Status, got.LastPing, got.NPings)
			}
			if p := e.onePing("requires post", c); p.Scheme != "http" || p.Kind != model.PingIgnored {
				t.Errorf("requires post: ping %+v", p)
			}
			// HEAD and OPTIONS are not POST either; POST itself counts.
			for _, m := range []string{"HEAD", "OPTIONS", "PUT"} {
				e.do(m, url(c), nil, nil)
			}
			expect(t, "POST to POST-only", e.post(url(c), ""), 200, "OK")
			pings, _ := e.st.ListPings(ctx, c.ID, 10)
			if len(pings) != 5 || pings[0].Kind != model.PingSuccess || pings[1].Kind != model.PingIgnored || pings[3].Kind != model.PingIgnored {
				t.Errorf("POST-only kinds: %+v", pings)
			}
		}
		{ // test_it_handles_manual_resume_flag
			c := e.newCheck(func(c *model.Check) { c.Status, c.ManualResume = model.StatusPaused, true })
			expect(t, "manual resume", e.get(url(c)), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusPaused || got.NPings != 1 {
				t.Errorf("manual resume: %s n=%d", got.Status, got.NPings)
			}
			if p := e.onePing("manual resume", c); p.Scheme != "http" || p.Kind != model.PingIgnored {
				t.Errorf("manual resume: ping %+v", p)
			}
			// /fail and /start are ignored as well.
			expect(t, "manual resume fail", e.get(url(c)+"/fail"), 200, "OK")
			expect(t, "manual resume start", e.get(url(c)+"/start"), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusPaused || got.LastStart != nil {
				t.Errorf("manual resume after /fail and /start: %s %v", got.Status, got.LastStart)
			}
		}
		// test_zero_exit_status_works, test_nonzero_exit_status_works,
		// test_it_rejects_exit_status_over_255, and the rest of 0-255.
		for _, tc := range []struct {
			code   string
			status int
			kind   string
			exit   *int
			check  string
		}{
			{"0", 200, model.PingSuccess, intp(0), model.StatusUp},
			{"123", 200, model.PingFail, intp(123), model.StatusDown},
			{"1", 200, model.PingFail, intp(1), model.StatusDown},
			{"255", 200, model.PingFail, intp(255), model.StatusDown},
			{"000", 200, model.PingSuccess, intp(0), model.StatusUp},
			{"0255", 200, model.PingFail, intp(255), model.StatusDown},
			{"256", 400, "", nil, model.StatusNew},
			{"1000", 400, "", nil, model.StatusNew},
			{"18446744073709551617", 400, "", nil, model.StatusNew},
		} {
			c := e.newCheck(nil)
			a := e.get(url(c) + "/" + tc.code)
			if a.status != tc.status {
				t.Errorf("exit %s: %d %q", tc.code, a.status, a.body)
				continue
			}
			got := e.reload(c)
			if got.Status != tc.check {
				t.Errorf("exit %s: check status %s, want %s", tc.code, got.Status, tc.check)
			}
			if tc.status == 400 {
				expect(t, "exit "+tc.code, a, 400, "invalid url format")
				if a.header.Get("Cache-Control") != neverCacheValue || a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Ping-Body-Limit") != "" {
					t.Errorf("exit %s: headers %v", tc.code, a.header)
				}
				if e.countPings(c) != 0 {
					t.Errorf("exit %s recorded a ping", tc.code)
				}
				continue
			}
			if p := e.onePing("exit "+tc.code, c); p.Kind != tc.kind || !sameInt(p.ExitStatus, tc.exit) {
				t.Errorf("exit %s: kind %q exit %v", tc.code, p.Kind, p.ExitStatus)
			}
		}
		for _, path := range []string{"/-1", "/1.0", "/+1", "/0x1", "/1/", "/fail/", "/start/", "/log/", "/fail/1"} {
			c := e.newCheck(nil)
			if a := e.get(url(c) + path); a.status != 404 {
				t.Errorf("GET <uuid>%s: %d, want 404", path, a.status)
			}
			if e.countPings(c) != 0 {
				t.Errorf("GET <uuid>%s recorded a ping", path)
			}
		}
		{ // /<uuid>/FAIL is read as ping key <uuid> and slug "FAIL": the slug
			// view refuses uppercase before any lookup.
			c := e.newCheck(nil)
			expect(t, "uppercase action", e.get(url(c)+"/FAIL"), 400, "invalid url format")
			expect(t, "unknown action", e.get(url(c)+"/fails"), 404, "not found")
		}
		{ // test_it_accepts_bad_unicode
			c := e.newCheck(nil)
			body := []byte("Hello \xe9 World")
			expect(t, "bad unicode", e.do("POST", url(c), bytes.NewReader(body), nil), 200, "OK")
			if p := e.onePing("bad unicode", c); p.Method != "POST" || !bytes.Equal(p.Body, body) {
				t.Errorf("bad unicode: ping %+v", p)
			}
		}
		{ // test_log_endpoint_works
			c := e.newCheck(nil)
			expect(t, "log", e.post(url(c)+"/log", "hello"), 200, "OK")
			if got := e.reload(c); got.Status != model.StatusNew || got.AlertAfter != nil || got.LastPing != nil || got.NPings != 1 {
				t.Errorf("log: check %+v", got)
			}
			if p := e.onePing("log", c); p.Kind != model.PingLog || string(p.Body) != "hello" {
				t.Errorf("log: ping %+v", p)
			}
			if flips, _ := e.st.ListFlips(ctx, c.ID); len(flips) != 0 {
				t.Errorf("log made flips %+v", flips)
			}
		}
		{ // test_it_handles_invalid_rid: 400 after the check lookup, never_cache'd.
			c := e.newCheck(nil)
			for _, rid := range []string{"12345", "684e2e73-017e-465f-8149-d70b7c5aaa490", "", "684e2e73017e465f8149d70b7c5aaa49",
				"{684e2e73-017e-465f-8149-d70b7c5aaa49}", "684e2e73-017e-465f-8149-d70b7c5aaa4g"} {
				a := e.get(url(c) + "/start?rid=" + rid)
				expect(t, "rid "+rid, a, 400, "invalid uuid format")
				if a.header.Get("Cache-Control") != neverCacheValue || a.header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("rid %q: headers %v", rid, a.header)
				}
			}
			if e.countPings(c) != 0 {
				t.Error("invalid rids recorded pings")
			}
			// The last rid of the query string is the one used.
			rid := uuid.NewString()
			expect(t, "repeated rid", e.get(url(c)+"/start?rid=bad&rid="+rid), 200, "OK")
			if p := e.onePing("repeated rid", c); p.RID != rid {
				t.Errorf("repeated rid stored %q", p.RID)
			}
			expect(t, "repeated rid, bad last", e.get(url(c)+"/start?rid="+rid+"&rid=bad"), 400, "invalid uuid format")
		}
		// Keyword filters: test_it_handles_success_filter_match/_miss,
		// failure_filter_match/_miss, start_filter_match,
		// test_manual_resume_takes_precedence_over_keywords,
		// test_allowed_methods_takes_precedence_over_keywords,
		// test_it_handles_filter_default_fail, test_it_ignores_email_filters.
		for _, tc := range []struct {
			name   string
			mut    func(c *model.Check)
			method string
			path   string
			body   string
			kind   string
			exit   *int
		}{
			{"success match", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, "POST", "", "SUCCESS!", model.PingSuccess, nil},
			{"success miss", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, "POST", "", "hello world", model.PingIgnored, nil},
			{"failure match", func(c *model.Check) { c.FilterHTTPBody, c.FailureKw = true, "FAIL" }, "POST", "", "FAIL!", model.PingFail, nil},
			{"failure miss", func(c *model.Check) { c.FilterHTTPBody, c.FailureKw = true, "FAIL" }, "POST", "", "---", model.PingIgnored, nil},
			{"start match", func(c *model.Check) { c.FilterHTTPBody, c.StartKw = true, "START" }, "POST", "", "STARTING", model.PingStart, nil},
			{"manual resume first", func(c *model.Check) {
				c.FilterHTTPBody, c.SuccessKw, c.ManualResume, c.Status = true, "SUCCESS", true, model.StatusPaused
			}, "POST", "", "SUCCESS!", model.PingIgnored, nil},
			{"methods first", func(c *model.Check) { c.FilterHTTPBody, c.FilterDefaultFail, c.Methods = true, true, "POST" }, "GET", "", "", model.PingIgnored, nil},
			{"default fail", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw, c.FilterDefaultFail = true, "SUCCESS", true }, "POST", "", "no keywords", model.PingFail, nil},
			{"email filters", func(c *model.Check) {
				c.FilterSubject, c.FilterBody, c.SuccessKw, c.FilterDefaultFail = true, true, "SUCCESS", true
			}, "GET", "", "", model.PingSuccess, nil},
			// Failure keywords win over success and start; success over start.
			{"order", func(c *model.Check) { c.FilterHTTPBody, c.StartKw, c.SuccessKw, c.FailureKw = true, "a", "b", "c" }, "POST", "", "abc", model.PingFail, nil},
			{"order 2", func(c *model.Check) { c.FilterHTTPBody, c.StartKw, c.SuccessKw, c.FailureKw = true, "a", "b", "c" }, "POST", "", "ab", model.PingSuccess, nil},
			// Comma-separated, trimmed, empty items skipped, case-sensitive.
			{"list", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, " , ok ,done ," }, "POST", "", "all done", model.PingSuccess, nil},
			{"case", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "done" }, "POST", "", "DONE", model.PingIgnored, nil},
			{"only commas", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, " , ," }, "POST", "", "anything", model.PingIgnored, nil},
			// The filter overrides the URL: /log, /fail and exit codes (the
			// exit status is still stored).
			{"overrides log", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "ok" }, "POST", "/log", "ok", model.PingSuccess, nil},
			{"overrides fail", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "ok" }, "POST", "/fail", "ok", model.PingSuccess, nil},
			{"overrides exit", func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "ok" }, "POST", "/3", "ok", model.PingSuccess, intp(3)},
			{"overrides start", func(c *model.Check) { c.FilterHTTPBody, c.FailureKw = true, "ERR" }, "POST", "/start", "ERR", model.PingFail, nil},
			{"log ignored", func(c *model.Check) { c.FilterHTTPBody = true }, "POST", "/log", "text", model.PingIgnored, nil},
			// The body of a GET is read too.
			{"GET body", func(c *model.Check) { c.FilterHTTPBody, c.FailureKw = true, "ERR" }, "GET", "", "ERR", model.PingFail, nil},
		} {
			c := e.newCheck(tc.mut)
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			var a answer
			if body != nil {
				a = e.do(tc.method, url(c)+tc.path, body, nil)
			} else {
				a = e.do(tc.method, url(c)+tc.path, nil, nil)
			}
			expect(t, tc.name, a, 200, "OK")
			if p := e.onePing(tc.name, c); p.Kind != tc.kind || !sameInt(p.ExitStatus, tc.exit) {
				t.Errorf("%s: kind %q exit %v, want %q %v", tc.name, p.Kind, p.ExitStatus, tc.kind, tc.exit)
			}
		}
		{ // Every method is a ping (no preflight handling): OPTIONS, PUT, DELETE, PATCH.
			c := e.newCheck(nil)
			for _, m := range []string{"OPTIONS", "PUT", "DELETE", "PATCH"} {
				a := e.do(m, url(c), nil, nil)
				expect(t, m, a, 200, "OK")
				wantOKHeaders(t, m, a, "10000")
			}
			pings, _ := e.st.ListPings(ctx, c.ID, 10)
			if len(pings) != 4 || pings[0].Method != "PATCH" || pings[3].Method != "OPTIONS" || pings[0].N != 4 {
				t.Errorf("methods recorded %+v", pings)
			}
		}
		{ // /start, /fail and /log through the trailing-slash UUID form too.
			c := e.newCheck(nil)
			expect(t, "trailing slash", e.get(url(c)+"/"), 200, "OK")
			if p := e.onePing("trailing slash", c); p.Kind != model.PingSuccess {
				t.Errorf("trailing slash kind %q", p.Kind)
			}
		}
	})
}

// TestUpstreamPingBodyLimits ports test_it_chops_long_body (PING_BODY_LIMIT=5)
// and test_it_allows_unlimited_body (None).
func TestUpstreamPingBodyLimits(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 5)
		c := e.newCheck(nil)
		a := e.post("/ping/"+c.Code, "hello world")
		expect(t, "chopped", a, 200, "OK")
		wantOKHeaders(t, "chopped", a, "5")
		if p := e.onePing("chopped", c); p.Method != "POST" || string(p.Body) != "hello" {
			t.Errorf("chopped: ping %+v", p)
		}
		// Keywords are matched in the stored (cut) part only.
		kw := e.newCheck(func(c *model.Check) { c.FilterHTTPBody, c.FailureKw = true, "world" })
		expect(t, "keyword past the limit", e.post("/ping/"+kw.Code, "hello world"), 200, "OK")
		if p := e.onePing("keyword past the limit", kw); p.Kind != model.PingIgnored {
			t.Errorf("keyword past the limit: kind %q", p.Kind)
		}

		u := newPingEnv(t, engine, "", -1)
		c = u.newCheck(nil)
		a = u.post("/ping/"+c.Code, strings.Repeat("A", 20000))
		expect(t, "unlimited", a, 200, "OK")
		if _, ok := a.header["Ping-Body-Limit"]; ok {
			t.Errorf("Ping-Body-Limit sent with PING_BODY_LIMIT=None: %v", a.header)
		}
		if p := u.onePing("unlimited", c); len(p.Body) != 20000 {
			t.Errorf("unlimited: %d bytes stored", len(p.Body))
		}
	})
}

func TestUpstreamPingBySlug(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		ctx := context.Background()
		key := e.project.PingKey
		foo := e.newCheck(func(c *model.Check) { c.Name, c.Slug = "foo", "foo" })
		url := "/ping/" + key + "/foo"
		since := func(c model.Check, n int) []model.Ping {
			t.Helper()
			pings, err := e.st.ListPings(ctx, c.ID, n)
			if err != nil {
				t.Fatal(err)
			}
			return pings
		}

		// test_it_works
		a := e.get(url)
		expect(t, "slug", a, 200, "OK")
		wantOKHeaders(t, "slug", a, "10000") // includes test_it_never_caches
		if p := since(foo, 1); p[0].Kind != model.PingSuccess {
			t.Errorf("slug: kind %q", p[0].Kind)
		}
		// test_post_works
		expect(t, "slug post", e.post(url, "hello world"), 200, "OK")
		if p := since(foo, 1); p[0].Method != "POST" || string(p[0].Body) != "hello world" {
			t.Errorf("slug post: %+v", p[0])
		}
		// test_head_works
		expect(t, "slug head", e.do("HEAD", url, nil, nil), 200, "")
		if p := since(foo, 1); p[0].Method != "HEAD" {
			t.Errorf("slug head: %+v", p[0])
		}
		// test_fail_endpoint_works, test_start_endpoint_works,
		// test_zero_exit_status_works, test_nonzero_exit_status_works, and /log.
		for _, tc := range []struct {
			path string
			kind string
			exit *int
		}{
			{"/fail", model.PingFail, nil},
			{"/start", model.PingStart, nil},
			{"/0", model.PingSuccess, intp(0)},
			{"/123", model.PingFail, intp(123)},
			{"/log", model.PingLog, nil},
		} {
			expect(t, "slug"+tc.path, e.get(url+tc.path), 200, "OK")
			if p := since(foo, 1); p[0].Kind != tc.kind || !sameInt(p[0].ExitStatus, tc.exit) {
				t.Errorf("slug%s: kind %q exit %v", tc.path, p[0].Kind, p[0].ExitStatus)
			}
		}
		if got := e.reload(foo); got.NPings != 8 {
			t.Errorf("n_pings %d, want 8", got.NPings)
		}
		// Over 255 (after the lookup): the ping view's 400, never_cache'd.
		a = e.get(url + "/256")
		expect(t, "slug/256", a, 400, "invalid url format")
		if a.header.Get("Cache-Control") != neverCacheValue {
			t.Errorf("slug/256 headers %v", a.header)
		}

		// Refusals of the slug view itself carry neither never_cache nor CORS.
		refusal := func(what, path string, status int, body string) {
			t.Helper()
			a := e.get(path)
			expect(t, what, a, status, body)
			if a.header.Get("Cache-Control") != "" || a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Ping-Body-Limit") != "" {
				t.Errorf("%s: headers %v", what, a.header)
			}
		}
		// test_it_handles_wrong_ping_key
		refusal("wrong ping key", "/ping/rrrrrrrrrrrrrrrrrrrrrr/foo", 404, "not found")
		refusal("wrong ping key, create", "/ping/rrrrrrrrrrrrrrrrrrrrrr/foo?create=1", 404, "not found")
		// test_it_rejects_uppercase_slug (tested before the lookup)
		refusal("uppercase slug", url+"FOO", 400, "invalid url format")
		refusal("uppercase slug, wrong key", "/ping/rrrrrrrrrrrrrrrrrrrrrr/Foo/fail", 400, "invalid url format")
		// A slug longer than the column can name no check.
		refusal("101-char slug", "/ping/"+key+"/"+strings.Repeat("a", 101), 404, "not found")
		// test_auto_provisioning_is_off_by_default, and create must be exactly "1" (the last value counts).
		for _, q := range []string{"", "?create=true", "?create=0", "?create=1&create=0", "?create=%201", "?create=01"} {
			refusal("no create "+q, "/ping/"+key+"/bar"+q, 404, "not found")
		}
		if cs, _ := e.st.ChecksBySlug(ctx, e.project.ID, "bar"); len(cs) != 0 {
			t.Errorf("checks created without create=1: %+v", cs)
		}
		// No trailing-slash form for slugs.
		refusal("trailing slash", url+"/", 404, "not found")

		// test_it_handles_duplicates
		e.newCheck(func(c *model.Check) { c.Name, c.Slug = "dup", "dup" })
		e.newCheck(func(c *model.Check) { c.Name, c.Slug = "dup", "dup" })
		refusal("duplicates", "/ping/"+key+"/dup", 409, "ambiguous slug")
		refusal("duplicates, create", "/ping/"+key+"/dup/fail?create=1", 409, "ambiguous slug")

		// Slugs are per project: the same slug elsewhere is not a duplicate.
		other := model.Project{Code: uuid.NewString(), Name: "Other", OwnerID: e.owner.ID, PingKey: "otherotherotherotherot", BadgeKey: "other", Created: time.Now().UTC()}
		if err := e.st.CreateProject(ctx, &other); err != nil {
			t.Fatal(err)
		}
		elsewhere := model.NewCheck(other.ID, time.Now())
		elsewhere.Slug = "foo"
		if err := e.st.CreateCheck(ctx, &elsewhere, false); err != nil {
			t.Fatal(err)
		}
		expect(t, "same slug in another project", e.get(url), 200, "OK")
		if got := e.reload(elsewhere); got.NPings != 0 {
			t.Errorf("the other project's check was pinged")
		}

		// test_it_auto_provisions_missing_check: all of the project's
		// channels (and only those) are assigned.
		ch := e.addChannelTo(e.project.ID)
		e.addChannelTo(other.ID)
		a = e.get("/ping/" + key + "/new-one?create=1")
		expect(t, "create", a, 201, "Created")
		wantOKHeaders(t, "create", a, "10000")
		cs, err := e.st.ChecksBySlug(ctx, e.project.ID, "new-one")
		if err != nil || len(cs) != 1 {
			t.Fatalf("created: %+v %v", cs, err)
		}
		created := cs[0]
		if created.Name != "new-one" || created.Slug != "new-one" || created.NPings != 1 || created.Kind != model.KindSimple ||
			created.Timeout != 24*time.Hour || created.Grace != time.Hour || created.Status != model.StatusUp {
			t.Errorf("created check %+v", created)
		}
		if n := len(since(created, 10)); n != 1 {
			t.Errorf("created check has %d pings", n)
		}
		chans, err := e.st.ChannelsForCheck(ctx, created.ID)
		if err != nil || len(chans) != 1 || chans[0].ID != ch.ID {
			t.Errorf("created check's channels: %+v %v", chans, err)
		}
		// Once it exists, create=1 is an ordinary ping.
		expect(t, "create again", e.get("/ping/"+key+"/new-one?create=1"), 200, "OK")
		// create=1 with an action: the action is recorded.
		expect(t, "create with /start", e.get("/ping/"+key+"/started-one/start?create=0&create=1"), 201, "Created")
		if cs, _ := e.st.ChecksBySlug(ctx, e.project.ID, "started-one"); len(cs) != 1 || cs[0].LastStart == nil || cs[0].Status != model.StatusNew {
			t.Errorf("created by /start: %+v", cs)
		}
		// A bad rid still creates the check, then refuses the ping.
		expect(t, "create with a bad rid", e.get("/ping/"+key+"/rid-one?create=1&rid=x"), 400, "invalid uuid format")
		if cs, _ := e.st.ChecksBySlug(ctx, e.project.ID, "rid-one"); len(cs) != 1 || cs[0].NPings != 0 {
			t.Errorf("create with a bad rid: %+v", cs)
		}
	})
}

func (e *pingEnv) addChannelTo(projectID int64) model.Channel {
	e.t.Helper()
	ch := model.Channel{Code: uuid.NewString(), ProjectID: projectID, Kind: "email", Value: "x@example.org", Created: time.Now().UTC()}
	if err := e.st.CreateChannel(context.Background(), &ch); err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// TestUpstreamSlugCheckLimit ports test_auto_provisioning_limits_check_count:
// auto-provisioning may take the owner to twice the check limit, no further;
// a limit of 0 refuses every auto-created check.
func TestUpstreamSlugCheckLimit(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		ctx := context.Background()
		setLimit := func(n int) {
			e.owner.CheckLimit = n
			if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
				t.Fatal(err)
			}
		}
		setLimit(0)
		expect(t, "limit 0", e.get("/ping/"+e.project.PingKey+"/zero?create=1"), 404, "not found")

		setLimit(1)
		e.newCheck(func(c *model.Check) { c.Slug = "foo" })
		e.newCheck(func(c *model.Check) { c.Slug = "foo2" })
		// Two checks with a limit of 1: exactly twice the limit.
		expect(t, "at 2x the limit", e.get("/ping/"+e.project.PingKey+"/foo3?create=1"), 404, "not found")
		if cs, _ := e.st.ChecksBySlug(ctx, e.project.ID, "foo3"); len(cs) != 0 {
			t.Errorf("created over the limit: %+v", cs)
		}
		// Existing checks are still pinged.
		expect(t, "existing over the limit", e.get("/ping/"+e.project.PingKey+"/foo2?create=1"), 200, "OK")

		setLimit(2)
		expect(t, "under 2x the limit", e.get("/ping/"+e.project.PingKey+"/foo3?create=1"), 201, "Created")
	})
}

// TestUpstreamPingResponseBasics: every answer is Django's text/html with a
// Content-Length, also for HEAD; the 404 of an unknown path is not cached
// as a view's would be.
func TestUpstreamPingResponseBasics(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	c := e.newCheck(nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/ping/" + c.Code, 200},
		{"HEAD", "/ping/" + c.Code, 200},
		{"GET", "/ping/" + c.Code + "/256", 400},
		{"GET", "/ping/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 404},
		{"GET", "/ping/x", 404},
	} {
		req, _ := http.NewRequest(tc.method, e.base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Content-Length") == "" {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, resp.StatusCode, resp.Header)
		}
	}
	if a := e.get("/ping/x"); a.header.Get("Cache-Control") != "" {
		t.Errorf("resolver 404 has Cache-Control %q", a.header.Get("Cache-Control"))
	}
}
