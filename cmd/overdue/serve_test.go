package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Without SITE_ROOT, the URLs in API answers point where the server really
// listens (here a port the kernel picked), not at the default port 8000.
func TestServeDerivesSiteRootFromListen(t *testing.T) {
	s := startAuditServer(t, "", "", nil)
	c := s.createCheck("derived")
	if got, want := c["ping_url"].(string), s.base+"/ping/"; !strings.HasPrefix(got, want) {
		t.Errorf("ping_url %q, want it under %q", got, want)
	}
	if strings.Contains(s.base, ":8000") {
		t.Fatalf("the test server happened to get port 8000; the test proves nothing: %s", s.base)
	}
}

// An explicit SITE_ROOT wins over --listen; when it names this machine on
// another port, serve says so once at start-up.
func TestServeWarnsWhenSiteRootMissesListen(t *testing.T) {
	for _, tc := range []struct {
		siteRoot string
		warn     bool
	}{
		{"http://localhost:1", true},
		{"https://hc.example.org", false}, // a reverse proxy in front: normal
	} {
		vars := sqliteEnv(t)
		vars["SITE_ROOT"] = tc.siteRoot
		log := serveLog(t, vars)
		n := strings.Count(log, "names this machine on port")
		if tc.warn && n != 1 || !tc.warn && n != 0 {
			t.Errorf("SITE_ROOT=%s: %d warnings in the log, want warn=%v:\n%s", tc.siteRoot, n, tc.warn, log)
		}
		if !strings.Contains(log, "site_root="+tc.siteRoot) {
			t.Errorf("SITE_ROOT=%s: the start-up line does not show it:\n%s", tc.siteRoot, log)
		}
	}
}

// serveLog starts serve on a free port, stops it once it listens, and
// returns what it logged.
func serveLog(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb bytes.Buffer
	listening := make(chan struct{}, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--roles", "web"},
			env{getenv: mapEnv(vars), stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb,
				onListen: func(net.Addr) { listening <- struct{}{} }})
	}()
	select {
	case <-listening:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not listen within 60 s")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	}
	return errb.String()
}

// `project create --json` prints one line of JSON, as the README shows it.
func TestProjectCreateJSONIsOneLine(t *testing.T) {
	code, out, stderr := runCmd(t, sqliteEnv(t), "", "project", "create", "--owner", "a@example.org", "--name", "P", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") || !strings.HasPrefix(out, `{"uuid":"`) {
		t.Errorf("not one line of JSON: %q", out)
	}
}
