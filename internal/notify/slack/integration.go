package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/overdue/overdue/internal/notify"
)

// Integration is the Slack kind for the registry (internal/notify/kinds).
// Its stored value is upstream's: the incoming-webhook URL as pasted in,
// or the whole JSON answer of Slack's OAuth flow, whose
// incoming_webhook.url is where messages go.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "slack",
		Name: "Slack",
		Settings: []notify.Setting{
			{Name: "SLACK_ENABLED", Default: "True", Help: "False hides Slack and stops its sends"},
			{Name: "SLACK_CLIENT_ID", Help: "the Slack app's client ID, for the \"Add to Slack\" button (not implemented yet)"},
			{Name: "SLACK_CLIENT_SECRET", Secret: true, Help: "the Slack app's client secret"},
		},
		Enabled:  func(env notify.Env) bool { return env("SLACK_ENABLED") == "True" },
		Fields:   notify.URLFields("Webhook URL", "https://hooks.slack.com/services/..."),
		FromForm: notify.URLFromForm,
		Validate: ValidateWebhook,
		Events:   notify.BothEvents,
		New:      NewTransport(Target{Style: SlackStyle, URL: WebhookURL, Refuse: Refuse}),
		Example:  "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
	}
}

// NewTransport is the New of a Slack-compatible kind.
func NewTransport(t Target) func(d notify.Deps) (notify.Transport, error) {
	return func(d notify.Deps) (notify.Transport, error) {
		if d.Client == nil {
			return nil, errors.New("no HTTP client")
		}
		return t.Transport(d.Client), nil
	}
}

// WebhookURL reads upstream's Channel.slack_webhook_url: the value itself,
// or incoming_webhook.url of a JSON value.
func WebhookURL(value string) (string, error) {
	if !strings.HasPrefix(value, "{") {
		return value, nil
	}
	var doc struct {
		IncomingWebhook *struct {
			URL *string `json:"url"`
		} `json:"incoming_webhook"`
	}
	if err := json.Unmarshal([]byte(value), &doc); err != nil {
		return "", fmt.Errorf("slack configuration is not valid JSON: %w", err)
	}
	if doc.IncomingWebhook == nil || doc.IncomingWebhook.URL == nil {
		return "", &notify.FieldError{Field: "incoming_webhook.url", Msg: "is missing"}
	}
	return *doc.IncomingWebhook.URL, nil
}

// ValidateWebhook checks a stored Slack or Mattermost value.
func ValidateWebhook(value string) error {
	u, err := WebhookURL(value)
	if err != nil {
		return err
	}
	return notify.ValidateURL(u)
}
