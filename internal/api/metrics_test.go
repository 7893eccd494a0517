package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/promtool"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

const (
	metricsRO = "hcr_readonlyreadonlyreadonlyread"
	metricsRW = "hcw_readwritereadwritereadwriter"
)

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testMetricsEndpoint(t, engine)
		})
	}
}

func testMetricsEndpoint(t *testing.T, engine string) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := apptest.New(t, apptest.Options{Engine: engine, NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Metrics: api.NewMetrics(a.Store, schedule.NewCache(10), func() time.Time { return now }, nil)}
	}})
	_, proj := newProject(t, a.Store, func(p *model.Project) {
		p.APIKey, p.APIKeyReadonly = auth.HashAPIKey(metricsRW), auth.HashAPIKey(metricsRO)
	})
	add := func(name, tags, status string, lastPing, lastStart *time.Time) model.Check {
		return a.AddCheck(proj.ID, now, func(c *model.Check) {
			c.Name, c.Tags, c.Status, c.LastPing, c.LastStart = name, tags, status, lastPing, lastStart
		})
	}
	hourAgo, tenMinAgo, lateAgo := now.Add(-time.Hour), now.Add(-10*time.Minute), now.Add(-24*time.Hour-30*time.Minute)
	add("web \"front\"", "prod web", model.StatusUp, &hourAgo, &tenMinAgo)
	add(`db\main`, "prod", model.StatusDown, &hourAgo, nil)
	add("late", "", model.StatusUp, &lateAgo, nil)
	add("", "", model.StatusPaused, nil, nil)

	do := func(path, authz string) (int, string) {
		req := httptest.NewRequest("GET", "http://localhost"+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := a.Record(req)
		return rec.Code, rec.Body.String()
	}
	base := "/projects/" + proj.Code
	for _, tc := range []struct {
		path, authz string
		status      int
	}{
		{base + "/metrics/" + metricsRW, "", http.StatusForbidden},
		{base + "/metrics/hcr_wrongwrongwrongwrongwrongwro", "", http.StatusForbidden},
		{base + "/metrics/short", "", http.StatusBadRequest},
		{base + "/metrics/", "", http.StatusUnauthorized},
		{base + "/metrics/", "Basic " + metricsRO, http.StatusUnauthorized},
		{base + "/metrics/", "Bearer " + metricsRO + "x", http.StatusBadRequest},
		{"/projects/not-a-uuid/metrics/" + metricsRO, "", http.StatusNotFound},
	} {
		if status, _ := do(tc.path, tc.authz); status != tc.status {
			t.Errorf("GET %s (%q): %d, want %d", tc.path, tc.authz, status, tc.status)
		}
	}
	status, body := do(base+"/metrics/"+metricsRO, "")
	if status != 200 {
		t.Fatalf("metrics: %d %q", status, body)
	}
	// The UUID in the path is not checked, as upstream; the key decides.
	for _, path := range []string{"/projects/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee/checks/metrics/" + metricsRO} {
		if s, b := do(path, ""); s != 200 || b != body {
			t.Errorf("GET %s: %d, body differs: %v", path, s, b != body)
		}
	}
	if s, b := do(base+"/metrics/", "Bearer "+metricsRO); s != 200 || b != body {
		t.Errorf("bearer form: %d", s)
	}
	for _, want := range []string{
		"# TYPE hc_check_up gauge\n",
		`hc_check_up{name="web \"front\"", tags="prod web", unique_key="`,
		`hc_check_up{name="db\\main", tags="prod", unique_key="`,
		"hc_tag_up{tag=\"prod\"} 0\n",
		"hc_tag_up{tag=\"web\"} 1\n",
		"hc_checks_total 4\n",
		"hc_checks_down_total 1\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	for _, metric := range []string{"hc_check_up{", "hc_check_started{", "hc_check_grace{", "hc_check_paused{"} {
		if got := strings.Count(body, "\n"+metric); got != 4 {
			t.Errorf("%d %s rows, want one per check (4)", got, metric)
		}
	}
	if !strings.Contains(body, `hc_check_started{name="web \"front\"", tags="prod web", unique_key=`) || !strings.Contains(body, "hc_check_grace{name=\"late\"") {
		t.Errorf("rows missing:\n%s", body)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "hc_check_grace{name=\"late\"") && !strings.HasSuffix(line, " 1") {
			t.Errorf("late check not in grace: %s", line)
		}
		if strings.HasPrefix(line, "hc_check_paused{name=\"\"") && !strings.HasSuffix(line, " 1") {
			t.Errorf("paused check not paused: %s", line)
		}
		if strings.HasPrefix(line, "hc_check_started{name=\"web") && !strings.HasSuffix(line, " 1") {
			t.Errorf("started check not started: %s", line)
		}
	}
	promtoolCheck(t, body)
}

// promtoolCheck runs Prometheus's own linter on the output.
func promtoolCheck(t *testing.T, body string) { promtool.Check(t, body) }
