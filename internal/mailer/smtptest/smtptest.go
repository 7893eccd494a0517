// Package smtptest runs a real SMTP server inside a test (plain, STARTTLS or
// implicit TLS, with optional AUTH PLAIN) and records what it receives, so
// email code is tested over TCP instead of against a mock.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how clients connect.
type Mode int

const (
	Plain    Mode = iota // no TLS offered
	StartTLS             // STARTTLS offered
	TLS                  // TLS from the first byte (port 465 style)
)

// Options configure a Server.
type Options struct {
	Mode Mode
	// User and Password, when set, are required (AUTH PLAIN).
	User, Password string
	// OfferAuth, without User, offers AUTH PLAIN and takes any credentials
	// but does not require them, so a test sees whether a client logs in.
	OfferAuth bool
	// RejectRcpt makes RCPT TO answer 550 for every recipient.
	RejectRcpt bool
	// Hang makes the server accept connections and never greet.
	Hang bool
	// StallData makes the server take the whole message and then never
	// answer it, as an overloaded relay might.
	StallData bool
}

// Mail is one received message.
type Mail struct {
	From               string
	To                 []string
	Data               []byte
	AuthUser, AuthPass string
	// TLS is whether the message came over an encrypted connection
	// (implicit TLS or after STARTTLS).
	TLS bool
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config

	mu       sync.Mutex
	mails    []Mail
	received chan Mail
	o        Options
	done     chan struct{}
}

// Start runs a server on 127.0.0.1 until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &Server{o: o, received: make(chan Mail, 1000), done: make(chan struct{}),
		ClientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	if o.Hang {
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
		return s
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "smtp.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = true
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch o.Mode {
	case StartTLS:
		srv.TLSConfig = tlsCfg
	case TLS:
		ln = tls.NewListener(ln, tlsCfg)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	// Registered last so it runs first: stalled sessions must end before
	// Close waits for them.
	t.Cleanup(func() { close(s.done) })
	return s
}

// Addr is "host:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Received returns a channel that gets each message as it arrives.
func (s *Server) Received() <-chan Mail { return s.received }

// Mails returns every message received so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s          *Server
	conn       *smtp.Conn
	mail       Mail
	user, pass string
}

func (se *session) AuthMechanisms() []string {
	if se.s.o.User == "" && !se.s.o.OfferAuth {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if se.s.o.User != "" && (username != se.s.o.User || password != se.s.o.Password) {
			return errors.New("invalid credentials")
		}
		se.user, se.pass = username, password
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.o.User != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.mail = Mail{From: from, AuthUser: se.user, AuthPass: se.pass}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.o.RejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	se.mail.To = append(se.mail.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if se.s.o.StallData {
		<-se.s.done
		return errors.New("stalled")
	}
	se.mail.Data = buf.Bytes()
	_, se.mail.TLS = se.conn.TLSConnectionState()
	se.s.mu.Lock()
	se.s.mails = append(se.s.mails, se.mail)
	se.s.mu.Unlock()
	se.s.received <- se.mail
	return nil
}

func (se *session) Reset()        { se.mail = Mail{AuthUser: se.user, AuthPass: se.pass} }
func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
