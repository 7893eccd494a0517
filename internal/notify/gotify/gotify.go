// Package gotify is the Gotify channel kind: a JSON POST to the server's
// /message endpoint with the application token in the query string, as
// upstream sends it.
package gotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Limits of upstream's GotifyForm, in characters.
const (
	maxURL   = 1000
	maxToken = 50
)

// Config is the stored value: upstream's json.dumps(cleaned_data,
// sort_keys=True). Priorities are pointers because values from before
// upstream had them carry none (the message then goes without one).
type Config struct {
	Priority   *int   `json:"priority"`
	PriorityUp *int   `json:"priority_up"`
	Token      string `json:"token"`
	URL        string `json:"url"`
}

var priorities = [][2]string{
	{"0", "Disabled: does not notify"}, {"2", "Low priority: quiet icon"},
	{"5", "Normal priority: with sound"}, {"9", "High priority: sound and vibration"},
}

// Integration is the Gotify kind for the registry. Upstream has no switch
// for it: it is always enabled.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "gotify",
		Name: "Gotify",
		Fields: []notify.Field{
			{Name: "url", Label: "Server URL", Type: notify.FieldURL, Required: true, MaxLen: maxURL},
			{Name: "token", Label: "Application token", Type: notify.FieldPassword, Required: true, MaxLen: maxToken},
			{Name: "priority", Label: "Priority for \"down\"", Type: notify.FieldSelect, Options: priorities, Default: "5"},
			{Name: "priority_up", Label: "Priority for \"up\"", Type: notify.FieldSelect, Options: priorities, Default: "5"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: func(value string) error { _, err := parse(value); return err },
		Events:   Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: `{"priority": 9, "priority_up": 2, "token": "AbCdEf123", "url": "https://gotify.example.org"}`,
	}
}

// Events: priority 0 turns an event off; a missing priority or a value
// that is not JSON takes the event.
func Events(value string) (up, down bool) {
	var c Config
	if json.Unmarshal([]byte(value), &c) != nil {
		return true, true
	}
	return c.PriorityUp == nil || *c.PriorityUp != 0, c.Priority == nil || *c.Priority != 0
}

func validPriority(p *int) bool {
	return p == nil || *p == 0 || *p == 2 || *p == 5 || *p == 9
}

func check(c Config) error {
	switch {
	case !notify.ValidURL(c.URL):
		return &notify.FieldError{Field: "url", Msg: "must be an http:// or https:// URL of at most 1,000 characters"}
	case c.Token == "" || utf8.RuneCountInString(c.Token) > maxToken || strings.ContainsAny(c.Token, " \t\r\n"):
		return &notify.FieldError{Field: "token", Msg: "must be 1 to 50 characters without spaces"}
	case !validPriority(c.Priority):
		return &notify.FieldError{Field: "priority", Msg: "must be 0, 2, 5 or 9"}
	case !validPriority(c.PriorityUp):
		return &notify.FieldError{Field: "priority_up", Msg: "must be 0, 2, 5 or 9"}
	}
	return nil
}

func parse(value string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("gotify value is not the expected JSON: %w", err)
	}
	return c, check(c)
}

func fromForm(form url.Values) (string, error) {
	c := Config{URL: notify.LaxURL(form.Get("url")), Token: strings.TrimSpace(form.Get("token"))}
	// A new channel always has both priorities (5 unless chosen).
	down, up, err := notify.FormPriorities(form, 5, "must be 0, 2, 5 or 9")
	if err != nil {
		return "", err
	}
	c.Priority, c.PriorityUp = &down, &up
	if err := check(c); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode gotify configuration: %w", err)
	}
	return string(b), nil
}

func toForm(value string) url.Values {
	var c Config
	if json.Unmarshal([]byte(value), &c) != nil {
		return url.Values{}
	}
	f := url.Values{"url": {c.URL}, "token": {c.Token}}
	if c.Priority != nil {
		f.Set("priority", strconv.Itoa(*c.Priority))
	}
	if c.PriorityUp != nil {
		f.Set("priority_up", strconv.Itoa(*c.PriorityUp))
	}
	return f
}

// Transport sends Gotify messages.
type Transport struct {
	Client *notify.Client
}

// Payload is Gotify's message JSON.
type Payload struct {
	Title    string         `json:"title"`
	Message  string         `json:"message"`
	Extras   map[string]any `json:"extras"`
	Priority *int           `json:"priority,omitempty"`
}

// Endpoint is upstream's urljoin(url + "/", "message") with the token as a
// query parameter.
func Endpoint(c Config) (string, error) {
	base := c.URL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u := b.ResolveReference(&url.URL{Path: "message"})
	u.RawQuery = url.Values{"token": {c.Token}}.Encode()
	return u.String(), nil
}

// Render is the request body for m.
func Render(c Config, m *notify.Message) Payload {
	p := c.Priority
	if m.Status == model.StatusUp {
		p = c.PriorityUp
	}
	return Payload{
		Title:    m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status),
		Message:  body(m),
		Extras:   map[string]any{"client::display": map[string]string{"contentType": "text/markdown"}},
		Priority: p,
	}
}

func body(m *notify.Message) string {
	link := "[" + escape(m.Check.NameThenCode()) + "](" + escapeURL(m.CheckURL) + ")"
	if m.Status == model.StatusDown {
		s := "🔴 The check " + link + " is **DOWN**"
		if m.Flip.Reason != "" {
			s += " (" + notify.ReasonLong(m.Flip.Reason) + ")"
		}
		return s + "."
	}
	s := "🟢 The check " + link + " is now **UP**."
	if m.Downtime > 0 {
		s += "\n\nThe downtime lasted " + humanize.DurationForSentence(m.Downtime) + "."
	}
	return s
}

// escape backslash-escapes Markdown's punctuation so that a check's name
// cannot add links, emphasis or HTML to the message.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()#+-.!|<>~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeURL keeps a link target from closing the Markdown link early.
func escapeURL(s string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(s)
}

// Send delivers m.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := parse(m.Channel.Value)
	if err != nil {
		return notify.FailPermanent("Invalid Gotify configuration")
	}
	u, err := Endpoint(c)
	if err != nil {
		return notify.FailFinal("Invalid Gotify URL")
	}
	_, err = t.Client.SendJSON(ctx, notify.JSONRequest{URL: u, Body: Render(c, m), Attempts: notify.Tries(m)})
	return err
}
