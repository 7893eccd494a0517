package api

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// feedbackMaxBody bounds a status callback's form: providers send a few
// hundred bytes.
const feedbackMaxBody = 64 << 10

// notificationStatus is upstream's POST notifications/<uuid>/status: a
// provider (Twilio's StatusCallback, or anything that posts "error" and
// "mark_disabled") reports a delivery failure after the send. It always
// answers 200 with an empty body, also for unknown or hour-old
// notifications, so that providers do not retry.
func (a *API) notificationStatus(w http.ResponseWriter, r *http.Request, code string) {
	r.Body = http.MaxBytesReader(w, r.Body, feedbackMaxBody)
	if err := r.ParseForm(); err != nil {
		writeEmpty(w, http.StatusOK)
		return
	}
	var errText string
	disable := false
	if e := r.PostForm.Get("error"); e != "" {
		errText = truncateRunes(e, 200)
		disable = r.PostForm.Get("mark_disabled") != ""
	}
	if s := r.PostForm.Get("MessageStatus"); s == "failed" || s == "undelivered" {
		errText = "Delivery failed (status=" + s + ")."
	}
	if r.PostForm.Get("CallStatus") == "failed" {
		errText = "Delivery failed (status=failed)."
	}
	if _, err := a.st.NotificationFeedback(r.Context(), code, a.now().Add(-feedbackWindow), errText, disable); err != nil {
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
