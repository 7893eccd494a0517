package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveInProcess runs `overdue serve` in this process until the test ends
// and returns its base URL.
func serveInProcess(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--roles", "web"},
			env{getenv: mapEnv(vars), stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, onListen: func(a net.Addr) { addr <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case a := <-addr:
		return "http://" + a.String()
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not listen within 60 s")
	}
	return ""
}

// TestServeWiresMetricsKeyAndRateLimit: METRICS_KEY opens upstream's
// operator endpoint /api/v3/metrics/ (only with the right X-Metrics-Key)
// and API_RATE_LIMIT reaches the Management API.
func TestServeWiresMetricsKeyAndRateLimit(t *testing.T) {
	vars := sqliteEnv(t)
	keys := createProject(t, vars, "a@example.org", "P")
	vars["METRICS_KEY"] = "operator-metrics-key"
	vars["API_RATE_LIMIT"] = "2"
	base := serveInProcess(t, vars)

	get := func(path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
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
	if code, body := get("/api/v3/metrics/", map[string]string{"X-Metrics-Key": "operator-metrics-key"}); code != 200 ||
		!strings.Contains(body, `"num_unprocessed_flips": 0`) {
		t.Errorf("metrics/ with METRICS_KEY: %d %s", code, body)
	}
	for _, k := range []string{"wrong", ""} {
		if code, _ := get("/api/v3/metrics/", map[string]string{"X-Metrics-Key": k}); code != 403 {
			t.Errorf("metrics/ with key %q: %d, want 403", k, code)
		}
	}
	// API_RATE_LIMIT=2: the third request of the same key within the minute is refused.
	for i, want := range []int{200, 200, 429} {
		code, body := get("/api/v3/checks/", map[string]string{"X-Api-Key": keys.APIKey})
		if code != want {
			t.Errorf("request %d: %d %s, want %d", i+1, code, body, want)
		}
	}
}
