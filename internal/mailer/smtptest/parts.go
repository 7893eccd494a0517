package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parts decodes a received message: its header, and its text/plain and
// text/html parts (the whole body when it is not multipart), with
// transfer encodings undone and line ends as LF.
func (m Mail) Parts() (header mail.Header, text, html string, err error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, "", "", fmt.Errorf("smtptest: read message: %w", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		b, err := decodeBody(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return msg.Header, b, "", err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return msg.Header, text, html, nil
		}
		if err != nil {
			return nil, "", "", fmt.Errorf("smtptest: read part: %w", err)
		}
		// multipart.Reader undoes quoted-printable itself and drops the header.
		b, err := decodeBody(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return nil, "", "", err
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = b
		} else {
			text = b
		}
	}
}

func decodeBody(enc string, r io.Reader) (string, error) {
	switch strings.ToLower(enc) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("smtptest: decode %s body: %w", enc, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
