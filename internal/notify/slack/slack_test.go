package slack

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func send(t *testing.T, c *notify.Client, value string, m *notify.Message) error {
	t.Helper()
	tr, err := Integration().Transport(notify.Deps{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	m.Channel = model.Channel{Kind: "slack", Value: value}
	return tr.Send(context.Background(), m)
}

// Every message goes over a real socket; the golden file is the exact
// body Slack receives (indented for reading).
func TestSendGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t)
			if err := send(t, notifytest.Client(0), srv.URL+"/services/T0/B0/xyz", c.Msg); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.URI != "/services/T0/B0/xyz" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "healthchecks.io" {
				t.Errorf("request %s %s %q", r.Method, r.URI, r.Header)
			}
			notifytest.Golden(t, c.Name+".json", r.Body)
		})
	}
}

// Hostile text cannot mention the channel, link or format: Slack's three
// control characters never reach it unescaped.
func TestHostileEscaped(t *testing.T) {
	for _, c := range notifytest.Cases() {
		p := Render(c.Msg, SlackStyle)
		a := p.Attachments[0]
		texts := []string{a.Title, a.Fallback}
		for _, f := range a.Fields {
			texts = append(texts, f.Value)
		}
		for _, s := range texts {
			if strings.ContainsAny(s, "<>") || strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, "&amp;", ""), "&lt;", ""), "&gt;", ""), "&") {
				t.Errorf("%s: unescaped text %q", c.Name, s)
			}
		}
	}
	p := Render(notifytest.Cases()[5].Msg, SlackStyle)
	if got := p.Attachments[0].Title; got != "“&lt;b&gt;x&lt;/b&gt; &amp; &lt;!channel&gt; &lt;@U123&gt; @everyone @here *bold* _it_ [link](https://evil.example/) `code`” is DOWN." {
		t.Errorf("title %q", got)
	}
}

func TestOAuthValue(t *testing.T) {
	srv := notifytest.NewServer(t)
	value := `{"ok": true, "team_name": "Acme", "incoming_webhook": {"channel": "#ops", "url": "` + srv.URL + `/hook"}}`
	if err := ValidateWebhook(value); err != nil {
		t.Fatal(err)
	}
	if err := send(t, notifytest.Client(0), value, notifytest.Message("up")); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests(); len(r) != 1 || r[0].URI != "/hook" {
		t.Errorf("requests %v", r)
	}
}

func TestAnswers(t *testing.T) {
	answers := append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "404 removed webhook", Reply: notifytest.Reply{Status: 404, Body: "no_service"}, Err: "Received status code 404", Permanent: true, Tries: 1},
		notifytest.Answer{Name: "400 invalid_token", Reply: notifytest.Reply{Status: 400, Body: "invalid_token"}, Err: "Received status code 400", Permanent: true, Tries: 1},
		notifytest.Answer{Name: "403 action_prohibited", Reply: notifytest.Reply{Status: 403, Body: "action_prohibited"}, Err: "Received status code 403", Tries: 3},
	)
	notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
		return send(t, c, srv.URL+"/", notifytest.Message("down"))
	})
}

func TestDisabled(t *testing.T) {
	in := Integration()
	getenv := func(name string) (string, bool) { return "False", name == "SLACK_ENABLED" }
	tr, err := in.Transport(notify.Deps{Client: notifytest.Client(0), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), notifytest.Message("down"))
	if notify.ErrorText(err) != "Slack notifications are not enabled." || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("disabled: %v", err)
	}
	if !in.Enabled(in.EnvFrom(nil)) {
		t.Error("Slack must be enabled by default")
	}
}

// FromForm follows upstream's AddUrlForm: a scheme-less URL gets https://,
// anything but http and https, spaces, control characters and URLs over
// 1,000 characters are refused with the field named.
func TestFromForm(t *testing.T) {
	cases := []struct{ in, value, err string }{
		{"https://hooks.slack.com/services/T/B/x", "https://hooks.slack.com/services/T/B/x", ""},
		{"  hooks.slack.com/services/T/B/x ", "https://hooks.slack.com/services/T/B/x", ""},
		{"http://mattermost:8065/hooks/abc", "http://mattermost:8065/hooks/abc", ""},
		{"", "", "value: is required"},
		{"ftp://example.org/", "", "value: " + notify.ErrURLField},
		{"javascript:alert(1)", "", "value: " + notify.ErrURLField},
		{"https://exa mple.org/", "", "value: " + notify.ErrURLField},
		{"https://example.org/\r\nX-Injected: 1", "", "value: " + notify.ErrURLField},
		{"https://", "", "value: " + notify.ErrURLField},
		{"https://example.org/" + strings.Repeat("é", 981), "", "value: " + notify.ErrURLField},
		{"https://example.org/" + strings.Repeat("é", 980), "https://example.org/" + strings.Repeat("é", 980), ""},
	}
	for _, c := range cases {
		v, err := Integration().FromForm(url.Values{"value": {c.in}})
		var fe *notify.FieldError
		switch {
		case c.err != "" && (!errors.As(err, &fe) || err.Error() != c.err):
			t.Errorf("FromForm(%q) = %q, %v; want error %q", c.in, v, err, c.err)
		case c.err == "" && (err != nil || v != c.value):
			t.Errorf("FromForm(%q) = %q, %v; want %q", c.in, v, err, c.value)
		case c.err == "":
			if err := ValidateWebhook(v); err != nil {
				t.Errorf("Validate(FromForm(%q)): %v", c.in, err)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ value, err string }{
		{"https://hooks.slack.com/services/x", ""},
		{`{"incoming_webhook": {"url": "https://hooks.slack.com/services/x", "channel": "#a"}}`, ""},
		{`{"incoming_webhook": {}}`, "incoming_webhook.url: is missing"},
		{`{"incoming_webhook": {"url": 5}}`, "slack configuration is not valid JSON"},
		{`{"incoming_webhook": {"url": "ftp://x/"}}`, "value: must be"},
		{"not a url", "value: must be"},
	} {
		err := ValidateWebhook(c.value)
		if (c.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("Validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}

// A body with its own ``` would break out of the code block: upstream
// leaves it out.
func TestBodyWithFenceLeftOut(t *testing.T) {
	m := notifytest.Message("down")
	m.LastPing.Body = []byte("a\n```\n<!channel>")
	for _, f := range Render(m, SlackStyle).Attachments[0].Fields {
		if f.Title == "Last Ping Body" {
			t.Errorf("body shown: %q", f.Value)
		}
	}
}
