// Package mattermost is the Mattermost integration: upstream sends it the
// Slack-compatible incoming-webhook message (internal/notify/slack), and
// never disables the channel for an answer.
package mattermost

import (
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/slack"
)

// Integration is the Mattermost kind for the registry. Its stored value
// is the incoming-webhook URL (or, as upstream reads it, a JSON value with
// incoming_webhook.url).
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "mattermost",
		Name: "Mattermost",
		Settings: []notify.Setting{
			{Name: "MATTERMOST_ENABLED", Default: "True", Help: "False hides Mattermost and stops its sends"},
		},
		Enabled:  func(env notify.Env) bool { return env("MATTERMOST_ENABLED") == "True" },
		Fields:   notify.URLFields("Webhook URL", "https://mattermost.example.org/hooks/..."),
		FromForm: notify.URLFromForm,
		Validate: slack.ValidateWebhook,
		Events:   notify.BothEvents,
		// No Refuse: upstream treats every refusal as retryable.
		New:     slack.NewTransport(slack.Target{Style: slack.MarkdownStyle, URL: slack.WebhookURL}),
		Example: "https://mattermost.example.org/hooks/xxx-generatedkey-xxx",
	}
}
