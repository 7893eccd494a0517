package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

// unsubscribeReports serves /accounts/unsubscribe_reports/<signed>/, the
// link in every report's List-Unsubscribe header and footer (upstream's
// hc.accounts.views.unsubscribe_reports): POST turns off the user's
// reports and reminders, any other method shows the confirmation. As
// upstream: a signature that does not verify is the "incorrect link" page
// (200); a valid one for a user that no longer exists is the done page
// (the account is gone, so nothing is sent to it anyway); the signature
// never expires. Links upstream signed before an import name a Django user
// name, which the importer keeps (users.upstream_username). No session or CSRF token: mail clients POST on their own
// (RFC 8058).
func unsubscribeReports(st *store.Store, secretKey, siteName string, now func() time.Time, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page := unsubPageFunc(w, unsubWords{SiteName: siteName,
			Confirm: "You are about to stop " + siteName + " reports and reminders from reaching your email address.",
			Done: "You will not receive " + siteName + " reports or reminders any more. " +
				"To turn them back on, log in and open your account's notification settings."})
		signed := r.PathValue("signed_username")
		who, signedAt, err := email.UnsignReportUnsub(secretKey, signed)
		if err != nil {
			page(http.StatusOK, "bad", "Incorrect link", "", false)
			return
		}
		userID, err := reportUser(r.Context(), st, who)
		if errors.Is(err, store.ErrNotFound) {
			page(http.StatusOK, "done", "Unsubscribed", "", false)
			return
		}
		if err != nil {
			log.Error("unsubscribe reports: read user", "err", err)
			page(http.StatusServiceUnavailable, "text", "Please try again", "The database could not be reached.", false)
			return
		}
		if r.Method != http.MethodPost {
			page(http.StatusOK, "confirm", "Unsubscribe", "", now().Sub(signedAt) > autoSubmitAfter)
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

// reportUser finds the user a report link or bounce id names: Overdue's
// user id, or the Django user name of an imported user. Someone it does
// not find is store.ErrNotFound.
func reportUser(ctx context.Context, st *store.Store, who string) (int64, error) {
	if id, ok := email.ReportUnsubUser(who); ok {
		u, err := st.UserByID(ctx, id)
		return u.ID, err
	}
	return st.UserByUpstreamUsername(ctx, who)
}
