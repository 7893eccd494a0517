package web_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/trello"
)

// Trello hands its token to the browser only, in the return URL's
// fragment: static/fragment.js must post it, with the page's state, to
// the server, which then offers the boards' lists. Run in headless
// Chromium (OVERDUE_TEST_BROWSER=1 makes a missing browser a failure).
func TestBrowserTrelloFragment(t *testing.T) {
	path, err := exec.LookPath("/usr/bin/chromium")
	if err != nil {
		if os.Getenv("OVERDUE_TEST_BROWSER") == "1" {
			t.Fatal("OVERDUE_TEST_BROWSER=1 but no Chromium at /usr/bin/chromium")
		}
		t.Skip("no Chromium here")
	}
	tr := newFakeProvider(t, map[string]notifytest.Reply{"GET /1/members/me/boards": {Status: 200, Body: trelloBoards}})
	s := newAppSite(t, map[string]string{"TRELLO_APP_KEY": "k3y"}, patchKind("trello", trello.OAuth("https://trello.com", tr.URL)))

	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0], chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })

	if err := chromedp.Do(ctx, chromedp.Navigate(s.e.base+"/accounts/login/"), chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "alice@example.org"), chromedp.SendKeys(`#password`, "correct horse"), chromedp.Submit(`#password`),
		chromedp.WaitVisible(`main`), chromedp.Navigate(s.e.base+"/projects/"+s.p.Code+"/add_trello/"), chromedp.WaitVisible(`a.button.primary`)); err != nil {
		t.Fatalf("log in and open the add page: %v", err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a.button.primary").href`))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	back, err := url.Parse(u.Query().Get("return_url"))
	if err != nil {
		t.Fatal(err)
	}
	// Trello's redirect, pointed at the test server.
	ret := s.e.base + "/integrations/add_trello/settings/?" + back.RawQuery + "#token=ATTAbrowser"
	if err := chromedp.Do(ctx, chromedp.Navigate(ret), chromedp.WaitVisible(`#f-option`)); err != nil {
		t.Fatalf("the fragment page did not lead to the lists: %v", err)
	}
	opts2, err := chromedp.Run(ctx, chromedp.Text(`#f-option`))
	if err != nil || !strings.Contains(opts2, "Ops / Incidents") {
		t.Errorf("options %q %v", opts2, err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if strings.Contains(loc, "ATTAbrowser") {
		t.Errorf("the token stayed in the address: %s", loc)
	}
	if reqs := tr.take(); len(reqs) != 1 || !strings.Contains(reqs[0].URI, "token=ATTAbrowser") {
		t.Errorf("Trello requests %+v", reqs)
	}
}
