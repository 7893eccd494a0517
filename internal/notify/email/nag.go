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

// SendNag emails a reminder listing the checks that are still down.
func SendNag(ctx context.Context, m Sender, to, siteName string, every time.Duration, items []NagItem) error {
	word := "every " + humanize.Duration(every)
	switch every {
	case time.Hour:
		word = "hourly"
	case 24 * time.Hour:
		word = "daily"
	}
	d := struct {
		Count           int
		Items           []NagItem
		Every, SiteName string
	}{len(items), items, word, siteName}
	var tb, hb bytes.Buffer
	if err := nagText.Execute(&tb, d); err != nil {
		return err
	}
	if err := nagHTML.Execute(&hb, d); err != nil {
		return err
	}
	return m.Send(ctx, &mailer.Message{To: []string{to}, Subject: NagSubject(len(items)), Text: tb.String(), HTML: hb.String()})
}
