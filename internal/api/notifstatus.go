package api

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// notificationStatus is upstream's POST notifications/<uuid>/status: a
// provider (Twilio's StatusCallback, or anything that posts "error" and
// "mark_disabled") reports a delivery failure after the send. It answers
// 200 with an empty body, also for unknown or hour-old notifications, so
// that providers do not retry. The form is read as Django reads
// request.POST (urlencoded or multipart, the last of repeated fields);
// one that Django cannot read (over 2.5 MB, over 1000 fields, a broken
// multipart body) is a 400 when the notification exists, as upstream
// looks the notification up first.
func (a *API) notificationStatus(w http.ResponseWriter, r *http.Request, code string) {
	if r.Method != http.MethodPost {
		// Django's require_POST.
		w.Header().Set("Allow", http.MethodPost)
		writeEmpty(w, http.StatusMethodNotAllowed)
		return
	}
	since := a.now().Add(-feedbackWindow)
	form, err := parseDjangoPost(w, r)
	if err != nil {
		found, ferr := a.st.NotificationFeedback(r.Context(), code, since, "", false)
		if ferr != nil {
			a.log.Error("notification status callback", "err", ferr)
		}
		if found {
			badRequestPage(w)
			return
		}
		writeEmpty(w, http.StatusOK)
		return
	}
	var errText string
	disable := false
	if e, _ := lastField(form, "error"); e != "" {
		errText = truncateRunes(e, 200)
		m, _ := lastField(form, "mark_disabled")
		disable = m != ""
	}
	if s, _ := lastField(form, "MessageStatus"); s == "failed" || s == "undelivered" {
		errText = "Delivery failed (status=" + s + ")."
	}
	if s, _ := lastField(form, "CallStatus"); s == "failed" {
		errText = "Delivery failed (status=failed)."
	}
	if _, err := a.st.NotificationFeedback(r.Context(), code, since, errText, disable); err != nil {
		a.log.Error("notification status callback", "err", err)
	}
	writeEmpty(w, http.StatusOK)
}

// feedbackWindow is how long after a notification a report is accepted.
const feedbackWindow = time.Hour

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
