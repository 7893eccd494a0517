// Package email is the email integration: alert messages with a text and an
// HTML part, upstream's "DOWN | name" subjects, and the address
// verification that new email channels go through.
package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

//go:embed templates
var templates embed.FS

var (
	alertText  = texttemplate.Must(texttemplate.ParseFS(templates, "templates/alert.txt.tmpl"))
	alertHTML  = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/alert.html.tmpl"))
	verifyText = texttemplate.Must(texttemplate.ParseFS(templates, "templates/verify.txt.tmpl"))
	verifyHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/verify.html.tmpl"))
)

// Sender is what the transport needs from a mailer.
type Sender interface {
	Send(ctx context.Context, msg *mailer.Message) error
}

// Transport sends alert emails.
type Transport struct {
	Mailer Sender
	// BounceID, when set, signs "n.<notification uuid>" (auth.SignBounceID)
	// for the envelope sender below. Like upstream, the ID is not sent as a
	// header: a bounce identifies itself by the address it returns to.
	BounceID func(s string) string
	// MailFromTmpl is EMAIL_MAIL_FROM_TMPL: with BounceID, the envelope
	// sender becomes the template with %s replaced by the bounce ID.
	MailFromTmpl string
}

// Address returns the recipient of an email channel: upstream's JSON
// {"value": ...} or a legacy bare address.
func Address(value string) string {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "{") {
		var doc struct {
			Value string `json:"value"`
		}
		if json.Unmarshal([]byte(v), &doc) == nil {
			return doc.Value
		}
	}
	return v
}

// bodyLimit is how much of the last ping's body an alert shows: its end,
// where a failing job's error usually is (upstream shows the last 10,000).
const bodyLimit = 10_000

type lastPing struct {
	Kind, Time, From string
}

type alertData struct {
	Name, StatusWord, Reason, CheckURL, Desc, Project, Tags string
	Schedule, TZ, Period, Grace, FlipTime, SiteName         string
	NPings                                                  int64
	LastPing                                                *lastPing
	Body                                                    string
	BodyCut                                                 bool
	BodyLimit                                               int
	Downtime                                                string
}

// Render returns the subject, text and HTML of the alert for m.
func Render(m *notify.Message) (subject, text, html string, err error) {
	c := &m.Check
	d := alertData{
		Name:       c.NameThenCode(),
		StatusWord: strings.ToUpper(m.Status),
		Reason:     reasonText(m.Flip.Reason),
		CheckURL:   m.CheckURL,
		Desc:       c.Desc,
		Project:    m.ProjectName,
		Tags:       c.Tags,
		Grace:      humanDuration(c.Grace),
		FlipTime:   m.Flip.Created.UTC().Format("2006-01-02 15:04:05 MST"),
		SiteName:   m.SiteName,
		NPings:     c.NPings,
		BodyLimit:  bodyLimit,
	}
	if m.Status == model.StatusUp && m.Downtime > 0 {
		d.Downtime = humanDuration(m.Downtime)
	}
	if c.Kind == model.KindSimple {
		d.Period = humanDuration(c.Timeout)
	} else {
		d.Schedule, d.TZ = c.Schedule, c.TZ
	}
	if p := m.LastPing; p != nil {
		d.LastPing = &lastPing{Kind: pingKind(p), Time: p.Created.UTC().Format("2006-01-02 15:04:05 MST"), From: p.RemoteAddr}
		body := p.Body
		if len(body) > bodyLimit {
			body, d.BodyCut = body[len(body)-bodyLimit:], true
		}
		d.Body = strings.ToValidUTF8(string(body), "\uFFFD")
	}
	subject = d.StatusWord + " | " + d.Name
	var tb, hb bytes.Buffer
	if err := alertText.Execute(&tb, d); err != nil {
		return "", "", "", err
	}
	if err := alertHTML.Execute(&hb, d); err != nil {
		return "", "", "", err
	}
	return subject, tb.String(), hb.String(), nil
}

// Send emails the alert. An address that was never confirmed gets nothing,
// with upstream's error text.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if !m.Channel.EmailVerified {
		return notify.Fail("Email not verified")
	}
	to := Address(m.Channel.Value)
	if to == "" {
		return notify.FailPermanent("Empty email address")
	}
	subject, text, html, err := Render(m)
	if err != nil {
		return notify.Fail("Could not render the email")
	}
	msg := &mailer.Message{To: []string{to}, Subject: subject, Text: text, HTML: html, Headers: map[string]string{}}
	if t.BounceID != nil && t.MailFromTmpl != "" && m.Code != "" {
		msg.EnvelopeFrom = strings.Replace(t.MailFromTmpl, "%s", t.BounceID("n."+m.Code), 1)
	}
	err = t.Mailer.Send(ctx, msg)
	if err != nil {
		return notify.Fail(shortSMTPError(err))
	}
	return nil
}

// shortSMTPError is what the channel shows as its last error: the
// server's answer and the SMTP step, or what went wrong on the way, but not
// the relay's address (that is for the operator's logs).
func shortSMTPError(err error) string {
	if errors.Is(err, mailer.ErrNotConfigured) {
		return err.Error()
	}
	var se *mailer.SendError
	if !errors.As(err, &se) {
		return "SMTP error: " + err.Error()
	}
	if se.Step != "" && se.Code != 0 {
		return "SMTP error: " + se.Reason + " (" + se.Step + ")"
	}
	return "SMTP error: " + se.Reason
}

// reasonText explains why the check flipped, with the phrases of
// upstream's Flip.reason_long, which users already know from its alerts.
func reasonText(reason string) string {
	switch reason {
	case "timeout":
		return "success signal did not arrive on time, grace time passed"
	case "fail":
		return "received a failure signal"
	}
	return ""
}

func pingKind(p *model.Ping) string {
	switch p.Kind {
	case model.PingSuccess:
		return "success"
	case model.PingStart:
		return "start"
	case model.PingFail:
		return "failure"
	case model.PingLog:
		return "log"
	case model.PingIgnored:
		return "ignored"
	}
	return p.Kind
}

// humanDuration writes a duration the way people say it: "1 day 2 hours".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "0 minutes"
	}
	units := []struct {
		name string
		size time.Duration
	}{{"week", 7 * 24 * time.Hour}, {"day", 24 * time.Hour}, {"hour", time.Hour}, {"minute", time.Minute}, {"second", time.Second}}
	var parts []string
	for _, u := range units {
		if n := d / u.size; n > 0 {
			s := ""
			if n > 1 {
				s = "s"
			}
			parts = append(parts, strings.TrimSpace(strconv.FormatInt(int64(n), 10)+" "+u.name+s))
			d -= n * u.size
		}
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// VerifyToken is upstream's Channel.make_token: the SHA-256 hex digest of
// the channel's UUID followed by SECRET_KEY, so verification links sent by
// upstream before an import keep working.
func VerifyToken(secretKey, channelCode string) string {
	sum := sha256.Sum256([]byte(channelCode + secretKey))
	return hex.EncodeToString(sum[:])
}

// CheckVerifyToken compares token with the channel's in constant time.
func CheckVerifyToken(secretKey, channelCode, token string) bool {
	return subtle.ConstantTimeCompare([]byte(VerifyToken(secretKey, channelCode)), []byte(token)) == 1
}

// VerifyURL is the confirmation link, in upstream's URL shape.
func VerifyURL(siteRoot, channelCode, token string) string {
	return strings.TrimRight(siteRoot, "/") + "/integrations/" + channelCode + "/verify/" + token + "/"
}

// SendVerification emails the confirmation link for a new email channel.
func SendVerification(ctx context.Context, m Sender, siteRoot, siteName, secretKey string, ch model.Channel) error {
	to := Address(ch.Value)
	if to == "" {
		return errors.New("the channel has no email address")
	}
	d := struct{ SiteName, Link string }{siteName, VerifyURL(siteRoot, ch.Code, VerifyToken(secretKey, ch.Code))}
	var tb, hb bytes.Buffer
	if err := verifyText.Execute(&tb, d); err != nil {
		return err
	}
	if err := verifyHTML.Execute(&hb, d); err != nil {
		return err
	}
	return m.Send(ctx, &mailer.Message{To: []string{to}, Subject: VerifySubject(siteName), Text: tb.String(), HTML: hb.String()})
}

// VerifySubject is the subject of the confirmation email.
func VerifySubject(siteName string) string {
	return "Confirm your email address for " + siteName + " alerts"
}
