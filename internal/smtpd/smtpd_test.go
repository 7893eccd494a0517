package smtpd_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/smtpd"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

const domain = "hc.example.org"

// env is a real listener on 127.0.0.1:0 over a real writer and store.
type env struct {
	t    testing.TB
	st   *store.Store
	addr string
	proj model.Project
}

func newEnv(t testing.TB, engine string, opts smtpd.Options) *env {
	t.Helper()
	st := storetest.Open(t, engine)
	ctx := context.Background()
	seed := apptest.Seed{T: t, Store: st}
	owner := seed.AddUser(model.User{Email: "o-" + uuid.NewString() + "@example.org", CheckLimit: 100, PingLogLimit: 100000}, "")
	proj := seed.AddProject(model.Project{Name: "p", OwnerID: owner.ID, PingKey: "abcdefghijklmnopqrstuv", BadgeKey: "b", Created: time.Now()})
	w := apptest.StartWriter(t, st, ping.WriterOptions{AlertAfter: ping.ScheduleAlertAfter(schedule.NewCache(10), nil)})
	res := ping.NewResolver(st, store.ErrNotFound, w, ping.ResolverOptions{Room: checks.RoomFunc(st)})
	if opts.Domain == "" {
		opts.Domain = domain
	}
	if opts.BodyLimit == 0 {
		opts.BodyLimit = 10000
	}
	srv, err := smtpd.New(res, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(sctx, ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &env{t: t, st: st, addr: ln.Addr().String(), proj: proj}
}

func (e *env) check(mut func(*model.Check)) model.Check {
	e.t.Helper()
	c := model.NewCheck(e.proj.ID, time.Now())
	if mut != nil {
		mut(&c)
	}
	if err := e.st.CreateCheck(context.Background(), &c, false); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) pings(c model.Check) []model.Ping {
	e.t.Helper()
	ps, err := e.st.ListPings(context.Background(), c.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// raw is the SMTP protocol by hand, for sessions net/smtp won't send.
type raw struct {
	t testing.TB
	*textproto.Conn
}

func (e *env) dial() *raw {
	e.t.Helper()
	c, err := textproto.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	r := &raw{t: e.t, Conn: c}
	if code, msg := r.read(); code != 220 {
		e.t.Fatalf("greeting %d %s", code, msg)
	}
	return r
}

func (r *raw) read() (int, string) {
	code, msg, err := r.ReadResponse(0)
	if err != nil && code == 0 {
		r.t.Fatalf("read reply: %v", err)
	}
	return code, msg
}

func (r *raw) cmd(line string) (int, string) {
	r.t.Helper()
	if err := r.PrintfLine("%s", line); err != nil {
		r.t.Fatal(err)
	}
	return r.read()
}

func (r *raw) want(line string, code int, enh string) {
	r.t.Helper()
	got, msg := r.cmd(line)
	if got != code || !strings.HasPrefix(msg, enh) {
		r.t.Fatalf("%.60q: got %d %q, want %d %s", line, got, msg, code, enh)
	}
}

func sendMail(t testing.TB, addr, from string, to []string, msg string) error {
	t.Helper()
	return smtp.SendMail(addr, nil, from, to, []byte(strings.ReplaceAll(msg, "\n", "\r\n")))
}

func TestEmailPings(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine, smtpd.Options{})
			a := e.check(nil)
			b := e.check(func(c *model.Check) { c.Slug = "backup" })
			msg := "From: cron <cron@box.example>\nSubject: =?utf-8?q?n=C3=A1hled?= done\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nall =\nfine =C3=A9\n"
			// UUID in upper case, the domain in any case, a slug address,
			// and the same check twice: one ping per check.
			to := []string{strings.ToUpper(a.Code) + "@" + domain, e.proj.PingKey + "+backup@HC.Example.ORG", a.Code + "@" + domain}
			if err := sendMail(t, e.addr, "cron@box.example", to, msg); err != nil {
				t.Fatal(err)
			}
			for _, c := range []model.Check{a, b} {
				ps := e.pings(c)
				if len(ps) != 1 {
					t.Fatalf("check %s: %d pings, want 1", c.Code, len(ps))
				}
				p := ps[0]
				if p.Kind != model.PingSuccess || p.Scheme != "email" || p.Method != "" || p.UA != "Email from cron@box.example" || p.RemoteAddr != "127.0.0.1" {
					t.Errorf("ping %+v", p)
				}
				body := string(p.Body)
				for _, want := range []string{"From: cron@box.example\r\n", "Subject: náhled done\r\n", "\r\n\r\nall fine é"} {
					if !strings.Contains(body, want) {
						t.Errorf("body %q lacks %q", body, want)
					}
				}
				got, err := e.st.CheckByCode(context.Background(), c.Code)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != model.StatusUp || got.NPings != 1 {
					t.Errorf("check status %q n_pings %d", got.Status, got.NPings)
				}
			}

			// Keyword filters decide the kind.
			f := e.check(func(c *model.Check) {
				c.FilterSubject, c.FilterBody = true, true
				c.FailureKw, c.SuccessKw, c.StartKw = "FAILED", "OK", "Starting"
			})
			d := e.check(func(c *model.Check) { c.FilterBody, c.FilterDefaultFail, c.SuccessKw = true, true, "OK" })
			send := func(c model.Check, subject, body string) {
				t.Helper()
				m := "Subject: " + subject + "\nContent-Type: text/html\n\n" + body
				if err := sendMail(t, e.addr, "x@y.example", []string{c.Code + "@" + domain}, m); err != nil {
					t.Fatal(err)
				}
			}
			send(f, "Starting backup", "<p>...</p>")
			send(f, "backup", "<b>FAILED</b>")
			send(f, "backup", "<p>nothing</p>")
			send(d, "OK", "<style>OK</style> nothing")
			kinds := func(c model.Check) []string {
				var out []string
				for _, p := range e.pings(c) {
					out = append(out, p.Kind)
				}
				return out
			}
			if got := kinds(f); fmt.Sprint(got) != fmt.Sprint([]string{model.PingIgnored, model.PingFail, model.PingStart}) {
				t.Errorf("filtered kinds (newest first) %q", got)
			}
			if got := kinds(d); fmt.Sprint(got) != fmt.Sprint([]string{model.PingFail}) {
				t.Errorf("default-fail kinds %q", got)
			}
		})
	}
}

func TestRecipientsAndHostileSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", smtpd.Options{MaxRecipients: 3, MaxMessageBytes: 64 << 10, MaxLineLength: 1000})
	a := e.check(nil)
	e.check(func(c *model.Check) { c.Slug = "twin" })
	e.check(func(c *model.Check) { c.Slug = "twin" })

	r := e.dial()
	r.want("EHLO client.example", 250, "")
	r.want("MAIL FROM:<x@y.example>", 250, "")
	r.want("RCPT TO:<someone@gmail.com>", 550, "5.1.1")                   // never a relay
	r.want("RCPT TO:<"+a.Code+"@other.example>", 550, "5.1.1")            // other domain
	r.want("RCPT TO:<not-a-check@"+domain+">", 550, "5.1.1")              // bad mailbox
	r.want("RCPT TO:<"+uuid.NewString()+"@"+domain+">", 550, "5.1.1")     // no such check
	r.want("RCPT TO:<"+e.proj.PingKey+"+nope@"+domain+">", 550, "5.1.1")  // no such slug
	r.want("RCPT TO:<"+e.proj.PingKey+"+twin@"+domain+">", 550, "5.1.1")  // ambiguous
	r.want("RCPT TO:<"+e.proj.PingKey+"+UPPER@"+domain+">", 550, "5.1.1") // slugs are lowercase
	r.want("RCPT TO:<"+a.Code+"@"+domain+">", 250, "")                    // accepted
	r.want("RCPT TO:<"+a.Code+"@"+domain+">", 250, "")
	r.want("RCPT TO:<"+a.Code+"@"+domain+">", 250, "")
	r.want("RCPT TO:<"+a.Code+"@"+domain+">", 452, "4.5.3") // over MaxRecipients
	r.want("RSET", 250, "")
	r.want("DATA", 502, "5.5.1") // no recipient

	// Thousands of recipients: each answered, no crash.
	r.want("MAIL FROM:<x@y.example>", 250, "")
	for i := range 2000 {
		if code, _ := r.cmd(fmt.Sprintf("RCPT TO:<user%d@elsewhere.example>", i)); code != 550 {
			t.Fatalf("recipient %d: %d", i, code)
		}
	}
	r.want("RSET", 250, "")

	data := func(r *raw, lines ...string) (int, string) {
		r.t.Helper()
		r.want("MAIL FROM:<x@y.example>", 250, "")
		r.want("RCPT TO:<"+a.Code+"@"+domain+">", 250, "")
		r.want("DATA", 354, "")
		w := r.DotWriter()
		for _, l := range lines {
			fmt.Fprintf(w, "%s\r\n", l)
		}
		w.Close()
		return r.read()
	}
	expect := func(code int, enh string, f func() (int, string)) {
		t.Helper()
		got, msg := f()
		if got != code || !strings.HasPrefix(msg, enh) {
			t.Fatalf("got %d %q, want %d %s", got, msg, code, enh)
		}
	}
	before := len(e.pings(a))
	// Malformed MIME, bad encodings, 8-bit headers: accepted as pings.
	expect(250, "2.0.0", func() (int, string) {
		return data(r, "Subject: caf\xc3\xa9 \xff", "Content-Type: multipart/mixed; boundary=\"zz\"", "", "--zz", "Content-Type: text/plain", "Content-Transfer-Encoding: base64", "", "!!!not base64", "--zz-")
	})
	expect(250, "2.0.0", func() (int, string) { return data(r, "this line is no header at all", "", "body") })
	expect(250, "2.0.0", func() (int, string) {
		return data(r, "Content-Type: text/plain; charset=no-such-charset", "Content-Transfer-Encoding: x-unknown", "", "=ZZ")
	})
	if got := len(e.pings(a)) - before; got != 3 {
		t.Errorf("%d pings from the odd messages, want 3", got)
	}
	// An enormous header: refused.
	big := make([]string, 0, 400)
	for i := range 400 {
		big = append(big, fmt.Sprintf("X-H%d: %s", i, strings.Repeat("h", 900)))
	}
	e2 := newEnv(t, "sqlite", smtpd.Options{})
	c2 := e2.check(nil)
	r2 := e2.dial()
	r2.want("EHLO c", 250, "")
	r2.want("MAIL FROM:<x@y.example>", 250, "")
	r2.want("RCPT TO:<"+c2.Code+"@"+domain+">", 250, "")
	r2.want("DATA", 354, "")
	w := r2.DotWriter()
	for _, l := range big {
		fmt.Fprintf(w, "%s\r\n", l)
	}
	fmt.Fprintf(w, "\r\nbody\r\n")
	w.Close()
	expect(552, "5.3.4", r2.read)
	if n := len(e2.pings(c2)); n != 0 {
		t.Errorf("%d pings from a refused message", n)
	}

	// Over the size limit: 552 5.3.4.
	huge := make([]string, 100)
	for i := range huge {
		huge[i] = strings.Repeat("x", 900)
	}
	expect(552, "5.3.4", func() (int, string) { return data(r, append([]string{"Subject: big", ""}, huge...)...) })

	// A line over the limit: 500 5.4.0, and the connection closes.
	expect(500, "5.4.0", func() (int, string) { return data(r, "Subject: x", "", strings.Repeat("y", 1500)) })
}

func TestConnectionLimitAndTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", smtpd.Options{MaxConns: 2, ReadTimeout: 300 * time.Millisecond})
	idle := []*raw{e.dial(), e.dial()}
	c, err := textproto.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	code, msg, _ := c.ReadResponse(0)
	if code != 421 || !strings.HasPrefix(msg, "4.7.0") {
		t.Errorf("third connection: %d %q, want 421 4.7.0", code, msg)
	}
	// The first two idle past the read timeout and are told so, then
	// closed. The test waits for that itself rather than sleeping past
	// the timeout by a margin a loaded machine could eat.
	for _, r := range idle {
		if code, msg := r.read(); code != 421 {
			t.Errorf("idle connection: %d %q, want 421", code, msg)
		}
		if line, err := r.ReadLine(); err == nil {
			t.Fatalf("idle connection still open after its 421: %q", line)
		}
	}
	// A slot is free again. The server releases it just after closing
	// the connection, so a dial in between may still be refused.
	for {
		c, err := textproto.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		code, msg, _ := c.ReadResponse(0)
		if code == 220 {
			r := &raw{t: t, Conn: c}
			if code, msg := r.read(); code != 421 {
				t.Errorf("idle connection: %d %q, want 421", code, msg)
			}
			return
		}
		if code != 421 || !strings.HasPrefix(msg, "4.7.0") || t.Context().Err() != nil {
			t.Fatalf("connection after the idle ones closed: %d %q", code, msg)
		}
		c.Close()
	}
}

func TestSTARTTLS(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtpd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	e := newEnv(t, "sqlite", smtpd.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	ch := e.check(nil)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	c, err := smtp.Dial(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("tls@y.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(ch.Code + "@" + domain); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "Subject: over tls\r\n\r\nhi\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
	if ps := e.pings(ch); len(ps) != 1 || !strings.Contains(string(ps[0].Body), "over tls") {
		t.Errorf("pings %+v", ps)
	}
}

// BenchmarkEmailPings sends whole SMTP sessions (connect, EHLO, MAIL, RCPT,
// DATA, QUIT) from 8 concurrent clients to a listener on SQLite and
// reports pings/s.
func BenchmarkEmailPings(b *testing.B) {
	e := newEnv(b, "sqlite", smtpd.Options{})
	var codes []string
	for range 32 {
		codes = append(codes, e.check(nil).Code)
	}
	msg := "From: bench@y.example\r\nSubject: backup OK\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("log line\r\n", 50)
	b.SetParallelism(4) // GOMAXPROCS is 2 here: 8 clients
	b.ResetTimer()
	var n int64
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := smtp.SendMail(e.addr, nil, "bench@y.example", []string{codes[i%len(codes)] + "@" + domain}, []byte(msg)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
		mu.Lock()
		n += int64(i)
		mu.Unlock()
	})
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pings/s")
}
