package discord

import (
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func value(u string) string {
	return `{"webhook": {"url": "` + u + `", "id": "1"}, "access_token": "x"}`
}

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return value(base + "/api/webhooks/1/tok") },
		Method:      "POST", URI: "/api/webhooks/1/tok/slack",
		Forbidden:         []string{" *bold*", "[link]", " _it_"},
		ForbiddenAnywhere: []string{"@everyone", "@here", "<@U123>", "<!channel>"},
		Answers: []notifytest.Answer{{Name: "404 deleted webhook", Reply: notifytest.Reply{Status: 404, Body: `{"message": "Unknown Webhook", "code": 10015}`},
			Err: "Received status code 404", Permanent: true, Tries: 1}},
	}.Run(t)
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
