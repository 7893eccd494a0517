package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Liveness asks nothing; readiness asks the database; both answer any
// Host (probes use addresses), under SITE_ROOT's path, GET and HEAD only.
// /metrics exists only when a metrics handler is given, and keeps
// ALLOWED_HOSTS.
func TestHealthAndMetricsEndpoints(t *testing.T) {
	var dbErr error
	ready := func(context.Context) error { return dbErr }
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	ui := Group{Mounts: []Mount{{Pattern: "/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "ui:"+r.URL.Path, http.StatusNotFound)
	})}}}
	allowed := func(h string) bool { return h == "hc.example.org" }
	with := Handler(Options{BasePath: "/hc", HostAllowed: allowed, Ready: ready, Metrics: metrics, Groups: []Group{ui}})
	without := Handler(Options{BasePath: "/hc", HostAllowed: allowed, Ready: ready, Groups: []Group{ui}})
	cases := []struct {
		name   string
		h      http.Handler
		method string
		target string
		dbDown bool
		status int
		body   string
	}{
		{"liveness", with, "GET", "http://hc.example.org/hc/healthz", false, 200, "OK"},
		{"liveness, database down", with, "GET", "http://hc.example.org/hc/healthz", true, 200, "OK"},
		{"liveness by address", with, "GET", "http://10.0.0.7:8000/hc/healthz", false, 200, "OK"},
		{"liveness HEAD", with, "HEAD", "http://hc.example.org/hc/healthz", false, 200, ""},
		{"liveness POST", with, "POST", "http://hc.example.org/hc/healthz", false, 405, "method not allowed\n"},
		{"liveness outside SITE_ROOT's path", with, "GET", "http://hc.example.org/healthz", false, 404, ""},
		{"liveness with a slash", with, "GET", "http://hc.example.org/hc/healthz/", false, 404, "ui:/healthz/\n"},
		{"readiness", with, "GET", "http://hc.example.org/hc/readyz", false, 200, "OK"},
		{"readiness, database down", with, "GET", "http://hc.example.org/hc/readyz", true, 503, "database unavailable\n"},
		{"readiness by address", with, "GET", "http://127.0.0.1/hc/readyz", false, 200, "OK"},
		{"readiness DELETE", with, "DELETE", "http://hc.example.org/hc/readyz", false, 405, "method not allowed\n"},
		{"metrics", with, "GET", "http://hc.example.org/hc/metrics", false, 200, "metrics"},
		{"metrics, other host", with, "GET", "http://evil.example/hc/metrics", false, 400, ""},
		{"metrics off", without, "GET", "http://hc.example.org/hc/metrics", false, 404, "ui:/metrics\n"},
		{"a page, other host", with, "GET", "http://evil.example/hc/", false, 400, ""},
	}
	for _, tc := range cases {
		dbErr = nil
		if tc.dbDown {
			dbErr = errors.New("connection refused")
		}
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if rec.Code != tc.status || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		if tc.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow %q", tc.name, rec.Header().Get("Allow"))
		}
	}
}

// The operator's listener serves its three endpoints at the root whatever
// the host, and nothing else; health probes log at Debug.
func TestOpsHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := OpsHandler(OpsOptions{Log: log, Ready: func(context.Context) error { return nil },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/ping/x": 404, "/": 404,
		"/api/v3/checks/": 404, "/hc/healthz": 404, "/metrics/": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://10.1.2.3:9090"+path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
	log2 := buf.String()
	if strings.Contains(log2, "path=/healthz") || strings.Contains(log2, "path=/readyz") {
		t.Errorf("health probes logged at Info:\n%s", log2)
	}
	if !strings.Contains(log2, "path=/metrics") {
		t.Errorf("the scrape was not logged:\n%s", log2)
	}
}
