package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
)

// A real server process: a /fail ping reaches the check's webhook and its
// email channel within one second, through `overdue serve` with its
// default roles (web and alerts) and configuration from the environment.
func TestFailPingNotifiesWithinOneSecond(t *testing.T) {
	smtp := smtptest.Start(t, smtptest.Options{})
	hooks := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- string(b)
	}))
	defer srv.Close()

	vars := sqliteEnv(t)
	vars["INTEGRATIONS_ALLOW_PRIVATE_IPS"] = "True"
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["EMAIL_USE_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "False"
	vars["DEFAULT_FROM_EMAIL"] = "alerts@overdue.example"
	proj := createProject(t, vars, "a@example.org", "P")

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.ProjectByCode(ctx, proj.UUID)
	if err != nil {
		t.Fatal(err)
	}
	c := model.NewCheck(p.ID, time.Now())
	c.Name = "nightly"
	hook := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "webhook", Value: `{"method_down": "POST", "url_down": "` + srv.URL + `", "body_down": "$NAME is $STATUS", "headers_down": {}}`}
	mail := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "email", Value: `{"value": "ops@example.org", "up": true, "down": true}`, EmailVerified: true}
	for _, ch := range []*model.Channel{&hook, &mail} {
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateCheckWithChannels(ctx, &c, []int64{hook.ID, mail.ID}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The bound is one second; under the race detector the child is
	// tens of times slower, so there it is only a sanity bound (test.sh runs
	// this test again without -race).
	bound := time.Second
	if raceEnabled {
		bound = 10 * time.Second
	}
	_, base := serveChild(t, vars)
	start := time.Now()
	resp, err := http.Get(base + "/ping/" + c.Code + "/fail")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/fail answered %d", resp.StatusCode)
	}
	select {
	case got := <-hooks:
		if elapsed := time.Since(start); elapsed > bound {
			t.Errorf("the webhook arrived %v after the /fail ping, want within %v", elapsed, bound)
		}
		if got != "nightly is down" {
			t.Errorf("webhook body %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook within 30 s of a /fail ping")
	}
	select {
	case m := <-smtp.Received():
		if elapsed := time.Since(start); elapsed > bound {
			t.Errorf("the email arrived %v after the /fail ping, want within %v", elapsed, bound)
		}
		if !strings.Contains(string(m.Data), "DOWN | nightly") {
			t.Errorf("email:\n%.300s", m.Data)
		}
		unsubscribeByHeader(t, m.Data, base, vars["DB_NAME"], mail.Code)
	case <-time.After(30 * time.Second):
		t.Fatal("no email within 30 s of a /fail ping")
	}
}

// unsubscribeByHeader POSTs to the List-Unsubscribe link of an email, as a
// mail client's one-click button does, on the server at base (the link is
// under SITE_ROOT, which the test server does not listen on), and expects
// the channel to be disabled: the link signed by the alerts role (SECRET_KEY
// generated and stored on first start) is accepted by the web role.
func unsubscribeByHeader(t *testing.T, data []byte, base, dbPath, channelCode string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	lu := msg.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<") || !strings.HasSuffix(lu, ">") || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", lu, msg.Header.Get("List-Unsubscribe-Post"))
	}
	link, err := url.Parse(lu[1 : len(lu)-1])
	if err != nil || !strings.Contains(link.Path, "/integrations/"+channelCode+"/unsub/") {
		t.Fatalf("link %q: %v", lu, err)
	}
	resp, err := http.Post(base+link.EscapedPath(), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "has been unsubscribed") {
		t.Errorf("POST %s: %d %s", link.EscapedPath(), resp.StatusCode, body)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ch, err := st.ChannelByCode(ctx, channelCode); err != nil || !ch.Disabled {
		t.Errorf("after the one-click POST: disabled %v, %v", ch.Disabled, err)
	}
}

func TestRemindersCommand(t *testing.T) {
	vars := sqliteEnv(t)
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "ops@example.org", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"reminders", "--email", "ops@example.org", "--every", "hourly"}, 0, "Reminders for ops@example.org: hourly.\n"},
		{[]string{"reminders", "--email", "ops@example.org", "--every", "weekly"}, 2, ""},
		{[]string{"reminders", "--every", "daily"}, 2, ""},
		{[]string{"reminders", "--email", "nobody@example.org", "--every", "daily"}, 1, ""},
	} {
		code, out, stderr := runCmd(t, vars, "", c.args...)
		if code != c.code || out != c.out {
			t.Errorf("%v: exit %d, out %q, stderr %q; want exit %d, out %q", c.args, code, out, stderr, c.code, c.out)
		}
	}
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "ops@example.org")
	if err != nil || u.NagPeriod != time.Hour {
		t.Errorf("stored reminder period %v, err %v; want 1h", u.NagPeriod, err)
	}
}

func TestIntegrationAdd(t *testing.T) {
	smtp := smtptest.Start(t, smtptest.Options{})
	vars := sqliteEnv(t)
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["EMAIL_USE_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "False"
	vars["SITE_ROOT"] = "https://overdue.example"
	proj := createProject(t, vars, "owner@example.org", "P")

	for _, args := range [][]string{
		{"--kind", "email", "--email", "x@example.org"},
		{"--project", "nope", "--kind", "email", "--email", "x@example.org"},
		{"--project", proj.UUID, "--kind", "sms"},
		{"--project", proj.UUID, "--kind", "email", "--email", "not-an-address"},
		{"--project", proj.UUID, "--kind", "email", "--email", "x@example.org", "--notify-up=false", "--notify-down=false"},
		{"--project", proj.UUID, "--kind", "webhook"},
		{"--project", proj.UUID, "--kind", "webhook", "--url-down", "ftp://example.org/"},
		{"--project", proj.UUID, "--kind", "webhook", "--url-down", "https://example.org/", "--method-down", "DELETE"},
		{"--project", proj.UUID, "--kind", "webhook", "--url-down", "https://example.org/", "--header-down", "no colon"},
		{"--project", proj.UUID, "--kind", "webhook", "--url-down", "https://example.org/" + strings.Repeat("a", 1000)},
	} {
		if code, _, stderr := runCmd(t, vars, "", append([]string{"integration", "add"}, args...)...); code != 2 || stderr == "" {
			t.Errorf("integration add %v: exit %d, stderr %q; want a usage error", args, code, stderr)
		}
	}
	if code, _, _ := runCmd(t, vars, "", "integration", "add", "--project", uuid.NewString(), "--kind", "email", "--email", "x@example.org"); code != 1 {
		t.Errorf("unknown project: exit %d, want 1", code)
	}

	code, out, stderr := runCmd(t, vars, "", "integration", "add", "--project", proj.UUID, "--kind", "email", "--email", "team@example.org", "--notify-up=false")
	if code != 0 {
		t.Fatalf("add email: %d %s", code, stderr)
	}
	chCode := strings.TrimSpace(out)
	m := <-smtp.Received()
	if m.To[0] != "team@example.org" || !strings.Contains(strings.ReplaceAll(string(m.Data), "=\r\n", ""), "https://overdue.example/integrations/"+chCode+"/verify/") {
		t.Errorf("verification mail to %q:\n%s", m.To, m.Data)
	}
	code, out, stderr = runCmd(t, vars, "", "integration", "add", "--project", proj.UUID, "--kind", "email", "--email", "Owner@example.org")
	if code != 0 {
		t.Fatalf("add own email: %d %s", code, stderr)
	}
	ownCode := strings.TrimSpace(out)
	code, out, stderr = runCmd(t, vars, "", "integration", "add", "--project", proj.UUID, "--kind", "webhook",
		"--url-down", "https://hooks.example/down?n=$NAME", "--method-down", "post", "--body-down", "$NAME is down", "--header-down", "Content-Type: text/plain")
	if code != 0 {
		t.Fatalf("add webhook: %d %s", code, stderr)
	}
	hookCode := strings.TrimSpace(out)

	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for code, want := range map[string]func(model.Channel) bool{
		chCode: func(c model.Channel) bool {
			up, down := kinds.New().Events(c)
			return !c.EmailVerified && !up && down
		},
		ownCode: func(c model.Channel) bool { return c.EmailVerified }, // the owner's own address needs no link
		hookCode: func(c model.Channel) bool {
			var v map[string]any
			_ = json.Unmarshal([]byte(c.Value), &v)
			h, _ := v["headers_down"].(map[string]any)
			return v["method_down"] == "POST" && v["url_down"] == "https://hooks.example/down?n=$NAME" && v["url_up"] == "" && h["Content-Type"] == "text/plain"
		},
	} {
		ch, err := st.ChannelByCode(context.Background(), code)
		if err != nil || !want(ch) {
			t.Errorf("channel %s: %+v %v", code, ch, err)
		}
	}
	if n := len(smtp.Mails()); n != 1 {
		t.Errorf("%d emails sent, want only the one verification", n)
	}
}
