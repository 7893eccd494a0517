package api

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/store"
)

// bounceMaxBody is upstream's request size cap (Django's 2.5 MB).
const bounceMaxBody = 2_621_440

// bounces is upstream's bounces/ endpoint: a mail server posts a delivery
// status notification (RFC 3464) whose To address's local part is the
// signed bounce ID of an alert ("n.<notification uuid>") or a report
// ("r.<user>"). A failed alert records the error on the notification and
// its channel, and a permanent failure (5.x.x except 5.4.4) disables the
// channel. The body always starts with "OK" so that the sender stops
// retrying; it is Django's default HttpResponse, text/html. A body over
// Django's 2.5 MB is its 400 page (RequestDataTooBig).
func (a *API) bounces(w http.ResponseWriter, r *http.Request) {
	text := func(s string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, s)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bounceMaxBody))
	if err != nil {
		badRequestPage(w)
		return
	}
	msg, err := mail.ReadMessage(bytes.NewReader(body))
	if err != nil {
		text("OK (bad signature)")
		return
	}
	toLocal, _, _ := strings.Cut(msg.Header.Get("To"), "@")
	now := a.now()
	unsigned, err := auth.UnsignBounceID(a.secretKey, toLocal, 48*time.Hour, now)
	if err != nil {
		text("OK (bad signature)")
		return
	}
	rest, _ := io.ReadAll(msg.Body)
	status, diagnostic := deliveryStatus(textproto.MIMEHeader(msg.Header), rest, 0)
	permanent, transient := strings.HasPrefix(status, "5."), strings.HasPrefix(status, "4.")
	if status == "5.4.4" { // unable to route: probably DNS trouble, so not final
		permanent, transient = false, true
	}
	if !permanent && !transient {
		text("OK (ignored)")
		return
	}
	if code, ok := strings.CutPrefix(unsigned, "n."); ok {
		errText := "Delivery failed (SMTP status code: " + status + ")"
		if diagnostic != "" {
			errText = "Delivery failed (" + diagnostic + ")"
		}
		found, err := a.st.NotificationFeedback(r.Context(), code, now.Add(-48*time.Hour), truncateRunes(errText, 200), permanent)
		if err != nil {
			a.log.Error("bounce", "err", err)
		}
		if !found {
			text("OK (notification not found)")
			return
		}
	}
	if who, ok := strings.CutPrefix(unsigned, "r."); ok && permanent {
		// A report or reminder that cannot be delivered turns both off, as
		// upstream does. Reports name the user by id ("r.<id>",
		// internal/reports); upstream's, sent before an import, by user name.
		id, err := reportUser(r.Context(), a.st, who)
		if err == nil {
			err = a.st.UnsubscribeReports(r.Context(), id)
		}
		if errors.Is(err, store.ErrNotFound) {
			text("OK (user not found)")
			return
		} else if err != nil {
			a.log.Error("bounce", "err", err)
		}
	}
	text("OK")
}

// deliveryStatus walks a message as Python's email.walk() does and returns
// the Status and Diagnostic-Code of the first header block that has both a
// Status and an Action field (the per-recipient part of a DSN).
func deliveryStatus(h textproto.MIMEHeader, body []byte, depth int) (status, diagnostic string) {
	if depth > 10 {
		return "", ""
	}
	if h.Get("Status") != "" && h.Get("Action") != "" {
		d := strings.TrimSpace(h.Get("Diagnostic-Code"))
		if strings.HasPrefix(strings.ToLower(d), "smtp; ") {
			d = d[6:]
		}
		return strings.TrimSpace(h.Get("Status")), d
	}
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return "", ""
			}
			b, err := io.ReadAll(io.LimitReader(p, bounceMaxBody))
			if err != nil {
				return "", ""
			}
			if s, d := deliveryStatus(p.Header, b, depth+1); s != "" {
				return s, d
			}
		}
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		// A series of header blocks separated by blank lines.
		tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
		for {
			block, err := tr.ReadMIMEHeader()
			if s, d := deliveryStatus(block, nil, depth+1); s != "" {
				return s, d
			}
			if err != nil {
				return "", ""
			}
		}
	case mt == "message/rfc822":
		inner, err := mail.ReadMessage(bytes.NewReader(body))
		if err != nil {
			return "", ""
		}
		b, _ := io.ReadAll(io.LimitReader(inner.Body, bounceMaxBody))
		return deliveryStatus(textproto.MIMEHeader(inner.Header), b, depth+1)
	}
	return "", ""
}
