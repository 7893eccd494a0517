package api

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

// The pages of the alert unsubscribe link. The confirmation's form posts
// back to the page's own URL; once the link is older than autoSubmitAfter
// a script submits it, so a person who clicked the link is done, while a
// mail scanner that fetched the link when the email arrived unsubscribed
// nobody (upstream's reasoning, and its 5 minutes).
//
// One page serves both links (alerts here, reports in
// unsubscribe_reports.go); Confirm and Done say what stops.
var unsubPage = template.Must(template.New("unsub").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.SiteName}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em;">
<h1>{{.Title}}</h1>
{{- if eq .Kind "confirm"}}
<p>{{.Confirm}} Please press the button below to unsubscribe.</p>
<form id="unsubscribe-form" method="post">
<button type="submit" style="font-size: 1.2em; padding: 0.4em 1.2em;">Unsubscribe</button>
</form>
{{- if .AutoSubmit}}
<script>document.getElementById("unsubscribe-form").submit();</script>
{{- end}}
{{- else if eq .Kind "done"}}
<p>{{.Done}}</p>
{{- else if eq .Kind "bad"}}
<p>The link you just used is incorrect. Part of it may have been lost on the way: open it again from
the email, or copy the whole address.</p>
{{- else}}
<p>{{.Text}}</p>
{{- end}}
</body></html>
`))

// unsubWords are what an unsubscribe page says stops.
type unsubWords struct{ SiteName, Confirm, Done string }

// unsubPageFunc writes one of the unsubscribe pages (kind confirm, done,
// bad or text) with the headers both links need.
func unsubPageFunc(w http.ResponseWriter, words unsubWords) func(status int, kind, title, text string, autoSubmit bool) {
	return func(status int, kind, title, text string, autoSubmit bool) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		// The form turns mail off with one click: no framing. The link
		// is a credential: no Referer beyond this site.
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		w.WriteHeader(status)
		_ = unsubPage.Execute(w, struct {
			unsubWords
			Kind, Title, Text string
			AutoSubmit        bool
		}{words, kind, title, text, autoSubmit})
	}
}

// autoSubmitAfter is how old an unsubscribe link must be before its
// confirmation page submits itself (upstream: max_age=300).
const autoSubmitAfter = 5 * time.Minute

// unsubscribe serves /integrations/<uuid>/unsub/<signed token>/, the
// link in every alert email's List-Unsubscribe header and footer
// (upstream's hc.integrations.email.views.unsubscribe): POST disables the
// email channel, any other method shows a confirmation form. There is no
// session or CSRF token to check, as upstream exempts the view: mail
// clients POST to the link on their own (RFC 8058). Upstream's order and
// answers: a signature that does not verify is the "incorrect link" page
// (200) whatever the channel; then an unknown channel, or one that is not
// email, is 404; then a token of another channel is the incorrect link.
// The signature does not expire (neither does upstream's).
func unsubscribe(st *store.Store, secretKey, siteName string, now func() time.Time, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code, signed := r.PathValue("code"), r.PathValue("signed_token")
		page := unsubPageFunc(w, unsubWords{SiteName: siteName,
			Confirm: "You are about to stop " + siteName + " alerts from reaching this email address.",
			Done: "This email address has been unsubscribed from " + siteName + " alerts, and the integration is now disabled. " +
				"To receive alerts here again, ask a member of the project to set the integration up again."})
		token, signedAt, err := email.UnsignUnsubToken(secretKey, signed)
		if err != nil {
			page(http.StatusOK, "bad", "Incorrect link", "", false)
			return
		}
		ch, err := st.ChannelByCode(r.Context(), code)
		if errors.Is(err, store.ErrNotFound) || (err == nil && ch.Kind != "email") {
			notFoundPage(w)
			return
		}
		if err != nil {
			log.Error("unsubscribe: read channel", "err", err)
			page(http.StatusServiceUnavailable, "text", "Please try again", "The database could not be reached.", false)
			return
		}
		if !email.CheckVerifyToken(secretKey, ch.Code, token) {
			page(http.StatusOK, "bad", "Incorrect link", "", false)
			return
		}
		if r.Method != http.MethodPost {
			page(http.StatusOK, "confirm", "Unsubscribe", "", now().Sub(signedAt) > autoSubmitAfter)
			return
		}
		// Disabling is idempotent: a second POST, or one for a channel that
		// a delivery failure already disabled, succeeds the same way.
		if err := st.DisableChannel(r.Context(), ch.ID); errors.Is(err, store.ErrNotFound) {
			notFoundPage(w) // deleted since it was read
			return
		} else if err != nil {
			log.Error("unsubscribe: disable channel", "err", err)
			page(http.StatusServiceUnavailable, "text", "Please try again", "The database could not be reached.", false)
			return
		}
		log.Info("email channel unsubscribed", "channel", ch.Code)
		page(http.StatusOK, "done", "Unsubscribed", "", false)
	}
}

// redirectWithSlash answers with a 301 to the request's path with a "/"
// added. RequestURI holds the path as the client sent it, SITE_ROOT's path
// included, before the router stripped that prefix.
func redirectWithSlash(w http.ResponseWriter, r *http.Request) {
	target, query, _ := strings.Cut(r.RequestURI, "?")
	if u, err := url.Parse(target); err == nil && u.Path != "" {
		target = u.EscapedPath()
	} else {
		target, query = r.URL.EscapedPath(), r.URL.RawQuery
	}
	target += "/"
	if query != "" {
		target += "?" + query
	}
	w.Header().Set("Location", target)
	writeEmpty(w, http.StatusMovedPermanently)
}
