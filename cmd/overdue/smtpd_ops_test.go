package main

import (
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/promtool"
)

// `overdue smtpd` alone serves the operator endpoints on METRICS_LISTEN, as
// serve does (token asked when METRICS_TOKEN is set), and its metrics count
// the emails it really received over SMTP and the pings they carried.
func TestSMTPDOperatorEndpoints(t *testing.T) {
	vars := sqliteEnv(t)
	vars["PING_EMAIL_DOMAIN"] = "mail.example.org"
	vars["METRICS_LISTEN"] = "127.0.0.1:0"
	vars["METRICS_TOKEN"] = testMetricsToken
	_, check := projectWithWebhookCheck(t, vars, "https://hooks.example.org/", nil)
	var errb syncBuffer
	addr, stop := runUntilStarted(t, vars, &errb, "smtpd", "--host", "127.0.0.1", "--port", strconv.Itoa(freePort(t)))
	ops := opsAddr(t, &errb)
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, ops+p, ""); code != 200 || body != "OK" {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	if code, _ := get(t, ops+"/metrics", ""); code != 401 {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}

	// Two emails reach the check, the second after a refused recipient (a
	// check that does not exist); a third, for another domain, is refused
	// at RCPT and never sent: 2 emails, 2 pings accepted, 2 ignored.
	from := "cron@example.org"
	good := check + "@mail.example.org"
	missing := "4f0c3c2e-6f7a-4d1e-9b3a-0c1d2e3f4a5b@mail.example.org"
	if err := smtp.SendMail(addr.String(), nil, from, []string{good}, []byte("Subject: backup done\r\n\r\nok\r\n")); err != nil {
		t.Fatalf("mail to the check: %v", err)
	}
	c, err := smtp.Dial(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(missing); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("RCPT of a missing check: %v, want 550", err)
	}
	if err := c.Rcpt(good); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("Subject: second\r\n\r\nok\r\n"))
	if err := w.Close(); err != nil {
		t.Fatalf("second email: %v", err)
	}
	_ = c.Quit()
	if err := smtp.SendMail(addr.String(), nil, from, []string{"someone@elsewhere.example"}, []byte("Subject: x\r\n\r\n")); err == nil {
		t.Error("mail for another domain was accepted")
	}

	want := []string{
		"overdue_smtpd_emails_total 2\n",
		`overdue_smtpd_pings_total{result="accepted"} 2` + "\n",
		`overdue_smtpd_pings_total{result="ignored"} 2` + "\n",
		`overdue_pings_received_total{kind="success",transport="email"} 2` + "\n",
	}
	var body string
	// The loop only covers a scrape racing the counters' last update.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var code int
		code, body = get(t, ops+"/metrics", testMetricsToken)
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(body, w)
		}
		if ok {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(w))
		}
	}
	promtool.Check(t, body)
	if code := stop(); code != exitOK {
		t.Errorf("smtpd exited %d: %s", code, errb.String())
	}
}
