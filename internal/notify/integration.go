package notify

import (
	"context"
	"log/slog"
	"net/url"

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
// (TELEGRAM_TOKEN, SHELL_ENABLED, ...); "" when unset.
type Env func(name string) string

// Setting is one operator environment variable an integration reads.
type Setting struct {
	Name    string
	Default string
	// Secret settings are redacted in the configuration dump and never logged.
	Secret bool
	// Help is one line for `overdue serve --help` and the README.
	Help string
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
type FieldError struct {
	Field string // "" when the error is about the form as a whole
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Deps is what a kind's constructor may use; main builds it once.
type Deps struct {
	// Client is the SSRF-safe HTTP client every HTTP integration must use.
	Client *Client
	// Env reads the operator's settings for this kind.
	Env Env
	// SiteRoot and SiteName are SITE_ROOT and SITE_NAME.
	SiteRoot, SiteName string
	Log                *slog.Logger
	// Channels loads channels of a project by UUID, for the group kind;
	// nil in builds without a database.
	Channels func(ctx context.Context, projectID int64, codes []string) ([]model.Channel, error)
	// Send delivers m through the transport of m.Channel.Kind, for the
	// group kind (which fans out to its members).
	Send func(ctx context.Context, m *Message) error
}

// Integration describes one channel kind. Zero-valued optional fields mean:
// always enabled, any value valid, both events wanted.
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
	// New builds the transport.
	New func(d Deps) (Transport, error)
}
