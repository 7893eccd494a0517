// Package apprise is the Apprise channel kind: when the operator sets
// APPRISE_ENABLED=True, a notification runs the `apprise` command line
// tool, which reaches the 100+ services its URL schemes name. Upstream
// calls Apprise's Python library in-process; the command is the same
// library behind a process boundary.
package apprise

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/shell"
)

// maxURL is upstream's max_length of the URL field, in characters.
const maxURL = 512

// Disabled is upstream's error when Apprise is off or missing.
const Disabled = "Apprise is disabled and/or not installed"

// DefaultTimeout bounds one run, as the shell kind's.
const DefaultTimeout = shell.DefaultTimeout

// Integration is the Apprise kind for the registry. Its stored value is
// upstream's: the Apprise URL as typed.
//
// Apprise reaches its targets itself, so the private-address guard of
// the HTTP kinds does not apply (upstream's system check W006 warns of
// the same); that is why it is off unless the operator turns it on.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "apprise",
		Name: "Apprise",
		Settings: []notify.Setting{{Name: "APPRISE_ENABLED", Default: "False",
			Help: "True runs the apprise command (found on PATH) for Apprise channels; it reaches private addresses too"}},
		Enabled:  func(env notify.Env) bool { return env("APPRISE_ENABLED") == "True" },
		Disabled: Disabled,
		Fields: []notify.Field{{Name: "url", Label: "Apprise URL", Type: notify.FieldText, Required: true, MaxLen: maxURL,
			Help: "an Apprise notification URL, such as tgram://bottoken/ChatID"}},
		FromForm: func(form url.Values) (string, error) { return clean(form.Get("url")) },
		Validate: func(value string) error {
			v, err := clean(value)
			if err == nil && v != value {
				err = &notify.FieldError{Field: "url", Msg: "must be stored without surrounding spaces"}
			}
			return err
		},
		Events: notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			return &Transport{Command: "apprise", Environ: Environ(os.Environ()), Timeout: DefaultTimeout, Log: d.Log}, nil
		},
		Example: "json://hooks.example.org/apprise",
	}
}

// schemaRE is how every Apprise URL starts (Apprise itself finds the
// service by it); upstream's form takes any text and fails at send time.
var schemaRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// clean is upstream's CharField(max_length=512): stripped, required, at
// most 512 characters; control characters (a second line) are refused,
// and so is text without a scheme.
func clean(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
		return "", &notify.FieldError{Field: "url", Msg: "is required"}
	case utf8.RuneCountInString(v) > maxURL || !utf8.ValidString(v):
		return "", &notify.FieldError{Field: "url", Msg: "must be at most 512 characters"}
	case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", &notify.FieldError{Field: "url", Msg: "must be one line without control characters"}
	case !schemaRE.MatchString(v):
		return "", &notify.FieldError{Field: "url", Msg: "must be an Apprise URL: a scheme and :// (tgram://, mailto://, json://...)"}
	}
	return v, nil
}

// passed are the variables of the server's environment the command gets:
// what Python and Apprise need to run and reach the network, and nothing
// else (the server's own secrets, SECRET_KEY, TWILIO_AUTH and the like,
// stay with the server).
var passed = []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "APPRISE_CONFIG"}

// Environ is environ cut down to the passed variables.
func Environ(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range passed {
			if name == p {
				out = append(out, kv)
			}
		}
	}
	return out
}

// Transport runs apprise.
type Transport struct {
	// Command is the program: "apprise", looked up on PATH.
	Command string
	// Environ is its environment (Environ's cut of the server's), to which
	// the channel's URL is added as APPRISE_URLS.
	Environ []string
	Timeout time.Duration
	Log     *slog.Logger
}

// Title is upstream's apprise_title.html, as plain text (upstream's
// template HTML-escapes the name, which Apprise then shows as "&amp;").
func Title(m *notify.Message) string {
	return notify.Tmpl(m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status))
}

// Body is upstream's apprise_description.html: the reason, or how long
// the check was down; "" when neither is known.
func Body(m *notify.Message) string {
	if m.Status == model.StatusDown {
		if m.Flip.Reason != "" {
			return "Reason: " + notify.ReasonLong(m.Flip.Reason) + "."
		}
		return ""
	}
	if d := notify.DowntimeText(m); d != "" {
		return "The downtime lasted " + d + "."
	}
	return ""
}

// Args are the command's arguments for m. The URL, which holds the
// target's secrets, goes in the environment (APPRISE_URLS, which apprise
// reads when no URL is given), not on the command line that every local
// user can list. Each value is joined to its option with "=", so that a
// name starting with "-" is never read as an option.
func Args(m *notify.Message) []string {
	kind := "failure"
	if m.Status == model.StatusUp {
		kind = "success"
	}
	return []string{"--title=" + Title(m), "--body=" + Body(m), "--notification-type=" + kind}
}

// maxOutput is how much of a failed run's output is logged.
const maxOutput = 200

// Send runs apprise for m. A failure is upstream's "Failed", and is
// retried: apprise reports failure when it could not deliver.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	u, err := clean(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Apprise configuration")
	}
	path, err := exec.LookPath(t.Command)
	if err != nil {
		return notify.FailFinal(Disabled)
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	env := append(append([]string(nil), t.Environ...), "APPRISE_URLS="+u)
	r := shell.Run(ctx, path, Args(m), env, timeout)
	if r.Err == nil {
		return nil
	}
	if t.Log != nil {
		// Apprise's output can quote the URL: only its start, at debug level.
		t.Log.Debug("apprise failed", "channel", m.Channel.Code, "timed_out", r.TimedOut, "output", shell.Truncate(r.Output, maxOutput))
	}
	var ee *exec.ExitError
	if r.TimedOut || errors.As(r.Err, &ee) {
		return notify.Fail("Failed")
	}
	return notify.FailFinal(Disabled)
}
