package email_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
)

func message() *notify.Message {
	at := time.Date(2026, 11, 24, 3, 4, 5, 0, time.UTC)
	return &notify.Message{
		Code:        "7a1c0e9e-5d3f-4a51-9c0b-1b2c3d4e5f60",
		Status:      "down",
		Check:       model.Check{Code: "5b1d0c2e-0000-4000-8000-000000000001", Created: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Name: "db <backup> & co", Tags: "prod db", Desc: "Nightly dump", Kind: model.KindCron, Schedule: "0 3 * * *", TZ: "Europe/Riga", Grace: time.Hour, NPings: 42},
		Channel:     model.Channel{Kind: "email", Value: `{"value": "ops@example.org", "up": true, "down": true}`, EmailVerified: true},
		Flip:        model.Flip{Created: at.Add(time.Hour), NewStatus: "down", Reason: "timeout"},
		LastPing:    &model.Ping{N: 7, Created: at, Kind: model.PingFail, RemoteAddr: "192.0.2.7", Body: []byte("pg_dump: error: connection refused")},
		ProjectName: "Infra",
		CheckURL:    "https://overdue.example/cloaked/abc/",
		Now:         at.Add(time.Hour + time.Minute),
		SiteName:    "Overdue",
	}
}

func decodeParts(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
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
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, _ := io.ReadAll(r)
		// SMTP carries CRLF line ends; the parts were written with LF.
		part := strings.ReplaceAll(string(b), "\r\n", "\n")
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = part
		} else {
			text = part
		}
	}
	return msg.Header, text, html
}

// An alert travels over real SMTP (implicit TLS, as on port 465) and
// arrives with upstream's subject, both parts, the link and the ping body.
func TestAlertEmailOverSMTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.TLS, User: "relay", Password: "pw"})
	m := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, UseSSL: true, User: "relay", Password: "pw", From: "alerts@overdue.example", TLSConfig: srv.ClientTLS})
	tr := &email.Transport{Mailer: m}
	if err := tr.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	got := <-srv.Received()
	if len(got.To) != 1 || got.To[0] != "ops@example.org" {
		t.Errorf("recipient %q", got.To)
	}
	h, text, html := decodeParts(t, got.Data)
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if subject != "DOWN | db <backup> & co" {
		t.Errorf("subject %q", subject)
	}
	if h.Get("From") != "<alerts@overdue.example>" || h.Get("To") != "<ops@example.org>" || !strings.HasSuffix(h.Get("Message-Id"), "@overdue.example>") {
		t.Errorf("From %q, To %q, Message-ID %q", h.Get("From"), h.Get("To"), h.Get("Message-Id"))
	}
	for _, want := range []string{
		`The check "db <backup> & co" has gone down.`,
		"Reason: success signal did not arrive on time, grace time passed.",
		"View on Overdue:\nhttps://overdue.example/cloaked/abc/",
		"Description:\n------------\nNightly dump", "Project: Infra", "Tags: prod db", "Schedule: 0 3 * * *\nTime zone: Europe/Riga",
		"Total pings: 7 (since Nov 1, 2026)", "Status changed to down at: Tue, 24 Nov 2026 04:04:05 +0000",
		"Last ping: an hour ago, from 192.0.2.7\nLast ping type: Failure", "Last Ping Body:\n---------------\npg_dump: error: connection refused",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{`"db &lt;backup&gt; &amp; co" is DOWN (success signal did not arrive on time, grace time passed).`,
		`<a href="https://overdue.example/cloaked/abc/">View on Overdue&hellip;</a>`,
		"Nightly dump", "Infra", "prod</code>", "<code>0 3 * * *</code>", "Europe/Riga",
		"an hour ago, from 192.0.2.7", "Failure", "pg_dump: error: connection refused"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<backup>") {
		t.Errorf("the check name is not escaped in HTML")
	}
}

func TestRenderVariants(t *testing.T) {
	m := message()
	m.Status, m.Flip.Reason, m.Downtime = "up", "", 90*time.Minute
	m.Check.Name, m.Check.Kind, m.Check.Timeout = "", model.KindSimple, 26*time.Hour
	m.LastPing.Body = []byte(strings.Repeat("a", 20_000) + "THE_END")
	subject, text, _, err := email.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "UP | "+m.Check.Code {
		t.Errorf("unnamed check subject %q, want the UUID", subject)
	}
	if !strings.Contains(text, "The downtime lasted 1 hour, 30 minutes.") {
		t.Errorf("up alert without the downtime:\n%.300s", text)
	}
	if !strings.Contains(text, "Period: 1 day 2 hours") || !strings.Contains(text, "Showing the last 10000 bytes of 20007 bytes total.") ||
		!strings.HasSuffix(strings.TrimSpace(strings.Split(text, "\n--\n")[0]), "THE_END") {
		t.Errorf("text:\n%.600s", text)
	}
	m.Flip.Reason = "fail"
	m.Status = "down"
	if _, text, _, _ := email.Render(m); !strings.Contains(text, "Reason: received a failure signal.") {
		t.Errorf("fail reason missing")
	}
}

func TestSendErrors(t *testing.T) {
	m := message()
	m.Channel.EmailVerified = false
	srv := smtptest.Start(t, smtptest.Options{})
	tr := &email.Transport{Mailer: mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "a@overdue.example"})}
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "Email not verified" {
		t.Errorf("unverified: %v", err)
	}
	if len(srv.Mails()) != 0 {
		t.Errorf("an unverified address was emailed")
	}
	rej := smtptest.Start(t, smtptest.Options{RejectRcpt: true})
	tr = &email.Transport{Mailer: mailer.New(mailer.Config{Host: rej.Host, Port: rej.Port, From: "a@overdue.example"})}
	err := tr.Send(context.Background(), message())
	// Retryable, as upstream: bounces, not one refusal, disable a channel.
	if txt := notify.ErrorText(err); txt != "SMTP error: 550 5.1.1 mailbox unavailable (RCPT TO)" || notify.IsPermanent(err) {
		t.Errorf("rejected: %q (permanent: %v)", txt, notify.IsPermanent(err))
	}

	tr = &email.Transport{Mailer: mailer.New(mailer.Config{From: "a@overdue.example"})}
	if err := tr.Send(context.Background(), message()); notify.ErrorText(err) != "Email is not configured (EMAIL_HOST is not set)" {
		t.Errorf("unconfigured: %v", err)
	}

	hang := smtptest.Start(t, smtptest.Options{Hang: true})
	tr = &email.Transport{Mailer: mailer.New(mailer.Config{Host: hang.Host, Port: hang.Port, From: "a@overdue.example", Timeout: 200 * time.Millisecond})}
	if err := tr.Send(context.Background(), message()); notify.ErrorText(err) != "SMTP error: no answer from the SMTP server within 200ms" || notify.IsPermanent(err) {
		t.Errorf("hung server: %v", err)
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		`{"value": "a@example.org", "up": true, "down": false}`: "a@example.org",
		"legacy@example.org":   "legacy@example.org",
		" spaced@example.org ": "spaced@example.org",
	} {
		if got := email.Address(in); got != want {
			t.Errorf("Address(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerification(t *testing.T) {
	const secret, code = "s3cret-key", "4f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	tok := email.VerifyToken(secret, code)
	// upstream: hashlib.sha256((code + SECRET_KEY).encode()).hexdigest()
	// Computed with upstream's formula in Python for these two inputs.
	if tok != "828e6476579ff857adbebd76392a1329e61a252a41adb595202d69ac435c3560" {
		t.Fatalf("token %q", tok)
	}
	if !email.CheckVerifyToken(secret, code, tok) || email.CheckVerifyToken(secret, code, tok[:63]+"1") || email.CheckVerifyToken("other", code, tok) || email.CheckVerifyToken(secret, code, "") ||
		email.CheckVerifyToken(secret, "4f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5c", tok) {
		t.Errorf("token check accepts a wrong token or refuses the right one")
	}
	srv := smtptest.Start(t, smtptest.Options{})
	m := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "a@overdue.example"})
	ch := model.Channel{Code: code, Kind: "email", Value: `{"value": "new@example.org", "up": true, "down": true}`}
	if err := email.SendVerification(context.Background(), m, "https://overdue.example/", "Overdue", secret, ch); err != nil {
		t.Fatal(err)
	}
	got := <-srv.Received()
	want := "https://overdue.example/integrations/" + code + "/verify/" + tok + "/"
	h, text, html := decodeParts(t, got.Data)
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if got.To[0] != "new@example.org" || subject != "Confirm your email address for Overdue alerts" {
		t.Errorf("verification mail to %q, subject %q", got.To, subject)
	}
	if !strings.Contains(text, want) || !strings.Contains(html, `href="`+want+`"`) {
		t.Errorf("verification mail lacks %s:\n%s\n%s", want, text, html)
	}
	// A channel without an address gets no mail and says so.
	ch.Value = ""
	if err := email.SendVerification(context.Background(), m, "https://overdue.example/", "Overdue", secret, ch); err == nil {
		t.Error("no address: no error")
	}
}

// With EMAIL_MAIL_FROM_TMPL, bounces go to an address carrying the signed
// bounce ID (VERP); as upstream, the ID is not repeated in a header.
func TestBounceAddress(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	tr := &email.Transport{
		Mailer:   mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "alerts@overdue.example", MailFromTmpl: "%s@bounces.overdue.example"}),
		BounceID: func(s string) string { return s + ".signed" },
	}
	if err := tr.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	got := <-srv.Received()
	want := "n.7a1c0e9e-5d3f-4a51-9c0b-1b2c3d4e5f60.signed"
	if got.From != want+"@bounces.overdue.example" {
		t.Errorf("MAIL FROM %q, want the bounce address", got.From)
	}
	h, _, _ := decodeParts(t, got.Data)
	if h.Get("X-Bounce-Id") != "" || h.Get("From") != "<alerts@overdue.example>" && h.Get("From") != "alerts@overdue.example" {
		t.Errorf("X-Bounce-ID %q, From %q", h.Get("X-Bounce-Id"), h.Get("From"))
	}
}
