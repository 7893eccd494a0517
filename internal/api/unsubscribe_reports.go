package api

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

// reportsUnsubPage is the report unsubscribe link's page, the twin of the
// alert one (unsubPage): a confirmation form that submits itself once the
// link is older than autoSubmitAfter, the done page, and the bad link.
var reportsUnsubPage = template.Must(template.New("unsub-reports").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.SiteName}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em;">
<h1>{{.Title}}</h1>
{{- if eq .Kind "confirm"}}
<p>You are about to stop {{.SiteName}} reports and reminders from reaching your email address.
Please press the button below to unsubscribe.</p>
<form id="unsubscribe-form" method="post">
<button type="submit" style="font-size: 1.2em; padding: 0.4em 1.2em;">Unsubscribe</button>
</form>
{{- if .AutoSubmit}}
<script>document.getElementById("unsubscribe-form").submit();</script>
{{- end}}
{{- else if eq .Kind "done"}}
<p>You will not receive {{.SiteName}} reports or reminders any more. To turn them back on, log in
and open your account's notification settings.</p>
{{- else if eq .Kind "bad"}}
<p>The link you just used is incorrect. Part of it may have been lost on the way: open it again from
the email, or copy the whole address.</p>
{{- else}}
<p>{{.Text}}</p>
{{- end}}
</body></html>
`))

// unsubscribeReports serves /accounts/unsubscribe_reports/<signed>/, the
// link in every report's List-Unsubscribe header and footer (upstream's
// hc.accounts.views.unsubscribe_reports): POST turns off the user's
// reports and reminders, any other method shows the confirmation. As
// upstream: a signature that does not verify is the "incorrect link" page
// (200); a valid one for a user that no longer exists is the done page
// (the account is gone, so nothing is sent to it anyway); the signature
// never expires. No session or CSRF token: mail clients POST on their own
// (RFC 8058).
func unsubscribeReports(st *store.Store, secretKey, siteName string, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page := func(status int, kind, title, text string, autoSubmit bool) {
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			h.Set("X-Frame-Options", "DENY")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			w.WriteHeader(status)
			_ = reportsUnsubPage.Execute(w, struct {
				Kind, Title, Text, SiteName string
				AutoSubmit                  bool
			}{kind, title, text, siteName, autoSubmit})
		}
		signed := r.PathValue("token")
		if strings.Contains(signed, "/") {
			notFoundPage(w)
			return
		}
		userID, signedAt, err := email.UnsignReportUnsub(secretKey, signed)
		if err != nil {
			page(http.StatusOK, "bad", "Incorrect link", "", false)
			return
		}
		if r.Method != http.MethodPost {
			if _, err := st.UserByID(r.Context(), userID); errors.Is(err, store.ErrNotFound) {
				page(http.StatusOK, "done", "Unsubscribed", "", false)
				return
			}
			page(http.StatusOK, "confirm", "Unsubscribe", "", time.Since(signedAt) > autoSubmitAfter)
			return
		}
		if err := st.UnsubscribeReports(r.Context(), userID); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("unsubscribe reports", "err", err)
			page(http.StatusServiceUnavailable, "text", "Please try again", "The database could not be reached.", false)
			return
		}
		log.Info("reports unsubscribed", "user", userID)
		page(http.StatusOK, "done", "Unsubscribed", "", false)
	}
}
