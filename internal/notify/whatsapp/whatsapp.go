// Package whatsapp is the WhatsApp channel kind: a message through
// Twilio's Messages API with one of the operator's WhatsApp content
// templates (upstream HEAD: WhatsApp only allows business-initiated
// messages from approved templates), whose variable 1 is the check name.
package whatsapp

import (
	"context"
	"net/url"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/sms"
	"github.com/overdue/overdue/internal/notify/twilio"
	"github.com/overdue/overdue/internal/pycompat"
)

// Disabled is upstream's error when a setting is missing.
const Disabled = "WhatsApp notifications are not enabled"

// required are the settings upstream needs, every one, to send.
var required = []string{"TWILIO_ACCOUNT", "TWILIO_AUTH", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID",
	"WHATSAPP_DOWN_CONTENT_SID", "WHATSAPP_UP_CONTENT_SID"}

// Integration is the WhatsApp kind for the registry. Its stored value is
// upstream's {"value": phone, "up": bool, "down": bool}.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "whatsapp",
		Name: "WhatsApp",
		Settings: []notify.Setting{
			{Name: "TWILIO_USE_WHATSAPP", Default: "False", Help: "True enables WhatsApp through Twilio (also needs the other TWILIO_* and WHATSAPP_* settings)"},
			twilio.SettingAccount, twilio.SettingAuth, twilio.SettingFrom, twilio.SettingService,
			{Name: "WHATSAPP_DOWN_CONTENT_SID", Help: "the Twilio content template SID of the \"down\" message; its variable 1 is the check name"},
			{Name: "WHATSAPP_UP_CONTENT_SID", Help: "the Twilio content template SID of the \"up\" message"},
		},
		Enabled: func(env notify.Env) bool {
			if env("TWILIO_USE_WHATSAPP") != "True" {
				return false
			}
			for _, k := range required {
				if env(k) == "" {
					return false
				}
			}
			return true
		},
		Disabled: Disabled,
		Fields:   append([]notify.Field{twilio.PhoneField}, twilio.UpDownFields(true)...),
		FromForm: twilio.UpDownFromForm,
		ToForm:   twilio.ToForm,
		Validate: twilio.ValidateUpDown,
		Events:   twilio.Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			a, err := twilio.FromEnv(d)
			return &Transport{Account: a, Limit: twilio.LimitFrom(d), DownSID: d.Env("WHATSAPP_DOWN_CONTENT_SID"), UpSID: d.Env("WHATSAPP_UP_CONTENT_SID")}, err
		},
		Example: `{"value":"+15555550100","up":true,"down":true}`,
	}
}

// Transport sends WhatsApp messages.
type Transport struct {
	Account twilio.Account
	// Limit is the owner's monthly quota (WhatsApp takes from the SMS one).
	Limit twilio.Limit
	// DownSID and UpSID are the content templates.
	DownSID, UpSID string
}

// Form is the Messages request's body for m.
func (t *Transport) Form(c twilio.Config, m *notify.Message) url.Values {
	sid := t.DownSID
	if m.Status == model.StatusUp {
		sid = t.UpSID
	}
	return twilio.AddStatusCallback(url.Values{
		"To":                  {"whatsapp:" + c.Value},
		"From":                {"whatsapp:" + t.Account.From},
		"MessagingServiceSid": {t.Account.Service},
		"ContentSid":          {sid},
		// Python's json.dumps({1: name}): the key becomes "1", the name
		// is ASCII-escaped.
		"ContentVariables": {`{"1": ` + pycompat.JSONString(m.Check.NameThenCode()) + `}`},
	}, m)
}

// Send delivers m.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := twilio.Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid WhatsApp configuration")
	}
	// The notice quotes the SMS text: the real message is a template that
	// lives at Twilio.
	if err := t.Limit.Take(ctx, m, twilio.WhatsAppRefusal, sms.Text(m)); err != nil {
		return err
	}
	return t.Account.Post(ctx, "Messages", t.Form(c, m), m.Test)
}
