package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/promtool"
	"github.com/overdue/overdue/internal/store"
)

const testMetricsToken = "test-metrics-token-0123456789"

// opsAddr finds the operator listener's address in serve's log.
func opsAddr(t *testing.T, log *syncBuffer) string {
	t.Helper()
	re := regexp.MustCompile(`msg="operator endpoints open" addr=(\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return "http://" + m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no operator listener in the log:\n%s", log.String())
	return ""
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Where /metrics is served, and with what authentication, for each way of
// turning it on; /healthz and /readyz answer on the main listener always.
func TestServeOperatorEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name        string
		token       string
		listen      bool
		mainMetrics int // status of /metrics on the main listener, with the token when set
		opsNoToken  int // status of /metrics on METRICS_LISTEN without a token
	}{
		{"off", "", false, 404, 0},
		{"token", testMetricsToken, false, 200, 0},
		{"listener", "", true, 404, 200},
		{"token and listener", testMetricsToken, true, 200, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := sqliteEnv(t)
			if tc.token != "" {
				vars["METRICS_TOKEN"] = tc.token
			}
			if tc.listen {
				vars["METRICS_LISTEN"] = "127.0.0.1:0"
			}
			var errb syncBuffer
			addr, stop := runUntilStarted(t, vars, &errb, "serve", "--listen", "127.0.0.1:0", "--roles", "web")
			base := "http://" + addr.String()
			for _, p := range []string{"/healthz", "/readyz"} {
				if code, body := get(t, base+p, ""); code != 200 || body != "OK" {
					t.Errorf("%s: %d %q", p, code, body)
				}
			}
			if code, _ := get(t, base+"/metrics", tc.token); code != tc.mainMetrics {
				t.Errorf("main /metrics: %d, want %d", code, tc.mainMetrics)
			}
			if tc.token != "" {
				if code, _ := get(t, base+"/metrics", ""); code != 401 {
					t.Errorf("main /metrics without the token: %d, want 401", code)
				}
				if code, _ := get(t, base+"/metrics", tc.token[1:]); code != 401 {
					t.Errorf("main /metrics with a wrong token: %d, want 401", code)
				}
			}
			if tc.listen {
				ops := opsAddr(t, &errb)
				if ops == base {
					t.Fatal("the operator listener is the main one")
				}
				if code, _ := get(t, ops+"/metrics", ""); code != tc.opsNoToken {
					t.Errorf("operator /metrics without a token: %d, want %d", code, tc.opsNoToken)
				}
				if code, body := get(t, ops+"/metrics", tc.token); code != 200 || !strings.Contains(body, "overdue_pings_received_total") {
					t.Errorf("operator /metrics: %d %.200q", code, body)
				}
				for p, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/ping/x": 404, "/api/v3/checks/": 404, "/": 404} {
					if code, _ := get(t, ops+p, ""); code != want {
						t.Errorf("operator listener %s: %d, want %d", p, code, want)
					}
				}
			} else if strings.Contains(errb.String(), "operator endpoints open") {
				t.Error("an operator listener opened without METRICS_LISTEN")
			}
			if code := stop(); code != exitOK {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		})
	}
}

// The metrics count what really happened in a serving process: pings by
// kind and transport, ingest batches, the webhook the alert engine's flip
// sent, and that flip's detection lag; the output passes promtool.
func TestServeMetricsCountRealWork(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer hook.Close()
	vars := sqliteEnv(t)
	vars["INTEGRATIONS_ALLOW_PRIVATE_IPS"] = "True"
	vars["METRICS_TOKEN"] = testMetricsToken
	// A check that is overdue already: the engine flips it down as soon as
	// it starts, and its webhook is sent.
	keys, hooked := projectWithWebhookCheck(t, vars, hook.URL, func(c *model.Check) {
		last := time.Now().Add(-48 * time.Hour) // past the default 1 day timeout and 1 hour grace
		due := time.Now().Add(-time.Second)
		c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &last, &due
	})
	var errb syncBuffer
	addr, _ := runUntilStarted(t, vars, &errb, "serve", "--listen", "127.0.0.1:0")
	base := "http://" + addr.String()
	for _, p := range []string{"/a?create=1", "/a", "/a/start", "/a/fail", "/a/log", "/a/0", "/a/3"} {
		resp, err := http.Post(base+"/ping/"+keys.PingKey+p, "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("ping %s: %d", p, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", base+"/ping/"+keys.PingKey+"/a", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("https ping: %v %v", resp, err)
	}

	// The webhook sends are counted against the outbox rows the database
	// holds once every row is settled (the number of flips of "a" depends
	// on how its pings and the engine interleave).
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	settled := func() (sent int, ok bool) {
		p, err := st.ProjectByPingKey(context.Background(), keys.PingKey)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := st.ChecksBySlug(context.Background(), p.ID, "a")
		if err != nil || len(cs) != 1 {
			t.Fatalf("check a: %v %v", cs, err)
		}
		h, err := st.CheckByCode(context.Background(), hooked)
		if err != nil {
			t.Fatal(err)
		}
		ok = true
		for _, id := range []int64{cs[0].ID, h.ID} {
			ns, err := st.ListNotifications(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range ns {
				switch n.Status {
				case "sent":
					sent++
				default:
					ok = false
				}
			}
		}
		return sent, ok
	}
	var body string
	var sent int
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ok bool
		sent, ok = settled()
		_, body = get(t, base+"/metrics", testMetricsToken)
		if ok && sent >= 2 && strings.Contains(body, fmt.Sprintf("\n"+`overdue_notifications_sent_total{kind="webhook"} %d`+"\n", sent)) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := map[string]string{
		// ?create=1, the plain one and /0 are successes; /fail and /3 fail.
		`overdue_pings_received_total{kind="success",transport="http"}`:  "3",
		`overdue_pings_received_total{kind="success",transport="https"}`: "1",
		`overdue_pings_received_total{kind="start",transport="http"}`:    "1",
		`overdue_pings_received_total{kind="fail",transport="http"}`:     "2",
		`overdue_pings_received_total{kind="log",transport="http"}`:      "1",
		// The overdue check's flip and a's (?create=1 gave "a" the
		// project's integrations), as the outbox recorded them.
		`overdue_notifications_sent_total{kind="webhook"}`:   strconv.Itoa(sent),
		`overdue_notifications_failed_total{kind="webhook"}`: "0",
		`overdue_ping_batch_size_sum`:                        "8",
		`overdue_alert_detection_lag_seconds_count`:          "1",
		`overdue_db_up`: "1",
	}
	for name, v := range want {
		if !strings.Contains(body, "\n"+name+" "+v+"\n") {
			t.Errorf("metrics lack %s %s", name, v)
		}
	}
	for _, name := range []string{`overdue_db_duration_seconds_count{op="ping_batch"}`, `overdue_db_duration_seconds_count{op="alert_pass"}`} {
		m := regexp.MustCompile(regexp.QuoteMeta(name) + ` (\d+)\n`).FindStringSubmatch(body)
		if n, _ := strconv.Atoi(m2(m)); n < 1 {
			t.Errorf("%s: %v, want at least one", name, m)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
	promtool.Check(t, body)
}

func m2(m []string) string {
	if len(m) < 2 {
		return ""
	}
	return m[1]
}

// Malformed operator settings stop serve (and sendalerts) at start with
// one sentence naming the variable, before anything listens or writes.
func TestServeRefusesBadOperatorSettings(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		cmd  []string
		vars map[string]string
		want string // the whole stderr, or its prefix when it ends in "…"
	}{
		{nil, map[string]string{"METRICS_TOKEN": "short"}, "overdue: METRICS_TOKEN must be at least 16 characters long, not 5; generate one with `openssl rand -hex 32`.\n"},
		{nil, map[string]string{"METRICS_TOKEN": "has spaces in the token"}, "overdue: METRICS_TOKEN may contain only letters, digits and - . _ ~ + / (then = signs), as a bearer token; generate one with `openssl rand -hex 32`.\n"},
		{nil, map[string]string{"METRICS_TOKEN_FILE": "/nonexistent/metrics-token"}, "overdue: METRICS_TOKEN_FILE names a file that cannot be read: …"},
		{nil, map[string]string{"METRICS_LISTEN": "9090"}, "overdue: METRICS_LISTEN must be host:port, such as 127.0.0.1:9090 or :9090, not \"9090\".\n"},
		{nil, map[string]string{"METRICS_LISTEN": "localhost:99999"}, "overdue: METRICS_LISTEN must be host:port, such as 127.0.0.1:9090 or :9090, not \"localhost:99999\".\n"},
		{nil, map[string]string{"LOG_FORMAT": "xml"}, "overdue: LOG_FORMAT must be text or json, not \"xml\".\n"},
		{nil, map[string]string{"METRICS_LISTEN": busy.Addr().String()}, "overdue serve: cannot listen on METRICS_LISTEN " + busy.Addr().String() + ": …"},
		{[]string{"sendalerts"}, map[string]string{"METRICS_LISTEN": busy.Addr().String()}, "overdue sendalerts: cannot listen on METRICS_LISTEN " + busy.Addr().String() + ": …"},
		{[]string{"sendalerts"}, map[string]string{"METRICS_TOKEN": "0123"}, "overdue: METRICS_TOKEN must be at least 16 characters long, not 4; …"},
	}
	for _, tc := range cases {
		vars := sqliteEnv(t)
		for k, v := range tc.vars {
			vars[k] = v
		}
		args := tc.cmd
		if args == nil {
			args = []string{"serve", "--listen", "127.0.0.1:0"}
		}
		code, _, stderr := runCmd(t, vars, "", args...)
		// A listener that cannot bind is found once the logger runs, so
		// log lines may come first: the error is the last line.
		last := stderr
		if tc.vars["METRICS_LISTEN"] == busy.Addr().String() {
			lines := strings.SplitAfter(strings.TrimSuffix(stderr, "\n"), "\n")
			last = strings.TrimPrefix(lines[len(lines)-1], "\n") + "\n"
		}
		prefix, isPrefix := strings.CutSuffix(tc.want, "…")
		ok := last == tc.want
		if isPrefix {
			ok = strings.HasPrefix(last, prefix) && strings.Count(last, "\n") == 1 && strings.HasSuffix(last, ".\n")
		}
		if code != exitError || !ok {
			t.Errorf("%v %v: exit %d, stderr %q, want 1 and %q", args, tc.vars, code, stderr, tc.want)
		}
	}
}

// LOG_FORMAT=json: every line serve writes is one JSON object with
// slog's time, level and msg.
func TestServeJSONLogs(t *testing.T) {
	vars := sqliteEnv(t)
	vars["LOG_FORMAT"] = "json"
	log := serveLog(t, vars)
	lines := strings.Split(strings.TrimSpace(log), "\n")
	sawListening := false
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not JSON: %q", line)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("line without %q: %s", k, line)
			}
		}
		if rec["msg"] == "overdue listening" {
			sawListening = true
			if _, ok := rec["addr"].(string); !ok {
				t.Errorf("the start-up line has no addr: %s", line)
			}
		}
	}
	if !sawListening {
		t.Errorf("no start-up line in:\n%s", log)
	}
}

// `overdue healthcheck` asks a running server (under SITE_ROOT's path) and
// reports its answer in its exit status.
func TestHealthcheckCommand(t *testing.T) {
	vars := sqliteEnv(t)
	vars["SITE_ROOT"] = "http://localhost/hc"
	var errb syncBuffer
	addr, _ := runUntilStarted(t, vars, &errb, "serve", "--listen", "127.0.0.1:0", "--roles", "web")
	_, port, _ := net.SplitHostPort(addr.String())
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	cases := []struct {
		args   []string
		vars   map[string]string
		code   int
		stdout string
		stderr string // prefix
	}{
		{[]string{"--addr", addr.String()}, vars, 0, "http://" + addr.String() + "/hc/readyz: OK\n", ""},
		{[]string{"--addr", "0.0.0.0:" + port, "--live"}, vars, 0, "http://127.0.0.1:" + port + "/hc/healthz: OK\n", ""},
		{[]string{"--addr", addr.String()}, map[string]string{"DB_NAME": vars["DB_NAME"]}, 1, "", "overdue healthcheck: http://" + addr.String() + "/readyz answered 404"},
		{[]string{"--addr", closedAddr}, vars, 1, "", "overdue healthcheck: http://" + closedAddr + "/hc/readyz: "},
		{[]string{"--addr", "localhost"}, vars, 2, "", `overdue healthcheck: --addr must be host:port, such as 127.0.0.1:8000, not "localhost"`},
		{[]string{"--timeout", "-1s"}, vars, 2, "", "overdue healthcheck: --timeout must be between 0 and 1m, not -1s"},
		{[]string{"--addr", addr.String()}, map[string]string{"SITE_ROOT": "ftp://x"}, 1, "", "overdue: SITE_ROOT must be"},
	}
	for _, tc := range cases {
		code, out, stderr := runCmd(t, tc.vars, "", append([]string{"healthcheck"}, tc.args...)...)
		if code != tc.code || out != tc.stdout || !strings.HasPrefix(stderr, tc.stderr) || (tc.stderr == "") != (stderr == "") {
			t.Errorf("healthcheck %v: exit %d, stdout %q, stderr %q; want %d, %q, %q…", tc.args, code, out, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}
