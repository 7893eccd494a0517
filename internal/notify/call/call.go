// Package call is the phone call channel kind ("call"): Twilio's Calls
// API places a call that reads a short sentence out (TwiML <Say>). It
// only ever sends "down", as upstream.
package call

import (
	"context"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/twilio"
)

// Disabled is upstream's error when the account is not configured.
const Disabled = "Call notifications are not enabled"

// Integration is the phone call kind for the registry. Its stored value
// is upstream's {"value": phone}.
func Integration() notify.Integration {
	return notify.Integration{
		Kind:     "call",
		Name:     "Phone Call",
		Settings: []notify.Setting{twilio.SettingAccount, twilio.SettingAuth, twilio.SettingFrom},
		Enabled: func(env notify.Env) bool {
			return env("TWILIO_ACCOUNT") != "" && env("TWILIO_AUTH") != "" && env("TWILIO_FROM") != ""
		},
		Disabled: Disabled,
		Fields:   []notify.Field{twilio.PhoneField},
		FromForm: twilio.PhoneFromForm,
		// Upstream cannot edit a call channel after creation (only rename it).
		Validate: twilio.ValidatePhone,
		Events:   notify.DownOnly,
		New: func(d notify.Deps) (notify.Transport, error) {
			a, err := twilio.FromEnv(d)
			return &Transport{Account: a, Limit: twilio.LimitFrom(d)}, err
		},
		Example: `{"value":"+15555550100"}`,
	}
}

// Transport places calls.
type Transport struct {
	Account twilio.Account
	// Limit is the owner's monthly quota of calls.
	Limit twilio.Limit
}

// Text is upstream's call_message.html: what the call says.
func Text(m *notify.Message) string {
	return notify.Tmpl("Hello! A message from " + m.SiteName + `: The check "` + m.Check.NameThenCode() + `" is down.`)
}

// xmlText escapes as Python's xml.sax.saxutils.escape: &, < and >, which
// is all a TwiML text node needs.
var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Form is the Calls request's body for m.
func (t *Transport) Form(c twilio.Config, m *notify.Message) url.Values {
	return twilio.AddStatusCallback(url.Values{
		"From":  {t.Account.From},
		"To":    {c.Value},
		"Twiml": {"<Response><Say>" + xmlText.Replace(Text(m)) + "</Say></Response>"},
	}, m)
}

// Send places the call for a "down" message; "up" is a no-op.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if m.Status != model.StatusDown {
		return nil
	}
	c, err := twilio.Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid phone call configuration")
	}
	if err := t.Limit.Take(ctx, m, twilio.CallRefusal, Text(m)); err != nil {
		return err
	}
	return t.Account.Post(ctx, "Calls", t.Form(c, m), m.Test)
}
