package api_test

// Audit of the compatibility reference, §1 (ping API) and §7 (badges,
// Prometheus), against upstream's views: the rules that the ports in
// upstream_ping_test.go and upstream_badges_test.go leave unpinned. Each
// case names the reference rule it pins.

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/server"
)

// tooManyFields is a query string of 1001 fields: Django's
// DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000.
var tooManyFields = strings.Repeat("a=1&", 1000) + "b=2"

// TestSpecAuditPingQueryParsing: rid and create are read through Django's
// QueryDict (§1.4), where only "&" separates fields, ";" and malformed
// escapes are data, the last value counts, and more than 1000 fields is a
// Bad Request raised out of the view (so without never_cache).
func TestSpecAuditPingQueryParsing(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)
		url := "/ping/" + c.Code
		rid := uuid.NewString()
		for _, tc := range []struct {
			query  string
			status int
			body   string
			rid    string // stored rid when 200
		}{
			{"?rid=" + rid + ";x=1", 400, "invalid uuid format", ""},
			{"?x=1;rid=" + rid, 200, "OK", ""}, // one field named "x", no rid
			{"?rid=%zz", 400, "invalid uuid format", ""},
			{"?rid=" + strings.ReplaceAll(rid, "-", "%2D"), 200, "OK", rid},
			{"?rid=+" + rid, 400, "invalid uuid format", ""}, // "+" is a space
			{"?rid", 400, "invalid uuid format", ""},
			{"?rid=" + rid + "&&", 200, "OK", rid},
			// Python's "$" lets a trailing newline through upstream's
			// regex and UUID() then fails: a 500 there, a 400 here.
			{"?rid=" + rid + "%0A", 400, "invalid uuid format", ""},
		} {
			a := e.get(url + tc.query)
			expect(t, "GET "+tc.query, a, tc.status, tc.body)
			if tc.status == 200 {
				pings, _ := e.st.ListPings(context.Background(), c.ID, 1)
				if len(pings) != 1 || pings[0].RID != tc.rid {
					t.Errorf("%s: stored rid %+v, want %q", tc.query, pings, tc.rid)
				}
			}
		}

		// More than 1000 fields: Django's TooManyFieldsSent when the view
		// reads request.GET, i.e. after the check lookup (an unknown check
		// is still 404) and outside never_cache.
		a := e.get(url + "?" + tooManyFields)
		if a.status != 400 || !strings.Contains(a.body, "Bad Request (400)") || a.header.Get("Cache-Control") != "" ||
			a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("1001 fields: %d %q %v", a.status, a.body, a.header)
		}
		expect(t, "1001 fields, unknown check", e.get("/ping/"+uuid.NewString()+"?"+tooManyFields), 404, "not found")
		expect(t, "1000 fields", e.get(url+"?"+strings.Repeat("a=1&", 999)+"b=2"), 200, "OK")

		// The slug view reads ?create= only when the slug names no check.
		key := e.project.PingKey
		e.newCheck(func(c *model.Check) { c.Slug = "known" })
		for _, path := range []string{"/ping/" + key + "/unknown?", "/ping/zzzzzzzzzzzzzzzzzzzzzz/unknown?", "/ping/" + key + "/known?"} {
			if a := e.get(path + tooManyFields); a.status != 400 || !strings.Contains(a.body, "Bad Request (400)") || a.header.Get("Cache-Control") != "" {
				t.Errorf("%s + 1001 fields: %d %q %v", path, a.status, a.body, a.header)
			}
		}
		for _, tc := range []struct {
			slug, q string
			status  int
		}{
			{"semicolon", "?create=1;x", 404},
			{"escaped-semicolon", "?create=1%3B", 404},
			{"escaped-one", "?create=%31", 201},
			{"plus", "?create=+1", 404}, // " 1"
			{"no-value", "?create", 404},
			{"bad-escape-elsewhere", "?x=%zz&create=1", 201},
		} {
			if a := e.get("/ping/" + key + "/" + tc.slug + tc.q); a.status != tc.status {
				t.Errorf("create %s: %d %q, want %d", tc.q, a.status, a.body, tc.status)
			}
		}
	})
}

// TestSpecAuditPingBodyCap: ⚠ §1.3's request-size cap. Django refuses a body
// whose Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE (2,621,440, or
// PING_BODY_LIMIT when larger) with 400 rather than truncating it, also with
// PING_BODY_LIMIT=None; the refusal is an exception raised when the view
// reads the body, so it comes after the check lookup and the exit-status
// test, and carries no never_cache headers.
func TestSpecAuditPingBodyCap(t *testing.T) {
	t.Parallel()
	const djangoCap = 2621440
	forEachEngine(t, func(t *testing.T, engine string) {
		over := bytes.Repeat([]byte("z"), djangoCap+1)

		// PING_BODY_LIMIT=None: whole bodies are stored, but the cap stays.
		e := newPingEnv(t, engine, "", -1)
		c := e.newCheck(nil)
		a := e.do("POST", "/ping/"+c.Code, bytes.NewReader(over), nil)
		expect(t, "None, over the cap", a, 400, "request body too large")
		if a.header.Get("Cache-Control") != "" || a.header.Get("Expires") != "" || a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("over the cap: headers %v, want none of never_cache or CORS", a.header)
		}
		expect(t, "None, at the cap", e.do("POST", "/ping/"+c.Code, bytes.NewReader(over[:djangoCap]), nil), 200, "OK")
		if p := e.onePing("None, at the cap", c); len(p.Body) != djangoCap {
			t.Errorf("None: stored %d bytes, want all %d", len(p.Body), djangoCap)
		}
		// Order: the lookup (404) and the exit status (400) come first.
		expect(t, "unknown check, over the cap", e.do("POST", "/ping/"+uuid.NewString(), bytes.NewReader(over), nil), 404, "not found")
		expect(t, "exit 256, over the cap", e.do("POST", "/ping/"+c.Code+"/256", bytes.NewReader(over), nil), 400, "invalid url format")
		// The slug view too, and a slug check made by ?create=1 stays made.
		a = e.do("POST", "/ping/"+e.project.PingKey+"/big?create=1", bytes.NewReader(over), nil)
		expect(t, "create, over the cap", a, 400, "request body too large")
		if cs, _ := e.st.ChecksBySlug(context.Background(), e.project.ID, "big"); len(cs) != 1 || cs[0].NPings != 0 {
			t.Errorf("create over the cap: %+v", cs)
		}

		// PING_BODY_LIMIT above the cap raises the cap to the limit.
		const limit = 3_000_000
		big := newPingEnv(t, engine, "", limit)
		c = big.newCheck(nil)
		body := bytes.Repeat([]byte("y"), limit+1)
		a = big.do("POST", "/ping/"+c.Code, bytes.NewReader(body[:djangoCap+100]), nil)
		expect(t, "raised cap", a, 200, "OK")
		wantOKHeaders(t, "raised cap", a, "3000000")
		expect(t, "over the raised cap", big.do("POST", "/ping/"+c.Code, bytes.NewReader(body), nil), 400, "request body too large")
		if p := big.onePing("raised cap", c); len(p.Body) != djangoCap+100 {
			t.Errorf("raised cap: stored %d bytes", len(p.Body))
		}
	})
}

// TestSpecAuditPingBodyLimitZero: PING_BODY_LIMIT=0 stores no body and still
// sends "Ping-Body-Limit: 0" (upstream tests "is not None").
func TestSpecAuditPingBodyLimitZero(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 0)
	c := e.newCheck(nil)
	a := e.post("/ping/"+c.Code, "hello")
	expect(t, "limit 0", a, 200, "OK")
	wantOKHeaders(t, "limit 0", a, "0")
	if p := e.onePing("limit 0", c); len(p.Body) != 0 {
		t.Errorf("limit 0: body %q, want none", p.Body)
	}
}

// TestSpecAuditPingMethods: ⚠ §1.2. Any method is a ping, a browser's CORS
// preflight included, and there is no preflight handling: the answer is the
// plain "OK" with only Access-Control-Allow-Origin.
func TestSpecAuditPingMethods(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)
		a := e.do("OPTIONS", "/ping/"+c.Code, nil, map[string]string{
			"Origin": "https://example.net", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
		})
		expect(t, "preflight", a, 200, "OK")
		wantOKHeaders(t, "preflight", a, "10000")
		for _, h := range []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Allow"} {
			if v := a.header.Get(h); v != "" {
				t.Errorf("preflight answer has %s: %q", h, v)
			}
		}
		if got := e.reload(c); got.NPings != 1 || got.Status != model.StatusUp {
			t.Errorf("a preflight is a ping: n=%d status=%s", got.NPings, got.Status)
		}
		// A method no one has heard of is recorded as sent (CSRF-exempt,
		// unrestricted); longer than the column's 10 characters, it is cut
		// (upstream: a database error on PostgreSQL and MySQL).
		expect(t, "FROB", e.do("FROB", "/ping/"+c.Code+"/start", nil, nil), 200, "OK")
		expect(t, "long method", e.do("PROPPATCHXYZ", "/ping/"+c.Code+"/log", nil, nil), 200, "OK")
		// A POST with a CSRF-looking Origin and no token is still a ping.
		expect(t, "cross-site POST", e.do("POST", "/ping/"+c.Code, strings.NewReader("x"), map[string]string{
			"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}), 200, "OK")
		pings, _ := e.st.ListPings(context.Background(), c.ID, 10)
		if len(pings) != 4 || pings[2].Method != "FROB" || pings[2].Kind != model.PingStart || pings[1].Method != "PROPPATCHX" || pings[0].Method != "POST" {
			t.Errorf("methods recorded %+v", pings)
		}
	})
}

// TestSpecAuditPingNoRateLimit: §1.3, the open-source code has no rate limit
// on pings: many pings in a row to one check are all accepted and counted.
func TestSpecAuditPingNoRateLimit(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	c := e.newCheck(nil)
	for i := range 40 {
		if a := e.get("/ping/" + c.Code); a.status != 200 || a.body != "OK" {
			t.Fatalf("ping %d: %d %q", i+1, a.status, a.body)
		}
	}
	if got := e.reload(c); got.NPings != 40 {
		t.Errorf("n_pings %d, want 40", got.NPings)
	}
}

// TestSpecAuditPingRecordedFields: §1.4 details the ports do not cover.
func TestSpecAuditPingRecordedFields(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		for _, tc := range []struct {
			name string
			hdr  map[string][]string
			addr string
			prot string
			ua   string
		}{
			// ⚠ Not an address: upstream's PostgreSQL inet column fails the
			// insert (500); Overdue stores the text on every engine.
			{"garbage XFF", map[string][]string{"X-Forwarded-For": {"not-an-ip"}}, "not-an-ip", "http", ""},
			// Repeated headers: the WSGI server joins them with ","; the
			// first item is the first header's first item.
			{"two XFF headers", map[string][]string{"X-Forwarded-For": {"198.51.100.7", "203.0.113.1"}}, "198.51.100.7", "http", ""},
			{"XFF with port and list", map[string][]string{"X-Forwarded-For": {"198.51.100.7:4431,203.0.113.1"}}, "198.51.100.7", "http", ""},
			// The raw X-Forwarded-Proto, not the connection's scheme; cut to
			// the column's 10 characters (upstream: a database error on
			// PostgreSQL and MySQL).
			{"long proto", map[string][]string{"X-Forwarded-Proto": {"https-over-carrier-pigeon"}}, "127.0.0.1", "https-over", ""},
			{"empty proto", map[string][]string{"X-Forwarded-Proto": {""}}, "127.0.0.1", "", ""},
			{"UA", map[string][]string{"User-Agent": {"curl/8.5.0"}}, "127.0.0.1", "http", "curl/8.5.0"},
		} {
			c := e.newCheck(nil)
			req, _ := http.NewRequest("GET", e.base+"/ping/"+c.Code, nil)
			req.Header.Del("User-Agent")
			for k, vs := range tc.hdr {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			if tc.ua == "" {
				req.Header.Set("User-Agent", "") // Go's client sends none then
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d", tc.name, resp.StatusCode)
				continue
			}
			p := e.onePing(tc.name, c)
			if p.RemoteAddr != tc.addr || p.Scheme != tc.prot || p.UA != tc.ua {
				t.Errorf("%s: stored addr %q scheme %q ua %q, want %q %q %q", tc.name, p.RemoteAddr, p.Scheme, p.UA, tc.addr, tc.prot, tc.ua)
			}
		}
	})
}

// TestSpecAuditPingFilterBytes: ⚠ §1.3, upstream decodes the (cut) body as
// strict UTF-8 when filter_http_body is on and answers 500 on invalid input
// or a character cut at the limit; Overdue matches the bytes (README,
// "Upgrading from Healthchecks").
func TestSpecAuditPingFilterBytes(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 6)
	c := e.newCheck(func(c *model.Check) { c.FilterHTTPBody, c.SuccessKw = true, "ok" })
	// "okay é" cut at 6 bytes ends in half of "é".
	expect(t, "character cut at the limit", e.post("/ping/"+c.Code, "okay \xc3\xa9"), 200, "OK")
	expect(t, "invalid UTF-8", e.do("POST", "/ping/"+c.Code, bytes.NewReader([]byte("\xff ok")), nil), 200, "OK")
	pings, _ := e.st.ListPings(context.Background(), c.ID, 10)
	if len(pings) != 2 || pings[0].Kind != model.PingSuccess || pings[1].Kind != model.PingSuccess || string(pings[1].Body) != "okay \xc3" {
		t.Errorf("pings %+v", pings)
	}
}

// TestSpecAuditMetricsDisabled: §7.2/§8.1 PROMETHEUS_ENABLED=False. The URL
// patterns stay; require_setting answers 404 with an empty body before the
// key is looked at; unsafe methods still meet the CSRF middleware first and
// the slash redirect still happens.
func TestSpecAuditMetricsDisabled(t *testing.T) {
	t.Parallel()
	h := server.Handler(server.Options{Groups: []server.Group{server.Compat(server.Surfaces{Metrics: api.NewDisabledMetrics()})}})
	const proj = "11111111-2222-4333-8444-555555555555"
	do := func(method, path, authz string) (int, string, http.Header) {
		req := httptest.NewRequest(method, "http://localhost"+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header()
	}
	for _, path := range []string{"/projects/" + proj + "/metrics/" + upRO, "/projects/" + proj + "/checks/metrics/short",
		"/projects/" + proj + "/metrics/"} {
		if code, body, hdr := do("GET", path, ""); code != 404 || body != "" || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: %d %q %v, want an empty 404", path, code, body, hdr)
		}
		if code, body, _ := do("POST", path, "Bearer "+upRO); code != 403 || !strings.Contains(body, "CSRF") {
			t.Errorf("POST %s: %d %q, want the CSRF 403", path, code, body)
		}
	}
	if code, body, _ := do("GET", "/projects/"+proj+"/metrics/"+upRO+"/", ""); code != 404 || body == "" {
		t.Errorf("unmatched path: %d %q, want the 404 page", code, body)
	}
	if code, _, hdr := do("GET", "/projects/"+proj+"/metrics", ""); code != 301 || hdr.Get("Location") != "/projects/"+proj+"/metrics/" {
		t.Errorf("no slash: %d %v", code, hdr)
	}
}

// TestSpecAuditBadgeMethodsBeforeLookup: §7.1, the CSRF refusal comes before
// the view, so an unknown check badge key or a bad signature makes no
// difference to a POST, and a HEAD (safe) reaches the cors decorator's 405.
func TestSpecAuditBadgeMethodsBeforeLookup(t *testing.T) {
	t.Parallel()
	e := newBadgeEnv(t, "sqlite")
	c := e.add(nil)
	for _, path := range []string{"/b/3/" + c.BadgeKey + ".svg", "/b/3/" + uuid.NewString() + ".json", "/b/3/" + c.BadgeKey + ".png",
		"/badge/" + e.proj.BadgeKey + "/" + e.sig("*") + ".svg", "/badge/" + e.proj.BadgeKey + "/XXXXXXXX/t.json"} {
		if r := e.do("POST", path, nil); r.code != 403 {
			t.Errorf("POST %s: %d, want 403", path, r.code)
		}
		if r := e.do("FROB", path, nil); r.code != 403 {
			t.Errorf("FROB %s: %d, want 403", path, r.code)
		}
		if r := e.do("HEAD", path, nil); r.code != 405 {
			t.Errorf("HEAD %s: %d, want 405", path, r.code)
		}
	}
	// A badge needs no authentication and is served to any origin.
	r := e.do("GET", "/b/3/"+c.BadgeKey+".json", map[string]string{"Origin": "https://elsewhere.example"})
	if r.code != 200 || r.hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("cross-origin GET: %d %v", r.code, r.hdr)
	}
}

// TestSpecAuditSlugLimitAcrossProjects: §1.8, the 2 × check_limit bound on
// ?create=1 counts the owner's checks in all of their projects.
func TestSpecAuditSlugLimitAcrossProjects(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		ctx := context.Background()
		e.owner.CheckLimit = 2
		if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
			t.Fatal(err)
		}
		other := model.Project{Code: uuid.NewString(), Name: "Other", OwnerID: e.owner.ID, PingKey: "otherotherotherotherot", BadgeKey: "other", Created: e.project.Created}
		if err := e.st.CreateProject(ctx, &other); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			c := model.NewCheck(other.ID, e.project.Created)
			if err := e.st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
		}
		// 3 checks elsewhere, limit 2: one more may be made (4 = 2 × 2), no more.
		expect(t, "fourth check", e.get("/ping/"+e.project.PingKey+"/four?create=1"), 201, "Created")
		expect(t, "fifth check", e.get("/ping/"+e.project.PingKey+"/five?create=1"), 404, "not found")
		expect(t, "fifth check, other project", e.get("/ping/"+other.PingKey+"/five?create=1"), 404, "not found")
	})
}
