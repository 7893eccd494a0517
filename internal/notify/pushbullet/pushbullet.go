// Package pushbullet is the Pushbullet channel kind: a "note" push made
// with the user's access token through Pushbullet's /v2/pushes, as
// upstream sends it.
package pushbullet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Pushbullet's endpoints.
const (
	PushesURL    = "https://api.pushbullet.com/v2/pushes"
	AuthorizeURL = "https://www.pushbullet.com/authorize"
	TokenURL     = "https://api.pushbullet.com/oauth2/token"
)

// maxToken bounds an access token (Pushbullet's are 34 characters).
const maxToken = 100

const errToken = "must be 1 to 100 letters, digits, \".\", \"-\" and \"_\""

// Integration is the Pushbullet kind for the registry. Its stored value
// is an access token, upstream's. Upstream gets it only through an OAuth
// round-trip with the operator's Pushbullet app (PUSHBULLET_CLIENT_ID and
// _SECRET); here the form also takes a token made at Settings → Access
// Tokens, so Pushbullet needs no app and is always enabled (upstream sends
// without checking a setting as well), and the add page offers "Connect
// Pushbullet" once the app is configured.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "pushbullet",
		Name: "Pushbullet",
		Settings: []notify.Setting{
			{Name: "PUSHBULLET_CLIENT_ID", Help: "the Pushbullet app's client ID: the add page offers \"Connect Pushbullet\" (pasted access tokens work without it)"},
			{Name: "PUSHBULLET_CLIENT_SECRET", Secret: true, Help: "the Pushbullet app's client secret"},
		},
		Fields: []notify.Field{{Name: "value", Label: "Access token", Type: notify.FieldPassword, Required: true, MaxLen: maxToken,
			Help: "an access token from Pushbullet's Settings → Account → Create Access Token"}},
		FromForm: fromForm,
		Validate: checkToken,
		OAuth:    OAuth(TokenURL),
		Events:   notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: "o.AbCdEfGhIjKlMnOpQrStUvWxYz012345",
	}
}

func checkToken(t string) error {
	if t == "" || len(t) > maxToken || strings.ContainsFunc(t, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '.' && r != '-' && r != '_'
	}) {
		return &notify.FieldError{Field: "value", Msg: errToken}
	}
	return nil
}

func fromForm(form url.Values) (string, error) {
	t := strings.TrimSpace(form.Get("value"))
	if t == "" {
		return "", &notify.FieldError{Field: "value", Msg: "is required"}
	}
	return t, checkToken(t)
}

// Push is a Pushbullet note.
type Push struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Render is the push for m: a plain-text note titled with SITE_NAME.
func Render(m *notify.Message) Push {
	s := `The check "` + m.Check.NameThenCode() + `" is ` + strings.ToUpper(m.Status)
	if m.Status == model.StatusDown {
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			s += " (" + r + ")"
		}
		s += "."
	} else {
		s += "."
		if d := notify.DowntimeText(m); d != "" {
			s += "\nThe downtime lasted " + d + "."
		}
	}
	return Push{Type: "note", Title: m.SiteName, Body: s}
}

// Transport sends Pushbullet pushes.
type Transport struct {
	Client *notify.Client
	// URL is PushesURL when "" (tests point it elsewhere).
	URL string
}

// Send delivers m. Upstream disables no Pushbullet channel for an answer.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if checkToken(m.Channel.Value) != nil {
		return notify.FailFinal("Invalid Pushbullet access token")
	}
	u := t.URL
	if u == "" {
		u = PushesURL
	}
	_, err := t.Client.SendJSON(ctx, notify.JSONRequest{URL: u, Header: map[string]string{"Access-Token": m.Channel.Value}, Body: Render(m)})
	return err
}

// OAuth is Pushbullet's OAuth 2 code flow, as upstream runs it, with the
// code traded at tokenURL (TokenURL; tests point it elsewhere).
func OAuth(tokenURL string) *notify.OAuth {
	return &notify.OAuth{
		Callback:  "/integrations/add_pushbullet/",
		Authorize: notify.CodeAuthorize(AuthorizeURL, "PUSHBULLET_CLIENT_ID", url.Values{"response_type": {"code"}}),
		Exchange: func(ctx context.Context, c *notify.Client, env notify.Env, query url.Values, _ string) ([]notify.OAuthChannel, error) {
			code := query.Get("code")
			if code == "" {
				return nil, errUnexpected
			}
			resp, err := c.SendForm(ctx, notify.FormRequest{URL: tokenURL, Attempts: 1, Form: url.Values{
				"client_id": {env("PUSHBULLET_CLIENT_ID")}, "client_secret": {env("PUSHBULLET_CLIENT_SECRET")},
				"code": {code}, "grant_type": {"authorization_code"},
			}})
			if err != nil {
				return nil, fmt.Errorf("pushbullet token exchange: %s: %w", notify.ErrorText(err), errUnexpected)
			}
			var doc struct {
				AccessToken *string `json:"access_token"`
			}
			if json.Unmarshal(resp.Body, &doc) != nil || doc.AccessToken == nil || checkToken(*doc.AccessToken) != nil {
				return nil, fmt.Errorf("pushbullet token exchange: status %d, no access token in the answer: %w", resp.StatusCode, errUnexpected)
			}
			return []notify.OAuthChannel{{Form: url.Values{"value": {*doc.AccessToken}}}}, nil
		},
	}
}

// errUnexpected is upstream's words for an exchange that gave no token:
// the text the user sees (notify.ErrorText), while the log gets the cause.
var errUnexpected = &notify.Error{Msg: "Received an unexpected response from Pushbullet. Integration not added."}
