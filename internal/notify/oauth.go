package notify

import (
	"context"
	"net/url"
)

// OAuth is a kind's set-up through its provider's OAuth round-trip
// (upstream's "Connect" buttons), which the add page offers besides the
// kind's form once the operator has registered an app with the provider.
type OAuth struct {
	// Callback is the page, under SITE_ROOT, the provider sends the user
	// back to with ?code= and ?state=: upstream's "/integrations/add_pushbullet/".
	Callback string
	// Authorize is the provider's page that the "Connect" button leads to,
	// for state and the absolute callback URL; "" when the operator has not
	// registered the app (env has no client id), and no button is shown.
	Authorize func(env Env, redirect, state string) string
	// Exchange reads the provider's answer (the callback's query: a code
	// to trade, or the set-up itself) into the new channels, each as the
	// form the kind's FromForm then checks and stores like any submitted
	// form; its error's ErrorText is shown to the user. A query with
	// "error" (the user said no at the provider) never reaches it.
	Exchange func(ctx context.Context, c *Client, env Env, query url.Values, redirect string) ([]OAuthChannel, error)
}

// OAuthChannel is one channel a round-trip sets up.
type OAuthChannel struct {
	// Name is the channel's name ("" for none), as the provider calls it.
	Name string
	Form url.Values
	// Value, when set instead of Form, is the stored value itself, built
	// from the provider's answer (upstream stores Slack's and Discord's
	// whole token answers); the kind's Validate checks it.
	Value string
}
