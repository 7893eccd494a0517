// Package twilio is what the sms, whatsapp and call kinds share: the
// operator's Twilio account (upstream's TWILIO_* settings), the one
// request they all make (a form POST to an Accounts/<sid>/<resource>.json
// endpoint with basic auth), upstream's reading of Twilio's answers, and
// the phone-number form and stored value.
package twilio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/notify"
)

// API is Twilio's REST API root; tests point Account.Base elsewhere.
const API = "https://api.twilio.com"

// The operator settings, by upstream's names.
var (
	SettingAccount = notify.Setting{Name: "TWILIO_ACCOUNT", Help: "the Twilio account SID (SMS, WhatsApp, phone calls)"}
	SettingAuth    = notify.Setting{Name: "TWILIO_AUTH", Secret: true, Help: "the Twilio auth token; shows the SMS and phone call integrations"}
	SettingFrom    = notify.Setting{Name: "TWILIO_FROM", Help: "the Twilio phone number messages and calls come from, +15555550100"}
	SettingService = notify.Setting{Name: "TWILIO_MESSAGING_SERVICE_SID", Help: "a Twilio messaging service to send SMS and WhatsApp through instead of TWILIO_FROM"}
)

// Account is the operator's Twilio account.
type Account struct {
	Client *notify.Client
	// SID and Auth are TWILIO_ACCOUNT and TWILIO_AUTH.
	SID, Auth string
	// From and Service are TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID.
	From, Service string
	// Base is API unless a test says otherwise.
	Base string
}

// FromEnv reads the account from the operator's settings.
func FromEnv(d notify.Deps) (Account, error) {
	if d.Client == nil {
		return Account{}, errors.New("no HTTP client")
	}
	return Account{Client: d.Client, SID: d.Env("TWILIO_ACCOUNT"), Auth: d.Env("TWILIO_AUTH"),
		From: d.Env("TWILIO_FROM"), Service: d.Env("TWILIO_MESSAGING_SERVICE_SID"), Base: API}, nil
}

// ErrInvalidPhone is what upstream records, and disables the channel
// with, when Twilio refuses the number (error 21211).
const ErrInvalidPhone = "Invalid phone number"

// Post sends form to Twilio's <resource>.json of the account ("Messages",
// "Calls"), as upstream's HttpTransport.post: three tries unless this is
// a test notification, a 400 with Twilio's code 21211 permanent.
func (a Account) Post(ctx context.Context, resource string, form url.Values, test bool) error {
	tries := notify.Attempts
	if test {
		tries = 1
	}
	creds := base64.StdEncoding.EncodeToString([]byte(a.SID + ":" + a.Auth))
	_, err := a.Client.SendForm(ctx, notify.FormRequest{
		URL:      strings.TrimRight(a.Base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(a.SID) + "/" + resource + ".json",
		Header:   map[string]string{"Authorization": "Basic " + creds},
		Form:     form,
		Attempts: tries,
		Refuse:   refuse,
	})
	return err
}

// refuse reads a Twilio error: {"code": 21211, "message": ..., "status": 400}.
func refuse(r *notify.Response) error {
	if r.StatusCode == http.StatusBadRequest {
		var doc struct {
			Code *int `json:"code"`
		}
		if json.Unmarshal(r.Body, &doc) == nil && doc.Code != nil && *doc.Code == 21211 {
			return notify.FailPermanent(ErrInvalidPhone)
		}
	}
	return notify.Fail(notify.StatusText(r.StatusCode))
}

// AddStatusCallback sets StatusCallback to upstream's
// Notification.status_url, where Twilio reports a later delivery failure
// (internal/api's notificationStatus). A message with no notification
// behind it (a test notification here) gets none, rather than a link to
// nothing.
func AddStatusCallback(form url.Values, m *notify.Message) url.Values {
	if m.Code != "" {
		form.Set("StatusCallback", strings.TrimRight(m.SiteRoot, "/")+"/api/v3/notifications/"+m.Code+"/status")
	}
	return form
}

var phoneRE = regexp.MustCompile(`^\+[0-9]{5,15}$`)

// ErrPhone is the FieldError message of a bad number.
const ErrPhone = "must be a phone number: + and the country code, 5 to 15 digits (+15555550100)"

// CleanPhone is upstream's PhoneNumberForm.clean_phone: non-ASCII
// characters, spaces and dashes dropped, then "+" and 5 to 15 digits.
func CleanPhone(raw string) (string, error) {
	v := strings.Map(func(r rune) rune {
		if r > 0x7f || r == ' ' || r == '-' {
			return -1
		}
		return r
	}, raw)
	if v == "" {
		return "", &notify.FieldError{Field: "phone", Msg: "is required"}
	}
	if !phoneRE.MatchString(v) {
		return "", &notify.FieldError{Field: "phone", Msg: ErrPhone}
	}
	return v, nil
}

// Config is the stored value: upstream's PhoneConf, {"value": phone,
// "up": bool, "down": bool} (call stores only "value").
type Config struct {
	Value string `json:"value"`
	Up    *bool  `json:"up,omitempty"`
	Down  *bool  `json:"down,omitempty"`
}

// Parse reads a stored value whose number is as CleanPhone leaves it.
func Parse(value string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("phone configuration is not a JSON object with a string \"value\" and boolean \"up\" and \"down\": %w", err)
	}
	clean, err := CleanPhone(c.Value)
	if err != nil {
		return c, err
	}
	if clean != c.Value {
		return c, &notify.FieldError{Field: "phone", Msg: "must be stored without spaces or dashes"}
	}
	return c, nil
}

// Events is upstream's PhoneConf rule: a missing or false flag is a no-op
// (a value that is not JSON sends nothing, as upstream fails to read it).
func Events(value string) (up, down bool) {
	var c Config
	if json.Unmarshal([]byte(value), &c) != nil {
		return false, false
	}
	return c.Up != nil && *c.Up, c.Down != nil && *c.Down
}

// PhoneField is the form's number input.
var PhoneField = notify.Field{Name: "phone", Label: "Phone number", Type: notify.FieldText, Required: true, MaxLen: maxPhoneInput,
	Help: "+ and the country code: +15555550100"}

// UpDownFields are PhoneUpDownForm's checkboxes; up is pre-checked when
// upDefault (upstream's SMS form starts with "up" off, WhatsApp's on).
func UpDownFields(upDefault bool) []notify.Field {
	up := ""
	if upDefault {
		up = "on"
	}
	return []notify.Field{
		{Name: "down", Label: "Notify when a check goes down", Type: notify.FieldCheckbox, Default: "on"},
		{Name: "up", Label: "Notify when a check goes up", Type: notify.FieldCheckbox, Default: up},
	}
}

// maxPhoneInput bounds what the phone field accepts before cleaning
// (upstream's has no bound; 15 digits with spaces fit easily).
const maxPhoneInput = 40

func cleanInput(form url.Values) (string, error) {
	raw := form.Get("phone")
	if utf8.RuneCountInString(raw) > maxPhoneInput {
		return "", &notify.FieldError{Field: "phone", Msg: ErrPhone}
	}
	return CleanPhone(raw)
}

// PhoneFromForm is upstream's PhoneNumberForm.get_json: {"value": phone}.
func PhoneFromForm(form url.Values) (string, error) {
	phone, err := cleanInput(form)
	if err != nil {
		return "", err
	}
	return encode(Config{Value: phone})
}

// UpDownFromForm is upstream's PhoneUpDownForm.get_json, with its rule
// that at least one event is on.
func UpDownFromForm(form url.Values) (string, error) {
	phone, err := cleanInput(form)
	if err != nil {
		return "", err
	}
	up, down := notify.Checked(form, "up"), notify.Checked(form, "down")
	if !up && !down {
		return "", &notify.FieldError{Msg: "at least one of {up} and {down} must be true"}
	}
	return encode(Config{Value: phone, Up: &up, Down: &down})
}

func encode(c Config) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode phone configuration: %w", err)
	}
	return string(b), nil
}

// ToForm is the edit form of a stored value.
func ToForm(value string) url.Values {
	var c Config
	if json.Unmarshal([]byte(value), &c) != nil {
		return url.Values{}
	}
	form := url.Values{"phone": {c.Value}}
	if c.Up != nil && *c.Up {
		form.Set("up", "on")
	}
	if c.Down != nil && *c.Down {
		form.Set("down", "on")
	}
	return form
}

// ValidateUpDown checks a stored sms or whatsapp value.
func ValidateUpDown(value string) error {
	if _, err := Parse(value); err != nil {
		return err
	}
	_, err := UpDownFromForm(ToForm(value))
	return err
}

// ValidatePhone checks a stored call value.
func ValidatePhone(value string) error {
	_, err := Parse(value)
	return err
}
