package mailer

// Audit of the compatibility spec §4.5 (emails) and §8.1 (EMAIL_*) against
// the mailer, read against Django's SMTP backend and upstream's
// hc/lib/emails.py.

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer/smtptest"
)

// Django's backend logs in only when both EMAIL_HOST_USER and
// EMAIL_HOST_PASSWORD are set.
func TestSpecAuthNeedsUserAndPassword(t *testing.T) {
	for _, c := range []struct {
		user, pass string
		wantAuth   bool
	}{
		{"alice", "s3cret", true},
		{"alice", "", false},
		{"", "s3cret", false},
		{"", "", false},
	} {
		srv := smtptest.Start(t, smtptest.Options{OfferAuth: true})
		m := New(Config{Host: srv.Host, Port: srv.Port, User: c.user, Password: c.pass, From: "alerts@overdue.example"})
		if err := m.Send(context.Background(), &Message{To: []string{"bob@example.org"}, Subject: "s", Text: "x"}); err != nil {
			t.Fatalf("user %q password %q: %v", c.user, c.pass, err)
		}
		got := <-srv.Received()
		if (got.AuthUser != "") != c.wantAuth || (c.wantAuth && (got.AuthUser != c.user || got.AuthPass != c.pass)) {
			t.Errorf("user %q password %q: logged in as %q/%q, want AUTH %v", c.user, c.pass, got.AuthUser, got.AuthPass, c.wantAuth)
		}
	}
}

// EMAIL_MAIL_FROM_TMPL: an email without a bounce ID of its own
// (verification links, reminders) gets the template with "bounces" as its
// envelope sender, as upstream's make_message; one with a bounce ID (an
// alert's signed "n.<uuid>") gets the template with that ID; without the
// template the envelope sender is DEFAULT_FROM_EMAIL's address, and the ID
// is not used.
func TestSpecEnvelopeSender(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	send := func(tmpl, bounceID string) string {
		t.Helper()
		m := New(Config{Host: srv.Host, Port: srv.Port, From: "Overdue <alerts@overdue.example>", MailFromTmpl: tmpl})
		if err := m.Send(context.Background(), &Message{To: []string{"bob@example.org"}, Subject: "s", Text: "x", BounceID: bounceID}); err != nil {
			t.Fatal(err)
		}
		return (<-srv.Received()).From
	}
	if got := send("%s@bounces.example.org", ""); got != "bounces@bounces.example.org" {
		t.Errorf("no bounce ID: MAIL FROM %q", got)
	}
	if got := send("%s@bounces.example.org", "n.abc"); got != "n.abc@bounces.example.org" {
		t.Errorf("bounce ID: MAIL FROM %q", got)
	}
	for _, id := range []string{"", "n.abc"} {
		if got := send("", id); got != "alerts@overdue.example" {
			t.Errorf("no template, bounce ID %q: MAIL FROM %q", id, got)
		}
	}
}

// EMAIL_PORT=None reaches the mailer as 0: port 25, as Django's fallback;
// and every session is bounded, 30 s by default (⚠ upstream sets no SMTP
// timeout; README "Alerts": "Every SMTP session times out after 30 s").
func TestSpecPortAndTimeoutDefaults(t *testing.T) {
	m := New(Config{Host: "127.0.0.1"})
	if m.cfg.Port != 25 || m.cfg.Timeout != 30*time.Second {
		t.Errorf("port %d timeout %v, want 25 and 30s", m.cfg.Port, m.cfg.Timeout)
	}
	err := New(Config{Host: "127.0.0.1", From: "a@overdue.example", Timeout: 2 * time.Second}).
		Send(context.Background(), &Message{To: []string{"b@example.org"}, Text: "x"})
	var se *SendError
	if errors.As(err, &se) && se.Server != "127.0.0.1:25" {
		t.Errorf("dialled %s, want port 25", se.Server)
	}
}

// What a user sees of a failed session (the channel's last error) names
// what happened, not the relay's address; the operator's log line
// (SendError.Error) has the address.
func TestSpecConnectionErrorsHideTheRelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	err = New(Config{Host: "127.0.0.1", Port: addr.Port, From: "a@overdue.example"}).
		Send(context.Background(), &Message{To: []string{"b@example.org"}, Text: "x"})
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("%T %v", err, err)
	}
	if se.Reason != "dial: connection refused" || strings.Contains(se.Reason, "127.0.0.1") {
		t.Errorf("reason %q", se.Reason)
	}
	if !strings.Contains(se.Error(), ln.Addr().String()) {
		t.Errorf("log text %q does not name the relay", se.Error())
	}
}
