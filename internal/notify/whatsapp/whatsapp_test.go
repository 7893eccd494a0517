package whatsapp

import (
	"context"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/twilio"
	"github.com/overdue/overdue/internal/notify/twilio/twiliotest"
)

func TestSuite(t *testing.T) {
	unicode := notifytest.Message(model.StatusDown)
	unicode.Check.Name = "Rēķins \"nakts\" 🚀"
	twiliotest.Suite{
		Transport: func(a twilio.Account) notify.Transport {
			a.Service = "MG123"
			return &Transport{Account: a, DownSID: "HXdown", UpSID: "HXup"}
		},
		Value:    `{"value":"+15555550100","up":true,"down":true}`,
		Resource: "Messages",
		Limited: func(a twilio.Account, l twilio.Limit) notify.Transport {
			a.Service = "MG123"
			return &Transport{Account: a, Limit: l, DownSID: "HXdown", UpSID: "HXup"}
		},
		Refusal: twilio.WhatsAppRefusal,
		Subject: "Monthly WhatsApp Limit Reached",
		Cases:   append(notifytest.Cases(), notifytest.Case{Name: "unicode", Msg: unicode}),
	}.Run(t)
}

func TestEnabled(t *testing.T) {
	in := Integration()
	full := map[string]string{"TWILIO_USE_WHATSAPP": "True", "TWILIO_ACCOUNT": "AC1", "TWILIO_AUTH": "x", "TWILIO_FROM": "+1555",
		"TWILIO_MESSAGING_SERVICE_SID": "MG1", "WHATSAPP_DOWN_CONTENT_SID": "HX1", "WHATSAPP_UP_CONTENT_SID": "HX2"}
	enabled := func(env map[string]string) bool {
		return in.Enabled(in.EnvFrom(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	}
	if !enabled(full) {
		t.Error("every setting given, not enabled")
	}
	for k := range full {
		env := map[string]string{}
		for k2, v := range full {
			if k2 != k {
				env[k2] = v
			}
		}
		if enabled(env) {
			t.Errorf("enabled without %s", k)
		}
	}
	full["TWILIO_USE_WHATSAPP"] = "true" // upstream's envbool takes only "True"
	if enabled(full) {
		t.Error("TWILIO_USE_WHATSAPP=true enabled it")
	}
	tr, err := in.Transport(notify.Deps{Client: notifytest.Client(0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), notifytest.Message(model.StatusDown)); notify.ErrorText(err) != Disabled || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("disabled: %v", err)
	}
}
