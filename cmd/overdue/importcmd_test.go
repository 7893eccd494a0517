package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/importer/importertest"
	"github.com/overdue/overdue/internal/store"
)

// TestImportKeepsURLsAndKeysWorking is the promise of `overdue import`: after
// importing an upstream database, its ping URLs (by UUID and by ping key and
// slug), its API keys (plain-text and hashed ones), its badge URLs and its
// users' passwords work against Overdue as they did against upstream.
func TestImportKeepsURLsAndKeysWorking(t *testing.T) {
	from, _ := importertest.Upstream(t, "sqlite", true)
	vars := sqliteEnv(t)
	vars["SECRET_KEY"] = importertest.SecretKey

	code, out, stderr := runCmd(t, vars, "", "import", "--from", from, "--dry-run")
	if code != exitOK || !strings.Contains(out, "Dry run, nothing written. Would import:\n  users:               2 created,") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, stderr)
	}
	st, err := store.Open(context.Background(), storeConfigFor(t, vars))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UserByEmail(context.Background(), "alice@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the dry run wrote a user (%v)", err)
	}
	st.Close()

	code, out, stderr = runCmd(t, vars, "", "import", "--from", from)
	if code != exitOK || !strings.Contains(out, "From upstream SQLite file "+from+" (api migration 0123).\nImported:\n") ||
		!strings.Contains(out, "  checks:              4 created, 0 updated, 0 skipped\n") {
		t.Fatalf("import: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "SECRET_KEY") {
		t.Errorf("the summary does not mention SECRET_KEY for hashed keys:\n%s", out)
	}

	base := serveInProcess(t, vars)
	do := func(method, path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		status             int
		contains           string
	}{
		{"ping by UUID", "GET", "/ping/c0000001-0000-4000-8000-000000000001", nil, 200, "OK"},
		{"ping by ping key and slug", "POST", "/ping/" + importertest.PingKey + "/nightly/fail", nil, 200, "OK"},
		{"legacy API key", "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": importertest.LegacyAPIKey}, 200, `"name": "DB backup"`},
		{"hashed API key", "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": importertest.HashedAPIKey}, 200, `"name": "weekly report"`},
		{"hashed read-only key", "GET", "/api/v3/checks/", map[string]string{"X-Api-Key": importertest.HashedReadOnly}, 200, `"unique_key"`},
		{"hashed read-only key cannot write", "POST", "/api/v3/checks/", map[string]string{"X-Api-Key": importertest.HashedReadOnly}, 401, "wrong api key"},
		// Upstream's signatures for badge key "alice" under SECRET_KEY
		// "upstream-secret", computed with Python (Django's base64_hmac).
		{"tag badge", "GET", "/badge/alice/FqLQ4Ggo-2/prod.svg", nil, 200, "<svg"},
		{"all-checks badge", "GET", "/badge/alice/NvqURfA3-2.json", nil, 200, `"status"`},
		{"check badge", "GET", "/b/2/b0000001-0000-4000-8000-000000000001.svg", nil, 200, "<svg"},
		{"forged badge", "GET", "/badge/alice/AAAAAAAA-2/prod.svg", nil, 404, ""},
	} {
		status, body := do(tc.method, tc.path, tc.hdr)
		if status != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: %s %s = %d %.200q, want %d containing %q", tc.name, tc.method, tc.path, status, body, tc.status, tc.contains)
		}
	}
	// The fail ping by slug reached the imported check.
	if _, body := do("GET", "/api/v3/checks/c0000002-0000-4000-8000-000000000002", map[string]string{"X-Api-Key": importertest.LegacyAPIKey}); !strings.Contains(body, `"n_pings": 2`) {
		t.Errorf("check 2 after a ping: %s", body)
	}

	// Imported Django password hashes log in: pbkdf2_sha256 (alice) and argon2id (bob).
	for email, password := range map[string]string{"alice@example.org": importertest.AlicePassword, "bob@example.org": importertest.BobPassword} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(base+"/accounts/login/", url.Values{"email": {email}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
			t.Errorf("log-in of %s: %d, cookies %v", email, resp.StatusCode, resp.Cookies())
		}
		resp, err = c.PostForm(base+"/accounts/login/", url.Values{"email": {email}, "password": {password + "!"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("log-in of %s with a wrong password: %d", email, resp.StatusCode)
		}
	}
}

func storeConfigFor(t *testing.T, vars map[string]string) store.Config {
	t.Helper()
	cfg, ok := loadConfig(env{getenv: mapEnv(vars), stderr: io.Discard})
	if !ok {
		t.Fatal("configuration does not load")
	}
	return storeConfig(cfg)
}

func TestImportCommandErrors(t *testing.T) {
	vars := sqliteEnv(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"import"}, exitUsage, "overdue import: --from is required"},
		{[]string{"import", "--from", "/nonexistent/hc.sqlite"}, exitError, "overdue import: upstream SQLite file: stat /nonexistent/hc.sqlite: no such file or directory."},
		{[]string{"import", "--from", vars["DB_NAME"] + ".missing", "--dry-run"}, exitError, "no such file or directory"},
		{[]string{"import", "--from", "ftp://host/db"}, exitError, `unsupported DSN scheme in "ftp://…"`},
	} {
		code, _, stderr := runCmd(t, vars, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("overdue %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.stderr)
		}
	}
	// Overdue's own database is not an upstream one.
	if code, _, _ := runCmd(t, vars, "", "migrate"); code != exitOK {
		t.Fatal("migrate failed")
	}
	code, _, stderr := runCmd(t, vars, "", "import", "--from", vars["DB_NAME"])
	if code != exitError || !strings.Contains(stderr, "has no table django_migrations: not a Healthchecks database.") {
		t.Errorf("import from Overdue's database: exit %d, %q", code, stderr)
	}
}
