package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/ping/", "/ping/abc", true},
		{"/ping/", "/ping/", true},
		{"/ping/", "/ping", false},
		{"/ping/", "/pingx/abc", false},
		{"/ping/", "/ping//abc/../x", true},
		{"/projects/*/metrics/", "/projects/0b6e/metrics/KEY", true},
		{"/projects/*/metrics/", "/projects/0b6e/metrics/", true},
		{"/projects/*/metrics/", "/projects/0b6e/metrics", false},
		{"/projects/*/metrics/", "/projects/0b6e/checks/", false},
		{"/projects/*/metrics/", "/projects//metrics/", true},
		{"/projects/*/metrics", "/projects/0b6e/metrics", true},
		{"/projects/*/metrics", "/projects/0b6e/metrics/", false},
		{"/projects/*/metrics", "/projects/0b6e/metricsx", false},
		{"/integrations/*/verify/", "/integrations/u/verify/tok/", true},
		{"/integrations/*/verify/", "/integrations/add_slack/", false},
		{"/", "/anything/at/all", true},
		{"/", "/", true},
		{"/accounts/login/", "/accounts/login/", true},
		{"/exact", "/exact", true},
		{"/exact", "/exact/", false},
		{"/exact", "/exac", false},
	}
	for _, tc := range cases {
		if got := compilePattern(tc.pattern).match(tc.path); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

// The compatibility surfaces claim only upstream's patterns; the UI group's
// "/" gets the rest, including the UI pages that share a first segment with
// a surface, and only the UI group's middleware runs for UI pages.
func TestGroupsRouteAndMiddlewareStaysInItsGroup(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.Header.Get("X-Group"))
		})
	}
	tag := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-Group", "ui-mw")
			next.ServeHTTP(w, r)
		})
	}
	h := Handler(Options{Groups: []Group{
		Compat(Surfaces{Pings: named("pings"), Metrics: named("metrics"), Integrations: named("integrations"),
			API: named("api"), Badges: named("badges")}),
		{Middleware: []func(http.Handler) http.Handler{tag}, Mounts: []Mount{{Pattern: "/", Handler: named("ui")}}},
	}})
	const u = "/projects/5ef6b4c0-8f8a-4bb3-a2a1-4e9e4f1f5a11"
	cases := map[string]string{
		"/ping/x":                             "pings ",
		u + "/metrics/0123456789abcdef":       "metrics ",
		u + "/metrics":                        "metrics ",
		u + "/checks/metrics/0123456789abcde": "metrics ",
		u + "/checks/":                        "ui ui-mw",
		u + "/integrations/":                  "ui ui-mw",
		"/integrations/add_slack/":            "ui ui-mw",
		"/integrations/x/verify/tok/":         "integrations ",
		"/integrations/x/unsub/tok/":          "integrations ",
		"/api/v3/checks/":                     "api ",
		"/badge/k/x.svg":                      "badges ",
		"/b/2/x.svg":                          "badges ",
		"/":                                   "ui ui-mw",
		"/accounts/login/":                    "ui ui-mw",
	}
	for path, want := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s served by %q, want %q", path, got, want)
		}
	}
}

func TestAccessLogRequestIDAndMasking(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if RequestID(r.Context()) == "" {
			t.Error("the handler sees no request id")
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "Created")
	})
	h := Handler(Options{BasePath: "/hc", Log: log, Groups: []Group{Compat(Surfaces{Pings: ok, Metrics: ok})}})

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/hc/ping/SECRETPINGKEY/backups?create=1", nil)
	req.Header.Set(RequestIDHeader, "proxy-id-123")
	h.ServeHTTP(rec, req)
	line := buf.String()
	if rec.Header().Get(RequestIDHeader) != "proxy-id-123" {
		t.Errorf("a proxy's request id was not kept: %q", rec.Header().Get(RequestIDHeader))
	}
	for _, want := range []string{"level=DEBUG", "path=/hc/ping/***/backups", "status=201", "bytes=7", "request_id=proxy-id-123"} {
		if !strings.Contains(line, want) {
			t.Errorf("ping log line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "SECRETPINGKEY") || strings.Contains(line, "create=1") {
		t.Errorf("the log line shows the ping key or the query: %q", line)
	}

	buf.Reset()
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/hc/projects/p/metrics/METRICSKEY", nil)
	req.Header.Set(RequestIDHeader, "bad id\nlevel=ERROR")
	h.ServeHTTP(rec, req)
	line = buf.String()
	id := rec.Header().Get(RequestIDHeader)
	if !validRequestID(id) || strings.Contains(id, " ") || len(id) != 16 {
		t.Errorf("a hostile request id was not replaced: %q", id)
	}
	if !strings.Contains(line, "level=INFO") || !strings.Contains(line, "path=/hc/projects/p/metrics/***") || strings.Contains(line, "METRICSKEY") {
		t.Errorf("metrics log line: %q", line)
	}

	// Unclaimed paths are logged (as the 404 they are) with their own path.
	buf.Reset()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hc/nowhere", nil))
	if line = buf.String(); !strings.Contains(line, "path=/hc/nowhere") || !strings.Contains(line, "status=404") {
		t.Errorf("404 log line: %q", line)
	}
}

// BenchmarkRouting measures what the handler tree adds to a ping (request
// id, access log at Debug while Info is enabled, routing over every
// mount) against the bare handler, in the same run.
func BenchmarkRouting(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "OK") })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tree := Handler(Options{Log: log, Groups: []Group{
		Compat(Surfaces{Pings: ok, API: ok, Badges: ok, Metrics: ok, Integrations: ok}),
		{Mounts: []Mount{{Pattern: "/", Handler: ok}}},
	}})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", ok}, {"tree", tree}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("POST", "/ping/5ef6b4c0-8f8a-4bb3-a2a1-4e9e4f1f5a11", nil)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
