package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// CodeAuthorize is the Authorize of a plain OAuth 2 code flow (Slack,
// Discord, Pushbullet): page?client_id=<idVar's value>&redirect_uri=&state=
// plus the provider's own params, and no button while idVar is unset.
func CodeAuthorize(page, idVar string, params url.Values) func(env Env, redirect, state string) string {
	return func(env Env, redirect, state string) string {
		id := env(idVar)
		if id == "" {
			return ""
		}
		q := url.Values{"client_id": {id}, "redirect_uri": {redirect}, "state": {state}}
		for k, v := range params {
			q[k] = v
		}
		return page + "?" + q.Encode()
	}
}

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

	// Choose, set instead of Exchange, ends the round-trip with the
	// user's choice on a page of ours (GitHub's repository and labels,
	// Trello's list): it reads the provider's answer into what to offer.
	Choose func(ctx context.Context, c *Client, env Env, query url.Values, redirect string) (*OAuthChoice, error)
	// Save makes the channel of the choice's form, with Choose's Grant;
	// it checks the pick with the provider again (the page's options are
	// what the user sent, not what was offered).
	Save func(ctx context.Context, c *Client, env Env, grant []byte, form url.Values) (OAuthChannel, error)
	// Fragment says the provider hands its answer in the callback URL's
	// fragment (Trello's response_type=token), which only the browser
	// sees: the callback then serves a page whose script posts the
	// fragment's fields back to it.
	Fragment bool
}

// OAuthChoice is what a Choose round-trip offers.
type OAuthChoice struct {
	// Grant is what Save needs (the user's token), carried encrypted
	// through the page.
	Grant []byte
	// Label and Options are the choice: a select named "option" of
	// value, label pairs. With no options, the page says Empty.
	Label   string
	Options [][2]string
	Empty   string
	// Fields are further inputs of the page (GitHub's labels).
	Fields []Field
	// Link is a page at the provider to offer next to the choice, with
	// its text (GitHub's "install the app on another account").
	Link, LinkText string
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

// PostToken trades an OAuth code at a provider's token endpoint: once
// (a code is good for one try) and decoding the JSON answer into doc
// whatever its status, since providers explain a refusal in the body
// (Discord's 30007, GitHub's "bad_verification_code"). A failed request or
// an answer that is not a JSON object is unexpected, wrapped with the cause
// for the log; ErrorText of the result is unexpected's text.
func PostToken(ctx context.Context, c *Client, r FormRequest, doc any, unexpected error) (status int, err error) {
	r.Attempts = 1
	r.Refuse = func(*Response) error { return nil }
	resp, err := c.SendForm(ctx, r)
	if resp == nil {
		return 0, fmt.Errorf("%s: %s: %w", r.URL, ErrorText(err), unexpected)
	}
	if err := decodeObject(resp.Body, doc); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: status %d: %v: %w", r.URL, resp.StatusCode, err, unexpected)
	}
	return resp.StatusCode, nil
}

// GetJSON reads a provider's JSON document at u (a GitHub or Trello list)
// into doc; a status other than 2xx, or an answer that is not JSON, is
// unexpected (wrapped with the cause), with the status for the caller's
// own rules (401: the user's token was revoked).
func GetJSON(ctx context.Context, c *Client, u string, header map[string]string, doc any, unexpected error) (status int, err error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", err, unexpected)
	}
	// Errors name the URL without its query, which may hold a token
	// (Trello's).
	u = req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Send(ctx, req)
	if resp == nil {
		return 0, fmt.Errorf("%s: %s: %w", u, ErrorText(err), unexpected)
	}
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %s: %w", u, ErrorText(err), unexpected)
	}
	if err := json.Unmarshal(resp.Body, doc); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: %v: %w", u, err, unexpected)
	}
	return resp.StatusCode, nil
}

// decodeObject is json.Unmarshal that also refuses an answer that is not
// an object ("null", a list), which would leave doc as it was.
func decodeObject(body []byte, doc any) error {
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return errors.New("the answer is not a JSON object")
	}
	return json.Unmarshal(body, doc)
}
