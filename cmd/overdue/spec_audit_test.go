package main

// Audit of the compatibility reference §8.1 against the real `overdue serve`:
// the environment variables that change what the ping, badge and Prometheus
// endpoints answer (SITE_ROOT with a path, ALLOWED_HOSTS, PING_ENDPOINT,
// PING_BODY_LIMIT, SITE_NAME and MASTER_BADGE_LABEL, SECRET_KEY,
// PROMETHEUS_ENABLED).

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/api"
)

// auditServer is one `overdue serve` with its own database and project.
type auditServer struct {
	t      *testing.T
	base   string // scheme://addr, without SITE_ROOT's path
	prefix string // SITE_ROOT's path
	host   string // Host header to send; "" sends the listen address
	keys   createdProject
}

func startAuditServer(t *testing.T, prefix, host string, vars map[string]string) *auditServer {
	t.Helper()
	env := sqliteEnv(t)
	for k, v := range vars {
		env[k] = v
	}
	s := &auditServer{t: t, prefix: prefix, host: host}
	s.keys = createProject(t, env, "a@example.org", "P")
	s.base = serveInProcess(t, env)
	return s
}

// noRedirects shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type auditAnswer struct {
	status int
	body   string
	header http.Header
}

// do sends a request to SITE_ROOT's path + path.
func (s *auditServer) do(method, path string, body io.Reader, hdr map[string]string) auditAnswer {
	s.t.Helper()
	return s.doRaw(method, s.prefix+path, body, hdr)
}

// doRaw sends a request to path as given (no SITE_ROOT prefix).
func (s *auditServer) doRaw(method, path string, body io.Reader, hdr map[string]string) auditAnswer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.host != "" {
		req.Host = s.host
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return auditAnswer{resp.StatusCode, string(b), resp.Header}
}

func (s *auditServer) api(path string) map[string]any {
	s.t.Helper()
	a := s.do("GET", "/api/v3/"+path, nil, map[string]string{"X-Api-Key": s.keys.APIKey})
	if a.status != 200 {
		s.t.Fatalf("GET /api/v3/%s: %d %s", path, a.status, a.body)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil {
		s.t.Fatalf("GET /api/v3/%s: %v in %s", path, err, a.body)
	}
	return doc
}

// createCheck makes a check with ?create=1 and returns its API v3 object.
func (s *auditServer) createCheck(slug string) map[string]any {
	s.t.Helper()
	if a := s.do("GET", "/ping/"+s.keys.PingKey+"/"+slug+"?create=1", nil, nil); a.status != 201 || a.body != "Created" {
		s.t.Fatalf("create %s: %d %q", slug, a.status, a.body)
	}
	for _, c := range s.api("checks/?slug=" + slug)["checks"].([]any) {
		return c.(map[string]any)
	}
	s.t.Fatalf("no check %s", slug)
	return nil
}

// allBadge returns the path (after SITE_ROOT) and the badge key of the
// project's all-checks badge in the given format, as the badges/ API lists it.
func (s *auditServer) allBadge(siteRoot, format string) (path, badgeKey string) {
	s.t.Helper()
	u := s.api("badges/")["badges"].(map[string]any)["*"].(map[string]any)[format].(string)
	rest, ok := strings.CutPrefix(u, siteRoot)
	if !ok {
		s.t.Fatalf("badge URL %q is not under SITE_ROOT %q", u, siteRoot)
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/badge/"), "/")
	return rest, parts[0]
}

// TestSpecAuditSiteRootPath: SITE_ROOT's path (trailing slash stripped) is
// the prefix of every route; PING_ENDPOINT defaults to SITE_ROOT + /ping/;
// the default ALLOWED_HOSTS is SITE_ROOT's host (Overdue adds the loopback
// names, README "Configuration").
func TestSpecAuditSiteRootPath(t *testing.T) {
	s := startAuditServer(t, "/hc", "", map[string]string{"SITE_ROOT": "http://hc.example/hc/", "SECRET_KEY": "audit-secret"})
	c := s.createCheck("backup")
	code := c["uuid"].(string)
	if got := c["ping_url"]; got != "http://hc.example/hc/ping/"+code {
		t.Errorf("ping_url %q", got)
	}
	if a := s.do("GET", "/ping/"+code, nil, nil); a.status != 200 || a.body != "OK" || a.header.Get("Ping-Body-Limit") != "10000" {
		t.Errorf("prefixed ping: %d %q %v", a.status, a.body, a.header)
	}
	for _, path := range []string{"/ping/" + code, "/hcping/" + code, "/hc", "/badge/x/y.svg"} {
		if a := s.doRaw("GET", path, nil, nil); a.status != 404 {
			t.Errorf("GET %s outside SITE_ROOT's path: %d", path, a.status)
		}
	}
	// Hosts: SITE_ROOT's host and loopback, nothing else.
	if a := s.do("GET", "/ping/"+code, nil, map[string]string{"Host": "HC.example:8000"}); a.status != 200 {
		t.Errorf("SITE_ROOT's host: %d", a.status)
	}
	if a := s.do("GET", "/ping/"+code, nil, map[string]string{"Host": "evil.example"}); a.status != 400 {
		t.Errorf("foreign host: %d", a.status)
	}
	// Badges and metrics live under the prefix too; badge URLs carry it.
	path, badgeKey := s.allBadge("http://hc.example/hc", "json")
	if want := "/badge/" + badgeKey + "/" + api.BadgeSignature(badgeKey, "*", "audit-secret") + "-2.json"; path != want {
		t.Errorf("badge path %q, want %q (signed with SECRET_KEY)", path, want)
	}
	if a := s.do("GET", path, nil, nil); a.status != 200 || a.body != `{"status": "up", "total": 1, "grace": 0, "down": 0}` {
		t.Errorf("badge under the prefix: %d %s", a.status, a.body)
	}
	if a := s.do("GET", "/projects/"+s.keys.UUID+"/metrics/"+s.keys.APIKeyReadonly, nil, nil); a.status != 200 ||
		!strings.Contains(a.body, `hc_check_up{name="backup", tags="", unique_key="`) {
		t.Errorf("metrics under the prefix: %d %s", a.status, a.body)
	}
	// The slash redirect keeps SITE_ROOT's path.
	if a := s.do("GET", "/projects/"+s.keys.UUID+"/metrics", nil, nil); a.status != 301 || a.header.Get("Location") != "/hc/projects/"+s.keys.UUID+"/metrics/" {
		t.Errorf("metrics without a slash: %d %v", a.status, a.header)
	}
}

// TestSpecAuditExplicitSettings: ALLOWED_HOSTS as set (no loopback added),
// PING_ENDPOINT only changes the displayed URLs, PING_BODY_LIMIT cuts
// bodies and is announced, MASTER_BADGE_LABEL labels the all-checks badge,
// SECRET_KEY signs badges, and PROMETHEUS_ENABLED=False closes the export.
func TestSpecAuditExplicitSettings(t *testing.T) {
	s := startAuditServer(t, "", "hc.example", map[string]string{
		"SITE_ROOT": "https://hc.example", "ALLOWED_HOSTS": "hc.example,.example.net", "PING_ENDPOINT": "https://pings.example/p/",
		"PING_BODY_LIMIT": "7", "SITE_NAME": "Acme", "MASTER_BADGE_LABEL": "All of Acme", "SECRET_KEY": "k2",
		"PROMETHEUS_ENABLED": "False",
	})
	c := s.createCheck("db")
	code := c["uuid"].(string)
	if got := c["ping_url"]; got != "https://pings.example/p/"+code {
		t.Errorf("ping_url %q, want it under PING_ENDPOINT", got)
	}
	// Routing is unchanged: /ping/ serves, PING_ENDPOINT's path does not.
	if a := s.do("GET", "/p/"+code, nil, nil); a.status != 404 {
		t.Errorf("GET /p/<uuid>: %d", a.status)
	}
	a := s.do("POST", "/ping/"+code, strings.NewReader("0123456789"), nil)
	if a.status != 200 || a.header.Get("Ping-Body-Limit") != "7" {
		t.Errorf("ping: %d %v", a.status, a.header)
	}
	if b := s.do("GET", "/api/v3/checks/"+code+"/pings/2/body", nil, map[string]string{"X-Api-Key": s.keys.APIKey}); b.status != 200 || b.body != "0123456" {
		t.Errorf("stored body: %d %q, want the first 7 bytes", b.status, b.body)
	}
	for host, want := range map[string]int{"hc.example": 200, "x.example.net": 200, "127.0.0.1": 400, "localhost": 400, "pings.example": 400} {
		if a := s.do("GET", "/ping/"+code, nil, map[string]string{"Host": host}); a.status != want {
			t.Errorf("Host %s: %d, want %d", host, a.status, want)
		}
	}
	path, badgeKey := s.allBadge("https://hc.example", "shields")
	if !strings.Contains(path, "/"+api.BadgeSignature(badgeKey, "*", "k2")+"-2.shields") {
		t.Errorf("badge %q not signed with SECRET_KEY", path)
	}
	if a := s.do("GET", path, nil, nil); a.status != 200 ||
		a.body != `{"schemaVersion": 1, "label": "All of Acme", "message": "up", "color": "success"}` {
		t.Errorf("all-checks badge: %d %s", a.status, a.body)
	}
	// Signed with another SECRET_KEY: 404.
	if a := s.do("GET", "/badge/"+badgeKey+"/"+api.BadgeSignature(badgeKey, "*", "other")+".json", nil, nil); a.status != 404 {
		t.Errorf("badge signed with another key: %d", a.status)
	}
	metrics := "/projects/" + s.keys.UUID + "/metrics/" + s.keys.APIKeyReadonly
	if a := s.do("GET", metrics, nil, nil); a.status != 404 || a.body != "" {
		t.Errorf("PROMETHEUS_ENABLED=False: %d %q, want an empty 404", a.status, a.body)
	}
}

// TestSpecAuditDefaultsAndNone: PING_BODY_LIMIT=None (no header, whole
// bodies), MASTER_BADGE_LABEL defaulting to SITE_NAME, and a boolean set to
// the empty string read as False (upstream's envbool).
func TestSpecAuditDefaultsAndNone(t *testing.T) {
	s := startAuditServer(t, "", "", map[string]string{"PING_BODY_LIMIT": "None", "SITE_NAME": "Acme", "PROMETHEUS_ENABLED": ""})
	code := s.createCheck("web")["uuid"].(string)
	long := strings.Repeat("x", 20000)
	a := s.do("POST", "/ping/"+code, strings.NewReader(long), nil)
	if _, ok := a.header["Ping-Body-Limit"]; a.status != 200 || ok {
		t.Errorf("None: %d %v", a.status, a.header)
	}
	if b := s.do("GET", "/api/v3/checks/"+code+"/pings/2/body", nil, map[string]string{"X-Api-Key": s.keys.APIKey}); b.status != 200 || b.body != long {
		t.Errorf("None: stored %d bytes", len(b.body))
	}
	path, _ := s.allBadge(s.base, "shields")
	if a := s.do("GET", path, nil, nil); a.status != 200 || !strings.Contains(a.body, `"label": "Acme"`) {
		t.Errorf("MASTER_BADGE_LABEL default: %d %s", a.status, a.body)
	}
	if a := s.do("GET", "/projects/"+s.keys.UUID+"/metrics/"+s.keys.APIKeyReadonly, nil, nil); a.status != 404 {
		t.Errorf("PROMETHEUS_ENABLED empty: %d, want 404 (False)", a.status)
	}
}

// TestSpecAuditNothingSet: with no settings the export is on, bodies are cut
// at 10000 bytes, and the all-checks label is SITE_NAME's default, which is
// "Overdue" (upstream: "Mychecks"; README "Configuration").
func TestSpecAuditNothingSet(t *testing.T) {
	s := startAuditServer(t, "", "", nil)
	code := s.createCheck("web")["uuid"].(string)
	a := s.do("POST", "/ping/"+code, strings.NewReader(strings.Repeat("y", 10001)), nil)
	if a.status != 200 || a.header.Get("Ping-Body-Limit") != "10000" {
		t.Errorf("default limit: %d %v", a.status, a.header)
	}
	path, _ := s.allBadge(s.base, "shields")
	if a := s.do("GET", path, nil, nil); a.status != 200 || !strings.Contains(a.body, `"label": "Overdue"`) {
		t.Errorf("default label: %d %s", a.status, a.body)
	}
	if a := s.do("GET", "/projects/"+s.keys.UUID+"/metrics/"+s.keys.APIKeyReadonly, nil, nil); a.status != 200 ||
		!strings.Contains(a.body, "hc_checks_total 1\n") {
		t.Errorf("metrics by default: %d %s", a.status, a.body)
	}
}
