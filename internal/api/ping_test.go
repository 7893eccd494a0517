package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// pingEnv is a real server: router, ping writer and a fresh database.
type pingEnv struct {
	t       *testing.T
	st      *store.Store
	srv     *httptest.Server
	base    string // server URL + base path
	project model.Project
	owner   model.User
}

func newPingEnv(t *testing.T, engine, basePath string, bodyLimit int) *pingEnv {
	t.Helper()
	a := apptest.New(t, apptest.Options{Engine: engine, BasePath: basePath, Writer: &ping.WriterOptions{},
		HostAllowed: func(h string) bool { return !strings.HasPrefix(h, "evil.") },
		Surfaces: func(a *apptest.App) server.Surfaces {
			return server.Surfaces{Pings: api.NewPings(a.Store, a.Writer, bodyLimit, nil, nil)}
		}})
	owner, proj := newProject(t, a.Store, nil)
	return &pingEnv{t: t, st: a.Store, srv: a.Server, base: a.URL, project: proj, owner: owner}
}

func (e *pingEnv) newCheck(mut func(*model.Check)) model.Check {
	e.t.Helper()
	c := model.NewCheck(e.project.ID, time.Now())
	if mut != nil {
		mut(&c)
	}
	if err := e.st.CreateCheck(context.Background(), &c, false); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *pingEnv) reload(c model.Check) model.Check {
	e.t.Helper()
	got, err := e.st.CheckByCode(context.Background(), c.Code)
	if err != nil {
		e.t.Fatalf("reload %s: %v", c.Code, err)
	}
	return got
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (e *pingEnv) do(method, path string, body io.Reader, hdr map[string]string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

func (e *pingEnv) get(path string) answer { return e.do("GET", path, nil, nil) }

func expect(t *testing.T, what string, a answer, status int, body string) {
	t.Helper()
	if a.status != status || a.body != body {
		t.Errorf("%s: got %d %q, want %d %q", what, a.status, a.body, status, body)
	}
}

func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); fn(t, engine) })
	}
}

func TestPingByUUID(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)

		a := e.do("GET", "/ping/"+c.Code, nil, map[string]string{"User-Agent": "curl/8", "X-Forwarded-For": "203.0.113.9, 10.0.0.1", "X-Forwarded-Proto": "https"})
		expect(t, "GET /ping/<uuid>", a, 200, "OK")
		for k, want := range map[string]string{
			"Ping-Body-Limit":             "10000",
			"Access-Control-Allow-Origin": "*",
			"Cache-Control":               "max-age=0, no-cache, no-store, must-revalidate, private",
		} {
			if got := a.header.Get(k); got != want {
				t.Errorf("header %s = %q, want %q", k, got, want)
			}
		}
		got := e.reload(c)
		if got.Status != model.StatusUp || got.NPings != 1 || got.LastPing == nil || got.AlertAfter == nil {
			t.Fatalf("after one ping: status=%s n=%d last_ping=%v alert_after=%v", got.Status, got.NPings, got.LastPing, got.AlertAfter)
		}
		if want := got.LastPing.Add(c.Timeout + c.Grace); !got.AlertAfter.Equal(want) {
			t.Errorf("alert_after = %v, want %v", got.AlertAfter, want)
		}
		pings, err := e.st.ListPings(context.Background(), c.ID, 10)
		if err != nil || len(pings) != 1 {
			t.Fatalf("pings: %v %v", pings, err)
		}
		p := pings[0]
		if p.N != 1 || p.Kind != model.PingSuccess || p.Method != "GET" || p.Scheme != "https" || p.RemoteAddr != "203.0.113.9" || p.UA != "curl/8" {
			t.Errorf("recorded ping %+v", p)
		}

		for _, tc := range []struct {
			method, path string
			kind         string
			exit         *int
		}{
			{"POST", "/ping/" + c.Code + "/", model.PingSuccess, nil},
			{"HEAD", "/ping/" + c.Code + "/start", model.PingStart, nil},
			{"PUT", "/ping/" + c.Code + "/fail", model.PingFail, nil},
			{"DELETE", "/ping/" + c.Code + "/log", model.PingLog, nil},
			{"OPTIONS", "/ping/" + c.Code + "/0", model.PingSuccess, intp(0)},
			{"GET", "/ping/" + c.Code + "/1", model.PingFail, intp(1)},
			{"GET", "/ping/" + c.Code + "/255", model.PingFail, intp(255)},
			{"GET", "/ping/" + c.Code + "/007", model.PingFail, intp(7)},
		} {
			a := e.do(tc.method, tc.path, nil, nil)
			wantBody := "OK"
			if tc.method == "HEAD" {
				wantBody = ""
			}
			expect(t, tc.method+" "+tc.path, a, 200, wantBody)
			pings, _ := e.st.ListPings(context.Background(), c.ID, 1)
			if len(pings) != 1 || pings[0].Kind != tc.kind || pings[0].Method != tc.method || !sameInt(pings[0].ExitStatus, tc.exit) {
				t.Errorf("%s %s recorded %+v, want kind %q exit %v", tc.method, tc.path, pings, tc.kind, tc.exit)
			}
		}
		if got := e.reload(c); got.NPings != 9 || got.Status != model.StatusDown {
			t.Errorf("after 9 pings ending in /255: n=%d status=%s", got.NPings, got.Status)
		}
	})
}

func intp(n int) *int { return &n }

func sameInt(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func TestPingErrors(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)
		unknown := "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
		cases := []struct {
			path   string
			status int
			body   string
		}{
			{"/ping/" + unknown, 404, "not found"},
			{"/ping/" + unknown + "?rid=bad", 404, "not found"},
			{"/ping/" + unknown + "/256", 404, "not found"},
			{"/ping/" + c.Code + "/256", 400, "invalid url format"},
			{"/ping/" + c.Code + "/99999999999999999999999", 400, "invalid url format"},
			{"/ping/" + c.Code + "?rid=not-a-uuid", 400, "invalid uuid format"},
			{"/ping/" + c.Code + "?rid=", 400, "invalid uuid format"},
			{"/ping/" + c.Code + "?rid=aaaaaaaabbbb4ccc8dddeeeeeeeeeeee", 400, "invalid uuid format"},
			{"/ping/" + c.Code + "/256?rid=bad", 400, "invalid url format"},
			{"/ping/" + strings.ToUpper(c.Code), 404, "not found"},
			{"/ping/" + strings.ReplaceAll(c.Code, "-", ""), 404, "not found"},
			{"/ping/" + c.Code + "/fail/", 404, "not found"},
			{"/ping/" + c.Code + "/-1", 404, "not found"},
			{"/ping/" + c.Code + "/start/x/y", 404, "not found"},
			{"/ping/", 404, "not found"},
			{"/ping/%00", 404, "not found"},
		}
		for _, tc := range cases {
			a := e.get(tc.path)
			expect(t, "GET "+tc.path, a, tc.status, tc.body)
			if a.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: CORS header on a %d", tc.path, a.status)
			}
		}
		if got := e.reload(c); got.NPings != 0 {
			t.Errorf("refused pings were recorded: n_pings=%d", got.NPings)
		}
	})
}

func TestPingRunIDs(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)
		rid := "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
		expect(t, "start", e.get("/ping/"+c.Code+"/start?rid="+rid), 200, "OK")
		got := e.reload(c)
		if got.LastStart == nil || got.LastStartRID != strings.ToLower(rid) {
			t.Fatalf("after /start: last_start=%v rid=%q", got.LastStart, got.LastStartRID)
		}
		// A success of another run keeps the started one running.
		expect(t, "other run", e.get("/ping/"+c.Code+"?rid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"), 200, "OK")
		if got := e.reload(c); got.LastStart == nil || got.LastDuration != nil {
			t.Fatalf("other rid ended the run: last_start=%v duration=%v", got.LastStart, got.LastDuration)
		}
		expect(t, "same run", e.get("/ping/"+c.Code+"?rid="+strings.ToLower(rid)), 200, "OK")
		if got := e.reload(c); got.LastStart != nil || got.LastDuration == nil {
			t.Fatalf("matching rid did not end the run: last_start=%v duration=%v", got.LastStart, got.LastDuration)
		}
		pings, _ := e.st.ListPings(context.Background(), c.ID, 10)
		if len(pings) != 3 || pings[2].RID != strings.ToLower(rid) {
			t.Errorf("pings %+v, want the rid stored lowercase", pings)
		}
	})
}

func TestPingBodies(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		c := e.newCheck(nil)
		big := bytes.Repeat([]byte("x"), 20000)
		expect(t, "20 KB body", e.do("POST", "/ping/"+c.Code, bytes.NewReader(big), nil), 200, "OK")
		pings, _ := e.st.ListPings(context.Background(), c.ID, 1)
		if len(pings) != 1 || len(pings[0].Body) != 10000 {
			t.Fatalf("stored body of %d bytes, want 10000", len(pings[0].Body))
		}
		binary := []byte{0xff, 0xfe, 0, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xc3}
		expect(t, "binary body", e.do("POST", "/ping/"+c.Code+"/log", bytes.NewReader(binary), nil), 200, "OK")
		pings, _ = e.st.ListPings(context.Background(), c.ID, 1)
		if !bytes.Equal(pings[0].Body, binary) {
			t.Errorf("binary body stored as %q", pings[0].Body)
		}

		// Over the upload cap: refused whole, with or without Content-Length.
		huge := bytes.Repeat([]byte("y"), 2621441)
		expect(t, "over the cap", e.do("POST", "/ping/"+c.Code, bytes.NewReader(huge), nil), 400, "request body too large")
		chunked := io.MultiReader(bytes.NewReader(huge)) // not a *bytes.Reader: sent chunked
		expect(t, "over the cap, chunked", e.do("POST", "/ping/"+c.Code, chunked, nil), 400, "request body too large")
		if got := e.reload(c); got.NPings != 2 {
			t.Errorf("n_pings = %d after refused bodies, want 2", got.NPings)
		}
		// Exactly at the cap is accepted (and truncated).
		expect(t, "at the cap", e.do("POST", "/ping/"+c.Code, bytes.NewReader(huge[:2621440]), nil), 200, "OK")
	})
}

func TestPingBodyLimitNone(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", -1)
	c := e.newCheck(nil)
	a := e.do("POST", "/ping/"+c.Code, strings.NewReader(strings.Repeat("z", 50000)), nil)
	expect(t, "unlimited", a, 200, "OK")
	if a.header.Get("Ping-Body-Limit") != "" {
		t.Errorf("Ping-Body-Limit sent with PING_BODY_LIMIT=None")
	}
	pings, _ := e.st.ListPings(context.Background(), c.ID, 1)
	if len(pings[0].Body) != 50000 {
		t.Errorf("stored %d bytes, want all 50000", len(pings[0].Body))
	}
}

func TestPingBySlug(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, engine string) {
		e := newPingEnv(t, engine, "", 10000)
		key := e.project.PingKey
		expect(t, "unknown slug", e.get("/ping/"+key+"/backup"), 404, "not found")
		expect(t, "unknown key, create", e.get("/ping/zzzzzzzzzzzzzzzzzzzzzz/backup?create=1"), 404, "not found")
		expect(t, "create=true is not 1", e.get("/ping/"+key+"/backup?create=true"), 404, "not found")
		expect(t, "uppercase slug", e.get("/ping/"+key+"/Backup?create=1"), 400, "invalid url format")
		expect(t, "slug over 100 chars", e.get("/ping/"+key+"/"+strings.Repeat("a", 101)+"?create=1"), 400, "invalid url format")
		expect(t, "slug of exactly 100 chars", e.get("/ping/"+key+"/"+strings.Repeat("a", 100)+"?create=1"), 201, "Created")
		expect(t, "ping key of 5000 chars", e.get("/ping/"+strings.Repeat("k", 5000)+"/backup?create=1"), 404, "not found")

		a := e.get("/ping/" + key + "/backup?create=1")
		expect(t, "create", a, 201, "Created")
		if a.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("201 without CORS header")
		}
		checks, err := e.st.ChecksBySlug(context.Background(), e.project.ID, "backup")
		if err != nil || len(checks) != 1 {
			t.Fatalf("created checks: %v %v", checks, err)
		}
		c := checks[0]
		if c.Name != "backup" || c.Kind != model.KindSimple || c.Timeout != 24*time.Hour || c.Grace != time.Hour || c.Status != model.StatusUp || c.NPings != 1 {
			t.Errorf("auto-created check %+v", c)
		}
		expect(t, "existing", e.get("/ping/"+key+"/backup?create=1"), 200, "OK")
		expect(t, "start", e.get("/ping/"+key+"/backup/start"), 200, "OK")
		expect(t, "exit 3", e.get("/ping/"+key+"/backup/3"), 200, "OK")
		expect(t, "exit 256", e.get("/ping/"+key+"/backup/256"), 400, "invalid url format")
		expect(t, "trailing slash", e.get("/ping/"+key+"/backup/"), 404, "not found")
		if got := e.reload(c); got.NPings != 4 || got.Status != model.StatusDown {
			t.Errorf("after 4 slug pings: n=%d status=%s", got.NPings, got.Status)
		}

		// A slug that two checks share is ambiguous.
		e.newCheck(func(c *model.Check) { c.Slug = "dup" })
		e.newCheck(func(c *model.Check) { c.Slug = "dup" })
		expect(t, "ambiguous", e.get("/ping/"+key+"/dup"), 409, "ambiguous slug")

		// ?create=1 with an exit status over 255 still creates, then refuses the ping.
		expect(t, "create with 256", e.get("/ping/"+key+"/late-one/256?create=1"), 400, "invalid url format")
		if cs, _ := e.st.ChecksBySlug(context.Background(), e.project.ID, "late-one"); len(cs) != 1 || cs[0].NPings != 0 {
			t.Errorf("create with /256: %+v", cs)
		}
	})
}

func TestSlugCreateRespectsCheckLimit(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	e.owner.CheckLimit = 1
	if err := e.st.UpdateUser(context.Background(), &e.owner); err != nil {
		t.Fatal(err)
	}
	e.newCheck(nil)
	expect(t, "second check (2x limit allowed)", e.get("/ping/"+e.project.PingKey+"/two?create=1"), 201, "Created")
	expect(t, "third check", e.get("/ping/"+e.project.PingKey+"/three?create=1"), 404, "not found")
}

func TestPingCheckSettings(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	post := e.newCheck(func(c *model.Check) { c.Methods = "POST" })
	expect(t, "GET to a POST-only check", e.get("/ping/"+post.Code), 200, "OK")
	if got := e.reload(post); got.Status != model.StatusNew || got.NPings != 1 {
		t.Errorf("GET on POST-only: status=%s n=%d, want new/1 (ignored but logged)", got.Status, got.NPings)
	}
	pings, _ := e.st.ListPings(context.Background(), post.ID, 1)
	if pings[0].Kind != model.PingIgnored {
		t.Errorf("kind %q, want ign", pings[0].Kind)
	}
	kw := e.newCheck(func(c *model.Check) { c.FilterHTTPBody = true; c.FailureKw = "ERROR"; c.SuccessKw = "done" })
	expect(t, "failure keyword", e.do("POST", "/ping/"+kw.Code, strings.NewReader("ERROR: disk full"), nil), 200, "OK")
	if got := e.reload(kw); got.Status != model.StatusDown {
		t.Errorf("failure keyword: status %s", got.Status)
	}
	paused := e.newCheck(func(c *model.Check) { c.Status = model.StatusPaused; c.ManualResume = true })
	expect(t, "paused + manual resume", e.get("/ping/"+paused.Code), 200, "OK")
	if got := e.reload(paused); got.Status != model.StatusPaused {
		t.Errorf("paused manual-resume check changed to %s", got.Status)
	}
}

func TestPingUnderSiteRootPath(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "/hc", 10000)
	c := e.newCheck(nil)
	expect(t, "prefixed", e.get("/ping/"+c.Code), 200, "OK")
	resp, err := http.Get(e.srv.URL + "/ping/" + c.Code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unprefixed path answered %d, want 404", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + "/hcping/" + c.Code)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("/hcping answered %d, want 404", resp.StatusCode)
		}
	}
}

func TestPingRemoteAddr(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	c := e.newCheck(nil)
	for _, tc := range []struct{ xff, want string }{
		{"", "127.0.0.1"},
		{"192.0.2.1:8080", "192.0.2.1"},
		{"2001:db8::1, 192.0.2.1", "2001:db8::1"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
	} {
		hdr := map[string]string{}
		if tc.xff != "" {
			hdr["X-Forwarded-For"] = tc.xff
		}
		expect(t, "xff "+tc.xff, e.do("GET", "/ping/"+c.Code, nil, hdr), 200, "OK")
		pings, _ := e.st.ListPings(context.Background(), c.ID, 1)
		if pings[0].RemoteAddr != tc.want {
			t.Errorf("X-Forwarded-For %q recorded as %q, want %q", tc.xff, pings[0].RemoteAddr, tc.want)
		}
	}
}

func TestPingRejectsForeignHost(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	c := e.newCheck(nil)
	a := e.do("GET", "/ping/"+c.Code, nil, map[string]string{"Host": "evil.example"})
	if a.status != 400 {
		t.Errorf("foreign Host answered %d", a.status)
	}
	if got := e.reload(c); got.NPings != 0 {
		t.Error("a request for a foreign host was recorded")
	}
}

func TestPingDeletedCheck(t *testing.T) {
	t.Parallel()
	e := newPingEnv(t, "sqlite", "", 10000)
	c := e.newCheck(nil)
	expect(t, "first", e.get("/ping/"+c.Code), 200, "OK") // now cached
	if err := e.st.DeleteCheck(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	expect(t, "after delete", e.get("/ping/"+c.Code), 404, "not found")
}
