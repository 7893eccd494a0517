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
	"net"
	"net/mail"
	"os"
	"regexp"
	"strconv"
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
	// MailFromTmpl is EMAIL_MAIL_FROM_TMPL: every message goes out with the
	// template's %s replaced by its BounceID, or by "bounces" when it has
	// none (verification links, reminders), as its SMTP MAIL FROM, as
	// upstream's make_message does. Empty: DEFAULT_FROM_EMAIL.
	MailFromTmpl string
	// Timeout bounds one whole SMTP session, from dialling to QUIT; 30 s
	// when zero. Upstream (Django's backend as Healthchecks configures it)
	// sets none, so one stuck server could hold its sender forever.
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
	// BounceID, with MailFromTmpl, names the message in its SMTP MAIL FROM
	// address, where bounces go (VERP); the From header stays
	// DEFAULT_FROM_EMAIL.
	BounceID string
}

// Mailer sends messages. It is safe for concurrent use: each Send opens its
// own SMTP session.
type Mailer struct {
	cfg Config
}

// ErrNotConfigured is returned by Send when EMAIL_HOST is not set.
//
//lint:ignore ST1005 the text is shown as is as a channel's last error, so it is a sentence
var ErrNotConfigured = errors.New("Email is not configured (EMAIL_HOST is not set)")

// New returns a mailer for cfg.
func New(cfg Config) *Mailer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Port == 0 {
		// EMAIL_PORT=None: Django falls back to its own EMAIL_PORT, 25,
		// with or without implicit TLS.
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
	// Django's backend names no mailer; a version banner only helps attackers.
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := gm.From(m.cfg.From); err != nil {
		return fmt.Errorf("DEFAULT_FROM_EMAIL %q is not a valid address: %w", m.cfg.From, err)
	}
	if err := gm.To(msg.To...); err != nil {
		return fmt.Errorf("invalid recipient: %w", err)
	}
	if m.cfg.MailFromTmpl != "" {
		id := msg.BounceID
		if id == "" {
			id = "bounces"
		}
		envelope := strings.Replace(m.cfg.MailFromTmpl, "%s", id, 1)
		if err := gm.EnvelopeFrom(envelope); err != nil {
			return fmt.Errorf("envelope sender %q is not a valid address: %w", envelope, err)
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

	tlsCfg := m.cfg.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	// go-mail bounds each phase of a session with its timeout but not the
	// whole, and ignores ctx once connected. So the connection is dialled
	// here and closed when the session's deadline passes or ctx is
	// cancelled: a stuck server holds a sender for Timeout at most.
	session, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if m.cfg.UseSSL {
			conn, err = (&tls.Dialer{NetDialer: d, Config: tlsCfg}).DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(session, func() {
			// The past deadline wakes a blocked read or write first, so
			// that Close cannot wait behind it.
			_ = conn.SetDeadline(time.Unix(1, 0))
			_ = conn.Close()
		})
		return conn, nil
	}
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.cfg.Timeout),
		gomail.WithDialContextFunc(dial), gomail.WithTLSConfig(tlsCfg)}
	switch {
	case m.cfg.UseTLS && !m.cfg.UseSSL:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		// Implicit TLS is done by dial above, and Django never tries
		// STARTTLS unless EMAIL_USE_TLS says so.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if m.cfg.User != "" && m.cfg.Password != "" {
		// Django logs in only when both EMAIL_HOST_USER and
		// EMAIL_HOST_PASSWORD are set (a user alone means no AUTH). Its
		// smtplib picks the first of CRAM-MD5, PLAIN and LOGIN that the
		// server offers, over TLS or not (a relay on a private network
		// may take passwords in clear). go-mail refuses PLAIN and LOGIN
		// without TLS unless they are named with -NOENC, and cannot tell
		// that a connection dialled here is TLS, so they are always named so.
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc),
			gomail.WithUsername(m.cfg.User), gomail.WithPassword(m.cfg.Password))
	}
	client, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("SMTP client for %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	if err := client.DialAndSendWithContext(session, gm); err != nil {
		return newSendError(fmt.Sprintf("%s:%d", m.cfg.Host, m.cfg.Port), m.cfg.Timeout, m.cfg.Password, session.Err(), ctx.Err(), err)
	}
	return nil
}

// SendError is a failed SMTP session.
type SendError struct {
	// Server is host:port, for the operator's logs only.
	Server string
	// Step is the SMTP command the server refused ("RCPT TO", "AUTH", ...),
	// "" when the session failed below SMTP (connection, TLS, timeout).
	Step string
	// Code is the server's SMTP reply code, 0 when there was no reply.
	Code int
	// Reason is short and fit to show a user: the server's reply
	// ("550 5.1.1 mailbox unavailable") or what went wrong on the way.
	// It never contains the password.
	Reason string
	// Timeout is set when the session ran out of time.
	Timeout bool

	// cause is context.DeadlineExceeded or the caller's context error.
	// The library's own error is not kept: its text could carry more than
	// a user should see.
	cause error
}

func (e *SendError) Error() string {
	if e.Step != "" {
		return "sending email through " + e.Server + ": " + e.Step + ": " + e.Reason
	}
	return "sending email through " + e.Server + ": " + e.Reason
}

// Unwrap lets callers tell a timeout or their own cancellation apart.
func (e *SendError) Unwrap() error { return e.cause }

// smtpReply finds a server reply as net/textproto formats it: a code and
// the quoted text. go-mail keeps the reply itself in unexported fields, so
// its error text is the only place to read it from.
var smtpReply = regexp.MustCompile(`\b([2-5][0-9][0-9]) ("(?:[^"\\]|\\.)*")`)

// steps maps go-mail's phrases to the SMTP command that failed, most
// specific first.
var steps = []struct{ phrase, step string }{
	{"SMTP AUTH", "AUTH"}, {"MAIL FROM", "MAIL FROM"}, {"RCPT TO", "RCPT TO"},
	{"closing SMTP DATA", "DATA"}, {"SMTP DATA", "DATA"}, {"STARTTLS", "STARTTLS"},
}

// newSendError turns go-mail's error into one a user can read. sessionErr
// and parentErr are the session's and the caller's context errors: once
// the session is cut, the library only reports a closed connection.
func newSendError(server string, timeout time.Duration, password string, sessionErr, parentErr, err error) *SendError {
	e := &SendError{Server: server}
	text := scrub(err.Error(), password)
	var ne net.Error
	switch {
	case parentErr != nil:
		e.cause, e.Reason = parentErr, "cancelled: "+parentErr.Error()
		return e
	case sessionErr != nil || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		e.cause, e.Timeout = context.DeadlineExceeded, true
		e.Reason = "no answer from the SMTP server within " + timeout.String()
		return e
	}
	if strings.Contains(text, "does not support STARTTLS") {
		e.Step, e.Reason = "STARTTLS", "the server does not offer STARTTLS, which EMAIL_USE_TLS requires"
		return e
	}
	for _, s := range steps {
		if strings.Contains(text, s.phrase) {
			e.Step = s.step
			break
		}
	}
	if m := smtpReply.FindStringSubmatch(text); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
		msg, uerr := strconv.Unquote(m[2])
		if uerr != nil {
			msg = m[2]
		}
		e.Reason = strings.TrimSpace(m[1] + " " + msg)
		return e
	}
	// No reply: what is left is a connection or TLS failure. A network
	// error names the relay's address, which is for the operator's logs
	// (Server), not for the channel's last error: keep what happened.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		e.Reason = "cannot resolve the SMTP server's name"
		return e
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		e.Reason = scrub(opErr.Op+": "+opErr.Err.Error(), password)
		var sysErr *os.SyscallError
		if errors.As(opErr.Err, &sysErr) {
			e.Reason = opErr.Op + ": " + sysErr.Err.Error()
		}
		return e
	}
	// Otherwise go-mail's framing, which says nothing to a user.
	for _, prefix := range []string{"dial failed: ", "send failed: "} {
		text = strings.TrimPrefix(text, prefix)
	}
	if i := strings.Index(text, ", affected "); i >= 0 {
		text = text[:i]
	}
	e.Reason = text
	return e
}

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
