package email

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/mailer"
)

var (
	reportText = texttemplate.Must(texttemplate.New("report.txt.tmpl").Funcs(texttemplate.FuncMap{"table": textTable}).
			ParseFS(templates, "templates/report.txt.tmpl"))
	reportHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/report.html.tmpl"))
)

// Report is everything a periodic report shows; internal/reports builds it.
type Report struct {
	To string
	// Period is "daily", "weekly" or "monthly".
	Period string
	// When names the last full period, upstream's "In November", "Last
	// week (November 23 to November 29)" or "Yesterday (December 6)".
	When string
	// SummaryChecks checks had SummaryEvents downtimes in that period.
	SummaryChecks, SummaryEvents int
	// Columns head the periods shown, oldest first.
	Columns  []string
	Projects []ReportProject
	// UnsubURL turns reports and reminders off in one click;
	// SettingsURL is the page to change them.
	UnsubURL, SettingsURL string
	SiteName              string
	// BounceID names the message in its envelope sender (auth.SignBounceID
	// over "r.<user id>").
	BounceID string
}

// ReportProject is one project's table.
type ReportProject struct {
	Name   string
	Checks []ReportCheck
}

// ReportCheck is one row: the status as upstream shows it (DOWN in
// capitals), the name and one cell per column.
type ReportCheck struct {
	Status, Name, URL string
	Cells             []string
}

// ReportSubject is upstream's "Monthly Report" (and Weekly, Daily).
func ReportSubject(period string) string {
	if period == "" {
		return "Report"
	}
	return strings.ToUpper(period[:1]) + period[1:] + " Report"
}

// RenderReport returns the subject, text and HTML of a report.
func RenderReport(r *Report) (subject, text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := reportText.Execute(&tb, r); err != nil {
		return "", "", "", err
	}
	if err := reportHTML.Execute(&hb, r); err != nil {
		return "", "", "", err
	}
	return ReportSubject(r.Period), tb.String(), hb.String(), nil
}

// SendReport renders and sends a report with upstream's one-click
// unsubscribe headers (RFC 2369 and RFC 8058).
func SendReport(ctx context.Context, m Sender, r *Report) error {
	subject, text, html, err := RenderReport(r)
	if err != nil {
		return err
	}
	return m.Send(ctx, &mailer.Message{To: []string{r.To}, Subject: subject, Text: text, HTML: html, BounceID: r.BounceID,
		Headers: map[string]string{"List-Unsubscribe": "<" + r.UnsubURL + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}})
}

// textTable lays a project's rows out in columns padded to the widest
// cell, for the plain-text part (upstream draws an ASCII table).
func textTable(columns []string, checks []ReportCheck) string {
	rows := [][]string{append([]string{"Status", "Name"}, columns...)}
	for _, c := range checks {
		rows = append(rows, append([]string{c.Status, c.Name}, c.Cells...))
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(cell))
			}
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			if i >= len(widths) {
				break
			}
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(cell)
			line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)))
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
