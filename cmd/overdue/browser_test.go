package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium (headless, through chromedp)
// against a real `overdue serve` child process: what a newcomer does in
// the first minutes, in a real browser, with the page's own scripts.
//
// scripts/test.sh installs Chromium and sets OVERDUE_TEST_BROWSER=1, which
// turns a missing browser into a failure; elsewhere the tests skip without
// one. OVERDUE_SCREENSHOTS=<dir> saves a screenshot of every main page in
// light and dark, desktop and phone width (docs/screenshots/ holds the
// README's).

func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("OVERDUE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("OVERDUE_TEST_BROWSER") == "1" {
		t.Fatal("OVERDUE_TEST_BROWSER=1 but no Chromium found (install Debian's chromium package)")
	}
	t.Skip("no Chromium here; scripts/test.sh installs it")
	return ""
}

// browser starts a headless Chromium with the flags this machine's closed
// network needs, and returns a tab's context.
func browser(t *testing.T) context.Context {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// do runs browser steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one browser action that answers something.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shots saves screenshots of the current page when OVERDUE_SCREENSHOTS is
// set: <name>-{light,dark}-{desktop,phone}.png.
func shots(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("OVERDUE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		for _, size := range []struct {
			name          string
			width, height int64
			mobile        bool
		}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			opts := []chromedp.EmulateViewportOption{}
			if size.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			do(t, ctx, "screenshot "+name, chromedp.EmulateViewport(size.width, size.height, opts...), chromedp.Sleep(150*time.Millisecond))
			png := value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, scheme, size.name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "reset the viewport", chromedp.EmulateReset())
}

// hookReceiver stands in for a webhook target.
type hookReceiver struct {
	mu  sync.Mutex
	got []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.got = append(h.got, r.Method+" "+r.URL.Path+" "+string(b))
	h.mu.Unlock()
}

func (h *hookReceiver) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// adminProject makes the browser tests' operator (admin@example.org,
// "correct horse") with createsuperuser and a project "Servers" with
// project create, and returns the project's JSON (uuid, api_key, ...).
func adminProject(t *testing.T, vars map[string]string) createdProject {
	t.Helper()
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "admin@example.org", "--password", "correct horse"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	return createProject(t, vars, "admin@example.org", "Servers")
}

func TestBrowserFirstMinutes(t *testing.T) {
	ctx := browser(t)
	vars := sqliteEnv(t)
	vars["INTEGRATIONS_ALLOW_PRIVATE_IPS"] = "True"
	keys := adminProject(t, vars)
	_, base := serveChild(t, vars)

	// A check to watch, made through the API as a script would.
	req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(`{"name": "nightly <b>backup</b>", "tags": "prod db", "timeout": 86400}`))
	req.Header.Set("X-Api-Key", keys.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var check struct{ UUID string }
	_ = json.NewDecoder(resp.Body).Decode(&check)
	resp.Body.Close()
	if resp.StatusCode != 201 || check.UUID == "" {
		t.Fatalf("create check: %d", resp.StatusCode)
	}

	// Log in.
	do(t, ctx, "open the site", chromedp.Navigate(base+"/"), chromedp.WaitVisible(`#email`))
	do(t, ctx, "log in",
		chromedp.SendKeys(`#email`, "admin@example.org"),
		chromedp.SendKeys(`#password`, "correct horse"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`ul.projects`),
	)
	if title := value(t, ctx, "title", chromedp.Title()); !strings.HasPrefix(title, "Projects") {
		t.Errorf("after log-in the title is %q", title)
	}

	// The dashboard: the check is new; a ping turns it up without a reload.
	row := `tr[data-code="` + check.UUID + `"]`
	do(t, ctx, "dashboard", chromedp.Navigate(base+"/projects/"+keys.UUID+"/checks/"), chromedp.WaitVisible(row+`.status-new`))
	if name := value(t, ctx, "check name", chromedp.Text(row+` td:nth-child(2) a`)); name != "nightly <b>backup</b>" {
		t.Errorf("the check's name reads %q (escaping?)", name)
	}
	// Mark the page, so that a reload would be noticed.
	value(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))
	if resp, err := http.Get(base + "/ping/" + check.UUID); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ping: %v", err)
	}
	do(t, ctx, "the check turns up on the open dashboard", chromedp.WaitVisible(row+`.status-up`))
	if !value(t, ctx, "reload mark", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the dashboard reloaded instead of updating in place")
	}

	// A webhook integration, and its test notification.
	hook := &hookReceiver{}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	do(t, ctx, "add a webhook",
		chromedp.Navigate(base+"/projects/"+keys.UUID+"/integrations/"),
		chromedp.WaitVisible(`a[href$="/add_webhook/"]`),
		chromedp.Click(`a[href$="/add_webhook/"]`),
		chromedp.WaitVisible(`#f-url_down`),
		chromedp.SendKeys(`#f-name`, "Receiver"),
		chromedp.SetValue(`#f-method_down`, "POST"),
		chromedp.SendKeys(`#f-url_down`, hsrv.URL+"/alert"),
		chromedp.SendKeys(`#f-body_down`, "$NAME went $STATUS"),
		chromedp.Submit(`#f-url_down`),
		chromedp.WaitVisible(`table.integrations`),
	)
	do(t, ctx, "send a test notification", chromedp.Click(`form[action$="/test/"] button`), chromedp.WaitVisible(`.flash`))
	if flash := value(t, ctx, "flash", chromedp.Text(`.flash`)); !strings.Contains(flash, "Test notification sent") {
		t.Errorf("after Test the page says %q", flash)
	}
	if got := hook.requests(); len(got) != 1 || got[0] != "POST /alert TEST went down" {
		t.Errorf("the receiver got %q", got)
	}

	// The details page updates itself too: a failure ping turns it down
	// and lists the ping, whose own page shows the body.
	details := base + "/checks/" + check.UUID + "/details/"
	do(t, ctx, "details", chromedp.Navigate(details), chromedp.WaitVisible(`#check-title.status-up`))
	value(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))
	if resp, err := http.Post(base+"/ping/"+check.UUID+"/fail", "text/plain", strings.NewReader("disk full <script>")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("fail ping: %v", err)
	}
	do(t, ctx, "the details page turns down", chromedp.WaitVisible(`#check-title.status-down`), chromedp.WaitVisible(`#events a[href$="/pings/2/"]`))
	if !value(t, ctx, "reload mark", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the details page reloaded instead of updating in place")
	}
	if n := value(t, ctx, "pings received", chromedp.Text(`#n-pings`)); n != "2" {
		t.Errorf("after the second ping the page counts %q pings", n)
	}
	shots(t, ctx, "details") // before the check is deleted below
	do(t, ctx, "open the ping", chromedp.Click(`#events a[href$="/pings/2/"]`), chromedp.WaitVisible(`pre.body`))
	if body := value(t, ctx, "ping body", chromedp.Text(`pre.body`)); body != "disk full <script>" {
		t.Errorf("the ping page shows the body %q", body)
	}

	// A cron schedule with its live preview, then pause and delete.
	do(t, ctx, "open the schedule form",
		chromedp.Navigate(details),
		// The form is folded in a <details>; a hidden radio cannot be clicked.
		chromedp.Click(chromedp.CSS(`details:has(form[action$="/timeout/"]) > summary`)),
		chromedp.Click(chromedp.CSS(`form[action$="/timeout/"] input[name=kind][value=cron]`)),
	)
	// Picking cron filled in "* * * * *"; empty it, then type.
	value(t, ctx, "clear the schedule", chromedp.Evaluate[string](`document.querySelector('form[action$="/timeout/"] textarea[name=schedule]').value = ""`))
	do(t, ctx, "type a cron expression",
		chromedp.SendKeys(chromedp.CSS(`form[action$="/timeout/"] textarea[name=schedule]`), "0 3 * * *"),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/timeout/"] .schedule-preview ol.runs li`)),
	)
	if first := value(t, ctx, "preview", chromedp.Text(chromedp.CSS(`form[action$="/timeout/"] .schedule-preview ol.runs li`))); !strings.Contains(first, "03:00") {
		t.Errorf("the first previewed run is %q, want 03:00", first)
	}
	do(t, ctx, "save the schedule", chromedp.Submit(chromedp.CSS(`form[action$="/timeout/"] textarea[name=schedule]`)), chromedp.WaitVisible(`#check-title`))
	if sched := value(t, ctx, "schedule", chromedp.Text(chromedp.CSS(`.facts dd`))); sched != "0 3 * * * (UTC)" {
		t.Errorf("after saving, the schedule reads %q", sched)
	}
	do(t, ctx, "pause", chromedp.Click(chromedp.CSS(`form[action$="/pause/"] button`)), chromedp.WaitVisible(chromedp.CSS(`#check-title.status-paused`)))
	do(t, ctx, "delete",
		chromedp.Click(chromedp.CSS(`details:has(form[action$="/remove/"]) > summary`)),
		chromedp.Click(chromedp.CSS(`form[action$="/remove/"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.counts`)),
	)
	if counts := value(t, ctx, "counts", chromedp.Text(chromedp.CSS(`p.counts`))); !strings.HasPrefix(counts, "0 checks") {
		t.Errorf("after the delete the dashboard counts %q", counts)
	}
	if resp, err := http.Get(base + "/ping/" + check.UUID); err != nil || resp.StatusCode != 404 {
		t.Errorf("a ping after the delete: %v %v, want 404", resp.StatusCode, err)
	}
	// A second project from the projects list, and a read-only API key for
	// it from its settings page, shown once.
	do(t, ctx, "create a project",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(`#project-name`),
		chromedp.SendKeys(`#project-name`, "Staging"),
		chromedp.Submit(`#project-name`),
		chromedp.WaitVisible(`.projectnav`),
	)
	if title := value(t, ctx, "title", chromedp.Title()); !strings.HasPrefix(title, "Staging") {
		t.Errorf("after creating a project the title is %q", title)
	}
	do(t, ctx, "project settings", chromedp.Click(`.projectnav a[href$="/settings/"]`), chromedp.WaitVisible(`#api-keys`))
	do(t, ctx, "create a read-only key", chromedp.Click(`button[name="create_key"][value="api_key_readonly"]`), chromedp.WaitVisible(`#key-created`))
	if key := value(t, ctx, "new key", chromedp.Text(`#key-created code`)); !strings.HasPrefix(key, "hcr_") || len(key) != 32 {
		t.Errorf("the new read-only key reads %q", key)
	}
	settingsURL := value(t, ctx, "settings URL", chromedp.Location())

	// Screenshots last, page by page, so that the emulated sizes cannot
	// change what the steps above click.
	for _, pg := range []struct{ name, path string }{
		{"projects", "/"}, {"checks", "/projects/" + keys.UUID + "/checks/"},
		{"integrations", "/projects/" + keys.UUID + "/integrations/"},
		{"add-webhook", "/projects/" + keys.UUID + "/add_webhook/"},
		{"settings", strings.TrimPrefix(settingsURL, base)},
	} {
		if os.Getenv("OVERDUE_SCREENSHOTS") == "" {
			break
		}
		do(t, ctx, "open "+pg.path, chromedp.Navigate(base+pg.path), chromedp.WaitVisible(`main`))
		shots(t, ctx, pg.name)
	}
}
