package call

import (
	"context"
	"encoding/xml"
	"net/url"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/twilio"
	"github.com/overdue/overdue/internal/notify/twilio/twiliotest"
)

const value = `{"value":"+15555550100"}`

func down() []notifytest.Case {
	var out []notifytest.Case
	for _, c := range notifytest.Cases() {
		if c.Msg.Status == model.StatusDown {
			out = append(out, c)
		}
	}
	return out
}

func TestSuite(t *testing.T) {
	twiliotest.Suite{
		Transport: func(a twilio.Account) notify.Transport { return &Transport{Account: a} },
		Value:     value,
		Resource:  "Calls",
		Limited:   func(a twilio.Account, l twilio.Limit) notify.Transport { return &Transport{Account: a, Limit: l} },
		Refusal:   twilio.CallRefusal,
		Subject:   "Monthly Phone Call Limit Reached",
		Cases:     down(),
	}.Run(t)
}

// The hostile name stays text: the TwiML parses, with one <Say> whose
// text is the whole sentence.
func TestTwiMLEscapes(t *testing.T) {
	for _, c := range down() {
		m := c.Msg
		m.Check.Name = `</Say><Play>http://evil.example/x.mp3</Play><Say>& "q" 'a'`
		form := (&Transport{}).Form(twilio.Config{Value: "+15555550100"}, m)
		var doc struct {
			Say  []string `xml:"Say"`
			Play []string `xml:"Play"`
		}
		if err := xml.Unmarshal([]byte(form.Get("Twiml")), &doc); err != nil {
			t.Fatalf("%s: %v", form.Get("Twiml"), err)
		}
		if len(doc.Say) != 1 || len(doc.Play) != 0 || doc.Say[0] != Text(m) {
			t.Errorf("%s: TwiML %s", c.Name, form.Get("Twiml"))
		}
	}
}

func TestUpIsNoop(t *testing.T) {
	srv := notifytest.NewServer(t)
	m := notifytest.Message(model.StatusUp)
	m.Channel.Value = value
	if err := (&Transport{Account: twiliotest.Account(srv.URL, notifytest.Client(0))}).Send(context.Background(), m); err != nil || len(srv.Requests()) != 0 {
		t.Errorf("up: %v, %d requests", err, len(srv.Requests()))
	}
	if up, down := Integration().Events(value); up || !down {
		t.Error("call must be down only")
	}
}

func TestForm(t *testing.T) {
	in := Integration()
	v, err := in.FromForm(url.Values{"phone": {"+1 555-555-0100"}, "up": {"on"}})
	if err != nil || v != value {
		t.Fatalf("%s %v", v, err)
	}
	if err := in.Validate(v); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "5555550100", "+1<b>", "+" + string(make([]byte, 50))} {
		if _, err := in.FromForm(url.Values{"phone": {bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEnabled(t *testing.T) {
	in := Integration()
	env := map[string]string{"TWILIO_ACCOUNT": "AC1", "TWILIO_AUTH": "x"}
	get := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tr, err := in.Transport(notify.Deps{Client: notifytest.Client(0), Getenv: get})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), notifytest.Message(model.StatusDown)); notify.ErrorText(err) != Disabled || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("without TWILIO_FROM: %v", err)
	}
	env["TWILIO_FROM"] = "+15555550199"
	if !in.Enabled(in.EnvFrom(get)) {
		t.Error("not enabled with the account and a number")
	}
}
