package email

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
)

var (
	reportText = texttemplate.Must(texttemplate.New("report.txt.tmpl").Funcs(texttemplate.FuncMap{"table": textTable}).
			ParseFS(templates, "templates/report.txt.tmpl"))
	reportHTML = htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(htmltemplate.FuncMap{"lines": func(s string) []string { return strings.Split(s, "\n") }}).
			ParseFS(templates, "templates/report.html.tmpl"))
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
// capitals), the name and one cell per column (a cell may span lines).
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

// textTable draws a project's rows as upstream's plain-text reports do:
// a grid with "=" under the header, cells padded by one space, and cells
// with line breaks spread over several lines.
func textTable(columns []string, checks []ReportCheck) string {
	rows := [][]string{append([]string{"Status", "Name"}, columns...)}
	for _, c := range checks {
		rows = append(rows, append([]string{c.Status, c.Name}, c.Cells...))
	}
	n := len(rows[0])
	widths := make([]int, n)
	for _, row := range rows {
		for i := 0; i < n && i < len(row); i++ {
			for _, line := range strings.Split(row[i], "\n") {
				widths[i] = max(widths[i], utf8.RuneCountInString(line))
			}
		}
	}
	var b strings.Builder
	rule := func(ch string) {
		for _, w := range widths {
			b.WriteString("+" + strings.Repeat(ch, w+2))
		}
		b.WriteString("+\n")
	}
	rule("-")
	for r, row := range rows {
		cells := make([][]string, n)
		height := 1
		for i := range n {
			if i < len(row) {
				cells[i] = strings.Split(row[i], "\n")
			}
			height = max(height, len(cells[i]))
		}
		for l := range height {
			for i := range n {
				line := ""
				if l < len(cells[i]) {
					line = cells[i][l]
				}
				b.WriteString("| " + line + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(line)) + " ")
			}
			b.WriteString("|\n")
		}
		if r == 0 {
			rule("=")
		} else {
			rule("-")
		}
	}
	return b.String()
}

// reportsUnsubSalt is upstream's TimestampSigner salt for report
// unsubscribe links (Profile.reports_unsub_url).
const reportsUnsubSalt = "reports"

// ReportUnsubURL is the report's one-click unsubscribe link,
// SITE_ROOT/accounts/unsubscribe_reports/<signed>/, signed as upstream's
// (TimestampSigner, salt "reports"). Upstream signs the user name, which
// Overdue does not have; the user id takes its place.
func ReportUnsubURL(siteRoot, secretKey string, userID int64, now time.Time) string {
	signed := auth.TimestampSign(secretKey, reportsUnsubSalt, strconv.FormatInt(userID, 10), now)
	return strings.TrimRight(siteRoot, "/") + "/accounts/unsubscribe_reports/" + signed + "/"
}

// UnsignReportUnsub checks a report unsubscribe token and returns who it
// names and when it was signed. Like upstream's, it does not expire. who
// is a user id in decimal for Overdue's links, or a Django user name for
// links upstream sent before an import (same salt and SECRET_KEY, so both
// verify here); ReportUnsubUser tells them apart.
func UnsignReportUnsub(secretKey, signed string) (who string, signedAt time.Time, err error) {
	return auth.TimestampUnsign(secretKey, reportsUnsubSalt, signed)
}

// ReportUnsubUser reads who a report link or bounce id names: a positive
// decimal is Overdue's user id (ok); anything else is upstream's user name.
// Upstream's names are a UUID's first 30 characters, never a bare number.
func ReportUnsubUser(who string) (userID int64, ok bool) {
	id, err := strconv.ParseInt(who, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != who {
		return 0, false
	}
	return id, true
}
