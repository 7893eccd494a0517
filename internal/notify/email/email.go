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
	"github.com/overdue/overdue/internal/humanize"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/pycompat"
)

//go:embed templates
var templates embed.FS

var (
	// The alert's HTML is built from pre-escaped strings (Django's escaping,
	// which differs from html/template's in its entities).
	alertHTML  = texttemplate.Must(texttemplate.ParseFS(templates, "templates/alert.html.tmpl"))
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
	// for the envelope sender that the mailer builds from
	// EMAIL_MAIL_FROM_TMPL. Like upstream, the ID is not sent as a header: a
	// bounce identifies itself by the address it returns to.
	BounceID func(s string) string
	// Overview, when set, lists the projects of the account whose email
	// address the alert goes to (none for an address without an account),
	// for upstream's "Projects Overview". A failure leaves it out.
	Overview func(ctx context.Context, address string) ([]ProjectSummary, error)
	// SecretKey is SECRET_KEY. When set, alerts carry upstream's one-click
	// unsubscribe link (RFC 2369 List-Unsubscribe and RFC 8058
	// List-Unsubscribe-Post headers, and a line in both parts), signed as
	// upstream signs it (UnsubToken) under the message's SiteRoot.
	SecretKey string
}

// Extras is what an alert shows besides the message itself.
type Extras struct {
	// Projects is the recipient's projects overview (none without an
	// account).
	Projects []ProjectSummary
	// UnsubLink is the channel's unsubscribe link ("" for none).
	UnsubLink string
}

// ProjectSummary is one line of an alert's projects overview; it is
// notify's type, so that main can hand the overview over in notify.Deps.
type ProjectSummary = notify.ProjectSummary

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

// bodyLimit is how much of the last ping's body an alert shows: its last
// 10,000 characters, where a failing job's error usually is (upstream's
// limit and unit).
const bodyLimit = 10_000

// alertView is what the HTML template shows; every string in it is
// already escaped HTML.
type alertView struct {
	Name, StatusWord, StatusTitle, Reason, Downtime, URL, SiteName string
	Desc, Project                                                  string
	Tags                                                           []string
	Period, Schedule, TZ                                           string
	NPings, Since                                                  string
	LastPing                                                       *pingView
	FlipTime                                                       string
	HasBody, BodyCut                                               bool
	BodyLen                                                        int
	Body                                                           string
	Projects                                                       []projectView
	UnsubLink                                                      string
}

type projectView struct{ Name, URL, Down string }

type pingView struct {
	When, From, Type, TypeStyle string
}

// Render returns the subject, text and HTML of the alert for m: upstream's
// alert email (templates/emails/alert-*.html) in content and wording, with
// a projects overview when projects are given. Times are shown in UTC:
// Overdue has no per-user time zone yet.
func Render(m *notify.Message, projects ...ProjectSummary) (subject, text, html string, err error) {
	return RenderWith(m, Extras{Projects: projects})
}

// RenderWith is Render with everything an alert can show besides m.
func RenderWith(m *notify.Message, x Extras) (subject, text, html string, err error) {
	projects := x.Projects
	c := &m.Check
	status := m.Status
	name := c.NameThenCode()
	flipTime := m.Flip.Created.UTC()
	now := m.Now
	if now.IsZero() {
		now = flipTime
	}
	var body string
	hasBody := m.LastPing != nil && len(m.LastPing.Body) > 0
	bodyLen, bodyCut := 0, false
	if hasBody {
		body = pycompat.DecodeUTF8(m.LastPing.Body)
		r := []rune(body)
		bodyLen = len(r)
		if bodyLen > bodyLimit {
			body, bodyCut = string(r[bodyLen-bodyLimit:]), true
		}
	}
	downtime := ""
	if status == model.StatusUp && m.Downtime > 0 {
		downtime = humanize.DurationForSentence(m.Downtime)
	}
	nPings := "0"
	if m.LastPing != nil {
		nPings = strconv.FormatInt(m.LastPing.N, 10)
	}
	since := ""
	if !c.Created.IsZero() {
		since = c.Created.UTC().Format("Jan 2, 2006")
	}

	// The text part, line by line as upstream's linemode template.
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	add(`The check "` + name + `" has gone ` + status + ".")
	if r := m.Flip.ReasonLong(); r != "" {
		add("Reason: " + r + ".")
	}
	if downtime != "" {
		add("The downtime lasted " + downtime + ".")
	}
	add("", "View on "+m.SiteName+":", m.CheckURL)
	if c.Desc != "" {
		add("", "Description:", "------------", c.Desc)
	}
	add("", "Details:", "--------")
	if m.ProjectName != "" {
		add("Project: " + m.ProjectName)
	}
	if c.Tags != "" {
		add("Tags: " + c.Tags)
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		add("Schedule: "+c.Schedule, "Time zone: "+c.TZ)
	default:
		add("Period: " + humanize.Duration(c.Timeout))
	}
	total := "Total pings: " + nPings + " "
	if since != "" {
		total += "(since " + since + ")"
	}
	add(total)
	if p := m.LastPing; p != nil {
		l := "Last ping: " + humanize.NaturalTime(p.Created, now)
		if p.RemoteAddr != "" {
			l += ", from " + p.RemoteAddr
		}
		add(l, "Last ping type: "+kindDisplay(p))
	}
	add("Status changed to " + status + " at: " + dateR(flipTime))
	if hasBody {
		add("", "Last Ping Body:")
		if bodyCut {
			add("Showing the last " + strconv.Itoa(bodyLimit) + " bytes of " + strconv.Itoa(bodyLen) + " bytes total.")
		}
		add("---------------", wordwrap(body, 80))
	}
	if len(projects) > 0 {
		add("", "Projects Overview:", "------------------")
		for _, p := range projects {
			if p.Down > 0 {
				add("* " + p.Name + ": " + strconv.Itoa(p.Down) + " check" + humanize.Plural(int64(p.Down)) + " down")
			} else {
				add("* " + p.Name + ": OK, all checks up")
			}
		}
	}
	add("", "--")
	if x.UnsubLink != "" {
		add("Unsubscribe: " + x.UnsubLink)
	}
	add("Regards, " + m.SiteName)
	text = strings.ReplaceAll(strings.Join(lines, "\n"), "\u00a0", " ")

	v := alertView{
		Name: escapeHTML(name), StatusWord: strings.ToUpper(status), StatusTitle: strings.ToUpper(status[:min(1, len(status))]) + status[min(1, len(status)):],
		Reason: escapeHTML(m.Flip.ReasonLong()), Downtime: downtime, URL: escapeHTML(m.CheckURL), SiteName: escapeHTML(m.SiteName),
		Desc: linebreaksBR(c.Desc), Project: escapeHTML(m.ProjectName),
		NPings: nPings, Since: since, FlipTime: dateR(flipTime),
		HasBody: hasBody, BodyCut: bodyCut, BodyLen: bodyLen, Body: linebreaksBR(body),
		UnsubLink: escapeHTML(x.UnsubLink),
	}
	for _, t := range c.TagsList() {
		v.Tags = append(v.Tags, escapeHTML(t))
	}
	for _, p := range projects {
		pv := projectView{Name: escapeHTML(p.Name), URL: escapeHTML(p.URL), Down: "OK, all checks up"}
		if p.Down > 0 {
			pv.Down = "<b>" + strconv.Itoa(p.Down) + " check" + humanize.Plural(int64(p.Down)) + " down</b>"
		}
		v.Projects = append(v.Projects, pv)
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		v.Schedule, v.TZ = escapeHTML(c.Schedule), escapeHTML(c.TZ)
	default:
		v.Period = humanize.Duration(c.Timeout)
	}
	if p := m.LastPing; p != nil {
		typ, style := htmlKindDisplay(p)
		v.LastPing = &pingView{When: humanize.NaturalTime(p.Created, now), From: escapeHTML(p.RemoteAddr), Type: typ, TypeStyle: style}
	}
	var hb bytes.Buffer
	if err := alertHTML.Execute(&hb, v); err != nil {
		return "", "", "", err
	}
	subject = strings.TrimSpace(strings.ToUpper(status) + " | " + name)
	return subject, text, hb.String(), nil
}

// kindDisplay is upstream's Ping.get_kind_display.
func kindDisplay(p *model.Ping) string {
	switch p.Kind {
	case model.PingIgnored:
		return "Ignored"
	case model.PingFail:
		if p.ExitStatus != nil && *p.ExitStatus != 0 {
			return "Exit status " + strconv.Itoa(*p.ExitStatus)
		}
		return "Failure"
	case model.PingStart:
		return "Start"
	case model.PingLog:
		return "Log"
	}
	return "Success"
}

// htmlKindDisplay is the "Last Ping Type" badge of upstream's HTML alert,
// which words a few kinds differently from kindDisplay, and its colours.
func htmlKindDisplay(p *model.Ping) (text, style string) {
	const grey, red, green = "#eeeeee", "#f2dede", "#dff0d8"
	switch {
	case p.Kind == model.PingIgnored:
		return "Ignored", grey
	case p.ExitStatus != nil && *p.ExitStatus > 0:
		return "Exit status " + strconv.Itoa(*p.ExitStatus), red
	case p.ExitStatus != nil && *p.ExitStatus == 0:
		return "Exit status 0", green
	case p.Kind == model.PingFail:
		return "Failure", red
	case p.Kind == model.PingStart:
		return "Started", green
	case p.Kind == model.PingLog:
		return "Log", grey
	}
	return "Success", green
}

// Send emails the alert. An address that was never confirmed gets nothing,
// with upstream's error text; like upstream, that send is not tried again
// (an alert must not arrive late because the address was confirmed later).
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if !m.Channel.EmailVerified {
		return notify.FailFinal("Email not verified")
	}
	to := Address(m.Channel.Value)
	if to == "" {
		return notify.FailPermanent("Empty email address")
	}
	var projects []ProjectSummary
	if t.Overview != nil {
		// The overview is a courtesy: without it the alert still goes out.
		projects, _ = t.Overview(ctx, to)
	}
	unsub := t.unsubLink(m)
	subject, text, html, err := RenderWith(m, Extras{Projects: projects, UnsubLink: unsub})
	if err != nil {
		return notify.Fail("Could not render the email")
	}
	msg := &mailer.Message{To: []string{to}, Subject: subject, Text: text, HTML: html, Headers: map[string]string{}}
	if unsub != "" {
		// Upstream's headers: mail clients show an "Unsubscribe" button, and
		// with the second header POST to the link without asking (RFC 8058).
		msg.Headers["List-Unsubscribe"] = "<" + unsub + ">"
		msg.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	if t.BounceID != nil && m.Code != "" {
		msg.BounceID = t.BounceID("n." + m.Code)
	}
	err = t.Mailer.Send(ctx, msg)
	if err != nil {
		return notify.Fail(shortSMTPError(err))
	}
	return nil
}

// unsubLink is the channel's unsubscribe link, signed at the message's
// time; "" without SECRET_KEY (anyone could sign one) or SITE_ROOT.
func (t *Transport) unsubLink(m *notify.Message) string {
	if t.SecretKey == "" || m.SiteRoot == "" || m.Channel.Code == "" {
		return ""
	}
	now := m.Now
	if now.IsZero() {
		now = time.Now()
	}
	return UnsubURL(m.SiteRoot, m.Channel.Code, UnsubToken(t.SecretKey, m.Channel.Code, now))
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
