package pushbullet

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const token = "o.AbCdEfGhIjKlMnOpQrStUvWxYz012345"

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(string) string { return token },
		Transport: func(base string, c *notify.Client) notify.Transport {
			return &Transport{Client: c, URL: base + "/v2/pushes"}
		},
		Method: "POST", URI: "/v2/pushes",
		Header: map[string]string{"Access-Token": token, "User-Agent": "healthchecks.io"},
		Answers: []notifytest.Answer{
			{Name: "401", Reply: notifytest.Reply{Status: 401, Body: `{"error":{"code":"invalid_access_token","type":"invalid_request"}}`}, Err: "Received status code 401", Tries: 3},
		},
	}.Run(t)
}

func TestRender(t *testing.T) {
	if p := Render(notifytest.Message(model.StatusDown)); p != (Push{Type: "note", Title: "Overdue",
		Body: `The check "Daily Backup" is DOWN (success signal did not arrive on time, grace time passed).`}) {
		t.Errorf("down %+v", p)
	}
	if p := Render(notifytest.Message(model.StatusUp)); p.Body != "The check \"Daily Backup\" is UP.\nThe downtime lasted 1 hour, 30 minutes." {
		t.Errorf("up %q", p.Body)
	}
}

// A value that is not a token (an imported upstream row gone wrong) is
// never put into a header.
func TestBadToken(t *testing.T) {
	srv := notifytest.NewServer(t)
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = "tok\r\nX-Evil: 1"
	err := (&Transport{Client: notifytest.Client(0), URL: srv.URL}).Send(t.Context(), m)
	if notify.ErrorText(err) != "Invalid Pushbullet access token" || len(srv.Requests()) != 0 {
		t.Errorf("%v, %d requests", err, len(srv.Requests()))
	}
}

func TestForm(t *testing.T) {
	for _, c := range []struct{ in, value, err string }{
		{" " + token + "\n", token, ""},
		{"", "", "value: is required"},
		{"a b", "", "value: " + errToken},
		{"tok\r\nX-Evil: 1", "", "value: " + errToken},
		{strings.Repeat("a", 101), "", "value: " + errToken},
	} {
		v, err := fromForm(url.Values{"value": {c.in}})
		var fe *notify.FieldError
		if c.err == "" && (err != nil || v != c.value) || c.err != "" && (!errors.As(err, &fe) || err.Error() != c.err) {
			t.Errorf("fromForm(%q) = %q, %v; want %q, %q", c.in, v, err, c.value, c.err)
		}
	}
}
