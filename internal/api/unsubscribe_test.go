package api_test

// The one-click unsubscribe link of alert emails: upstream's
// hc/integrations/email/tests/test_unsubscribe.py and views.unsubscribe,
// and the List-Unsubscribe headers of test_notify.py, on the real router
// over a real store, with the email itself received by a real SMTP server.

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// The page texts upstream's tests look for, with the words of the alert link.
const (
	unsubConfirmText = "stop Overdue alerts from reaching this email address. Please press the button below to unsubscribe"
	unsubDoneText    = "has been unsubscribed from Overdue alerts, and the integration is now disabled"
	unsubBadText     = "link you just used is incorrect"
	unsubAutoSubmit  = "submit()"
)

type unsubEnv struct {
	t      *testing.T
	st     *store.Store
	base   string // the server's URL with SITE_ROOT's path
	secret string
	proj   model.Project
	client *http.Client
	now    time.Time // the handlers' clock
}

// newUnsubEnv serves the integrations routes under SITE_ROOT path /hc, as
// a deployment below a path would.
func newUnsubEnv(t *testing.T, engine, secret string) *unsubEnv {
	t.Helper()
	// A fixed clock on a whole second, so a link's age is exact: signatures
	// keep whole seconds.
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	a := apptest.New(t, apptest.Options{Engine: engine, BasePath: "/hc", Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Integrations: api.NewIntegrations(a.Store, secret, "Overdue", func() time.Time { return now }, nil)}
	}})
	_, p := newProject(t, a.Store, nil)
	// No cookie jar and no redirects followed: a mail client's POST.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &unsubEnv{t: t, st: a.Store, base: a.URL, secret: secret, proj: p, client: client, now: now}
}

func (e *unsubEnv) channel(code, kind, value string) model.Channel {
	e.t.Helper()
	ch := model.Channel{Code: code, ProjectID: e.proj.ID, Kind: kind, Value: value, EmailVerified: true}
	if err := e.st.CreateChannel(context.Background(), &ch); err != nil {
		e.t.Fatal(err)
	}
	return ch
}

func (e *unsubEnv) disabled(code string) bool {
	e.t.Helper()
	ch, err := e.st.ChannelByCode(context.Background(), code)
	if err != nil {
		e.t.Fatal(err)
	}
	return ch.Disabled
}

type unsubResp struct {
	status int
	header http.Header
	body   string
}

func (e *unsubEnv) do(method, target string) unsubResp {
	e.t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		// What RFC 8058 has a mail client send.
		body = strings.NewReader("List-Unsubscribe=One-Click")
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return unsubResp{resp.StatusCode, resp.Header, string(b)}
}

// link is the unsubscribe URL of a channel, signed at the given time.
func (e *unsubEnv) link(code string, at time.Time) string {
	return email.UnsubURL(e.base, code, email.UnsubToken(e.secret, code, at))
}

// alertParts reads a received email's headers and its text and HTML parts
// (quoted-printable is undone by the multipart reader).
func alertParts(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var text, html string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) // SMTP's line ends
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = string(b)
		} else {
			text = string(b)
		}
	}
	return msg.Header, text, html
}

// An alert goes out through a real SMTP session; the link in its
// List-Unsubscribe header, POSTed as a mail client does it (no session,
// no CSRF token), disables the channel; the same link is in both parts.
func TestUnsubscribeLinkFromAlertEmail(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newUnsubEnv(t, engine, "the-secret-key")
			ch := e.channel("0c5a3b1e-8d2f-4e6a-9b7c-1d2e3f4a5b6c", "email", `{"value": "ops@example.org", "up": true, "down": true}`)
			other := e.channel("1d6b4c2f-9e3a-4f7b-8c8d-2e3f4a5b6c7d", "email", `{"value": "dev@example.org", "up": true, "down": true}`)
			smtp := smtptest.Start(t, smtptest.Options{})
			tr := &email.Transport{Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "alerts@overdue.example"}), SecretKey: e.secret}
			now := e.now
			m := &notify.Message{Code: "9d8c7b6a-5f4e-4d3c-8b2a-190817263544", Channel: ch, Status: model.StatusDown,
				Check:    model.Check{Code: "e4f0a7c2-1b3d-4c5e-8f9a-0b1c2d3e4f5a", Name: "backup", Kind: model.KindSimple, Timeout: time.Hour},
				Flip:     model.Flip{Created: now, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Reason: "timeout"},
				SiteRoot: e.base, SiteName: "Overdue", CheckURL: e.base + "/cloaked/x/", Now: now}
			if err := tr.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			var got smtptest.Mail
			select {
			case got = <-smtp.Received():
			case <-time.After(10 * time.Second):
				t.Fatal("no email arrived")
			}
			h, text, html := alertParts(t, got.Data)
			lu := h.Get("List-Unsubscribe")
			if !strings.HasPrefix(lu, "<") || !strings.HasSuffix(lu, ">") {
				t.Fatalf("List-Unsubscribe %q, want <link>", lu)
			}
			link := lu[1 : len(lu)-1]
			if want := e.base + "/integrations/" + ch.Code + "/unsub/"; !strings.HasPrefix(link, want) || !strings.HasSuffix(link, "/") {
				t.Errorf("link %q, want %s<signed token>/", link, want)
			}
			if p := h.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post %q", p)
			}
			if !strings.Contains(text, "\n--\nUnsubscribe: "+link+"\nRegards, Overdue") {
				t.Errorf("text part lacks the unsubscribe line:\n%s", text)
			}
			if !strings.Contains(html, `<a href="`+link+`" target="_blank"`) || !strings.Contains(html, ">Unsubscribe</a>.") {
				t.Errorf("HTML part lacks the unsubscribe link:\n%s", html)
			}

			// A mail scanner's GET changes nothing, and a fresh link does
			// not submit itself.
			r := e.do(http.MethodGet, link)
			if r.status != 200 || !strings.Contains(r.body, unsubConfirmText) || strings.Contains(r.body, unsubAutoSubmit) {
				t.Errorf("GET = %d %q", r.status, r.body)
			}
			if r.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("the confirmation can be framed: X-Frame-Options %q", r.header.Get("X-Frame-Options"))
			}
			if e.disabled(ch.Code) {
				t.Fatal("a GET disabled the channel")
			}
			r = e.do(http.MethodPost, link)
			if r.status != 200 || !strings.Contains(r.body, unsubDoneText) {
				t.Errorf("POST = %d %q", r.status, r.body)
			}
			if !e.disabled(ch.Code) {
				t.Fatal("the POST did not disable the channel")
			}
			if e.disabled(other.Code) {
				t.Error("another channel was disabled too")
			}
			// Again: the channel stays disabled and the answer is the same.
			if r := e.do(http.MethodPost, link); r.status != 200 || !strings.Contains(r.body, unsubDoneText) || !e.disabled(ch.Code) {
				t.Errorf("second POST = %d %q", r.status, r.body)
			}
			if r := e.do(http.MethodGet, link); r.status != 200 || !strings.Contains(r.body, unsubConfirmText) || !e.disabled(ch.Code) {
				t.Errorf("GET after unsubscribing = %d %q", r.status, r.body)
			}
			// A disabled channel gets nothing more (the outbox skips it).
			chs, err := e.st.ListChannels(context.Background(), e.proj.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range chs {
				if c.Code == ch.Code && !c.Disabled {
					t.Error("the channel list shows the channel enabled")
				}
			}
		})
	}
}

// test_unsubscribe.py, case by case, and upstream's order of checks.
func TestUpstreamUnsubscribe(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newUnsubEnv(t, engine, "the-secret-key")
			const value = `{"value": "alice@example.org", "up": true, "down": true}`
			ch := e.channel("2e7c5d3a-0f4b-4a8c-9d9e-3f4a5b6c7d8e", "email", value)
			other := e.channel("3f8d6e4b-1a5c-4b9d-8e0f-4a5b6c7d8e9f", "email", value)
			hook := e.channel("4a9e7f5c-2b6d-4c0e-9f1a-5b6c7d8e9f0a", "webhook", `{}`)
			now := e.now
			in := func(code, token string) string { return email.UnsubURL(e.base, code, token) }

			// test_it_serves_confirmation_form, test_fresh_signature_does_not_autosubmit
			r := e.do(http.MethodGet, e.link(ch.Code, now))
			if r.status != 200 || !strings.Contains(r.body, unsubConfirmText) || strings.Contains(r.body, unsubAutoSubmit) {
				t.Errorf("fresh link: %d %q", r.status, r.body)
			}
			// A link exactly 5 minutes old still waits for the button
			// (upstream's SignatureExpired needs an age over max_age=300).
			if r := e.do(http.MethodGet, e.link(ch.Code, now.Add(-300*time.Second))); strings.Contains(r.body, unsubAutoSubmit) {
				t.Errorf("a 300 s old link submits itself")
			}
			// test_aged_signature_does_autosubmit: over 5 minutes (upstream
			// signs 301 s in the past).
			for _, age := range []time.Duration{301 * time.Second, 400 * 24 * time.Hour} {
				r := e.do(http.MethodGet, e.link(ch.Code, now.Add(-age)))
				if r.status != 200 || !strings.Contains(r.body, unsubConfirmText) || !strings.Contains(r.body, unsubAutoSubmit) {
					t.Errorf("a link %v old: %d %q", age, r.status, r.body)
				}
			}
			// Any method but POST shows the form (upstream's view checks
			// for POST only); HEAD has no body.
			for _, method := range []string{http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions} {
				req, _ := http.NewRequest(method, e.link(ch.Code, now), nil)
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s = %d, want 200", method, resp.StatusCode)
				}
			}
			if e.disabled(ch.Code) {
				t.Fatal("a request other than POST disabled the channel")
			}

			// test_it_checks_signature, test_it_checks_token, and more ways
			// to get it wrong: the incorrect-link page with status 200, on
			// GET and POST, and nothing is disabled.
			good := email.UnsubToken(e.secret, ch.Code, now)
			bad := map[string]string{
				"bad signature":             in(ch.Code, email.VerifyToken(e.secret, ch.Code)+":bad:signature"),
				"fake token":                in(ch.Code, "faketoken"),
				"unsigned token":            in(ch.Code, email.VerifyToken(e.secret, ch.Code)),
				"another SECRET_KEY":        in(ch.Code, email.UnsubToken("other-secret", ch.Code, now)),
				"another salt":              in(ch.Code, auth.TimestampSign(e.secret, "reports", email.VerifyToken(e.secret, ch.Code), now)),
				"another channel's token":   in(ch.Code, email.UnsubToken(e.secret, other.Code, now)),
				"truncated":                 in(ch.Code, good[:len(good)-1]),
				"altered time":              in(ch.Code, strings.Replace(good, ":", ":1", 1)),
				"bad signature, no channel": in("5b0f8a6d-3c7e-4d1f-8a2b-6c7d8e9f0a1b", "faketoken"),
				"overlong token":            in(ch.Code, strings.Repeat("a", 10_000)+good),
				"percent-encoded junk":      in(ch.Code, "%00%ff%3C%3E"),
			}
			for name, link := range bad {
				for _, method := range []string{http.MethodGet, http.MethodPost} {
					if r := e.do(method, link); r.status != 200 || !strings.Contains(r.body, unsubBadText) {
						t.Errorf("%s, %s: %d %q", name, method, r.status, r.body)
					}
				}
			}
			if e.disabled(ch.Code) || e.disabled(other.Code) {
				t.Fatal("a bad link disabled a channel")
			}

			// test_it_checks_channel_kind, and a channel that does not
			// exist: 404 once the signature is good.
			notFound := map[string]string{
				"webhook channel": e.link(hook.Code, now),
				"no such channel": e.link("5b0f8a6d-3c7e-4d1f-8a2b-6c7d8e9f0a1b", now),
				// Upstream's <uuid> converter: lowercase canonical only.
				"uppercase UUID":    in(strings.ToUpper(ch.Code), good),
				"not a UUID":        in("not-a-uuid", good),
				"UUID without dash": in(strings.ReplaceAll(ch.Code, "-", ""), good),
				// <str:signed_token> matches no "/", encoded or not.
				"slash in token":  in(ch.Code, strings.Replace(good, ":", "%2F", 1)),
				"extra segment":   in(ch.Code, good) + "more/",
				"no token at all": e.base + "/integrations/" + ch.Code + "/unsub/",
			}
			for name, link := range notFound {
				for _, method := range []string{http.MethodGet, http.MethodPost} {
					if r := e.do(method, link); r.status != 404 {
						t.Errorf("%s, %s: %d, want 404 (%q)", name, method, r.status, r.body)
					}
				}
			}
			if e.disabled(hook.Code) {
				t.Fatal("the webhook channel was disabled")
			}

			// Django's APPEND_SLASH: without the final slash, a redirect to
			// the link (SITE_ROOT's path kept), which still has to be
			// followed to do anything.
			link := e.link(ch.Code, now)
			u, _ := url.Parse(link)
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				r := e.do(method, strings.TrimSuffix(link, "/")+"?x=1")
				if r.status != 301 || r.header.Get("Location") != u.EscapedPath()+"?x=1" {
					t.Errorf("%s without the slash: %d Location %q, want 301 %s?x=1", method, r.status, r.header.Get("Location"), u.EscapedPath())
				}
			}
			if e.disabled(ch.Code) {
				t.Fatal("the redirect disabled the channel")
			}

			// test_post_unsubscribes
			r = e.do(http.MethodPost, link)
			if r.status != 200 || !strings.Contains(r.body, unsubDoneText) {
				t.Errorf("POST: %d %q", r.status, r.body)
			}
			if !e.disabled(ch.Code) || e.disabled(other.Code) {
				t.Errorf("after POST: disabled %v, other channel disabled %v", e.disabled(ch.Code), e.disabled(other.Code))
			}
			// Links never expire (upstream's neither): one a year old
			// disables the other channel.
			if r := e.do(http.MethodPost, e.link(other.Code, now.Add(-365*24*time.Hour))); r.status != 200 || !e.disabled(other.Code) {
				t.Errorf("a year-old link: %d %q", r.status, r.body)
			}
		})
	}
}

// A link that upstream put in an email before the database was imported
// (computed in Python following Django's TimestampSigner, see
// internal/auth's test) disables the channel here.
func TestUnsubscribeLinkSignedByUpstream(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newUnsubEnv(t, engine, "django-insecure-test-key")
			ch := e.channel("7a1c0e9e-5d3f-4a51-9c0b-1b2c3d4e5f60", "email", "alice@example.org")
			const upstream = "ae41dc80419c552c64877aef1cb24dbf09fac6c90fdcb9280da10fdfae68edef:1vNYyu:uQxyT0ldQNnFIgCwsrsg9PgzyeCsX0jHWjBYy6zUzes"
			if got := email.UnsubToken(e.secret, ch.Code, time.Unix(1764000000, 0)); got != upstream {
				t.Fatalf("UnsubToken = %s, want upstream's %s", got, upstream)
			}
			link := e.base + "/integrations/" + ch.Code + "/unsub/" + upstream + "/"
			if r := e.do(http.MethodGet, link); r.status != 200 || !strings.Contains(r.body, unsubConfirmText) || !strings.Contains(r.body, unsubAutoSubmit) {
				t.Errorf("GET: %d %q", r.status, r.body)
			}
			if r := e.do(http.MethodPost, link); r.status != 200 || !strings.Contains(r.body, unsubDoneText) || !e.disabled(ch.Code) {
				t.Errorf("POST: %d %q, disabled %v", r.status, r.body, e.disabled(ch.Code))
			}
		})
	}
}

// Through server.Serve, with the production server's limits: a request
// line past its header limit is refused with 431 before any handler, and
// nothing on the way answers 5xx.
func TestUnsubscribeOverlongRequest(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	_, p := newProject(t, st, nil)
	ch := model.Channel{Code: "6c1a9b7e-4d8f-4e2a-9b3c-7d8e9f0a1b2c", ProjectID: p.ID, Kind: "email", Value: "a@example.org"}
	if err := st.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, "127.0.0.1:0", server.Handler(server.Options{Groups: []server.Group{server.Compat(server.Surfaces{Integrations: api.NewIntegrations(st, "k", "Overdue", nil, nil)})}}), slog.New(slog.DiscardHandler), func(a net.Addr) { addr <- a })
	}()
	defer func() {
		cancel()
		<-done
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not start")
	}
	for _, c := range []struct {
		size int
		want int
	}{{30_000, 200}, {200_000, 431}} {
		resp, err := http.Post(base+"/integrations/"+ch.Code+"/unsub/"+strings.Repeat("x", c.size)+"/", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("a %d-byte token: %d, want %d (%.100s)", c.size, resp.StatusCode, c.want, b)
		}
	}
	if got, _ := st.ChannelByCode(context.Background(), ch.Code); got.Disabled {
		t.Error("an overlong token disabled the channel")
	}
}
