package signal

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
)

// Upstream's SignalRecipientForm rules, on the recipient with non-ASCII
// characters, spaces and dashes removed.
var (
	usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{3,48}\.[0-9]{2,10}$`)
	phoneRE    = regexp.MustCompile(`^\+[0-9]{5,15}$`)
)

// Integration is the Signal kind for the registry. Its stored value is
// upstream's {"value": recipient, "up": bool, "down": bool}; the
// recipient is a phone number or (upstream v3.10+) a username "name.01".
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "signal",
		Name: "Signal",
		Settings: []notify.Setting{{Name: "SIGNAL_CLI_SOCKET",
			Help: "signal-cli's JSON-RPC socket: a UNIX socket path, or host:port; enables Signal"}},
		Enabled: func(env notify.Env) bool { return env("SIGNAL_CLI_SOCKET") != "" },
		Fields: []notify.Field{
			{Name: "recipient", Label: "Phone number or username", Type: notify.FieldText, Required: true,
				Help: "+ and the country code (+15555550100), or a Signal username such as alice.01"},
			{Name: "down", Label: "Notify when a check goes down", Type: notify.FieldCheckbox, Default: "on"},
			{Name: "up", Label: "Notify when a check goes up", Type: notify.FieldCheckbox, Default: "on"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: validate,
		Events:   email.Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			return New(d.Env("SIGNAL_CLI_SOCKET"), d.Log), nil
		},
		Example: `{"value": "+15555550100", "up": true, "down": true}`,
	}
}

// config is the stored value.
type config struct {
	Value string `json:"value"`
	Up    *bool  `json:"up"`
	Down  *bool  `json:"down"`
}

func parse(value string) (config, error) {
	var c config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("signal configuration is not a JSON object with a string \"value\" and boolean \"up\" and \"down\": %w", err)
	}
	return c, nil
}

// CleanRecipient is upstream's clean_recipient: non-ASCII characters,
// spaces and dashes dropped, then a username (it has a ".") or a phone
// number.
func CleanRecipient(raw string) (string, error) {
	v := strings.Map(func(r rune) rune {
		if r > 0x7f || r == ' ' || r == '-' {
			return -1
		}
		return r
	}, raw)
	switch {
	case v == "":
		return "", &notify.FieldError{Field: "recipient", Msg: "is required"}
	case strings.Contains(v, "."):
		if !usernameRE.MatchString(v) {
			return "", &notify.FieldError{Field: "recipient", Msg: "must be a Signal username: 3 to 48 letters, digits or _, a dot, and 2 to 10 digits (alice.01)"}
		}
	case !phoneRE.MatchString(v):
		return "", &notify.FieldError{Field: "recipient", Msg: "must be a phone number: + and 5 to 15 digits (+15555550100)"}
	}
	return v, nil
}

func fromForm(form url.Values) (string, error) {
	recipient, err := CleanRecipient(form.Get("recipient"))
	if err != nil {
		return "", err
	}
	up, down := notify.Checked(form, "up"), notify.Checked(form, "down")
	if !up && !down {
		return "", &notify.FieldError{Msg: "at least one of {up} and {down} must be true"}
	}
	v, err := json.Marshal(map[string]any{"value": recipient, "up": up, "down": down})
	if err != nil {
		return "", fmt.Errorf("encode signal configuration: %w", err)
	}
	return string(v), nil
}

func toForm(value string) url.Values {
	c, err := parse(value)
	if err != nil {
		return url.Values{}
	}
	form := url.Values{"recipient": {c.Value}}
	up, down := email.Events(value)
	if up {
		form.Set("up", "on")
	}
	if down {
		form.Set("down", "on")
	}
	return form
}

func validate(value string) error {
	c, err := parse(value)
	if err != nil {
		return err
	}
	if c.Value == "" {
		return &notify.FieldError{Field: "recipient", Msg: "is required"}
	}
	if clean, err := CleanRecipient(c.Value); err != nil {
		return err
	} else if clean != c.Value {
		return &notify.FieldError{Field: "recipient", Msg: "must be stored without spaces or dashes"}
	}
	_, err = fromForm(toForm(value))
	return err
}
