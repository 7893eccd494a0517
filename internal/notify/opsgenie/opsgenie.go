// Package opsgenie is the Opsgenie channel kind: an alert created through
// Opsgenie's Alert API on "down" and closed on "up", both by the alias
// that is the check's UniqueKey, in the account's region (US or EU), as
// upstream sends it.
package opsgenie

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

// The Alert API's addresses per region.
const (
	USAPI = "https://api.opsgenie.com"
	EUAPI = "https://api.eu.opsgenie.com"
)

// maxKey is the max_length of upstream's AddOpsgenieForm.
const maxKey = 40

const errKey = "must be 1 to 40 letters, digits and \"-\""

var regions = [][2]string{{"us", "US (default)"}, {"eu", "EU"}}

// Integration is the Opsgenie kind for the registry. Its stored value is
// upstream's {"region": "us" or "eu", "key": API key}; a bare key (from
// before upstream had regions) is read as a US one, as upstream's data
// migration rewrote it.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "opsgenie",
		Name: "Opsgenie",
		Settings: []notify.Setting{
			{Name: "OPSGENIE_ENABLED", Default: "True", Help: "False hides Opsgenie and stops its sends"},
		},
		Enabled: func(env notify.Env) bool { return env("OPSGENIE_ENABLED") == "True" },
		Fields: []notify.Field{
			{Name: "key", Label: "API key", Type: notify.FieldPassword, Required: true, MaxLen: maxKey,
				Help: "the key of an Opsgenie team's API integration"},
			{Name: "region", Label: "Region", Type: notify.FieldSelect, Options: regions, Default: "us",
				Help: "where the Opsgenie account is hosted"},
		},
		FromForm: fromForm,
		Validate: func(value string) error { _, err := Parse(value); return err },
		Events:   notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: `{"region": "eu", "key": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}`,
	}
}

// Config is the stored value.
type Config struct {
	Region string `json:"region"`
	Key    string `json:"key"`
}

// Parse reads a stored value.
func Parse(value string) (Config, error) {
	if !strings.HasPrefix(value, "{") {
		return Config{Region: "us", Key: value}, checkKey(value)
	}
	var c struct {
		Region *string `json:"region"`
		Key    *string `json:"key"`
	}
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return Config{}, fmt.Errorf("opsgenie configuration is not valid JSON: %w", err)
	}
	switch {
	case c.Key == nil:
		return Config{}, &notify.FieldError{Field: "key", Msg: "is missing"}
	case c.Region == nil:
		return Config{}, &notify.FieldError{Field: "region", Msg: "is missing"}
	}
	return Config{Region: *c.Region, Key: *c.Key}, check(Config{Region: *c.Region, Key: *c.Key})
}

func checkKey(k string) error {
	if k == "" || len(k) > maxKey || strings.ContainsFunc(k, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-'
	}) {
		return &notify.FieldError{Field: "key", Msg: errKey}
	}
	return nil
}

func check(c Config) error {
	if err := checkKey(c.Key); err != nil {
		return err
	}
	if c.Region != "us" && c.Region != "eu" {
		return &notify.FieldError{Field: "region", Msg: "must be us or eu"}
	}
	return nil
}

func fromForm(form url.Values) (string, error) {
	c := Config{Region: form.Get("region"), Key: strings.TrimSpace(form.Get("key"))}
	if c.Key == "" {
		return "", &notify.FieldError{Field: "key", Msg: "is required"}
	}
	if c.Region == "" {
		c.Region = "us"
	}
	if err := check(c); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode opsgenie configuration: %w", err)
	}
	return string(b), nil
}

// Alert is the Alert API's create request.
type Alert struct {
	// Alias identifies the alert for closing: the check's UniqueKey.
	Alias       string         `json:"alias"`
	Source      string         `json:"source"`
	Tags        []string       `json:"tags"`
	Message     string         `json:"message"`
	Description string         `json:"description"`
	Details     notify.Details `json:"details"`
}

// Close is the Alert API's close request.
type Close struct {
	Alias  string `json:"alias"`
	Source string `json:"source"`
}

// Render is the alert for a "down" message. Opsgenie shows the message
// and description as typed; the schedule is in a <code> element, as
// upstream puts it, and escaped there.
func Render(m *notify.Message) Alert {
	d := notify.IncidentDetails(m)
	d.Description, d.Tags = "", "" // the alert's own fields
	if d.Schedule != "" {
		d.Schedule = "<code>" + notify.EscapeHTML(d.Schedule) + "</code>"
	}
	d.FullDetails = m.CheckURL
	tags := m.Check.TagsList()
	if tags == nil {
		tags = []string{}
	}
	msg := `The check "` + m.Check.NameThenCode() + `" is DOWN`
	if r := notify.ReasonLong(m.Flip.Reason); r != "" {
		msg += " (" + r + ")"
	}
	return Alert{Alias: m.Check.UniqueKey(), Source: m.SiteName, Tags: tags, Message: msg + ".", Description: m.Check.Desc, Details: d}
}

// Transport sends Opsgenie alerts.
type Transport struct {
	Client *notify.Client
	// US and EU are the regions' API addresses (USAPI and EUAPI when "").
	US, EU string
}

// Send creates the alert of a "down" message and closes it on "up".
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Opsgenie configuration")
	}
	base := or(t.US, USAPI)
	if c.Region == "eu" {
		base = or(t.EU, EUAPI)
	}
	req := notify.JSONRequest{URL: base + "/v2/alerts", Header: map[string]string{"Authorization": "GenieKey " + c.Key}, Refuse: notify.RefuseWithMessage("message")}
	if m.Status == model.StatusUp {
		req.URL += "/" + m.Check.UniqueKey() + "/close?identifierType=alias"
		req.Body = Close{Alias: m.Check.UniqueKey(), Source: m.SiteName}
	} else {
		req.Body = Render(m)
	}
	_, err = t.Client.SendJSON(ctx, req)
	return err
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
