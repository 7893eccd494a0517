// Package mailer sends email over SMTP, configured with Django's settings
// as upstream Healthchecks names them (EMAIL_HOST, EMAIL_PORT,
// EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL,
// DEFAULT_FROM_EMAIL). Alert emails, verification links and nags all go
// through it.
package mailer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Config is the SMTP connection and the sender.
type Config struct {
	Host           string
	Port           int
	User, Password string
	// UseTLS: STARTTLS is required (Django's EMAIL_USE_TLS). UseSSL: the
	// connection is TLS from the start, as on port 465 (EMAIL_USE_SSL).
	// Neither: plain SMTP.
	UseTLS, UseSSL bool
	From           string
	// Timeout bounds one whole SMTP session; 30 s when zero. Upstream sets
	// none, so one stuck server could hold its sender forever.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default (tests trust their server).
	TLSConfig *tls.Config
}

// Message is one email.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string // optional: sent as the alternative part
	Headers map[string]string
	// EnvelopeFrom, when set, is the SMTP MAIL FROM address (where bounces
	// go); the From header stays DEFAULT_FROM_EMAIL.
	EnvelopeFrom string
}

// Mailer sends messages. It is safe for concurrent use: each Send opens its
// own SMTP session.
type Mailer struct {
	cfg Config
}

// ErrNotConfigured is returned by Send when EMAIL_HOST is not set.
var ErrNotConfigured = errors.New("email is not configured (EMAIL_HOST is not set)")

// New returns a mailer for cfg.
func New(cfg Config) *Mailer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Port == 0 {
		cfg.Port = 25
	}
	return &Mailer{cfg: cfg}
}

// Enabled reports whether an SMTP host is configured.
func (m *Mailer) Enabled() bool { return m != nil && m.cfg.Host != "" }

// From is the sender address (DEFAULT_FROM_EMAIL).
func (m *Mailer) From() string { return m.cfg.From }

// Send delivers msg in one SMTP session. Errors name the SMTP step and the
// server's answer, never the password.
func (m *Mailer) Send(ctx context.Context, msg *Message) error {
	if !m.Enabled() {
		return ErrNotConfigured
	}
	if len(msg.To) == 0 {
		return errors.New("email has no recipient")
	}
	gm := gomail.NewMsg()
	if err := gm.From(m.cfg.From); err != nil {
		return fmt.Errorf("DEFAULT_FROM_EMAIL %q is not a valid address: %w", m.cfg.From, err)
	}
	if err := gm.To(msg.To...); err != nil {
		return fmt.Errorf("invalid recipient: %w", err)
	}
	if msg.EnvelopeFrom != "" {
		if err := gm.EnvelopeFrom(msg.EnvelopeFrom); err != nil {
			return fmt.Errorf("envelope sender %q is not a valid address: %w", msg.EnvelopeFrom, err)
		}
	}
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue(messageID(m.cfg.From))
	gm.SetDate()
	for k, v := range msg.Headers {
		gm.SetGenHeader(gomail.Header(k), v)
	}
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}

	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.cfg.Timeout)}
	switch {
	case m.cfg.UseSSL:
		opts = append(opts, gomail.WithSSL())
	case m.cfg.UseTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if m.cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(m.cfg.TLSConfig))
	} else {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if m.cfg.User != "" {
		auth := gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover)
		if !m.cfg.UseSSL && !m.cfg.UseTLS {
			// Django logs in over a plain connection when told to (a relay
			// on a private network); go-mail's discovery refuses to, so the
			// unencrypted mechanisms are named explicitly for this case only.
			auth = gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc, gomail.SMTPAuthCramMD5)
		}
		opts = append(opts, auth, gomail.WithUsername(m.cfg.User), gomail.WithPassword(m.cfg.Password))
	}
	client, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("SMTP client for %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, gm); err != nil {
		return &SendError{Server: fmt.Sprintf("%s:%d", m.cfg.Host, m.cfg.Port), Reason: scrub(err.Error(), m.cfg.Password)}
	}
	return nil
}

// SendError is a failed SMTP session. Reason is the step and the server's
// answer, fit to show a user; Server is for the operator's logs.
type SendError struct {
	Server string
	Reason string
}

func (e *SendError) Error() string { return "sending email through " + e.Server + ": " + e.Reason }

// messageID makes a Message-ID in the sender's domain, as upstream does.
func messageID(from string) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			domain = a.Address[i+1:]
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + domain
}

// scrub removes the password from an error text, should a library ever
// echo it.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "********")
}
