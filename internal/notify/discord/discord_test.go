package discord

import (
	"context"
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
	m.Channel = model.Channel{Kind: "discord", Value: value}
	return tr.Send(context.Background(), m)
}

func value(u string) string {
	return `{"webhook": {"url": "` + u + `", "id": "1"}, "access_token": "x"}`
}

func TestSendGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t)
			if err := send(t, notifytest.Client(0), value(srv.URL+"/api/webhooks/1/tok"), c.Msg); err != nil {
				t.Fatal(err)
			}
			r := srv.Requests()[0]
			if r.Method != "POST" || r.URI != "/api/webhooks/1/tok/slack" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s %q", r.Method, r.URI, r.Header)
			}
			notifytest.Golden(t, c.Name+".json", r.Body)
			if c.Name == "hostile" {
				for _, bad := range []string{"@everyone", "@here", "<@U123>", "<!channel>"} {
					if strings.Contains(string(r.Body), bad) {
						t.Errorf("%q reaches Discord as is", bad)
					}
				}
				// Outside the body's code block, Markdown is escaped too.
				outside, _, _ := strings.Cut(string(r.Body), "Last Ping Body")
				for _, bad := range []string{" *bold*", "[link]", " _it_"} {
					if strings.Contains(outside, bad) {
						t.Errorf("%q reaches Discord as Markdown", bad)
					}
				}
			}
		})
	}
}

func TestAnswers(t *testing.T) {
	answers := append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "404 deleted webhook", Reply: notifytest.Reply{Status: 404, Body: `{"message": "Unknown Webhook", "code": 10015}`}, Err: "Received status code 404", Permanent: true, Tries: 1})
	notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
		return send(t, c, value(srv.URL+"/api/webhooks/1/tok"), notifytest.Message("down"))
	})
}

func TestWebhookURL(t *testing.T) {
	for _, c := range []struct{ value, url, err string }{
		{value("https://discordapp.com/api/webhooks/1/t"), "https://discord.com/api/webhooks/1/t", ""},
		{value("https://discord.com/api/webhooks/1/t"), "https://discord.com/api/webhooks/1/t", ""},
		{`{"access_token": "x"}`, "", "webhook.url: is missing"},
		{`https://discord.com/api/webhooks/1/t`, "", "discord configuration is not valid JSON"},
	} {
		u, err := WebhookURL(c.value)
		if u != c.url || (c.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("WebhookURL(%s) = %q, %v; want %q, %q", c.value, u, err, c.url, c.err)
		}
	}
}

func TestFromForm(t *testing.T) {
	for _, c := range []struct{ in, value, err string }{
		{"https://discord.com/api/webhooks/1/t", `{"webhook":{"url":"https://discord.com/api/webhooks/1/t"}}`, ""},
		{"discord.com/api/webhooks/1/t/slack", `{"webhook":{"url":"https://discord.com/api/webhooks/1/t"}}`, ""},
		{"https://discord.com/api/webhooks/1/t\"}", `{"webhook":{"url":"https://discord.com/api/webhooks/1/t\"}"}}`, ""},
		{"", "", "value: is required"},
		{"file:///etc/passwd", "", "value: " + notify.ErrURLField},
		{strings.Repeat("a", 2000), "", "value: " + notify.ErrURLField},
	} {
		v, err := fromForm(url.Values{"value": {c.in}})
		if v != c.value || (c.err == "") != (err == nil) || (err != nil && err.Error() != c.err) {
			t.Errorf("fromForm(%q) = %q, %v; want %q, %q", c.in, v, err, c.value, c.err)
		}
		if err == nil {
			if err := validate(v); err != nil {
				t.Errorf("validate(%s): %v", v, err)
			}
		}
	}
}
