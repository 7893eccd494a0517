package sms

import (
	"context"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/twilio"
	"github.com/overdue/overdue/internal/notify/twilio/twiliotest"
)

const value = `{"value":"+15555550100","up":true,"down":true}`

func TestSuite(t *testing.T) {
	twiliotest.Suite{
		Transport: func(a twilio.Account) notify.Transport { return &Transport{Account: a} },
		Value:     value,
		Resource:  "Messages",
		Limited:   func(a twilio.Account, l twilio.Limit) notify.Transport { return &Transport{Account: a, Limit: l} },
		Refusal:   twilio.SMSRefusal,
		Subject:   "Monthly SMS Limit Reached",
	}.Run(t)
}

// A messaging service replaces From, as upstream sends it.
func TestMessagingService(t *testing.T) {
	srv := notifytest.NewServer(t)
	a := twiliotest.Account(srv.URL, notifytest.Client(0))
	a.Service = "MG123"
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = value
	if err := (&Transport{Account: a}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Golden(t, "service.txt", twiliotest.FormText(t, srv.Requests()[0].Body))
}

func TestEnabled(t *testing.T) {
	in := Integration()
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"TWILIO_AUTH": "x"}, false},
		{map[string]string{"TWILIO_AUTH": "x", "TWILIO_ACCOUNT": "AC1"}, false},
		{map[string]string{"TWILIO_AUTH": "x", "TWILIO_ACCOUNT": "AC1", "TWILIO_FROM": "+1555"}, true},
		{map[string]string{"TWILIO_AUTH": "x", "TWILIO_ACCOUNT": "AC1", "TWILIO_MESSAGING_SERVICE_SID": "MG1"}, true},
	} {
		env := in.EnvFrom(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if in.Enabled(env) != c.want {
			t.Errorf("Enabled(%v) = %v", c.env, !c.want)
		}
	}
	tr, err := in.Transport(notify.Deps{Client: notifytest.Client(0)})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), notifytest.Message(model.StatusDown))
	if notify.ErrorText(err) != Disabled || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("disabled: %v", err)
	}
}

func TestBadValue(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = "not json"
	err := (&Transport{}).Send(context.Background(), m)
	if notify.ErrorText(err) != "Invalid SMS configuration" || !notify.IsFinal(err) {
		t.Errorf("%v", err)
	}
}

// Upstream's tmpl turns no-break spaces into plain ones, so that an SMS
// is not sent as UCS-2 (half the characters per part) for their sake.
func TestNoBreakSpace(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	m.Check.Name, m.SiteName = "Nightly\u00a0backup ", "Over\u00a0due"
	if got, want := Text(m), `Over due: The check "Nightly backup " is DOWN (success signal did not arrive on time, grace time passed).`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
