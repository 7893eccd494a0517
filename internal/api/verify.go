package api

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

var verifyPage = template.Must(template.New("verify").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}} – {{.SiteName}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// Integrations serves the links of emails: /integrations/<uuid>/verify/<token>/,
// the link that confirms a new email channel's address,
// /integrations/<uuid>/unsub/<signed token>/, the unsubscribe link of alert
// emails, and /accounts/unsubscribe_reports/<signed>/, that of reports
// (upstream's URLs and tokens, so links sent before an import still work).
type Integrations struct{ links linkTable }

// NewIntegrations builds the email links' handler. now is the clock the
// unsubscribe pages judge a link's age by (nil: time.Now).
func NewIntegrations(st *store.Store, secretKey, siteName string, now func() time.Time, log *slog.Logger) *Integrations {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	// The unsubscribe views answer any method (GET shows a confirmation
	// page, POST acts: mail clients POST to them on their own, RFC 8058,
	// so upstream exempts them from CSRF).
	return &Integrations{links: newLinkTable(
		// The verify view is not csrf_exempt: Django's CSRF middleware
		// answers a POST (or any unsafe method) with its 403 before the
		// view runs, so only a GET or HEAD confirms the address.
		&linkRoute{pattern: "/integrations/{code}/verify/{token}/", methods: []string{http.MethodGet}, csrf: true, serve: verifyEmail(st, secretKey, siteName, log)},
		&linkRoute{pattern: "/integrations/{code}/unsub/{signed_token}/", serve: unsubscribe(st, secretKey, siteName, now, log)},
		&linkRoute{pattern: "/accounts/unsubscribe_reports/{signed_username}/", serve: unsubscribeReports(st, secretKey, siteName, now, log)},
	)}
}

func (i *Integrations) ServeHTTP(w http.ResponseWriter, r *http.Request) { i.links.ServeHTTP(w, r) }

// Routes lists the email links, as api.(*API).Routes lists the API's.
func (i *Integrations) Routes() []string { return i.links.Routes() }

// verifyEmail is upstream's hc.integrations.email.views.verify: an
// unknown channel is 404, a wrong token the "bad link" page with 200.
func verifyEmail(st *store.Store, secretKey, siteName string, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code, token := r.PathValue("code"), r.PathValue("token")
		page := func(status int, title, text string) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_ = verifyPage.Execute(w, map[string]string{"Title": title, "Text": text, "SiteName": siteName})
		}
		ch, err := st.ChannelByCode(r.Context(), code)
		if errors.Is(err, store.ErrNotFound) {
			notFoundPage(w)
			return
		}
		if err != nil {
			log.Error("verify email: read channel", "err", err)
			page(http.StatusServiceUnavailable, "Please try again", "The database could not be reached.")
			return
		}
		if ch.Kind != "email" || !email.CheckVerifyToken(secretKey, ch.Code, token) {
			page(http.StatusOK, "This link is not valid", "The address could not be confirmed. The link may be incomplete or out of date.")
			return
		}
		if err := st.SetEmailVerified(r.Context(), ch.ID); err != nil {
			log.Error("verify email: write channel", "err", err)
			page(http.StatusServiceUnavailable, "Please try again", "The database could not be reached.")
			return
		}
		page(http.StatusOK, "Email address confirmed", "Alerts will now be sent to "+email.Address(ch.Value)+".")
	}
}
