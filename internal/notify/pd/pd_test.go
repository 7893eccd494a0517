package pd

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const key = "a3f5e1c2b4d6e8f0a1b2c3d4e5f6a7b8"

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(string) string { return key },
		Transport: func(base string, c *notify.Client) notify.Transport {
			return &Transport{Client: c, URL: base + "/generic/2010-04-15/create_event.json"}
		},
		Method: "POST", URI: "/generic/2010-04-15/create_event.json",
		Header:  map[string]string{"User-Agent": "healthchecks.io", "Accept": "*/*"},
		Disable: map[string]string{"PD_ENABLED": "False"},
	}.Run(t)
}

// The event PagerDuty's Events API v1 documents, field by field.
func TestEvent(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	b, err := json.Marshal(Render(Config{ServiceKey: key}, m))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"service_key":"` + key + `","incident_key":"e8fe589f92417e6241d280fb19c9071abb18e584","event_type":"trigger",` +
		`"description":"Daily Backup is DOWN (success signal did not arrive on time, grace time passed).","client":"Overdue",` +
		`"client_url":"https://hc.example.org/checks/0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e/details/",` +
		`"details":{"Project":"Alice's Project","Total pings":112233,"Last ping":"Success, 10 minutes ago",` +
		`"Description":"Nightly pg_dump of the main database.","Tags":"prod, db","Period":"1 day"}}`
	if string(b) != want {
		t.Errorf("event\n%s\nwant\n%s", b, want)
	}
	up := Render(Config{ServiceKey: key}, notifytest.Message(model.StatusUp))
	if up.EventType != "resolve" || up.IncidentKey != "e8fe589f92417e6241d280fb19c9071abb18e584" || up.Description != "Daily Backup is UP." {
		t.Errorf("up: %+v", up)
	}
	cron := notifytest.Cases()[3].Msg
	if d := Render(Config{}, cron).Details; d.Schedule != "*/5 * * * *" || d.TimeZone != "Europe/Riga" || d.Period != "" {
		t.Errorf("cron details %+v", d)
	}
	never := notifytest.Cases()[4].Msg
	if d := Render(Config{}, never).Details; d.TotalPings != 0 || d.LastPing != "Never" {
		t.Errorf("never pinged: %+v", d)
	}
}

// A Simple Install Flow value sends with its service_key.
func TestSimpleInstallValue(t *testing.T) {
	srv := notifytest.NewServer(t)
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = `{"service_key": "456", "account": "acme"}`
	if err := (&Transport{Client: notifytest.Client(0), URL: srv.URL}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if b := string(srv.Requests()[0].Body); !strings.HasPrefix(b, `{"service_key":"456","incident_key":`) {
		t.Errorf("body %s", b)
	}
	m.Channel.Value = `{"account": "acme"}`
	if err := (&Transport{Client: notifytest.Client(0), URL: srv.URL}).Send(t.Context(), m); notify.ErrorText(err) != "Invalid PagerDuty configuration" || len(srv.Requests()) != 1 {
		t.Errorf("a value without a key: %v", err)
	}
}

func TestForm(t *testing.T) {
	for _, c := range []struct{ in, value, err string }{
		{"  " + key + "  ", key, ""},
		{"123", "123", ""},
		{"", "", "value: is required"},
		{strings.Repeat("a", 33), "", "value: " + errKey},
		{"abc def", "", "value: " + errKey},
		{"<script>", "", "value: " + errKey},
		{"ключ", "", "value: " + errKey},
	} {
		v, err := fromForm(url.Values{"value": {c.in}})
		var fe *notify.FieldError
		if c.err == "" && (err != nil || v != c.value) || c.err != "" && (!errors.As(err, &fe) || err.Error() != c.err) {
			t.Errorf("fromForm(%q) = %q, %v; want %q, %q", c.in, v, err, c.value, c.err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ value, err string }{
		{key, ""},
		{`{"service_key": "456", "account": "acme"}`, ""},
		{`{"service_key": "456", "account": null}`, ""},
		{`{"service_key": "456"}`, ""},
		{`{"account": "acme"}`, "service_key: is missing"},
		{`{"service_key": 456}`, "pagerduty configuration is not valid JSON"},
		{`{"service_key": ""}`, "service_key: " + errKey},
		{`{`, "pagerduty configuration is not valid JSON"},
		{`[]`, "value: " + errKey},
		{``, "value: " + errKey},
	} {
		err := Integration().Validate(c.value)
		if (c.err == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("Validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}

func TestFormWithAccount(t *testing.T) {
	v, err := fromForm(url.Values{"value": {"456"}, "account": {"Acme & Co"}})
	if err != nil || v != `{"service_key":"456","account":"Acme & Co"}` {
		t.Errorf("%s %v", v, err)
	}
	if err := Integration().Validate(v); err != nil {
		t.Error(err)
	}
	for _, acct := range []string{"a\nb", strings.Repeat("a", 201)} {
		var fe *notify.FieldError
		if _, err := fromForm(url.Values{"value": {"456"}, "account": {acct}}); !errors.As(err, &fe) || fe.Field != "account" {
			t.Errorf("account %q: %v", acct, err)
		}
	}
}

func TestSimpleInstall(t *testing.T) {
	env := func(v string) notify.Env { return func(string) string { return v } }
	if u := simpleInstall.Authorize(env(""), "https://hc.example.org/integrations/add_pagerduty/", "s"); u != "" {
		t.Errorf("without PD_APP_ID: %q", u)
	}
	u := simpleInstall.Authorize(env("FOOBAR"), "https://hc.example.org/integrations/add_pagerduty/", "p.s")
	if u != "https://app.pagerduty.com/install/integration?app_id=FOOBAR&redirect_url=https%3A%2F%2Fhc.example.org%2Fintegrations%2Fadd_pagerduty%2F%3Fstate%3Dp.s&version=2" {
		t.Errorf("install URL %s", u)
	}
	cfg := `{"account": {"name": "Acme", "subdomain": "acme"}, "integration_keys": [{"integration_key": "abc", "name": "Ops"}, {"integration_key": "def", "name": "DB"}]}`
	chans, err := simpleInstall.Exchange(t.Context(), nil, env(""), url.Values{"config": {cfg}}, "")
	if err != nil || len(chans) != 2 || chans[1].Name != "DB" || chans[1].Form.Get("value") != "def" || chans[1].Form.Get("account") != "Acme" {
		t.Errorf("%+v %v", chans, err)
	}
	for _, bad := range []string{"", "surprise", "{}", `{"account": {"name": "A"}, "integration_keys": [{"name": "x"}]}`, `{"integration_keys": []}`} {
		if _, err := simpleInstall.Exchange(t.Context(), nil, env(""), url.Values{"config": {bad}}, ""); notify.ErrorText(err) != "Received an unexpected response from PagerDuty. Integration not added." {
			t.Errorf("config %q: %v", bad, err)
		}
	}
}
