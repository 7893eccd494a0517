package twilio

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// The errors a send records when the month's quota is used up, upstream's.
const (
	ErrSMSLimit      = "Monthly SMS limit exceeded"
	ErrWhatsAppLimit = "Monthly message limit exceeded"
	ErrCallLimit     = "Monthly phone call limit exceeded"
)

// Limit is the monthly quota of the account that owns a channel's
// project, as upstream's Profile.authorize_sms and authorize_call: every
// SMS and WhatsApp message (test messages too) takes one from the SMS
// quota, every call one from the call quota, before Twilio is asked, and
// a Twilio failure does not give it back. A refused send tells the
// project's team by email, since the alert itself is lost.
type Limit struct {
	// Quota is notify.Deps.Quota; nil sets no limit.
	Quota    func(ctx context.Context, projectID int64, kind model.LimitKind, now time.Time) (model.SendGrant, error)
	Mailer   notify.Mailer
	SiteName string
	Log      *slog.Logger
}

// LimitFrom is the quota of the deps main built.
func LimitFrom(d notify.Deps) Limit {
	return Limit{Quota: d.Quota, Mailer: d.Mailer, SiteName: d.SiteName, Log: d.Log}
}

// Refusal is what one kind says when its quota is used up.
type Refusal struct {
	Kind model.LimitKind
	// Transport names the kind in the notice ("SMS", "WhatsApp").
	Transport string
	// Err is the error recorded on the notification and the channel.
	Err string
}

// The kinds' refusals.
var (
	SMSRefusal      = Refusal{Kind: model.LimitSMS, Transport: "SMS", Err: ErrSMSLimit}
	WhatsAppRefusal = Refusal{Kind: model.LimitSMS, Transport: "WhatsApp", Err: ErrWhatsAppLimit}
	CallRefusal     = Refusal{Kind: model.LimitCall, Transport: "phone call", Err: ErrCallLimit}
)

// Take takes one send for m from its project owner's quota. It returns nil
// when the send may go ahead; when the quota is used up it emails the
// notice (with text, the message that was not delivered) and returns r.Err
// as a final error: trying again this month would fail the same way, and
// next month the alert would be stale. The channel stays enabled.
func (l Limit) Take(ctx context.Context, m *notify.Message, r Refusal, text string) error {
	if l.Quota == nil {
		return nil
	}
	g, err := l.Quota(ctx, m.Channel.ProjectID, r.Kind, m.Now)
	if err != nil {
		// Sending without knowing the count could go over the limit the
		// operator pays for; the dispatcher tries again later.
		return notify.Fail("Could not check the monthly limit")
	}
	if g.Allowed {
		return nil
	}
	if l.Mailer != nil && len(g.Team) > 0 {
		if err := l.Mailer.Send(ctx, LimitNotice(r, g, l.SiteName, m, text)); err != nil && l.Log != nil {
			l.Log.Warn("monthly limit notice not sent", "kind", r.Kind, "channel", m.Channel.Code, "err", err)
		}
	}
	return notify.FailFinal(r.Err)
}

// MaskPhone shows the start and end of a number only (upstream's
// mask_phone): +155******100.
func MaskPhone(phone string) string {
	if len(phone) > 7 {
		return phone[:4] + "******" + phone[len(phone)-3:]
	}
	return phone
}

// LimitNotice is the email to the team about a message that the quota
// stopped.
func LimitNotice(r Refusal, g model.SendGrant, siteName string, m *notify.Message, text string) *mailer.Message {
	phone := "its number"
	if c, err := Parse(m.Channel.Value); err == nil {
		phone = MaskPhone(c.Value)
	}
	unit := "messages"
	if r.Kind == model.LimitCall {
		unit = "calls"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nA %s notification to %s was not sent: the %s account %s has used its monthly limit of %d %s.\n",
		r.Transport, phone, siteName, g.OwnerEmail, g.Limit, unit)
	b.WriteString("The count starts again on the first day of next month (UTC).\n\nThe undelivered message:\n\n")
	fmt.Fprintf(&b, "    %s\n\n-- \n%s\n", strings.ReplaceAll(text, "\n", "\n    "), siteName)
	return &mailer.Message{
		To:      g.Team,
		Subject: "Monthly " + titleWords(r.Transport) + " Limit Reached",
		Text:    b.String(),
	}
}

// titleWords capitalises each word: "phone call" becomes "Phone Call".
func titleWords(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if w != "" && w[0] >= 'a' && w[0] <= 'z' {
			words[i] = string(w[0]-'a'+'A') + w[1:]
		}
	}
	return strings.Join(words, " ")
}
