package opsmetrics

import "sync/atomic"

// smtpdCounters count the inbound SMTP listener's work (overdue smtpd, or
// serve's smtpd role): each message is a ping for every check it names.
type smtpdCounters struct {
	emails, accepted, ignored atomic.Uint64
}

// ObserveEmail counts one email the SMTP listener read to its end.
func (m *Metrics) ObserveEmail() {
	if m == nil {
		return
	}
	m.smtpd.emails.Add(1)
}

// ObserveEmailPing counts one recipient of an email: accepted when it
// named a check and the ping was recorded, else ignored (no such check,
// an ambiguous slug, another domain, or a check deleted meanwhile).
func (m *Metrics) ObserveEmailPing(accepted bool) {
	if m == nil {
		return
	}
	if accepted {
		m.smtpd.accepted.Add(1)
	} else {
		m.smtpd.ignored.Add(1)
	}
}

func (m *Metrics) writeSMTPD(t textWriter) {
	t.family("overdue_smtpd_emails_total", "counter", "Emails the SMTP listener received in full.")
	t.sample("overdue_smtpd_emails_total", float64(m.smtpd.emails.Load()))
	t.family("overdue_smtpd_pings_total", "counter", "Email recipients by result: accepted (a ping recorded) or ignored (no such check, or it was deleted).")
	t.sample("overdue_smtpd_pings_total", float64(m.smtpd.accepted.Load()), "result", "accepted")
	t.sample("overdue_smtpd_pings_total", float64(m.smtpd.ignored.Load()), "result", "ignored")
}
