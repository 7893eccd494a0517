package opsgenie

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const (
	key   = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	alias = "e8fe589f92417e6241d280fb19c9071abb18e584"
)

func send(t *testing.T, c *notify.Client, srv *notifytest.Server, value string, m *notify.Message) error {
	t.Helper()
	m.Channel = model.Channel{Kind: "opsgenie", Value: value}
	return (&Transport{Client: c, US: srv.URL + "/us", EU: srv.URL + "/eu"}).Send(t.Context(), m)
}

// Each message goes to the region's Alert API with the key; "down"
// creates the alert (golden body), "up" closes it by its alias.
func TestSend(t *testing.T) {
	for _, region := range []string{"us", "eu"} {
		for _, c := range notifytest.Cases() {
			t.Run(region+"/"+c.Name, func(t *testing.T) {
				srv := notifytest.NewServer(t, notifytest.Reply{Status: 202, Body: `{"result":"Request will be processed","requestId":"x"}`})
				if err := send(t, notifytest.Client(0), srv, `{"region": "`+region+`", "key": "`+key+`"}`, c.Msg); err != nil {
					t.Fatal(err)
				}
				r := srv.Requests()[0]
				uri := "/" + region + "/v2/alerts"
				if c.Msg.Status == model.StatusUp {
					uri += "/" + alias + "/close?identifierType=alias"
				}
				if r.Method != "POST" || r.URI != uri || r.Header.Get("Authorization") != "GenieKey "+key || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s %s %v", r.Method, r.URI, r.Header)
				}
				if region == "us" {
					notifytest.Golden(t, c.Name+".json", r.Body)
				}
			})
		}
	}
}

func TestLegacyValue(t *testing.T) {
	srv := notifytest.NewServer(t)
	if err := send(t, notifytest.Client(0), srv, key, notifytest.Message(model.StatusDown)); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests()[0]; r.URI != "/us/v2/alerts" || r.Header.Get("Authorization") != "GenieKey "+key {
		t.Errorf("%s %v", r.URI, r.Header)
	}
}

func TestAnswers(t *testing.T) {
	answers := append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "403 with a message", Reply: notifytest.Reply{Status: 403, Body: `{"message": "Nice try", "took": 0.0}`},
			Err: `Received status code 403 with a message: "Nice try"`, Tries: 3},
		notifytest.Answer{Name: "422 other JSON", Reply: notifytest.Reply{Status: 422, Body: `{"message": 5}`}, Err: "Received status code 422", Tries: 3},
		notifytest.Answer{Name: "429 with a message", Reply: notifytest.Reply{Status: 429, Body: `{"message": "You are making too many requests!"}`},
			Err: `Received status code 429 with a message: "You are making too many requests!"`, Tries: 1},
	)
	notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
		return send(t, c, srv, `{"region": "us", "key": "`+key+`"}`, notifytest.Message(model.StatusDown))
	})
}

func TestDisabled(t *testing.T) {
	srv := notifytest.NewServer(t)
	tr, err := Integration().Transport(notify.Deps{Client: notifytest.Client(0), Getenv: func(k string) (string, bool) { return "False", k == "OPSGENIE_ENABLED" }})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = `{"region": "us", "key": "` + key + `"}`
	if err := tr.Send(t.Context(), m); notify.ErrorText(err) != "Opsgenie notifications are not enabled." || notify.IsPermanent(err) || len(srv.Requests()) != 0 {
		t.Errorf("disabled: %v", err)
	}
}

func TestRender(t *testing.T) {
	a := Render(notifytest.Message(model.StatusDown))
	if a.Alias != alias || a.Source != "Overdue" || a.Message != `The check "Daily Backup" is DOWN (success signal did not arrive on time, grace time passed).` ||
		a.Description != "Nightly pg_dump of the main database." || strings.Join(a.Tags, ",") != "prod,db" ||
		a.Details.FullDetails != "https://hc.example.org/cloaked/3f786850e387550fdab836ed7e6dc881de23001b/" || a.Details.TotalPings != 112233 ||
		a.Details.Description != "" || a.Details.Tags != "" {
		t.Errorf("%+v", a)
	}
	cron := notifytest.Cases()[3].Msg
	cron.Check.Kind, cron.Check.Schedule = model.KindOnCalendar, "Mon 2-29 <b>"
	if d := Render(cron).Details; d.Schedule != "<code>Mon 2-29 &lt;b&gt;</code>" || d.TimeZone != "Europe/Riga" {
		t.Errorf("schedule %+v", d)
	}
	if a := Render(notifytest.Cases()[4].Msg); a.Tags == nil || a.Details.LastPing != "Never" {
		t.Errorf("never pinged: %+v", a)
	}
}

func TestForm(t *testing.T) {
	for _, c := range []struct {
		form       url.Values
		value, err string
	}{
		{url.Values{"key": {"  " + key + " "}, "region": {"eu"}}, `{"region":"eu","key":"` + key + `"}`, ""},
		{url.Values{"key": {"123456"}}, `{"region":"us","key":"123456"}`, ""},
		{url.Values{"region": {"us"}}, "", "key: is required"},
		{url.Values{"key": {strings.Repeat("a", 41)}}, "", "key: " + errKey},
		{url.Values{"key": {"a b"}}, "", "key: " + errKey},
		{url.Values{"key": {`a"b`}}, "", "key: " + errKey},
		{url.Values{"key": {"abc"}, "region": {"asia"}}, "", "region: must be us or eu"},
		{url.Values{"key": {"abc"}, "region": {"EU"}}, "", "region: must be us or eu"},
	} {
		v, err := fromForm(c.form)
		var fe *notify.FieldError
		if c.err == "" && (err != nil || v != c.value) || c.err != "" && (!errors.As(err, &fe) || err.Error() != c.err) {
			t.Errorf("fromForm(%v) = %q, %v; want %q, %q", c.form, v, err, c.value, c.err)
		}
		if c.err == "" && Integration().Validate(v) != nil {
			t.Errorf("Validate(%s): %v", v, Integration().Validate(v))
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ value, err string }{
		{`{"region": "us", "key": "123"}`, ""},
		{"123", ""},
		{`{"key": "123"}`, "region: is missing"},
		{`{"region": "us"}`, "key: is missing"},
		{`{"region": "us", "key": 123}`, "opsgenie configuration is not valid JSON"},
		{`{"region": "mars", "key": "123"}`, "region: must be us or eu"},
		{`[]`, "key: " + errKey},
	} {
		err := Integration().Validate(c.value)
		if (c.err == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("Validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}
