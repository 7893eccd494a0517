package api

import (
	"bytes"
	"io"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
)

// The DSN walker takes whatever a mail server (or anyone) posts: it must
// never panic or loop, and a status it reports is one found in the input.
func FuzzDeliveryStatus(f *testing.F) {
	f.Add("To: x@y\r\nContent-Type: multipart/report; boundary=B\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n")
	f.Add("Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed; boundary=C\r\n\r\n--C\r\nStatus: 4.0.0\r\nAction: delayed\r\n\r\n--C--")
	f.Add("Status: 2.0.0\r\nAction: delivered\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(msg.Body)
		status, _ := deliveryStatus(textproto.MIMEHeader(msg.Header), body, 0)
		if status != "" && !bytes.Contains([]byte(raw), []byte(status)) {
			t.Errorf("status %q is not in the input", status)
		}
	})
}
