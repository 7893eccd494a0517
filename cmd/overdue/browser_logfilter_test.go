package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserEventLogFilters: on the events log, unticking a kind applies
// the filter at once (logfilter.js, allowed by the page's CSP) and the
// page lists only the other kinds.
func TestBrowserEventLogFilters(t *testing.T) {
	ctx := browser(t)
	vars := sqliteEnv(t)
	keys := adminProject(t, vars)
	_, base := serveChild(t, vars)
	req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(`{"name": "nightly"}`))
	req.Header.Set("X-Api-Key", keys.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var check struct{ UUID string }
	_ = json.NewDecoder(resp.Body).Decode(&check)
	resp.Body.Close()
	for _, path := range []string{"", "/fail", ""} { // pings 1 and 3 succeed, 2 fails
		if resp, err := http.Get(base + "/ping/" + check.UUID + path); err != nil || resp.StatusCode != 200 {
			t.Fatalf("ping %q: %v", path, err)
		}
	}
	do(t, ctx, "log in", chromedp.Navigate(base+"/accounts/login/"), chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "admin@example.org"), chromedp.SendKeys(`#password`, "correct horse"),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`header .who`))
	log := base + "/checks/" + check.UUID + "/log/"
	do(t, ctx, "open the log", chromedp.Navigate(log), chromedp.WaitVisible(`#log-filters`),
		chromedp.WaitVisible(`a[href$="/pings/3/"]`))
	do(t, ctx, "untick success", chromedp.Click(`#log-filters input[name=success]`), chromedp.WaitVisible(`#log-narrowed`))
	loc := value(t, ctx, "location", chromedp.Location())
	if !strings.Contains(loc, "filter=1") || strings.Contains(loc, "success=") || !strings.Contains(loc, "fail=on") {
		t.Errorf("after unticking success the log is at %q", loc)
	}
	got := value(t, ctx, "ping links", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('table.events a[href*="/pings/"]')).map(a => a.textContent)`))
	if len(got) != 1 || got[0] != "#2" {
		t.Errorf("the filtered log lists pings %q, want only #2", got)
	}
}
