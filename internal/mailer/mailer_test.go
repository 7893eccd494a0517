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
		body, _ := io.ReadAll(msg.Body)
		return msg.Header, string(body), ""
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
		b, _ := io.ReadAll(decoded(p))
		switch {
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain"):
			text = string(b)
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"):
			html = string(b)
		}
	}
	return msg.Header, text, html
}

func decoded(p *multipart.Part) io.Reader {
	// multipart.Part decodes quoted-printable itself; base64 is left to us.
	if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
		return base64Reader(p)
	}
	return p
}

func TestSendModes(t *testing.T) {
	for _, c := range []struct {
		name string
		mode smtptest.Mode
		tls  bool
		ssl  bool
		user string
	}{
		{"plain", smtptest.Plain, false, false, ""},
		{"plain with AUTH", smtptest.Plain, false, false, "alice"},
		{"STARTTLS (EMAIL_USE_TLS)", smtptest.StartTLS, true, false, "alice"},
		{"implicit TLS (EMAIL_USE_SSL, port 465 style)", smtptest.TLS, false, true, "alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{Mode: c.mode, User: c.user, Password: "s3cret"})
			m := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, User: c.user, Password: "s3cret",
				UseTLS: c.tls, UseSSL: c.ssl, From: "Overdue <alerts@overdue.example>", TLSConfig: srv.ClientTLS})
			err := m.Send(context.Background(), &mailer.Message{To: []string{"bob@example.org"}, Subject: "DOWN | backup ☃",
				Text: "plain body ünï", HTML: "<p>html body</p>", Headers: map[string]string{"X-Test": "yes"}})
			if err != nil {
				t.Fatal(err)
			}
			got := <-srv.Received()
			if got.From != "alerts@overdue.example" || len(got.To) != 1 || got.To[0] != "bob@example.org" || got.AuthUser != c.user {
				t.Errorf("envelope from %q to %q auth %q", got.From, got.To, got.AuthUser)
			}
			h, text, html := parts(t, got.Data)
			dec := new(mime.WordDecoder)
			subject, _ := dec.DecodeHeader(h.Get("Subject"))
			if subject != "DOWN | backup ☃" || h.Get("X-Test") != "yes" || !strings.HasSuffix(h.Get("Message-Id"), "@overdue.example>") {
				t.Errorf("headers: subject %q X-Test %q Message-Id %q", subject, h.Get("X-Test"), h.Get("Message-Id"))
			}
			if strings.TrimSpace(text) != "plain body ünï" || strings.TrimSpace(html) != "<p>html body</p>" {
				t.Errorf("parts: text %q html %q", text, html)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	if err := mailer.New(mailer.Config{}).Send(context.Background(), &mailer.Message{To: []string{"a@b.c"}}); !errors.Is(err, mailer.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	rej := smtptest.Start(t, smtptest.Options{RejectRcpt: true})
	err := mailer.New(mailer.Config{Host: rej.Host, Port: rej.Port, From: "a@overdue.example"}).
		Send(context.Background(), &mailer.Message{To: []string{"nobody@example.org"}, Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("rejected recipient: %v, want the 550 answer", err)
	}
	auth := smtptest.Start(t, smtptest.Options{User: "alice", Password: "right"})
	err = mailer.New(mailer.Config{Host: auth.Host, Port: auth.Port, User: "alice", Password: "wrong-pass-123", From: "a@overdue.example"}).
		Send(context.Background(), &mailer.Message{To: []string{"b@example.org"}, Text: "x"})
	if err == nil || strings.Contains(err.Error(), "wrong-pass-123") {
		t.Errorf("bad password: %v (must fail, without echoing the password)", err)
	}
	// STARTTLS required but the server offers none: refused, not sent in clear.
	plain := smtptest.Start(t, smtptest.Options{})
	err = mailer.New(mailer.Config{Host: plain.Host, Port: plain.Port, UseTLS: true, From: "a@overdue.example"}).
		Send(context.Background(), &mailer.Message{To: []string{"b@example.org"}, Text: "x"})
	if err == nil || len(plain.Mails()) != 0 {
		t.Errorf("EMAIL_USE_TLS against a server without STARTTLS: err %v, %d mails delivered", err, len(plain.Mails()))
	}
	hang := smtptest.Start(t, smtptest.Options{Hang: true})
	start := time.Now()
	err = mailer.New(mailer.Config{Host: hang.Host, Port: hang.Port, From: "a@overdue.example", Timeout: 300 * time.Millisecond}).
		Send(context.Background(), &mailer.Message{To: []string{"b@example.org"}, Text: "x"})
	if err == nil {
		t.Errorf("a server that never greets: no error")
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the timeout was not applied")
	}
}

func base64Reader(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, r)
}
