package main

// Audit of the compatibility spec (§4.3 sendalerts, §5 email and webhook
// set-up, §8.1 EMAIL_*, §9.5 secrets) against the binary's commands.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines to write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runUntilStarted runs a long-running command in-process and returns once
// it is serving; stop ends it and returns its exit status.
func runUntilStarted(t *testing.T, vars map[string]string, stderr io.Writer, args ...string) (addr net.Addr, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan net.Addr, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, env{getenv: mapEnv(vars), stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
			onListen: func(a net.Addr) { started <- a }})
	}()
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	select {
	case a := <-started:
		return a, stop
	case c := <-done:
		t.Fatalf("%v exited with %d: %v", args, c, stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("%v did not start within 60 s", args)
	}
	return nil, stop
}

// §4.3: upstream's sendalerts takes --pool and ignores it with a warning;
// service files that pass it keep working.
func TestSpecSendalertsAcceptsPool(t *testing.T) {
	var errb syncBuffer
	_, stop := runUntilStarted(t, sqliteEnv(t), &errb, "sendalerts", "--pool", "--num-workers", "2")
	if code := stop(); code != exitOK {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "WARNING: The --pool argument is not supported any more and will be ignored.\n") {
		t.Errorf("stderr %q", errb.String())
	}
}

// §8.1: without EMAIL_HOST nothing can be mailed, and start-up says so
// (upstream's system check W002); with it, no such warning.
func TestSpecWarnsWithoutSMTP(t *testing.T) {
	for _, host := range []string{"", "smtp.example.org"} {
		vars := sqliteEnv(t)
		if host != "" {
			vars["EMAIL_HOST"] = host
		}
		var errb syncBuffer
		_, stop := runUntilStarted(t, vars, &errb, "sendalerts")
		stop()
		if got := strings.Contains(errb.String(), "No SMTP configuration, cannot send email"); got != (host == "") {
			t.Errorf("EMAIL_HOST=%q: warning %v in %q", host, got, errb.String())
		}
	}
}

// §5 (email and webhook rows), with upstream's form rules: an address of at
// most 100 characters; EMAIL_USE_VERIFICATION=False needs no link; a
// webhook URL needs no TLD; URL and body at most 1,000 characters
// (characters, not bytes); headers are "Name: value" with both parts, a
// latin-1 name, at most 1,000 characters each.
func TestSpecIntegrationAddRules(t *testing.T) {
	smtp := smtptest.Start(t, smtptest.Options{})
	vars := sqliteEnv(t)
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["EMAIL_USE_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "False"
	proj := createProject(t, vars, "owner@example.org", "P")
	add := func(extra map[string]string, args ...string) (int, string) {
		t.Helper()
		v := map[string]string{}
		for k, x := range vars {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		code, out, stderr := runCmd(t, v, "", append([]string{"integration", "add", "--project", proj.UUID}, args...)...)
		if code != 0 && stderr == "" {
			t.Errorf("%v: exit %d without a message", args, code)
		}
		return code, strings.TrimSpace(out)
	}
	long := func(n int) string { return strings.Repeat("é", n) }
	for _, args := range [][]string{
		{"--kind", "email", "--email", strings.Repeat("a", 89) + "@example.org"}, // 101 characters
		{"--kind", "webhook", "--url-down", "https://example.org/" + long(981)},
		{"--kind", "webhook", "--url-down", "https://example.org/", "--method-down", "POST", "--body-down", long(1001)},
		{"--kind", "webhook", "--url-down", "https://example.org/", "--header-down", "X-Empty:"},
		{"--kind", "webhook", "--url-down", "https://example.org/", "--header-down", ": value"},
		{"--kind", "webhook", "--url-down", "https://example.org/", "--header-down", "X-Ā: value"},
		{"--kind", "webhook", "--url-down", "https://example.org/", "--header-down", "X-Long: " + long(1001)},
	} {
		if code, _ := add(nil, args...); code != exitUsage {
			t.Errorf("%.120q: exit %d, want a usage error", args, code)
		}
	}
	ok := map[string][]string{
		"100-character address": {"--kind", "email", "--email", strings.Repeat("a", 88) + "@example.org"},
		"URL without a TLD":     {"--kind", "webhook", "--url-up", "http://home_server:8080/up"},
		"1,000-character URL":   {"--kind", "webhook", "--url-down", "https://example.org/" + long(980)},
		"1,000-character body":  {"--kind", "webhook", "--url-down", "https://example.org/", "--method-down", "PUT", "--body-down", long(1000)},
		"latin-1 header":        {"--kind", "webhook", "--url-down", "https://example.org/", "--header-down", "X-Ünï: ½ " + long(990)},
	}
	for what, args := range ok {
		if code, _ := add(map[string]string{"EMAIL_USE_VERIFICATION": "False"}, args...); code != 0 {
			t.Errorf("%s: exit %d", what, code)
		}
	}
	if n := len(smtp.Mails()); n != 0 {
		t.Errorf("%d verification emails with EMAIL_USE_VERIFICATION=False", n)
	}
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByCode(context.Background(), proj.UUID)
	if err != nil {
		t.Fatal(err)
	}
	chans, _ := st.ListChannels(context.Background(), p.ID)
	for _, ch := range chans {
		if ch.Kind == "email" && !ch.EmailVerified {
			t.Errorf("email channel %s is unverified with EMAIL_USE_VERIFICATION=False", ch.Value)
		}
		if ch.Kind == "webhook" && strings.Contains(ch.Value, "home_server") {
			up, down := kinds.New().Events(ch)
			if !up || down {
				t.Errorf("up-only webhook: up %v down %v", up, down)
			}
		}
	}
}

// §9.5 and the brief's rule: no secret reaches a log line or a recorded
// error. A server started with DEBUG=True (which logs its configuration)
// handles API calls, a metrics scrape with the key in the path, a ping by
// slug, and a /fail whose email (the relay refuses the password) and
// webhook (500) both fail; the whole log and every error stored on the
// channels and notifications are searched for each secret.
func TestSpecNoSecretsInLogs(t *testing.T) {
	const (
		secretKey  = "sk-SECRET-KEY-3f9a1c"
		mailPass   = "mail-PASSWORD-7d2e"
		dbPass     = "db-PASSWORD-91ab"
		metricsKey = "metrics-KEY-55c0"
		headerVal  = "Bearer hdr-TOKEN-a8b7"
		urlToken   = "url-TOKEN-c3d4"
	)
	smtp := smtptest.Start(t, smtptest.Options{User: "alerts", Password: "the-right-one"})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer hook.Close()
	vars := sqliteEnv(t)
	for k, v := range map[string]string{
		"DEBUG": "True", "SECRET_KEY": secretKey, "DB_PASSWORD": dbPass, "METRICS_KEY": metricsKey,
		"EMAIL_HOST": smtp.Host, "EMAIL_PORT": strconv.Itoa(smtp.Port), "EMAIL_USE_TLS": "False",
		"EMAIL_HOST_USER": "alerts", "EMAIL_HOST_PASSWORD": mailPass, "DEFAULT_FROM_EMAIL": "alerts@overdue.example",
		"INTEGRATIONS_ALLOW_PRIVATE_IPS": "True",
	} {
		vars[k] = v
	}
	keys := createProject(t, vars, "owner@example.org", "P")
	for _, args := range [][]string{
		{"--kind", "email", "--email", "owner@example.org"},
		{"--kind", "webhook", "--url-down", hook.URL + "/hooks/" + urlToken, "--header-down", "Authorization: " + headerVal},
	} {
		if code, _, stderr := runCmd(t, vars, "", append([]string{"integration", "add", "--project", keys.UUID}, args...)...); code != 0 {
			t.Fatalf("integration add: %s", stderr)
		}
	}

	var logs syncBuffer
	addr, stop := runUntilStarted(t, vars, &logs, "serve", "--listen", "127.0.0.1:0")
	base := "http://" + addr.String()
	do := func(method, path string, hdr map[string]string, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
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
	code, body := do("POST", "/api/v3/checks/", map[string]string{"X-Api-Key": keys.APIKey}, `{"name": "nightly", "channels": "*"}`)
	if code != http.StatusCreated {
		t.Fatalf("create check: %d %s", code, body)
	}
	var check struct {
		PingURL string `json:"ping_url"`
	}
	_ = json.Unmarshal([]byte(body), &check)
	uuid := check.PingURL[strings.LastIndex(check.PingURL, "/")+1:]
	do("GET", "/api/v3/checks/", map[string]string{"X-Api-Key": keys.APIKeyReadonly}, "")
	do("POST", "/api/v3/checks/", nil, `{"api_key": "`+keys.APIKey+`x", "name": "bad key"}`)
	do("GET", "/projects/"+keys.UUID+"/metrics/"+keys.APIKeyReadonly, nil, "")
	do("GET", "/api/v3/metrics/", map[string]string{"X-Metrics-Key": metricsKey}, "")
	do("GET", "/ping/"+keys.PingKey+"/created-by-ping?create=1", nil, "")
	if code, _ := do("POST", "/ping/"+uuid+"/fail", nil, "job output"); code != 200 {
		t.Fatalf("/fail: %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs.String(), "notification failed") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	text := logs.String()
	if strings.Count(text, "notification failed") < 2 || !strings.Contains(text, "level=DEBUG msg=configuration") ||
		!strings.Contains(text, "EMAIL_HOST_PASSWORD=********") || !strings.Contains(text, "check created by a ping") {
		t.Fatalf("the log lacks the lines this test is about:\n%s", text)
	}

	secrets := map[string]string{
		"SECRET_KEY": secretKey, "EMAIL_HOST_PASSWORD": mailPass, "DB_PASSWORD": dbPass, "METRICS_KEY": metricsKey,
		"API key": keys.APIKey, "read-only API key": keys.APIKeyReadonly, "ping key": keys.PingKey,
		"webhook header value": "hdr-TOKEN-a8b7", "webhook URL token": urlToken,
	}
	for what, s := range secrets {
		if s == "" {
			t.Fatalf("no value for %s", what)
		}
		if strings.Contains(text, s) {
			t.Errorf("the log contains the %s", what)
		}
	}
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByCode(context.Background(), keys.UUID)
	if err != nil {
		t.Fatal(err)
	}
	chans, _ := st.ListChannels(context.Background(), p.ID)
	c, err := st.CheckByCode(context.Background(), uuid)
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := st.ListNotifications(context.Background(), c.ID)
	var recorded []string
	for _, ch := range chans {
		recorded = append(recorded, ch.LastError)
	}
	for _, n := range ns {
		recorded = append(recorded, n.Error)
	}
	all := strings.Join(recorded, "\n")
	if len(chans) != 2 || len(ns) != 2 || strings.Count(all, "\n") != 3 || !strings.Contains(all, "Received status code 500") || !strings.Contains(all, "(AUTH)") {
		t.Fatalf("recorded errors %q, want the webhook's and the email's", recorded)
	}
	for what, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a recorded error contains the %s: %q", what, recorded)
		}
	}
}

// §8.1 wiring of the integration switches into a running server:
// WEBHOOKS_ENABLED=False makes webhook sends fail with upstream's text, and
// without INTEGRATIONS_ALLOW_PRIVATE_IPS a webhook to this machine is
// refused; neither reaches the endpoint.
func TestSpecIntegrationSwitches(t *testing.T) {
	reached := make(chan struct{}, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} }))
	defer hook.Close()
	for setting, want := range map[string]string{
		"WEBHOOKS_ENABLED=False": "Webhook notifications are not enabled.",
		"":                       "Connections to private IP addresses are not allowed",
	} {
		t.Run(setting, func(t *testing.T) {
			vars := sqliteEnv(t)
			if name, value, ok := strings.Cut(setting, "="); ok {
				vars[name] = value
			}
			keys := createProject(t, vars, "owner@example.org", "P")
			code, out, stderr := runCmd(t, vars, "", "integration", "add", "--project", keys.UUID, "--kind", "webhook", "--url-down", hook.URL+"/down")
			if code != 0 {
				t.Fatalf("integration add: %s", stderr)
			}
			chCode := strings.TrimSpace(out)
			var logs syncBuffer
			addr, stop := runUntilStarted(t, vars, &logs, "serve", "--listen", "127.0.0.1:0")
			base := "http://" + addr.String()
			req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(`{"name": "n", "channels": "*"}`))
			req.Header.Set("X-Api-Key", keys.APIKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var check struct {
				PingURL string `json:"ping_url"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&check)
			resp.Body.Close()
			resp, err = http.Get(base + "/ping/" + check.PingURL[strings.LastIndex(check.PingURL, "/")+1:] + "/fail")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(logs.String(), "notification failed") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ch, err := st.ChannelByCode(context.Background(), chCode)
			if err != nil || ch.LastError != want || ch.Disabled {
				t.Errorf("channel: last_error %q disabled %v (%v), want %q and enabled\n%s", ch.LastError, ch.Disabled, err, want, logs.String())
			}
			select {
			case <-reached:
				t.Error("the webhook endpoint was reached")
			default:
			}
		})
	}
}

// EMAIL_MAIL_FROM_TMPL reaches every email: a verification link, which has
// no bounce ID of its own, goes out with "bounces" in the template.
func TestSpecVerificationEnvelope(t *testing.T) {
	smtp := smtptest.Start(t, smtptest.Options{})
	vars := sqliteEnv(t)
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["EMAIL_USE_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "False"
	vars["EMAIL_MAIL_FROM_TMPL"] = "%s@bounces.overdue.example"
	keys := createProject(t, vars, "owner@example.org", "P")
	if code, _, stderr := runCmd(t, vars, "", "integration", "add", "--project", keys.UUID, "--kind", "email", "--email", "team@example.org"); code != 0 {
		t.Fatalf("integration add: %s", stderr)
	}
	if m := <-smtp.Received(); m.From != "bounces@bounces.overdue.example" {
		t.Errorf("MAIL FROM %q", m.From)
	}
}

// §9.2 ⚠: upstream limits neither pings nor its Management API.
// Overdue's API_RATE_LIMIT (an addition, off by default; README
// "Management API") applies to the API alone: pings are never refused.
func TestSpecPingsAreNotRateLimited(t *testing.T) {
	vars := sqliteEnv(t)
	vars["API_RATE_LIMIT"] = "1"
	keys := createProject(t, vars, "owner@example.org", "P")
	var logs syncBuffer
	addr, _ := runUntilStarted(t, vars, &logs, "serve", "--listen", "127.0.0.1:0", "--roles", "web")
	base := "http://" + addr.String()
	for i, want := range []int{201, 200, 200, 200, 200, 200} {
		resp, err := http.Get(base + "/ping/" + keys.PingKey + "/busy?create=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("ping %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	for i, want := range []int{200, 429} {
		req, _ := http.NewRequest("GET", base+"/api/v3/checks/", nil)
		req.Header.Set("X-Api-Key", keys.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("API request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}
