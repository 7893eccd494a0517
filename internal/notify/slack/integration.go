package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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
			{Name: "SLACK_CLIENT_ID", Help: "the Slack app's client ID: the add page offers \"Connect Slack\" (upstream's \"Add to Slack\"; pasted webhook URLs work without it)"},
			{Name: "SLACK_CLIENT_SECRET", Secret: true, Help: "the Slack app's client secret"},
		},
		Enabled:  func(env notify.Env) bool { return env("SLACK_ENABLED") == "True" },
		Fields:   notify.URLFields("Webhook URL", "https://hooks.slack.com/services/..."),
		FromForm: notify.URLFromForm,
		Validate: ValidateWebhook,
		Events:   notify.BothEvents,
		OAuth:    OAuth(API),
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

// Slack's endpoints: the page that asks the user, and the Web API root
// (tests point OAuth's api elsewhere).
const (
	AuthorizeURL = "https://slack.com/oauth/v2/authorize"
	API          = "https://slack.com/api"
)

var errUnexpected = &notify.Error{Msg: "Received an unexpected response from Slack. Integration not added."}

// OAuth is upstream's "Add to Slack": Slack's OAuth v2 with the
// incoming-webhook scope, the user picking the channel at Slack; the code
// is traded at api's oauth.v2.access, whose answer (team, channel and the
// webhook's URL) is the stored value.
func OAuth(api string) *notify.OAuth {
	return &notify.OAuth{
		Callback:  "/integrations/add_slack_btn/",
		Authorize: notify.CodeAuthorize(AuthorizeURL, "SLACK_CLIENT_ID", url.Values{"scope": {"incoming-webhook"}}),
		Exchange: func(ctx context.Context, c *notify.Client, env notify.Env, query url.Values, redirect string) ([]notify.OAuthChannel, error) {
			code := query.Get("code")
			if code == "" {
				return nil, fmt.Errorf("slack: no code in the callback: %w", errUnexpected)
			}
			var doc Access
			_, err := notify.PostToken(ctx, c, notify.FormRequest{URL: api + "/oauth.v2.access", Form: url.Values{
				"client_id": {env("SLACK_CLIENT_ID")}, "client_secret": {env("SLACK_CLIENT_SECRET")}, "code": {code}, "redirect_uri": {redirect},
			}}, &doc, errUnexpected)
			if err != nil {
				return nil, err
			}
			if !doc.OK || doc.IncomingWebhook == nil || doc.IncomingWebhook.URL == "" {
				// Slack answers 200 with {"ok": false, "error": "invalid_code"}.
				return nil, fmt.Errorf("slack oauth.v2.access: ok=%v error=%.100q: %w", doc.OK, doc.Error, errUnexpected)
			}
			doc.Error = ""
			v, err := json.Marshal(doc)
			if err != nil {
				return nil, fmt.Errorf("encode slack configuration: %w", err)
			}
			return []notify.OAuthChannel{{Name: doc.IncomingWebhook.Channel, Value: string(v)}}, nil
		},
	}
}

// Access is the part of oauth.v2.access's answer a channel keeps: what
// upstream's Channel reads (team name, channel, webhook URL) and the
// webhook's ids. Upstream stores the whole answer; the app's bot token in
// it is not needed to send, so it is not kept.
type Access struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Team  *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"team,omitempty"`
	IncomingWebhook *struct {
		Channel          string `json:"channel"`
		ChannelID        string `json:"channel_id,omitempty"`
		ConfigurationURL string `json:"configuration_url,omitempty"`
		URL              string `json:"url"`
	} `json:"incoming_webhook"`
}
