// Package discord is the Discord integration: upstream posts the
// Slack-compatible message (internal/notify/slack) to the webhook's
// Slack-compatible endpoint, <webhook URL>/slack.
package discord

import (
	"context"
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
			{Name: "DISCORD_CLIENT_ID", Help: "the Discord app's client ID: the add page offers \"Connect Discord\" (pasted webhook URLs work without it)"},
			{Name: "DISCORD_CLIENT_SECRET", Secret: true, Help: "the Discord app's client secret"},
		},
		// Upstream shows the card only with DISCORD_CLIENT_ID, because it
		// only has the OAuth flow, but sends regardless; the pasted-URL form
		// needs no app, so Discord is always enabled here.
		Fields:   notify.URLFields("Webhook URL", "https://discord.com/api/webhooks/<id>/<token>"),
		FromForm: fromForm,
		Validate: validate,
		Events:   notify.BothEvents,
		OAuth:    OAuth(API),
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

// Discord's endpoints: the page that asks the user, and the API root
// (tests point OAuth's api elsewhere). Upstream still uses discordapp.com,
// retired in 2020 for discord.com.
const (
	AuthorizeURL = "https://discord.com/oauth2/authorize"
	API          = "https://discord.com/api"
)

var errUnexpected = &notify.Error{Msg: "Received an unexpected response from Discord. Integration not added."}

// OAuth is upstream's Discord set-up: OAuth 2 with the webhook.incoming
// scope, the user picking server and channel at Discord, whose token
// answer carries the new webhook.
func OAuth(api string) *notify.OAuth {
	return &notify.OAuth{
		Callback:  "/integrations/add_discord/",
		Authorize: notify.CodeAuthorize(AuthorizeURL, "DISCORD_CLIENT_ID", url.Values{"scope": {"webhook.incoming"}, "response_type": {"code"}}),
		Exchange: func(ctx context.Context, c *notify.Client, env notify.Env, query url.Values, redirect string) ([]notify.OAuthChannel, error) {
			code := query.Get("code")
			if code == "" {
				return nil, fmt.Errorf("discord: no code in the callback: %w", errUnexpected)
			}
			var doc struct {
				Code        int     `json:"code"`
				AccessToken *string `json:"access_token"`
				Webhook     *Hook   `json:"webhook"`
			}
			status, err := notify.PostToken(ctx, c, notify.FormRequest{URL: api + "/oauth2/token", Form: url.Values{
				"client_id": {env("DISCORD_CLIENT_ID")}, "client_secret": {env("DISCORD_CLIENT_SECRET")}, "code": {code},
				"grant_type": {"authorization_code"}, "redirect_uri": {redirect},
			}}, &doc, errUnexpected)
			switch {
			case err != nil:
				return nil, err
			case doc.Code == 30007:
				// Discord's "Maximum number of webhooks reached (15)".
				return nil, &notify.Error{Msg: "Response from Discord: maximum number of webhooks reached. Integration not added."}
			case doc.AccessToken == nil || doc.Webhook == nil || doc.Webhook.URL == "":
				return nil, fmt.Errorf("discord oauth2/token: status %d, code %d, no webhook in the answer: %w", status, doc.Code, errUnexpected)
			}
			v, err := json.Marshal(map[string]*Hook{"webhook": doc.Webhook})
			if err != nil {
				return nil, fmt.Errorf("encode discord configuration: %w", err)
			}
			return []notify.OAuthChannel{{Value: string(v)}}, nil
		},
	}
}

// Hook is the part of the token answer's webhook a channel keeps.
// Upstream stores the whole answer; its access and refresh tokens are not
// needed to send (the webhook's URL carries its own token), so they are
// not kept.
type Hook struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	ChannelID string `json:"channel_id,omitempty"`
	GuildID   string `json:"guild_id,omitempty"`
	URL       string `json:"url"`
}
