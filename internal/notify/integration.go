package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
)

// This file is the contract between the integration registry
// (internal/notify/kinds, one line per kind) and the integration packages
// (internal/notify/<kind>): each package exports one Integration value and
// nothing else needs to know about the kind. The web UI renders a kind's
// add/edit form from Fields, the CLI and the UI both turn submitted fields
// into a stored value with FromForm, the outbox asks Events which events a
// channel wants, and the dispatcher sends through the Transport that New
// builds.

// Kind is a channel kind: upstream's Channel.kind identifier ("email",
// "slack", "msteamsw"), stored as is in channels.kind.
type Kind string

// Env reads one operator setting by upstream's environment variable name
// (TELEGRAM_TOKEN, SHELL_ENABLED, ...). The Env a kind is given answers
// its Setting's Default for a variable that is not set at all, and "" for
// one set to the empty string (upstream reads WEBHOOKS_ENABLED= as False).
type Env func(name string) string

// Setting is one operator environment variable an integration reads. It
// is the configuration table's own type: main gives every kind's Settings
// to config.Load, so that they are in the redacted dump and a Secret one
// accepts NAME_FILE by the table's one rule (upstream's envsecret).
type Setting = config.Setting

// Settings are the Settings of every integration in list, in order (with
// repeats: config.Load folds them), for config.Load.
func Settings(list []Integration) []Setting {
	var out []Setting
	for _, in := range list {
		out = append(out, in.Settings...)
	}
	return out
}

// FieldType is how a form field is shown and read.
type FieldType string

const (
	FieldText     FieldType = "text"
	FieldURL      FieldType = "url"
	FieldEmail    FieldType = "email"
	FieldPassword FieldType = "password" // a token or key: shown masked, never echoed back
	FieldTextarea FieldType = "textarea"
	FieldSelect   FieldType = "select"
	FieldCheckbox FieldType = "checkbox" // "on" when checked, absent otherwise
	FieldNumber   FieldType = "number"
	// FieldChannels picks some of the project's other integrations (the
	// group kind): one value per picked channel, its UUID.
	FieldChannels FieldType = "channels"
)

// Field is one input of a kind's add/edit form.
type Field struct {
	Name     string // form key, also the CLI's --set NAME=VALUE key
	Label    string
	Type     FieldType
	Required bool
	Help     string
	// Options are the select's choices, value then label.
	Options [][2]string
	// Default is the initial value ("on" pre-checks a checkbox).
	Default string
	// MaxLen is upstream's max_length, counted in characters; 0 = none.
	MaxLen int
}

// FieldError is a validation failure tied to one form field, so that a page
// can show it next to the field and the CLI can name the flag.
//
// Msg completes a sentence whose subject is the field ("must be an email
// address of at most 100 characters"), so that a page can put the field's
// label before it and the CLI its flag: the same rule then reads right in
// both. An error about several fields has Field "" and names them in Msg
// as {name} ("at least one of {up} and {down} must be true"); Text fills
// those in.
type FieldError struct {
	Field string // "" when the error is about the form as a whole
	Msg   string
}

// Text is the message with each {name} in Msg replaced by label(name), and,
// for a field's error, label(Field) put first.
func (e *FieldError) Text(label func(field string) string) string {
	if e.Field == "" {
		return e.fill(label)
	}
	return label(e.Field) + " " + e.fill(label)
}

// Error names fields by their form keys: "value: must be an email address".
func (e *FieldError) Error() string {
	key := func(f string) string { return f }
	if e.Field == "" {
		return e.fill(key)
	}
	return e.Field + ": " + e.fill(key)
}

func (e *FieldError) fill(label func(field string) string) string {
	var b strings.Builder
	msg := e.Msg
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(msg[:i])
		b.WriteString(label(msg[i+1 : i+j]))
		msg = msg[i+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

// Checked reads a checkbox as Django's CheckboxInput does: absent, "" and
// "false" (any case) are unchecked, anything else ("on", "true") checked.
func Checked(form url.Values, name string) bool {
	v := form.Get(name)
	return v != "" && !strings.EqualFold(v, "false")
}

// ProjectSummary is one line of an email alert's projects overview.
type ProjectSummary struct {
	// Name is the project's name, or its owner's email address when it
	// has none (upstream's str(project)).
	Name string
	// URL is the project's checks page.
	URL string
	// Down is how many of its checks are down.
	Down int
}

// Mailer is what an integration needs to send email (*mailer.Mailer).
type Mailer interface {
	Send(ctx context.Context, msg *mailer.Message) error
}

// Deps is what a kind's constructor may use; main builds it once and
// Integration.Transport fills in Env for each kind.
type Deps struct {
	// Client is the SSRF-safe HTTP client every HTTP integration must use.
	Client *Client
	// Getenv looks up the operator's environment: in production the
	// loaded configuration's Env (config.Config.Env), which answers a
	// secret setting from its NAME_FILE; nil reads every variable as unset.
	Getenv func(name string) (string, bool)
	// Env reads the operator's settings for this kind, with its Settings'
	// defaults; Integration.Transport sets it from Getenv.
	Env Env
	// Mailer sends email (the email kind; nil in builds without SMTP).
	Mailer Mailer
	// SecretKey is SECRET_KEY, which signs links and bounce IDs.
	SecretKey string
	// Overview lists the projects of the account that owns an email
	// address, for an email alert's projects overview; nil for none.
	Overview func(ctx context.Context, address string) ([]ProjectSummary, error)
	// SiteRoot and SiteName are SITE_ROOT and SITE_NAME.
	SiteRoot, SiteName string
	Log                *slog.Logger
	// Channels loads channels of a project by UUID, for the group kind;
	// nil in builds without a database.
	Channels func(ctx context.Context, projectID int64, codes []string) ([]model.Channel, error)
	// Send delivers m through the transport of m.Channel.Kind, for the
	// group kind (which fans out to its members).
	Send func(ctx context.Context, m *Message) error
	// Quota takes one send of kind from the monthly quota of the user who
	// owns the project (store.AuthorizeSend), for the kinds that cost the
	// operator per message (sms, whatsapp, call); nil sets no limit.
	Quota func(ctx context.Context, projectID int64, kind model.LimitKind, now time.Time) (model.SendGrant, error)
	// RecordMember keeps a group member's own outcome on the member
	// (store.RecordMemberSend); nil keeps only the group's.
	RecordMember func(ctx context.Context, r model.MemberSend) error
}

// Integration describes one channel kind. Zero-valued optional fields mean:
// always enabled, any value valid, both events wanted. A kind with neither
// FromForm nor New is known only for its Events: channels of it (imported
// from upstream) are queued as upstream would queue them, and their sends
// fail with "not supported by this server" until a package implements it.
type Integration struct {
	Kind Kind
	// Name is the kind as users see it: "Slack", "Microsoft Teams".
	Name string
	// Settings are the operator variables this kind reads.
	Settings []Setting
	// Enabled reports whether the operator enabled this kind (upstream's
	// "shown when" condition). A disabled kind cannot be added, and its
	// sends fail with upstream's "<Name> notifications are not enabled.".
	Enabled func(env Env) bool
	// Disabled is the error a send fails with when Enabled says no, where
	// upstream's text is not the usual one ("Shell commands are not
	// enabled"); "" means "<Name> notifications are not enabled.".
	Disabled string
	// Fields describe the add/edit form.
	Fields []Field
	// FromForm turns submitted fields into the stored channel value (in
	// upstream's format, so that imported channels keep working), or a
	// *FieldError.
	FromForm func(form url.Values) (value string, err error)
	// ToForm is the inverse, for editing an existing channel; nil means the
	// kind cannot be edited after creation (only renamed).
	ToForm func(value string) url.Values
	// Validate checks a stored value (from the API, an import, or FromForm).
	Validate func(value string) error
	// Events reports which events a channel with this value wants.
	Events func(value string) (up, down bool)
	// OAuth, when set, also offers the set-up through the provider's
	// OAuth round-trip on the add page.
	OAuth *OAuth
	// New builds the transport; nil when this build cannot send the kind.
	New func(d Deps) (Transport, error)
	// Example is a valid stored value, for documentation and for the
	// registry's tests (it must pass Validate and survive ToForm/FromForm).
	Example string
}

// DownOnly is the Events of the kinds upstream only ever sends "down"
// to (call, trello, github), whatever their value.
func DownOnly(string) (up, down bool) { return false, true }

// Addable reports whether channels of this kind can be created here: it
// has a form and a transport.
func (in Integration) Addable() bool { return in.FromForm != nil && in.New != nil }

// EnvFrom is the kind's Env over a lookup: a variable that is not set
// reads as its Setting's Default. getenv is the loaded configuration's Env
// (config.Config.Env), which has read each secret's NAME_FILE at start-up,
// so that a file that cannot be read stopped the start and is never read
// again at a send or a page.
func (in Integration) EnvFrom(getenv func(name string) (string, bool)) Env {
	return func(name string) string {
		if getenv != nil {
			if v, ok := getenv(name); ok {
				return v
			}
		}
		for _, s := range in.Settings {
			if s.Name == name {
				return s.Default
			}
		}
		return ""
	}
}

// Transport builds the kind's transport from d (nil, nil when New is nil).
// A kind the operator did not enable gets a transport that fails every send
// with upstream's "<Name> notifications are not enabled.", once and without
// disabling the channel, so that enabling the kind later makes it work.
func (in Integration) Transport(d Deps) (Transport, error) {
	if in.New == nil {
		return nil, nil
	}
	d.Env = in.EnvFrom(d.Getenv)
	if in.Enabled != nil && !in.Enabled(d.Env) {
		msg := in.Name + " notifications are not enabled."
		if in.Disabled != "" {
			msg = in.Disabled
		}
		return TransportFunc(func(context.Context, *Message) error { return FailFinal(msg) }), nil
	}
	t, err := in.New(d)
	if err != nil {
		return nil, fmt.Errorf("%s integration: %w", in.Kind, err)
	}
	return t, nil
}
