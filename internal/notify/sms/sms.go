// Package sms is the SMS channel kind: a text message through Twilio's
// Messages API from the operator's account (internal/notify/twilio).
package sms

import (
	"context"
	"net/url"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/twilio"
)

// Disabled is upstream's error when the account is not configured.
const Disabled = "SMS notifications are not enabled"

// Integration is the SMS kind for the registry. Its stored value is
// upstream's {"value": phone, "up": bool, "down": bool}.
func Integration() notify.Integration {
	return notify.Integration{
		Kind:     "sms",
		Name:     "SMS",
		Settings: []notify.Setting{twilio.SettingAccount, twilio.SettingAuth, twilio.SettingFrom, twilio.SettingService},
		// Upstream shows the card with TWILIO_AUTH alone and then fails
		// every send without the account and a sender: here the kind is
		// enabled only when it can send.
		Enabled: func(env notify.Env) bool {
			return env("TWILIO_ACCOUNT") != "" && env("TWILIO_AUTH") != "" &&
				(env("TWILIO_FROM") != "" || env("TWILIO_MESSAGING_SERVICE_SID") != "")
		},
		Disabled: Disabled,
		Fields:   append([]notify.Field{twilio.PhoneField}, twilio.UpDownFields(false)...),
		FromForm: twilio.UpDownFromForm,
		ToForm:   twilio.ToForm,
		Validate: twilio.ValidateUpDown,
		Events:   twilio.Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			a, err := twilio.FromEnv(d)
			return &Transport{Account: a, Limit: twilio.LimitFrom(d)}, err
		},
		Example: `{"value":"+15555550100","up":false,"down":true}`,
	}
}

// Transport sends SMS.
type Transport struct {
	Account twilio.Account
	// Limit is the owner's monthly quota.
	Limit twilio.Limit
}

// Text is upstream's sms_message.html.
func Text(m *notify.Message) string {
	name := m.Check.NameThenCode()
	if m.Status == model.StatusDown {
		s := m.SiteName + `: The check "` + name + `" is DOWN`
		if m.Flip.Reason != "" {
			s += " (" + notify.ReasonLong(m.Flip.Reason) + ")"
		}
		return notify.Tmpl(s + ".")
	}
	s := m.SiteName + `: The check "` + name + `" is UP.`
	if d := notify.DowntimeText(m); d != "" {
		s += " The downtime lasted " + d + "."
	}
	return notify.Tmpl(s)
}

// Form is the Messages request's body for m.
func (t *Transport) Form(c twilio.Config, m *notify.Message) url.Values {
	form := url.Values{"To": {c.Value}, "Body": {Text(m)}, "RiskCheck": {"disable"}}
	if t.Account.Service != "" {
		form.Set("MessagingServiceSid", t.Account.Service)
	} else {
		form.Set("From", t.Account.From)
	}
	return twilio.AddStatusCallback(form, m)
}

// Send delivers m.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := twilio.Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid SMS configuration")
	}
	if err := t.Limit.Take(ctx, m, twilio.SMSRefusal, Text(m)); err != nil {
		return err
	}
	return t.Account.Post(ctx, "Messages", t.Form(c, m), m.Test)
}
