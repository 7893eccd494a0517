package api

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

var verifyPage = template.Must(template.New("verify").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}} – {{.SiteName}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))

// NewIntegrations serves /integrations/<uuid>/verify/<token>/, the link in
// the email that confirms a new email channel's address, and
// /integrations/<uuid>/unsub/<signed token>/, the unsubscribe link of alert
// emails (upstream's URLs and tokens, so links sent before an import still
// work). now is the clock the unsubscribe pages judge a link's age by
// (nil: time.Now).
func NewIntegrations(st *store.Store, secretKey, siteName string, now func() time.Time, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	mux := http.NewServeMux()
	// Upstream's view answers any method; an unknown channel or a path its
	// URL pattern (uuid, slug) does not match is 404, a wrong token the
	// "bad link" page with 200.
	mux.HandleFunc("/integrations/{code}/verify/{token}/{$}", func(w http.ResponseWriter, r *http.Request) {
		code, token := r.PathValue("code"), r.PathValue("token")
		page := func(status int, title, text string) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_ = verifyPage.Execute(w, map[string]string{"Title": title, "Text": text, "SiteName": siteName})
		}
		if !ping.IsCanonicalUUID(code) || !slugRe.MatchString(token) {
			notFoundPage(w)
			return
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
	})
	mux.HandleFunc("/integrations/{code}/verify/{token}", appendSlash)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFoundPage(w) })
	mux.HandleFunc("/integrations/{code}/unsub/{token}/{$}", unsubscribe(st, secretKey, siteName, now, log))
	mux.HandleFunc("/integrations/{code}/unsub/{token}", appendSlash)
	mux.HandleFunc("/accounts/unsubscribe_reports/{token}/{$}", unsubscribeReports(st, secretKey, siteName, now, log))
	return mux
}
