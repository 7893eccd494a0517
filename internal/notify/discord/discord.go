// Package discord is the Discord integration: upstream posts the
// Slack-compatible message (internal/notify/slack) to the webhook's
// Slack-compatible endpoint, <webhook URL>/slack.
package discord

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/slack"
)

// Integration is the Discord kind for the registry. Its stored value is
// upstream's: the JSON answer of Discord's OAuth flow, whose webhook.url
// is where messages go. Overdue's form takes a webhook URL pasted in
// (Server Settings → Integrations → Webhooks) and stores it the same way,
// {"webhook": {"url": ...}}, so that either reads the other's channels.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "discord",
		Name: "Discord",
		Settings: []notify.Setting{
			{Name: "DISCORD_CLIENT_ID", Help: "the Discord app's client ID, for the OAuth set-up (not implemented yet; pasted webhook URLs work without it)"},
			{Name: "DISCORD_CLIENT_SECRET", Secret: true, Help: "the Discord app's client secret"},
		},
		// Upstream shows the card only with DISCORD_CLIENT_ID, because it
		// only has the OAuth flow, but sends regardless; the pasted-URL form
		// needs no app, so Discord is always enabled here.
		Fields:   notify.URLFields("Webhook URL", "https://discord.com/api/webhooks/<id>/<token>"),
		FromForm: fromForm,
		Validate: validate,
		Events:   notify.BothEvents,
		New:      slack.NewTransport(slack.Target{Style: Style, URL: slackURL, Refuse: refuse}),
		Example:  `{"webhook": {"url": "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz"}}`,
	}
}

// Style is Discord's: no HTML entities (Discord shows them as typed), but
// Markdown and "<" (which starts <@id> and <#id> mentions) backslash-
// escaped, and a zero-width space after "@" so that @everyone and @here
// ping no one.
var Style = slack.Style{
	Text:      func(s string) string { return slack.NoMentions(slack.EscapeMarkdownAll(s)) },
	Code:      slack.NoMentions,
	Asterisks: func(s string) string { return s }, // Text has escaped them, as upstream's backslash does
}

func fromForm(form url.Values) (string, error) {
	u, err := notify.URLField(form.Get("value"))
	if err != nil {
		return "", err
	}
	// The Slack-compatible endpoint is the transport's business: a URL
	// pasted with it (or a trailing slash) is stored without.
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/slack")
	v, err := json.Marshal(map[string]any{"webhook": map[string]string{"url": u}})
	if err != nil {
		return "", fmt.Errorf("encode discord configuration: %w", err)
	}
	return string(v), nil
}

// WebhookURL is upstream's Channel.discord_webhook_url: webhook.url, with
// discordapp.com (retired in 2020) rewritten to discord.com.
func WebhookURL(value string) (string, error) {
	var doc struct {
		Webhook *struct {
			URL *string `json:"url"`
		} `json:"webhook"`
	}
	if err := json.Unmarshal([]byte(value), &doc); err != nil {
		return "", fmt.Errorf("discord configuration is not valid JSON: %w", err)
	}
	if doc.Webhook == nil || doc.Webhook.URL == nil {
		return "", &notify.FieldError{Field: "webhook.url", Msg: "is missing"}
	}
	u := *doc.Webhook.URL
	if rest, ok := strings.CutPrefix(u, "https://discordapp.com/"); ok {
		u = "https://discord.com/" + rest
	}
	return u, nil
}

func slackURL(value string) (string, error) {
	u, err := WebhookURL(value)
	if err != nil {
		return "", err
	}
	return u + "/slack", nil
}

func validate(value string) error {
	u, err := WebhookURL(value)
	if err != nil {
		return err
	}
	return notify.ValidateURL(u)
}

// refuse: 404 (the webhook was deleted) disables the channel, as upstream.
func refuse(r *notify.Response) error {
	if r.StatusCode == 404 {
		return notify.FailPermanent(notify.StatusText(404))
	}
	return notify.Fail(notify.StatusText(r.StatusCode))
}
