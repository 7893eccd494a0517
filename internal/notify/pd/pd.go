// Package pd is the PagerDuty channel kind (upstream's "pd"): an event of
// PagerDuty's Events API v1 (generic/2010-04-15/create_event.json), a
// trigger on "down" and a resolve on "up" of the incident keyed by the
// check's UniqueKey, as upstream sends it. The integration keys of
// "Events API v2" integrations are accepted there too.
package pd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// EventsURL is where upstream sends every event.
const EventsURL = "https://events.pagerduty.com/generic/2010-04-15/create_event.json"

// maxKey is the max_length of upstream's AddPdForm.
const maxKey = 32

const errKey = "must be 1 to 32 letters, digits, \"-\" and \"_\""

// Integration is the PagerDuty kind for the registry. Its stored value is
// upstream's: the integration key as pasted in, or the JSON
// {"service_key": ..., "account": ...} of PagerDuty's Simple Install Flow.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "pd",
		Name: "PagerDuty",
		Settings: []notify.Setting{
			{Name: "PD_ENABLED", Default: "True", Help: "False hides PagerDuty and stops its sends"},
			{Name: "PD_APP_ID", Help: "the PagerDuty app's ID: the add page offers PagerDuty's Simple Install Flow (pasted integration keys work without it)"},
		},
		Enabled: func(env notify.Env) bool { return env("PD_ENABLED") == "True" },
		Fields: []notify.Field{{Name: "value", Label: "Integration key", Type: notify.FieldPassword, Required: true, MaxLen: maxKey,
			Help: "the Integration Key of a PagerDuty service integration (Events API v1 or v2)"}},
		FromForm: fromForm,
		Validate: func(value string) error { _, err := Parse(value); return err },
		OAuth:    simpleInstall,
		Events:   notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: "a3f5e1c2b4d6e8f0a1b2c3d4e5f6a7b8",
	}
}

// Config is a parsed stored value.
type Config struct {
	ServiceKey string  `json:"service_key"`
	Account    *string `json:"account"`
}

// Parse reads a stored value as upstream's PdConf.load does: a value
// that does not start with "{" is the key itself.
func Parse(value string) (Config, error) {
	if !strings.HasPrefix(value, "{") {
		return Config{ServiceKey: value}, checkKey("value", value)
	}
	var c struct {
		ServiceKey *string `json:"service_key"`
		Account    *string `json:"account"`
	}
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return Config{}, fmt.Errorf("pagerduty configuration is not valid JSON: %w", err)
	}
	if c.ServiceKey == nil {
		return Config{}, &notify.FieldError{Field: "service_key", Msg: "is missing"}
	}
	return Config{ServiceKey: *c.ServiceKey, Account: c.Account}, checkKey("service_key", *c.ServiceKey)
}

func checkKey(field, k string) error {
	if k == "" || len(k) > maxKey || strings.ContainsFunc(k, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
	}) {
		return &notify.FieldError{Field: field, Msg: errKey}
	}
	return nil
}

// fromForm stores the key as typed, surrounding space stripped, as
// upstream. An "account" (not on the page: the Simple Install Flow's
// PagerDuty account) makes it upstream's {"service_key", "account"}.
func fromForm(form url.Values) (string, error) {
	k := strings.TrimSpace(form.Get("value"))
	if k == "" {
		return "", &notify.FieldError{Field: "value", Msg: "is required"}
	}
	if err := checkKey("value", k); err != nil {
		return "", err
	}
	acct := form.Get("account")
	if acct == "" {
		return k, nil
	}
	if utf8.RuneCountInString(acct) > maxAccount || strings.ContainsFunc(acct, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", &notify.FieldError{Field: "account", Msg: "must be one line of at most 200 characters"}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "&" stays as upstream's json.dumps writes it
	if err := enc.Encode(Config{ServiceKey: k, Account: &acct}); err != nil {
		return "", fmt.Errorf("encode pagerduty configuration: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// maxAccount bounds the account name a Simple Install Flow stores.
const maxAccount = 200

// simpleInstall is PagerDuty's Simple Install Flow, as upstream runs it
// when PD_APP_ID is set: the user picks services at PagerDuty, which
// sends back the integration keys of each; each becomes a channel named
// for its service.
var simpleInstall = &notify.OAuth{
	Callback: "/integrations/add_pagerduty/",
	Authorize: func(env notify.Env, redirect, state string) string {
		id := env("PD_APP_ID")
		if id == "" {
			return ""
		}
		back := redirect + "?" + url.Values{"state": {state}}.Encode()
		return InstallURL + "?" + url.Values{"app_id": {id}, "redirect_url": {back}, "version": {"2"}}.Encode()
	},
	Exchange: func(_ context.Context, _ *notify.Client, _ notify.Env, query url.Values, _ string) ([]notify.OAuthChannel, error) {
		var doc struct {
			IntegrationKeys []struct {
				Name           *string `json:"name"`
				IntegrationKey *string `json:"integration_key"`
			} `json:"integration_keys"`
			Account *struct {
				Name *string `json:"name"`
			} `json:"account"`
		}
		if err := json.Unmarshal([]byte(query.Get("config")), &doc); err != nil || doc.Account == nil || doc.Account.Name == nil {
			return nil, errUnexpected
		}
		var out []notify.OAuthChannel
		for _, item := range doc.IntegrationKeys {
			if item.Name == nil || item.IntegrationKey == nil {
				return nil, errUnexpected
			}
			out = append(out, notify.OAuthChannel{Name: *item.Name, Form: url.Values{"value": {*item.IntegrationKey}, "account": {*doc.Account.Name}}})
		}
		return out, nil
	},
}

// InstallURL is the Simple Install Flow's start.
const InstallURL = "https://app.pagerduty.com/install/integration"

var errUnexpected = &notify.Error{Msg: "Received an unexpected response from PagerDuty. Integration not added."}

// Event is an Events API v1 event.
type Event struct {
	ServiceKey string `json:"service_key"`
	// IncidentKey ties a resolve to its trigger: the check's UniqueKey.
	IncidentKey string `json:"incident_key"`
	EventType   string `json:"event_type"`
	Description string `json:"description"`
	Client      string `json:"client"`
	// ClientURL is the check's details page, as upstream links it.
	ClientURL string         `json:"client_url"`
	Details   notify.Details `json:"details"`
}

// Render is the event for m. PagerDuty shows its texts as typed.
func Render(c Config, m *notify.Message) Event {
	event := "trigger"
	if m.Status == model.StatusUp {
		event = "resolve"
	}
	return Event{
		ServiceKey:  c.ServiceKey,
		IncidentKey: m.Check.UniqueKey(),
		EventType:   event,
		Description: notify.Headline(m) + ".",
		Client:      m.SiteName,
		ClientURL:   m.SiteRoot + "/checks/" + m.Check.Code + "/details/",
		Details:     notify.IncidentDetails(m),
	}
}

// Transport sends PagerDuty events.
type Transport struct {
	Client *notify.Client
	// URL is EventsURL when "" (tests point it elsewhere).
	URL string
}

// Send delivers m. Upstream disables no PagerDuty channel for an answer:
// every refusal is "Received status code N" and retried.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid PagerDuty configuration")
	}
	u := t.URL
	if u == "" {
		u = EventsURL
	}
	_, err = t.Client.SendJSON(ctx, notify.JSONRequest{URL: u, Body: Render(c, m)})
	return err
}
