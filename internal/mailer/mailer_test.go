package mailer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
)

// parts returns the message's headers and its text and HTML parts, decoded.
// It fails the test unless the message is multipart/alternative.
func parts(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", mt)
	}
	var text, html string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p // multipart decodes quoted-printable itself
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, _ := io.ReadAll(r)
		switch {
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain"):
			text = string(b)
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"):
			html = string(b)
		}
	}
	return msg.Header, text, html
}

func TestSendModes(t *testing.T) {
	for _, c := range []struct {
		name    string
		mode    smtptest.Mode
		tls     bool
		ssl     bool
		user    string
		wantTLS bool
	}{
		{"plain", smtptest.Plain, false, false, "", false},
		{"plain with AUTH", smtptest.Plain, false, false, "alice", false},
		// Django does not upgrade on its own: STARTTLS only with EMAIL_USE_TLS.
		{"plain although STARTTLS is offered", smtptest.StartTLS, false, false, "", false},
		{"STARTTLS (EMAIL_USE_TLS)", smtptest.StartTLS, true, false, "alice", true},
		{"implicit TLS (EMAIL_USE_SSL, port 465 style)", smtptest.TLS, false, true, "alice", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{Mode: c.mode, User: c.user, Password: "s3cret"})
			m := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, User: c.user, Password: "s3cret",
				UseTLS: c.tls, UseSSL: c.ssl, From: "Overdue <alerts@overdue.example>", TLSConfig: srv.ClientTLS})
			if !m.Enabled() {
				t.Fatal("a mailer with a host is not enabled")
			}
			err := m.Send(context.Background(), &mailer.Message{To: []string{"bob@example.org"}, Subject: "DOWN | backup ☃",
				Text: "plain body ünï", HTML: "<p>html body</p>", Headers: map[string]string{"List-Unsubscribe": "<https://overdue.example/u/1/>"}})
			if err != nil {
				t.Fatal(err)
			}
			got := <-srv.Received()
			if got.From != "alerts@overdue.example" || len(got.To) != 1 || got.To[0] != "bob@example.org" {
				t.Errorf("envelope from %q to %q", got.From, got.To)
			}
			if got.TLS != c.wantTLS {
				t.Errorf("received over TLS: %v, want %v", got.TLS, c.wantTLS)
			}
			wantPass := ""
			if c.user != "" {
				wantPass = "s3cret"
			}
			if got.AuthUser != c.user || got.AuthPass != wantPass {
				t.Errorf("AUTH as %q/%q, want %q/%q", got.AuthUser, got.AuthPass, c.user, wantPass)
			}
			h, text, html := parts(t, got.Data)
			subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if subject != "DOWN | backup ☃" {
				t.Errorf("Subject %q", subject)
			}
			if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "alerts@overdue.example" || from.Name != "Overdue" {
				t.Errorf("From %q", h.Get("From"))
			}
			if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != "bob@example.org" {
				t.Errorf("To %q", h.Get("To"))
			}
			if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@overdue.example>") {
				t.Errorf("Message-ID %q, want one in the sender's domain", id)
			}
			if h.Get("List-Unsubscribe") != "<https://overdue.example/u/1/>" || h.Get("Date") == "" {
				t.Errorf("List-Unsubscribe %q, Date %q", h.Get("List-Unsubscribe"), h.Get("Date"))
			}
			if h.Get("User-Agent") != "" || h.Get("X-Mailer") != "" {
				t.Errorf("mailer banner sent: %q %q", h.Get("User-Agent"), h.Get("X-Mailer"))
			}
			if strings.TrimSpace(text) != "plain body ünï" || strings.TrimSpace(html) != "<p>html body</p>" {
				t.Errorf("parts: text %q html %q", text, html)
			}
		})
	}
}

func TestNotConfigured(t *testing.T) {
	m := mailer.New(mailer.Config{From: "a@overdue.example"})
	if m.Enabled() {
		t.Error("a mailer without a host is enabled")
	}
	err := m.Send(context.Background(), &mailer.Message{To: []string{"a@b.c"}})
	if !errors.Is(err, mailer.ErrNotConfigured) || err.Error() != "Email is not configured (EMAIL_HOST is not set)" {
		t.Errorf("unconfigured: %v", err)
	}
}

func send(t *testing.T, cfg mailer.Config) (*mailer.SendError, time.Duration) {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "a@overdue.example"
	}
	start := time.Now()
	err := mailer.New(cfg).Send(context.Background(), &mailer.Message{To: []string{"nobody@example.org"}, Subject: "s", Text: "x"})
	took := time.Since(start)
	if err == nil {
		t.Fatal("sent, want an error")
	}
	var se *mailer.SendError
	if !errors.As(err, &se) {
		t.Fatalf("%T %v, want *mailer.SendError", err, err)
	}
	return se, took
}

func TestServerRefusals(t *testing.T) {
	rej := smtptest.Start(t, smtptest.Options{RejectRcpt: true})
	se, _ := send(t, mailer.Config{Host: rej.Host, Port: rej.Port})
	if se.Code != 550 || se.Step != "RCPT TO" || se.Reason != "550 5.1.1 mailbox unavailable" || se.Timeout {
		t.Errorf("rejected recipient: %+v", se)
	}
	if want := "sending email through " + rej.Addr() + ": RCPT TO: 550 5.1.1 mailbox unavailable"; se.Error() != want {
		t.Errorf("error %q, want %q", se.Error(), want)
	}

	auth := smtptest.Start(t, smtptest.Options{User: "alice", Password: "right"})
	se, _ = send(t, mailer.Config{Host: auth.Host, Port: auth.Port, User: "alice", Password: "wrong-pass-123"})
	if se.Step != "AUTH" || se.Code != 454 || strings.Contains(se.Error(), "wrong-pass-123") {
		t.Errorf("bad password: %+v (must name AUTH, without echoing the password)", se)
	}

	// STARTTLS required but the server offers none: refused, not sent in clear.
	plain := smtptest.Start(t, smtptest.Options{})
	se, _ = send(t, mailer.Config{Host: plain.Host, Port: plain.Port, UseTLS: true})
	if se.Step != "STARTTLS" || len(plain.Mails()) != 0 {
		t.Errorf("EMAIL_USE_TLS against a server without STARTTLS: %+v, %d mails delivered", se, len(plain.Mails()))
	}

	// Implicit TLS to a server whose certificate is not trusted.
	ssl := smtptest.Start(t, smtptest.Options{Mode: smtptest.TLS})
	se, _ = send(t, mailer.Config{Host: ssl.Host, Port: ssl.Port, UseSSL: true})
	if !strings.Contains(se.Reason, "certificate") || len(ssl.Mails()) != 0 {
		t.Errorf("untrusted certificate: %+v", se)
	}
}

func TestTimeouts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, o := range []smtptest.Options{{Hang: true}, {StallData: true}} {
		srv := smtptest.Start(t, o)
		se, took := send(t, mailer.Config{Host: srv.Host, Port: srv.Port, Timeout: timeout})
		if !se.Timeout || !errors.Is(se, context.DeadlineExceeded) || se.Reason != "no answer from the SMTP server within 300ms" {
			t.Errorf("%+v: %+v, want a timeout", o, se)
		}
		// The bound is on the whole session, not on each step.
		if took < timeout || took > timeout+time.Second {
			t.Errorf("%+v: gave up after %v, want about %v", o, took, timeout)
		}
	}

	// The caller's cancellation ends a session in progress.
	srv := smtptest.Start(t, smtptest.Options{StallData: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "a@overdue.example", Timeout: time.Minute}).
		Send(ctx, &mailer.Message{To: []string{"b@example.org"}, Text: "x"})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}

func TestBadAddresses(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	for _, c := range []struct {
		from string
		to   []string
	}{
		{"not an address", []string{"b@example.org"}},
		{"a@overdue.example", nil},
		{"a@overdue.example", []string{"no at sign"}},
	} {
		err := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: c.from}).
			Send(context.Background(), &mailer.Message{To: c.to, Text: "x"})
		if err == nil {
			t.Errorf("from %q to %q: sent", c.from, c.to)
		}
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d mails delivered", n)
	}
}
