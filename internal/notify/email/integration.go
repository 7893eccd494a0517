package email

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// maxAddress is upstream's max_length of the address field, in characters.
const maxAddress = 100

// Integration is the email kind for the registry (internal/notify/kinds).
// Its stored value is upstream's {"value": address, "up": bool, "down":
// bool}, or a bare address in channels from old upstream versions.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "email",
		Name: "Email",
		Fields: []notify.Field{
			{Name: "value", Label: "Email address", Type: notify.FieldEmail, Required: true, MaxLen: maxAddress},
			{Name: "down", Label: "Notify when a check goes down", Type: notify.FieldCheckbox, Default: "on"},
			{Name: "up", Label: "Notify when a check goes up", Type: notify.FieldCheckbox, Default: "on"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: validate,
		Events:   Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Mailer == nil {
				return nil, errors.New("no mailer")
			}
			t := &Transport{Mailer: d.Mailer, Overview: d.Overview, SecretKey: d.SecretKey}
			if d.SecretKey != "" {
				key := d.SecretKey
				t.BounceID = func(s string) string { return auth.SignBounceID(key, s, time.Now()) }
			}
			return t, nil
		},
		Example: `{"value": "alice@example.org", "up": true, "down": true}`,
	}
}

// fromForm checks the address and the two events, in that order, with the
// rules of upstream's EmailForm (the address is taken as typed: no spaces).
func fromForm(form url.Values) (string, error) {
	addr := form.Get("value")
	if !model.ValidEmail(addr) || utf8.RuneCountInString(addr) > maxAddress {
		return "", &notify.FieldError{Field: "value", Msg: "must be an email address of at most 100 characters"}
	}
	up, down := notify.Checked(form, "up"), notify.Checked(form, "down")
	if !up && !down {
		return "", &notify.FieldError{Msg: "at least one of {up} and {down} must be true"}
	}
	// A map, so that keys come out sorted: the value Overdue has always stored.
	v, err := json.Marshal(map[string]any{"value": addr, "up": up, "down": down})
	if err != nil {
		return "", fmt.Errorf("encode email configuration: %w", err)
	}
	return string(v), nil
}

func toForm(value string) url.Values {
	form := url.Values{"value": {Address(value)}}
	up, down := Events(value)
	if up {
		form.Set("up", "on")
	}
	if down {
		form.Set("down", "on")
	}
	return form
}

// validate applies the form's rules to a stored value.
func validate(value string) error {
	v := strings.TrimSpace(value)
	if !strings.HasPrefix(v, "{") {
		return fromFormErr(url.Values{"value": {value}, "up": {"on"}, "down": {"on"}})
	}
	var doc struct {
		Value *string `json:"value"`
		Up    *bool   `json:"up"`
		Down  *bool   `json:"down"`
	}
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		return fmt.Errorf("email configuration is not a JSON object with a string \"value\" and boolean \"up\" and \"down\": %w", err)
	}
	if doc.Value == nil {
		return &notify.FieldError{Field: "value", Msg: "is missing"}
	}
	form := url.Values{"value": {*doc.Value}}
	if doc.Up == nil || *doc.Up {
		form.Set("up", "on")
	}
	if doc.Down == nil || *doc.Down {
		form.Set("down", "on")
	}
	return fromFormErr(form)
}

func fromFormErr(form url.Values) error {
	_, err := fromForm(form)
	return err
}

// Events reads upstream's up and down flags; a bare address (and a value
// that is not JSON) takes both events, as upstream's Channel.email_notify_*.
func Events(value string) (up, down bool) {
	var v struct {
		Up   *bool `json:"up"`
		Down *bool `json:"down"`
	}
	if !strings.HasPrefix(strings.TrimSpace(value), "{") || json.Unmarshal([]byte(value), &v) != nil {
		return true, true
	}
	return v.Up == nil || *v.Up, v.Down == nil || *v.Down
}
