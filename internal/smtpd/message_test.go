package smtpd_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/smtpd"
)

func TestMessageToEvent(t *testing.T) {
	t.Parallel()
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	tests := []struct {
		name        string
		msg         string
		limit       int
		subject     string
		text        string
		bodyHas     string
		bodyMaxSize int
	}{
		{"plain", "Subject: hi\n\nhello\n", 10000, "hi", "hello\r\n", "\r\n\r\nhello", 0},
		{"quoted-printable", "Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak =3D\n", 10000, "x", "softbreak =\r\n", "softbreak =", 0},
		{"base64", "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n", 10000, "", "hello world", "hello world", 0},
		{"RFC 2047 subject in latin-1", "Subject: =?iso-8859-1?q?caf=E9?=\n\n.\n", 10000, "café", "", "Subject: café", 0},
		{"latin-1 body", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9\n", 10000, "", "café", "café", 0},
		{"html only", "Content-Type: text/html\n\n<html><style>p{}</style><p>Backup&nbsp;<b>OK</b></p>\n<script>x()</script></html>\n", 10000, "", "Backup OK", "Backup OK", 0},
		{"multipart alternative", "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nplain part\n--b\nContent-Type: text/html\n\n<p>html part</p>\n--b--\n", 10000, "", "plain part\nhtml part", "plain part", 0},
		{"attachment skipped", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nsecret\n--b\nContent-Type: text/plain\n\nshown\n--b--\n", 10000, "", "shown", "shown", 0},
		{"8-bit subject", "Subject: \xc5\xa1 ok \xff\n\nx\n", 10000, "š ok \uFFFD", "x", "Subject: š ok", 0},
		{"no header", "just words\nand more\n", 10000, "", "just words", "just words", 0},
		{"body limit", "Subject: s\n\n" + strings.Repeat("é", 100) + "\n", 120, "s", "", "From: ", 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := smtpd.MessageToEvent(strings.NewReader(crlf(tt.msg)), smtpd.Envelope{From: "a@b.example", RemoteAddr: "192.0.2.1"}, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Subject != tt.subject {
				t.Errorf("subject %q, want %q", ev.Subject, tt.subject)
			}
			if !strings.Contains(string(ev.Text), strings.ReplaceAll(tt.text, "\n", "\r\n")) && !strings.Contains(string(ev.Text), tt.text) {
				t.Errorf("text %q lacks %q", ev.Text, tt.text)
			}
			if !bytes.Contains(ev.Body, []byte(tt.bodyHas)) {
				t.Errorf("body %q lacks %q", ev.Body, tt.bodyHas)
			}
			if tt.bodyMaxSize > 0 && (len(ev.Body) > tt.bodyMaxSize || !utf8.Valid(ev.Body)) {
				t.Errorf("body of %d bytes (valid UTF-8: %v), limit %d", len(ev.Body), utf8.Valid(ev.Body), tt.bodyMaxSize)
			}
			if !ev.Email || ev.Scheme != "email" || ev.Method != "" || ev.UA != "Email from a@b.example" || ev.RemoteAddr != "192.0.2.1" {
				t.Errorf("event %+v", ev)
			}
			if err := ev.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	big := "X-Big: " + strings.Repeat("x", 300<<10) + "\r\n\r\nbody"
	if _, err := smtpd.MessageToEvent(strings.NewReader(big), smtpd.Envelope{}, 100); !errors.Is(err, smtpd.ErrHeaderTooLarge) {
		t.Errorf("huge header: %v, want ErrHeaderTooLarge", err)
	}
}

// FuzzMessageToPing feeds arbitrary messages to the parser: it must never
// panic, keep the stored body within the limit, and produce a valid event
// whose text fields are valid UTF-8.
func FuzzMessageToPing(f *testing.F) {
	for _, s := range []string{
		"Subject: hi\r\n\r\nhello\r\n",
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n",
		"Subject: =?utf-8?b?////?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=G",
		"\xff\xfe: \x00\r\n\r\n<script><p>",
		"",
	} {
		f.Add([]byte(s), 50)
	}
	f.Fuzz(func(t *testing.T, msg []byte, limit int) {
		if limit < -1 || limit > 1<<16 {
			limit = 100
		}
		ev, err := smtpd.MessageToEvent(bytes.NewReader(msg), smtpd.Envelope{From: "x@y", RemoteAddr: "127.0.0.1"}, limit)
		if err != nil {
			if !errors.Is(err, smtpd.ErrHeaderTooLarge) {
				t.Fatalf("error %v from a reader that cannot fail", err)
			}
			return
		}
		if limit >= 0 && len(ev.Body) > limit {
			t.Fatalf("body %d bytes over the limit %d", len(ev.Body), limit)
		}
		if !utf8.ValidString(ev.Subject) || !utf8.ValidString(ev.UA) || !utf8.Valid(ev.Text) || !utf8.Valid(ev.Body) {
			t.Fatalf("invalid UTF-8: subject %q text %q body %q", ev.Subject, ev.Text, ev.Body)
		}
		if err := ev.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
