package notify

import (
	"context"
	"errors"
	"net/url"
)

// This file holds what the "paste a webhook URL" kinds share: upstream's
// AddUrlForm as a form, its stored value (the URL itself), and, for the
// kinds that post one JSON document per message to that URL, the whole
// Integration.

// URLFields is the one-field form of upstream's AddUrlForm.
func URLFields(label, help string) []Field {
	return []Field{{Name: "value", Label: label, Type: FieldURL, Required: true, MaxLen: MaxURL, Help: help}}
}

// URLFromForm stores the cleaned URL as is, as upstream does.
func URLFromForm(form url.Values) (string, error) { return URLField(form.Get("value")) }

// ValidateURL checks a stored webhook URL.
func ValidateURL(u string) error {
	if !ValidURL(u) {
		return &FieldError{Field: "value", Msg: ErrURLField}
	}
	return nil
}

// BothEvents is the rule of the kinds that send "down" and "up" alike.
func BothEvents(string) (up, down bool) { return true, true }

// WebhookKind describes a kind whose stored value is one webhook URL that
// each message is POSTed to as one JSON document: Microsoft Teams,
// Rocket.Chat, Google Chat, PagerTree, Spike.sh, Splunk On-Call.
type WebhookKind struct {
	Kind Kind
	Name string
	// Switch is the operator variable that turns the kind off (upstream's
	// envbool, default True: "ROCKETCHAT_ENABLED"); "" for a kind that
	// upstream always offers.
	Switch string
	// Disabled is Integration.Disabled.
	Disabled string
	// Label and Help describe the URL field.
	Label, Help string
	Example     string
	// Render is the document to post for m.
	Render func(m *Message) any
	// Refuse reads a refusal (nil: "Received status code N", retried).
	Refuse func(r *Response) error
}

// Integration is the registry entry of k.
func (k WebhookKind) Integration() Integration {
	in := Integration{
		Kind:     k.Kind,
		Name:     k.Name,
		Disabled: k.Disabled,
		Fields:   URLFields(k.Label, k.Help),
		FromForm: URLFromForm,
		Validate: ValidateURL,
		Events:   BothEvents,
		New: func(d Deps) (Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return TransportFunc(func(ctx context.Context, m *Message) error {
				_, err := d.Client.SendJSON(ctx, JSONRequest{URL: m.Channel.Value, Body: k.Render(m), Refuse: k.Refuse})
				return err
			}), nil
		},
		Example: k.Example,
	}
	if k.Switch != "" {
		sw := k.Switch
		in.Settings = []Setting{{Name: sw, Default: "True", Help: "False hides " + k.Name + " and stops its sends"}}
		in.Enabled = func(env Env) bool { return env(sw) == "True" }
	}
	return in
}
