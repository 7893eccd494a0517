package model

import "time"

// LimitKind names one of a user's monthly send counters.
type LimitKind string

// The counters, as upstream keeps them on the profile: SMS and WhatsApp
// messages share the SMS one (sms_limit), phone calls have their own
// (call_limit).
const (
	LimitSMS  LimitKind = "sms"
	LimitCall LimitKind = "call"
)

// DefaultSendLimit is a new user's monthly limit of each kind: upstream's
// value for an account when the site does not take payments (Overdue
// never does), so that only an operator's own change lowers it.
const DefaultSendLimit = 10000

// SendQuota is one monthly counter of a user: upstream's sms_limit,
// sms_sent and last_sms_date (or the call_* trio).
type SendQuota struct {
	Limit int
	// Sent is how many were sent in the month of Last.
	Sent int
	// Last is when the last one was sent; nil when none ever was.
	Last *time.Time
}

// monthStart is the first instant of t's month in UTC, the month upstream
// counts in (its month() of Django's UTC now()).
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// SentThisMonth is upstream's sms_sent_this_month: Sent when the last send
// is from now's month (or, after a clock step back, a later one), else 0.
func (q SendQuota) SentThisMonth(now time.Time) int {
	if q.Last == nil || monthStart(now).After(monthStart(*q.Last)) {
		return 0
	}
	return q.Sent
}

// Authorize is upstream's authorize_sms and authorize_call: when this
// month's count is below the limit, the counter after one more send and
// true; otherwise q unchanged and false.
func (q SendQuota) Authorize(now time.Time) (SendQuota, bool) {
	sent := q.SentThisMonth(now)
	if sent >= q.Limit {
		return q, false
	}
	at := now.UTC().Truncate(time.Microsecond)
	return SendQuota{Limit: q.Limit, Sent: sent + 1, Last: &at}, true
}

// SendGrant is the answer to asking for one more send of a channel's
// project owner's quota.
type SendGrant struct {
	Allowed bool
	// Limit is the owner's monthly limit, for the notice of a refusal.
	Limit int
	// OwnerEmail and Team (the owner's address, then the members', by
	// address) are filled in when the send is refused: upstream tells the
	// whole team that the limit was reached.
	OwnerEmail string
	Team       []string
}
