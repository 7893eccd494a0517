// Package notify is the sending side of alerts: the Message a transport
// renders, the Transport interface every integration implements, the error
// type that tells the dispatcher whether to retry, and the one HTTP client
// that all integrations share (client.go), which refuses private targets.
//
// The outbox itself (claiming, leases, retries) lives in internal/alerts;
// this package knows nothing about the database.
package notify

import (
	"context"
	"errors"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// Message is everything a transport may need to render one notification.
// The dispatcher fills it from the outbox row; transports must not change it.
type Message struct {
	// Code is the notification's UUID (used in bounce IDs and callbacks).
	Code    string
	Check   model.Check
	Channel model.Channel
	// Status is the event: model.StatusUp or model.StatusDown.
	Status string
	// Flip is the status change being reported (Reason "timeout", "fail" or "").
	Flip model.Flip
	// LastPing is the newest ping created at or before the flip, with its
	// body; nil when the check has never been pinged.
	LastPing *model.Ping
	// ProjectName is the name of the check's project.
	ProjectName string
	// CheckURL is the absolute link to the check in the web UI: upstream's
	// cloaked URL, which does not reveal the check's UUID.
	CheckURL string
	// CheckJSON is the check as upstream's API v3 shows it to a read-write
	// key (the webhook's $JSON placeholder).
	CheckJSON []byte
	// SiteRoot and SiteName are the operator's SITE_ROOT and SITE_NAME.
	SiteRoot, SiteName string
	// Downtime is how long the check was down, for "up" messages (0 when
	// unknown).
	Downtime time.Duration
	// Now is when the send started.
	Now time.Time
	// Test is true for a "send test notification" request: no retries.
	Test bool
}

// Transport sends messages of one channel kind.
type Transport interface {
	// Send delivers m, returning nil only once the receiving end has
	// accepted it. Errors should be *Error so that the text shown to the
	// user is upstream's and permanent failures are marked.
	Send(ctx context.Context, m *Message) error
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, m *Message) error

// Send calls f.
func (f TransportFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

// Error is a failed send. Msg is shown to users as the channel's last error,
// so it is short and has no secrets. Permanent errors are not retried and
// disable the channel, as upstream does (a deleted Slack webhook, a
// revoked token, an unknown recipient).
type Error struct {
	Msg       string
	Permanent bool
	// Final errors are recorded but not retried, and leave the channel
	// enabled: upstream tries such a send once and keeps the error
	// ("Email not verified", "Webhook notifications are not enabled."), and
	// retrying later could deliver a stale alert once the cause is gone.
	Final bool
}

func (e *Error) Error() string { return e.Msg }

// Errorf-like helpers keep call sites short.

// Fail returns a retryable *Error with text msg.
func Fail(msg string) error { return &Error{Msg: msg} }

// FailPermanent returns a permanent *Error with text msg.
func FailPermanent(msg string) error { return &Error{Msg: msg, Permanent: true} }

// ErrorText is the text to record for err: an *Error's message as is, any
// other error's text (so nothing is silently blank), cut to upstream's 200
// characters.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var e *Error
	if errors.As(err, &e) {
		msg = e.Msg
	}
	r := []rune(msg)
	if len(r) > 200 {
		r = r[:200]
	}
	return string(r)
}

// FailFinal returns an *Error with text msg that is not retried and does not
// disable the channel.
func FailFinal(msg string) error { return &Error{Msg: msg, Final: true} }

// IsFinal reports whether err must not be retried: a permanent or final *Error.
func IsFinal(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Permanent || e.Final)
}

// IsPermanent reports whether err is a permanent *Error.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// ErrNoOp is what Deps.Send answers for an event the channel does not send
// (upstream's is_noop): nothing was sent, and nothing failed.
var ErrNoOp = errors.New("the channel does not send this event")

// Registry maps channel kinds to transports. It is built once in main.
type Registry map[string]Transport

// Lookup returns the transport for kind, or a final error naming the kind
// when this build cannot send it: it stays visible on the channel, and the
// channel is not disabled, so that it works once a later version sends that
// kind (a database imported from upstream has every kind).
func (r Registry) Lookup(kind string) (Transport, error) {
	if t, ok := r[kind]; ok && t != nil {
		return t, nil
	}
	return nil, FailFinal("Integration type " + quote(kind) + " is not supported by this server")
}

func quote(s string) string { return "\"" + s + "\"" }
