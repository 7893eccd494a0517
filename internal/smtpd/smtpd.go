// Package smtpd is the inbound SMTP listener of email pings: mail to
// <uuid>@PING_EMAIL_DOMAIN or <ping_key>+<slug>@PING_EMAIL_DOMAIN becomes a
// ping of each check it names (upstream's manage.py smtpd). It accepts mail
// for those addresses only, so it is never a relay: every other recipient
// is refused at RCPT time.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/overdue/overdue/internal/opsmetrics"
	"github.com/overdue/overdue/internal/ping"
)

// Defaults of Options.
const (
	// DefaultMaxMessageBytes is aiosmtpd's default, which upstream runs with.
	DefaultMaxMessageBytes = 32 << 20
	// DefaultMaxRecipients is the minimum RFC 5321 §4.5.3.1.8 asks servers
	// to accept; more are answered 452 and a client sends them again.
	DefaultMaxRecipients = 100
	// DefaultMaxLineLength is go-smtp's: twice RFC 5321's 1000, since
	// mail in the wild (HTML mailers) often has longer lines.
	DefaultMaxLineLength = 2000
	DefaultMaxConns      = 50
	DefaultReadTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 60 * time.Second
)

// Options configure a Server. Domain is required.
type Options struct {
	// Domain is PING_EMAIL_DOMAIN, compared case-insensitively.
	Domain string
	// Hostname is announced in the greeting; Domain when empty.
	Hostname string
	// BodyLimit is PING_BODY_LIMIT: the stored bytes per ping, -1 for no
	// limit.
	BodyLimit       int
	MaxMessageBytes int64
	MaxRecipients   int
	MaxLineLength   int
	// MaxConns bounds the connections served at once; one more is told
	// 421 and closed.
	MaxConns     int
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// TLS, when set, offers STARTTLS.
	TLS    *tls.Config
	Logger *slog.Logger
	// Metrics counts emails and the pings they carry; nil counts nothing.
	Metrics *opsmetrics.Metrics
}

// Server is the SMTP listener. Create it with New, run it with Serve.
type Server struct {
	res  *ping.Resolver
	opts Options
	log  *slog.Logger
	srv  *smtp.Server
}

// New builds a Server that resolves and records pings through res (shared
// with the HTTP ping handler, so both use one UUID cache).
func New(res *ping.Resolver, opts Options) (*Server, error) {
	if opts.Domain == "" {
		return nil, errors.New("smtpd: the ping email domain is empty")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.MaxRecipients, DefaultMaxRecipients)
	def(&opts.MaxLineLength, DefaultMaxLineLength)
	def(&opts.MaxConns, DefaultMaxConns)
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.Hostname == "" {
		opts.Hostname = opts.Domain
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{res: res, opts: opts, log: opts.Logger}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = opts.Hostname
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.MaxRecipients = opts.MaxRecipients
	srv.MaxLineLength = opts.MaxLineLength
	srv.ReadTimeout = opts.ReadTimeout
	srv.WriteTimeout = opts.WriteTimeout
	srv.TLSConfig = opts.TLS
	// go-smtp's own log (connection errors) goes to ours, at debug level:
	// a client that hangs up is no event worth more.
	srv.ErrorLog = log.New(slogWriter{opts.Logger}, "", 0)
	s.srv = srv
	return s, nil
}

// Serve accepts connections on ln until ctx is done, then stops taking new
// ones and waits (at most 10 s) for the sessions in progress.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ll := &limitListener{Listener: ln, slots: make(chan struct{}, s.opts.MaxConns), log: s.log}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ll) }()
	select {
	case err := <-errc:
		return fmt.Errorf("smtpd: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		_ = s.srv.Close()
	}
	<-errc
	return nil
}

// Reply codes used at RCPT and DATA time.
var (
	errRejected = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient rejected"}
	errMailbox  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Invalid mailbox"}
	errNoCheck  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Check not found"}
	errAmbig    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Ambiguous slug"}
	errTryAgain = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errLongLine = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0}, Message: "Line too long"}
	errHeader   = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message header too large"}
)

// The local parts upstream accepts: a UUID (any case here, since hex is
// case-insensitive), or a 22-character ping key, "+", a lowercase slug.
var (
	reUUID    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	rePingKey = regexp.MustCompile(`^([a-zA-Z0-9_-]{22})\+([a-z0-9_-]+)$`)
)

// addressOf parses a recipient into the check address it names, or the
// SMTP error that refuses it.
func (s *Server) addressOf(rcpt string) (ping.Address, error) {
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 || !strings.EqualFold(rcpt[at+1:], s.opts.Domain) {
		return ping.Address{}, errRejected
	}
	local := rcpt[:at]
	if reUUID.MatchString(local) {
		return ping.Address{Code: strings.ToLower(local)}, nil
	}
	if m := rePingKey.FindStringSubmatch(local); m != nil {
		return ping.Address{PingKey: m[1], Slug: m[2]}, nil
	}
	return ping.Address{}, errMailbox
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	addr := c.Conn().RemoteAddr().String()
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return &session{s: s, remote: addr}, nil
}

// session is one SMTP connection's state; go-smtp calls it from one
// goroutine at a time.
type session struct {
	s      *Server
	remote string
	from   string
	checks []ping.Resolution
	rcpts  []string
}

func (ss *session) Reset() {
	ss.from, ss.checks, ss.rcpts = "", nil, nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	// Any sender is accepted, as upstream: the recipient is the key.
	ss.from = from
	return nil
}

// Rcpt resolves the recipient at once, so that mail for a check that does
// not exist is refused here (the sender's MTA then bounces it to whoever
// set the job up) instead of being accepted and dropped.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	a, err := ss.s.addressOf(to)
	if err != nil {
		ss.s.opts.Metrics.ObserveEmailPing(false)
		return err
	}
	res, err := ss.s.res.Resolve(context.Background(), a, false)
	if err != nil {
		ss.s.log.Error("smtpd: resolve recipient", "rcpt", to, "err", err)
		return errTryAgain
	}
	switch res.Outcome {
	case ping.Found:
	case ping.Ambiguous:
		ss.s.opts.Metrics.ObserveEmailPing(false)
		return errAmbig
	default:
		ss.s.opts.Metrics.ObserveEmailPing(false)
		return errNoCheck
	}
	for _, r := range ss.checks {
		if r.CheckID == res.CheckID {
			return nil // one ping per check, however many names it had
		}
	}
	ss.checks = append(ss.checks, res)
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

// Data records one ping per recipient check. A temporary failure of any of
// them is answered 451, so the sender retries the whole message: a ping
// counted twice harms less than a ping lost.
func (ss *session) Data(r io.Reader) error {
	ev, err := MessageToEvent(r, Envelope{From: ss.from, RemoteAddr: ss.remote}, ss.s.opts.BodyLimit)
	if errors.Is(err, ErrHeaderTooLarge) {
		return errHeader
	}
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se):
		return se // go-smtp's own, e.g. 552 for the size limit
	case errors.Is(err, smtp.ErrTooLongLine):
		return errLongLine
	case err != nil:
		// The client broke the connection (or timed out): it reads no
		// answer, and nothing was recorded.
		return errTryAgain
	}
	ss.s.opts.Metrics.ObserveEmail()
	ctx := context.Background()
	failed := false
	for i, res := range ss.checks {
		_, err := ss.s.res.Record(ctx, res, ev)
		switch {
		case err == nil:
			ss.s.opts.Metrics.ObserveEmailPing(true)
			ss.s.log.Debug("smtpd: processed ping", "rcpt", ss.rcpts[i], "check_id", res.CheckID)
		case errors.Is(err, ping.ErrCheckGone):
			ss.s.opts.Metrics.ObserveEmailPing(false)
			ss.s.log.Info("smtpd: check deleted before its ping", "rcpt", ss.rcpts[i])
		default:
			ss.s.log.Error("smtpd: ping not recorded", "rcpt", ss.rcpts[i], "err", err)
			failed = true
		}
	}
	if failed {
		return errTryAgain
	}
	return nil
}

// limitListener serves at most cap(slots) connections at once; a
// connection beyond that is answered 421 and closed at once, rather than
// left waiting in the backlog.
type limitListener struct {
	net.Listener
	slots chan struct{}
	log   *slog.Logger
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			l.log.Warn("smtpd: too many connections", "remote", c.RemoteAddr().String())
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
			_ = c.Close()
		}
	}
}

type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// slogWriter turns go-smtp's log lines into debug records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("smtpd: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
