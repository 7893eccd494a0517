package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// capturedRequest is one request of a testdata/clients/*.http file.
type capturedRequest struct {
	name string
	raw  string // with LF line ends, placeholders not yet filled in
}

// loadCaptured reads a capture file: "#" comment lines, then requests that
// each start with a "### name" line.
func loadCaptured(t *testing.T, path string) []capturedRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []capturedRequest
	for _, block := range strings.Split(string(b), "\n### ")[1:] {
		name, raw, _ := strings.Cut(block, "\n")
		out = append(out, capturedRequest{name, raw})
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no requests", path)
	}
	return out
}

// send fills in the placeholders and writes the request byte for byte to a
// new connection to srv, then reads the response. The placeholders' values
// have the captured values' lengths, so Content-Length stays right.
func send(t *testing.T, srv *httptest.Server, c capturedRequest, vars map[string]string) (*http.Response, string) {
	t.Helper()
	raw := c.raw
	for k, v := range vars {
		raw = strings.ReplaceAll(raw, "{{"+k+"}}", v)
	}
	head, body, ok := strings.Cut(raw, "\n\n")
	if !ok || strings.Contains(raw, "{{") {
		t.Fatalf("%s: malformed capture or unfilled placeholder:\n%s", c.name, raw)
	}
	n := 0
	for _, line := range strings.Split(head, "\n")[1:] {
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n > len(body) {
				t.Fatalf("%s: Content-Length %q for a %d-byte body", c.name, v, len(body))
			}
		}
	}
	if strings.TrimSpace(body[n:]) != "" {
		t.Fatalf("%s: %q after the body", c.name, body[n:])
	}
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"+body[:n]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(rb)
}

// clientEnv is a real server (router, API, ping writer) for replaying the
// captures, with SITE_ROOT http://hc.example.
type clientEnv struct {
	st   *store.Store
	srv  *httptest.Server
	proj model.Project
}

func newClientEnv(t *testing.T, engine string) *clientEnv {
	t.Helper()
	cache := schedule.NewCache(100)
	a := apptest.New(t, apptest.Options{Engine: engine, Writer: &ping.WriterOptions{AlertAfter: ping.ScheduleAlertAfter(cache, nil)},
		Surfaces: func(a *apptest.App) server.Surfaces {
			return server.Surfaces{Pings: api.NewPings(a.Store, a.Writer, 10000, nil, nil), API: api.NewAPI(api.APIDeps{Store: a.Store, SiteRoot: "http://hc.example", Cache: cache})}
		}})
	_, proj := newProject(t, a.Store, func(p *model.Project) { p.APIKey = auth.HashAPIKey(apiRW) })
	return &clientEnv{st: a.Store, srv: a.Server, proj: proj}
}

// tfCheck and tfChannel are go-healthchecksio v2.1.0's HealthcheckResponse
// and HealthcheckChannelResponse (healtcheck.go), field for field: what the
// Terraform provider reads from our answers.
type tfCheck struct {
	Channels    string `json:"channels,omitempty"`
	Description string `json:"desc,omitempty"`
	Grace       int    `json:"grace,omitempty"`
	LastPing    string `json:"last_ping,omitempty"`
	Methods     string `json:"methods,omitempty"`
	Name        string `json:"name,omitempty"`
	Slug        string `json:"slug,omitempty"`
	NextPing    string `json:"next_ping,omitempty"`
	PauseURL    string `json:"pause_url,omitempty"`
	Pings       int    `json:"n_pings,omitempty"`
	PingURL     string `json:"ping_url,omitempty"`
	Schedule    string `json:"schedule,omitempty"`
	Status      string `json:"status,omitempty"`
	Tags        string `json:"tags,omitempty"`
	Timeout     int    `json:"timeout,omitempty"`
	Timezone    string `json:"tz,omitempty"`
	UpdateURL   string `json:"update_url,omitempty"`
}

// id is the client's HealthcheckResponse.ID: the last segment of update_url.
func (c tfCheck) id() string {
	a := strings.Split(c.UpdateURL, "/")
	return a[len(a)-1]
}

type tfChannel struct {
	ID   string `json:"id,omitempty"`
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
}

// tfDecode does what the client's request() does with an answer: a status
// of 300 or more is an error carrying the JSON "error" field, anything else
// is decoded into v.
func tfDecode(t *testing.T, name string, resp *http.Response, body string, v any) {
	t.Helper()
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"error"`
		}
		err := json.Unmarshal([]byte(body), &e)
		t.Fatalf("%s: the client reports an error: %d %q (%v)", name, resp.StatusCode, e.Message, err)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: the client cannot decode %q: %v", name, body, err)
	}
}

// TestTerraformProviderRequests replays what terraform-provider-healthchecksio
// v2.3.0 sends through go-healthchecksio v2.1.0 (captured in testdata) and
// checks what the provider takes from each answer.
func TestTerraformProviderRequests(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); testTerraformProviderRequests(t, engine) })
	}
}

func testTerraformProviderRequests(t *testing.T, engine string) {
	e := newClientEnv(t, engine)
	ch := model.Channel{Code: "f8b6e2b4-6f1a-4d2c-9a57-3b1c2d4e5f60", ProjectID: e.proj.ID, Name: "Ops email", Kind: "email", Value: "ops@example.org"}
	if err := e.st.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	reqs := loadCaptured(t, "testdata/clients/terraform-provider-healthchecksio.http")
	if len(reqs) != 9 {
		t.Fatalf("%d captured requests, want 9", len(reqs))
	}
	vars := map[string]string{"api_key": apiRW, "channel": ch.Code}
	do := func(i int, v any) *http.Response {
		t.Helper()
		resp, body := send(t, e.srv, reqs[i], vars)
		if v != nil {
			tfDecode(t, reqs[i].name, resp, body, v)
		}
		return resp
	}

	// data "healthchecksio_channel" { kind = "email" } takes the first
	// channel of that kind and keeps its id, name and kind.
	var channels struct {
		Data []*tfChannel `json:"channels"`
	}
	do(0, &channels)
	if len(channels.Data) != 1 || *channels.Data[0] != (tfChannel{ID: ch.Code, Kind: "email", Name: "Ops email"}) {
		t.Errorf("channels: %+v", channels.Data)
	}

	// Create: the provider keeps ID() and then reads.
	var created tfCheck
	if resp := do(1, &created); resp.StatusCode != 201 {
		t.Errorf("create: %d", resp.StatusCode)
	}
	code := created.id()
	stored, err := e.st.CheckByCode(context.Background(), code)
	if err != nil {
		t.Fatalf("ID() %q (update_url %q) names no check: %v", code, created.UpdateURL, err)
	}
	want := tfCheck{Channels: ch.Code, Description: "An extended check", Grace: 120, Methods: "POST", Name: "test-extended-check",
		Slug: "test-extended", PauseURL: "http://hc.example/api/v1/checks/" + code + "/pause", PingURL: "http://hc.example/ping/" + code,
		Schedule: "0,30 2 * * *", Status: "new", Tags: "go gophers unite", Timezone: "Europe/Stockholm",
		UpdateURL: "http://hc.example/api/v1/checks/" + code}
	if created != want {
		t.Errorf("create answer as the client reads it:\n got %+v\nwant %+v", created, want)
	}
	if stored.Kind != model.KindCron || stored.Grace != 2*time.Minute || stored.TZ != "Europe/Stockholm" {
		t.Errorf("stored %+v", stored)
	}
	vars["check"] = code

	// Read: GetAll, then the check whose ID() matches.
	var list struct {
		Data []*tfCheck `json:"checks"`
	}
	do(2, &list)
	if len(list.Data) != 1 || *list.Data[0] != want {
		t.Errorf("read: %+v", list.Data)
	}

	// Update sends every field again; only grace changed.
	var updated tfCheck
	do(3, &updated)
	want.Grace = 300
	if updated != want {
		t.Errorf("update:\n got %+v\nwant %+v", updated, want)
	}
	var paused tfCheck
	do(4, &paused)
	if paused.Status != "paused" || paused.id() != code {
		t.Errorf("pause: %+v", paused)
	}
	// Delete answers with the check (its channels already unlinked); the
	// next read finds nothing, so the provider forgets the resource.
	var deleted tfCheck
	do(5, &deleted)
	if deleted.Name != "test-extended-check" || deleted.id() != code || deleted.Channels != "" {
		t.Errorf("delete: %+v", deleted)
	}
	list.Data = nil
	do(6, &list)
	if len(list.Data) != 0 {
		t.Errorf("read after delete: %+v", list.Data)
	}

	// test/minimal/main.tf: name and timeout, the provider's default grace.
	var minimal tfCheck
	if resp := do(7, &minimal); resp.StatusCode != 201 {
		t.Errorf("minimal create: %d", resp.StatusCode)
	}
	if minimal.Timeout != 86400 || minimal.Grace != 3600 || minimal.Channels != "" || minimal.Schedule != "" ||
		minimal.Slug != "test-bare-minimum-check" || minimal.Status != "new" || minimal.id() == code || len(minimal.id()) != 36 {
		t.Errorf("minimal: %+v", minimal)
	}

	// A wrong key: the client shows the "error" field.
	resp, body := send(t, e.srv, reqs[8], vars)
	var apiErr struct {
		Message string `json:"error"`
	}
	if resp.StatusCode != 401 || json.Unmarshal([]byte(body), &apiErr) != nil || apiErr.Message != "wrong api key" {
		t.Errorf("wrong key: %d %q", resp.StatusCode, body)
	}
}

// TestRunitorRequests replays what runitor sends around two runs of a check
// by UUID (success, then exit status 3) and one run of a check created by
// slug, and checks the answers runitor acts on (2xx, Ping-Body-Limit) and
// what was recorded.
func TestRunitorRequests(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) { t.Parallel(); testRunitorRequests(t, engine) })
	}
}

func testRunitorRequests(t *testing.T, engine string) {
	e := newClientEnv(t, engine)
	ctx := context.Background()
	c := model.NewCheck(e.proj.ID, time.Now())
	if err := e.st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	reqs := loadCaptured(t, "testdata/clients/runitor.http")
	if len(reqs) != 6 {
		t.Fatalf("%d captured requests, want 6", len(reqs))
	}
	vars := map[string]string{"check": c.Code, "ping_key": e.proj.PingKey}
	for i, r := range reqs {
		resp, body := send(t, e.srv, r, vars)
		// runitor treats 200 and 201 as success, retries 408/429/5xx and
		// gives up on anything else; it sizes its output buffer from the
		// start ping's Ping-Body-Limit (a uint32).
		wantCode, wantBody := 200, "OK"
		if i == 4 {
			wantCode, wantBody = 201, "Created"
		}
		if resp.StatusCode != wantCode || body != wantBody {
			t.Errorf("%s: %d %q, want %d %q", r.name, resp.StatusCode, body, wantCode, wantBody)
		}
		if v, err := strconv.ParseUint(resp.Header.Get("Ping-Body-Limit"), 10, 32); err != nil || v != 10000 {
			t.Errorf("%s: Ping-Body-Limit %q", r.name, resp.Header.Get("Ping-Body-Limit"))
		}
	}

	pings, err := e.st.ListPings(ctx, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		kind, rid, body string
		exit            int
	}
	var got []rec
	for _, p := range pings {
		exit := -1
		if p.ExitStatus != nil {
			exit = *p.ExitStatus
		}
		got = append(got, rec{p.Kind, p.RID, string(p.Body), exit})
		if !strings.HasPrefix(p.UA, "runitor/v1.4.1-build.5-6-g8c8b5f2 (") || p.Method != "POST" {
			t.Errorf("ping %d: ua %q method %q", p.N, p.UA, p.Method)
		}
	}
	run1, run2 := "7782d9b1-68f2-4a17-b6c2-713cdc673a2a", "84c2ef37-20b9-45d6-b5d3-9a8c5dd42cec"
	want := []rec{
		{model.PingFail, run2, "disk full\n\n[runitor] exit status 3", 3},
		{model.PingStart, run2, "", -1},
		{model.PingSuccess, run1, "backup done\n", -1},
		{model.PingStart, run1, "", -1},
	}
	if len(got) != len(want) {
		t.Fatalf("pings %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ping %d: %+v, want %+v", len(want)-i, got[i], want[i])
		}
	}
	after, _ := e.st.CheckByCode(ctx, c.Code)
	if after.Status != model.StatusDown || after.NPings != 4 || after.LastDuration == nil {
		t.Errorf("check after the runs: status %s, %d pings, last duration %v", after.Status, after.NPings, after.LastDuration)
	}

	// -create made the slug check, with the name and slug from the URL.
	made, err := e.st.ChecksBySlug(ctx, e.proj.ID, "db-dump")
	if err != nil || len(made) != 1 || made[0].Name != "db-dump" || made[0].NPings != 2 || made[0].Status != model.StatusUp {
		t.Fatalf("slug check: %+v %v", made, err)
	}
}
