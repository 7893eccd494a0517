package email

import (
	"bytes"
	"context"
	"github.com/overdue/overdue/internal/humanize"
	htmltemplate "html/template"
	"strconv"
	texttemplate "text/template"
	"time"

	"github.com/overdue/overdue/internal/mailer"
)

var (
	nagText = texttemplate.Must(texttemplate.ParseFS(templates, "templates/nag.txt.tmpl"))
	nagHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/nag.html.tmpl"))
)

// NagItem is one down check in a reminder.
type NagItem struct {
	Name, Project, URL string
	// Since is when the check went down ("" when unknown).
	Since string
}

// NagSubject is upstream's reminder subject.
func NagSubject(n int) string {
	return "Reminder: " + strconv.Itoa(n) + " check" + humanize.Plural(int64(n)) + " still down"
}

// Nag is one reminder email.
type Nag struct {
	To, SiteName string
	// Every is the user's reminder period.
	Every time.Duration
	Items []NagItem
	// UnsubURL, when set, is the one-click link that turns reports and
	// reminders off (ReportUnsubURL), sent in the footer and as upstream's
	// List-Unsubscribe headers; BounceID names the message in its envelope
	// sender ("r.<user id>", signed).
	UnsubURL, BounceID string
}

// SendNag emails a reminder listing the checks that are still down.
func SendNag(ctx context.Context, m Sender, n Nag) error {
	word := "every " + humanize.Duration(n.Every)
	switch n.Every {
	case time.Hour:
		word = "hourly"
	case 24 * time.Hour:
		word = "daily"
	}
	d := struct {
		Count                     int
		Items                     []NagItem
		Every, SiteName, UnsubURL string
	}{len(n.Items), n.Items, word, n.SiteName, n.UnsubURL}
	var tb, hb bytes.Buffer
	if err := nagText.Execute(&tb, d); err != nil {
		return err
	}
	if err := nagHTML.Execute(&hb, d); err != nil {
		return err
	}
	msg := &mailer.Message{To: []string{n.To}, Subject: NagSubject(len(n.Items)), Text: tb.String(), HTML: hb.String(), BounceID: n.BounceID}
	if n.UnsubURL != "" {
		msg.Headers = map[string]string{"List-Unsubscribe": "<" + n.UnsubURL + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	}
	return m.Send(ctx, msg)
}
