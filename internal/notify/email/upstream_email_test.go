package email_test

// Upstream's alert email (hc/integrations/email/tests/test_notify.py,
// hc/integrations/email/transport.py, templates/emails/alert-*.html and
// hc/lib/emails.py), checked on what arrives at a real SMTP server.

import (
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
)

var upstreamEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureSecret is SECRET_KEY for the emails deliver sends.
const fixtureSecret = "fixture-secret-key"

// upstreamFixture is upstream's set-up: "Daily Backup" with a two-line
// description and two tags, stored as paused (a transport must go by the
// flip), one ping at the epoch from 1.2.3.4 numbered 112233 with a two-line
// body, and a timeout flip to "down" an hour later, sent at that moment.
func upstreamFixture() *notify.Message {
	c := model.Check{Code: "e4f0a7c2-1b3d-4c5e-8f9a-0b1c2d3e4f5a", Name: "Daily Backup", Desc: "Line 1\nLine2", Tags: "foo bar",
		Status: model.StatusPaused, Kind: model.KindSimple, Timeout: 24 * time.Hour, Grace: time.Hour, Created: upstreamEpoch.Add(-24 * time.Hour)}
	return &notify.Message{
		Code:        "9d8c7b6a-5f4e-4d3c-8b2a-190817263544",
		Status:      model.StatusDown,
		Check:       c,
		Channel:     model.Channel{Code: "c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f", Kind: "email", Value: "alice@example.org", EmailVerified: true},
		Flip:        model.Flip{Created: upstreamEpoch.Add(time.Hour), OldStatus: model.StatusNew, NewStatus: model.StatusDown, Reason: "timeout"},
		LastPing:    &model.Ping{N: 112233, Created: upstreamEpoch, RemoteAddr: "1.2.3.4", Body: []byte("Body Line 1\nBody Line 2")},
		ProjectName: "Alices Project",
		CheckURL:    "https://overdue.example/cloaked/" + c.UniqueKey() + "/",
		SiteRoot:    "https://overdue.example",
		SiteName:    "Mychecks",
		Now:         upstreamEpoch.Add(time.Hour),
	}
}

type received struct {
	mail       smtptest.Mail
	header     mail.Header
	subject    string
	text, html string
}

// deliver sends m through a real SMTP session and returns what arrived.
func deliver(t *testing.T, m *notify.Message, cfg mailer.Config, tr *email.Transport) received {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	cfg.Host, cfg.Port = srv.Host, srv.Port
	if cfg.From == "" {
		cfg.From = "alerts@example.org"
	}
	if tr == nil {
		tr = &email.Transport{SecretKey: fixtureSecret}
	}
	tr.Mailer = mailer.New(cfg)
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var got smtptest.Mail
	select {
	case got = <-srv.Received():
	case <-time.After(10 * time.Second):
		t.Fatal("no email arrived")
	}
	h, text, html := decodeParts(t, got.Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return received{got, h, subject, text, html}
}

func (r received) contains(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.text, s) || !strings.Contains(r.html, s) {
			t.Errorf("%q: in text %v, in HTML %v\ntext:\n%s\nhtml:\n%s", s, strings.Contains(r.text, s), strings.Contains(r.html, s), r.text, r.html)
		}
	}
}

func (r received) textHas(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.text, s) {
			t.Errorf("text part lacks %q:\n%s", s, r.text)
		}
	}
}

func (r received) htmlHas(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.html, s) {
			t.Errorf("HTML part lacks %q:\n%s", s, r.html)
		}
	}
}

func (r received) lacks(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(r.text, s) || strings.Contains(r.html, s) {
			t.Errorf("the email contains %q", s)
		}
	}
}

// test_it_works
func TestUpstreamEmailWorks(t *testing.T) {
	m := upstreamFixture()
	r := deliver(t, m, mailer.Config{From: "alerts@example.org"}, nil)
	if r.subject != "DOWN | Daily Backup" || len(r.mail.To) != 1 || r.mail.To[0] != "alice@example.org" {
		t.Errorf("subject %q to %q", r.subject, r.mail.To)
	}
	if r.header.Get("X-Bounce-Id") != "" {
		t.Errorf("X-Bounce-ID header %q, want none", r.header.Get("X-Bounce-Id"))
	}
	if id := r.header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q, want one in the sender's domain", id)
	}
	r.textHas(t, `The check "Daily Backup" has gone down.`)
	r.htmlHas(t, `"Daily Backup" is DOWN`)
	r.contains(t, "grace time passed")
	// The description.
	r.textHas(t, "Line 1\nLine2")
	r.htmlHas(t, "Line 1<br>Line2")
	r.contains(t, "Alices Project")
	// Tags.
	r.textHas(t, "foo bar")
	r.htmlHas(t, "foo</code>", "bar</code>")
	// The period, the source address, the ping number and time, the body.
	r.contains(t, "1 day", "from 1.2.3.4", "112233", "an hour ago")
	r.textHas(t, "Body Line 1\nBody Line 2")
	r.htmlHas(t, "Body Line 1<br>Body Line 2")
	// When the status changed.
	r.contains(t, "Wed, 01 Jan 2020 01:00:00 +0000")
	// The check's UUID is its ping URL's secret: never in an alert.
	r.lacks(t, m.Check.Code)
	// The one-click unsubscribe headers (List-Unsubscribe in
	// test_it_works) carry the channel's signed token, signed when the
	// alert was sent; the same link is in both parts.
	lu := r.header.Get("List-Unsubscribe")
	prefix := "<https://overdue.example/integrations/" + m.Channel.Code + "/unsub/"
	signed, ok := strings.CutPrefix(lu, prefix)
	signed, ok2 := strings.CutSuffix(signed, "/>")
	if !ok || !ok2 {
		t.Fatalf("List-Unsubscribe %q, want %s<token>/>", lu, prefix)
	}
	token, at, err := email.UnsignUnsubToken(fixtureSecret, signed)
	if err != nil || !email.CheckVerifyToken(fixtureSecret, m.Channel.Code, token) || !at.Equal(m.Now) {
		t.Errorf("token %q: %q signed at %v, %v", signed, token, at, err)
	}
	if p := r.header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", p)
	}
	link := lu[1 : len(lu)-1]
	r.textHas(t, "\n--\nUnsubscribe: "+link+"\nRegards, Mychecks")
	r.htmlHas(t, "Don't want to receive these notifications?\n<a href=\""+link+"\" target=\"_blank\"")
}

// Without SECRET_KEY (only possible when the transport is built by hand)
// or SITE_ROOT there is no link to sign, so there are no headers either.
func TestEmailWithoutUnsubscribeLink(t *testing.T) {
	for name, mut := range map[string]func(*notify.Message, *email.Transport){
		"no SECRET_KEY": func(_ *notify.Message, tr *email.Transport) { tr.SecretKey = "" },
		"no SITE_ROOT":  func(m *notify.Message, _ *email.Transport) { m.SiteRoot = "" },
	} {
		m, tr := upstreamFixture(), &email.Transport{SecretKey: fixtureSecret}
		mut(m, tr)
		r := deliver(t, m, mailer.Config{}, tr)
		if r.header.Get("List-Unsubscribe") != "" || r.header.Get("List-Unsubscribe-Post") != "" {
			t.Errorf("%s: List-Unsubscribe %q", name, r.header.Get("List-Unsubscribe"))
		}
		r.lacks(t, "Unsubscribe", "/unsub/")
	}
}

// Everything but the subject's transport: the exact text part.
func TestUpstreamEmailTextPart(t *testing.T) {
	_, text, _, err := email.Render(upstreamFixture())
	if err != nil {
		t.Fatal(err)
	}
	want := `The check "Daily Backup" has gone down.
Reason: success signal did not arrive on time, grace time passed.

View on Mychecks:
https://overdue.example/cloaked/` + upstreamFixture().Check.UniqueKey() + `/

Description:
------------
Line 1
Line2

Details:
--------
Project: Alices Project
Tags: foo bar
Period: 1 day
Total pings: 112233 (since Dec 31, 2019)
Last ping: an hour ago, from 1.2.3.4
Last ping type: Success
Status changed to down at: Wed, 01 Jan 2020 01:00:00 +0000

Last Ping Body:
---------------
Body Line 1
Body Line 2

--
Regards, Mychecks`
	if text != want {
		t.Errorf("text part:\n%s\n--- want:\n%s", text, want)
	}
	// With the unsubscribe link, upstream's line goes between the two.
	const link = "https://overdue.example/integrations/c0ffee00-1a2b-4c3d-8e4f-5a6b7c8d9e0f/unsub/t:0:s/"
	_, text, html, err := email.RenderWith(upstreamFixture(), email.Extras{UnsubLink: link})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(want, "\n--\n", "\n--\nUnsubscribe: "+link+"\n", 1); text != want {
		t.Errorf("text part with the link:\n%s\n--- want:\n%s", text, want)
	}
	wantHTML := `You are receiving this email because you are subscribed to Mychecks monitoring
notifications for project "Alices Project".<br>
Don't want to receive these notifications?
<a href="` + link + `" target="_blank" style="color: #666666; text-decoration: underline;">Unsubscribe</a>.
</p>`
	if !strings.Contains(html, wantHTML) {
		t.Errorf("HTML footer with the link:\n%s", html)
	}
}

func TestUpstreamEmailVariants(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(m *notify.Message)
		check  func(t *testing.T, subject, text, html string)
	}{
		{"downtime of an up alert", func(m *notify.Message) { // test_it_reports_down_duration
			m.Status, m.Flip.OldStatus, m.Flip.NewStatus, m.Flip.Reason, m.Downtime = model.StatusUp, model.StatusDown, model.StatusUp, "", 90*time.Minute
		}, func(t *testing.T, subject, text, html string) {
			if subject != "UP | Daily Backup" {
				t.Errorf("subject %q", subject)
			}
			for _, part := range []string{text, html} {
				if !strings.Contains(part, "The downtime lasted 1 hour, 30 minutes.") {
					t.Errorf("no downtime in:\n%s", part)
				}
			}
			if !strings.Contains(text, `The check "Daily Backup" has gone up.`) || !strings.Contains(html, `"Daily Backup" is UP.`) ||
				strings.Contains(text, "Reason:") || !strings.Contains(text, "Status changed to up at:") || !strings.Contains(html, "Status Changed to Up at") {
				t.Errorf("up alert:\n%s\n%s", text, html)
			}
		}},
		{"failure reason", func(m *notify.Message) { m.Flip.Reason = "fail" }, // test_it_handles_reason_failure
			func(t *testing.T, _, text, html string) {
				if !strings.Contains(text, "Reason: received a failure signal.") || !strings.Contains(html, "(received a failure signal)") {
					t.Errorf("reason:\n%s\n%s", text, html)
				}
			}},
		{"cron schedule", func(m *notify.Message) { // test_it_shows_cron_schedule
			m.Check.Kind, m.Check.Schedule, m.Check.TZ = model.KindCron, "0 18-23,0-8 * * *", "Europe/Riga"
		}, func(t *testing.T, _, text, html string) {
			if !strings.Contains(text, "Schedule: 0 18-23,0-8 * * *\nTime zone: Europe/Riga") || !strings.Contains(html, "<code>0 18-23,0-8 * * *</code>") ||
				!strings.Contains(html, "Europe/Riga") || strings.Contains(text, "Period:") {
				t.Errorf("schedule:\n%s\n%s", text, html)
			}
		}},
		{"OnCalendar schedule", func(m *notify.Message) { // test_it_shows_oncalendar_schedule
			m.Check.Kind, m.Check.Schedule, m.Check.TZ = model.KindOnCalendar, "Mon 2-29", "Europe/Riga"
		}, func(t *testing.T, _, text, html string) {
			if !strings.Contains(text, "Schedule: Mon 2-29") || !strings.Contains(html, "<code>Mon 2-29</code>") || !strings.Contains(html, "Europe/Riga") {
				t.Errorf("schedule:\n%s\n%s", text, html)
			}
		}},
		{"long body keeps its end", func(m *notify.Message) { // test_it_truncates_long_body
			m.LastPing.Body = []byte("the start gets cut off" + strings.Repeat("X", 10000))
		}, func(t *testing.T, _, text, html string) {
			for _, part := range []string{text, html} {
				if !strings.Contains(part, "Showing the last 10000 bytes of 10022 bytes total.") || strings.Contains(part, "the start gets cut off") {
					t.Errorf("long body:\n%.2000s", part)
				}
			}
		}},
		{"the limit counts characters, as upstream", func(m *notify.Message) {
			m.LastPing.Body = []byte("cut" + strings.Repeat("é", 10000))
		}, func(t *testing.T, _, text, _ string) {
			if !strings.Contains(text, "Showing the last 10000 bytes of 10003 bytes total.") || strings.Contains(text, "cut") {
				t.Errorf("long body:\n%.300s", text)
			}
		}},
		{"no last ping", func(m *notify.Message) { m.LastPing = nil }, // test_it_handles_missing_ping_object, test_it_ignores_ping_after_flip
			func(t *testing.T, _, text, html string) {
				if !strings.Contains(html, "Daily Backup") || !strings.Contains(text, "Total pings: 0 (since") {
					t.Errorf("without a ping:\n%s", text)
				}
				for _, part := range []string{text, html} {
					if strings.Contains(part, "Last ping") || strings.Contains(part, "Last Ping") {
						t.Errorf("mentions a last ping:\n%s", part)
					}
				}
			}},
		{"no account for the address: no projects overview", nil, // test_it_handles_missing_profile
			func(t *testing.T, _, text, html string) {
				if strings.Contains(text+html, "Projects Overview") {
					t.Error("projects overview")
				}
			}},
		{"ampersand in the subject", func(m *notify.Message) { m.Check.Name = "Foo & Bar" }, // test_it_handles_amperstand
			func(t *testing.T, subject, _, html string) {
				if subject != "DOWN | Foo & Bar" || !strings.Contains(html, `"Foo &amp; Bar" is DOWN`) {
					t.Errorf("subject %q", subject)
				}
			}},
		{"HTML in names and bodies is escaped as Django escapes", func(m *notify.Message) {
			m.Check.Name, m.LastPing.Body, m.Check.Desc = `<b>"x"</b> & 'y'`, []byte("<script>"), "<i>"
		}, func(t *testing.T, _, text, html string) {
			if !strings.Contains(html, `"&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &#x27;y&#x27;" is DOWN`) || strings.Contains(html, "<script>") || strings.Contains(html, "<i>") ||
				!strings.Contains(text, `The check "<b>"x"</b> & 'y'" has gone down.`) || !strings.Contains(text, "<script>") {
				t.Errorf("escaping:\n%s\n%s", text, html)
			}
		}},
		{"ignored ping with an exit status", func(m *notify.Message) { // test_it_shows_ignored_nonzero_exitstatus
			e := 123
			m.LastPing.Kind, m.LastPing.ExitStatus = model.PingIgnored, &e
		}, func(t *testing.T, _, text, html string) {
			if !strings.Contains(text, "Last ping type: Ignored") || !strings.Contains(html, "Ignored") {
				t.Errorf("kind:\n%s", text)
			}
		}},
		{"log ping", func(m *notify.Message) { m.LastPing.Kind = model.PingLog }, // test_it_handles_last_ping_log
			func(t *testing.T, _, text, html string) {
				if !strings.Contains(text, "Last ping type: Log") || !strings.Contains(html, "Log") {
					t.Errorf("kind:\n%s", text)
				}
			}},
		{"failure with an exit status", func(m *notify.Message) { // test_it_handles_last_ping_exitstatus
			e := 123
			m.LastPing.Kind, m.LastPing.ExitStatus = model.PingFail, &e
		}, func(t *testing.T, _, text, html string) {
			if !strings.Contains(text, "Last ping type: Exit status 123") || !strings.Contains(html, "Exit status 123") {
				t.Errorf("kind:\n%s", text)
			}
		}},
		{"failure without an exit status; start", func(m *notify.Message) { m.LastPing.Kind = model.PingFail },
			func(t *testing.T, _, text, html string) {
				if !strings.Contains(text, "Last ping type: Failure") || !strings.Contains(html, ">Failure<") {
					t.Errorf("kind:\n%s", text)
				}
			}},
		{"start ping: Start in text, Started in HTML, as upstream", func(m *notify.Message) { m.LastPing.Kind = model.PingStart },
			func(t *testing.T, _, text, html string) {
				if !strings.Contains(text, "Last ping type: Start\n") || !strings.Contains(html, ">Started<") {
					t.Errorf("kind:\n%s\n%s", text, html)
				}
			}},
		{"an unnamed check goes by its UUID in the subject", func(m *notify.Message) { m.Check.Name = "" },
			func(t *testing.T, subject, text, _ string) {
				if subject != "DOWN | e4f0a7c2-1b3d-4c5e-8f9a-0b1c2d3e4f5a" || !strings.Contains(text, `The check "e4f0a7c2-1b3d-4c5e-8f9a-0b1c2d3e4f5a" has gone down.`) {
					t.Errorf("subject %q", subject)
				}
			}},
		{"long body lines are wrapped at 80 in the text part", func(m *notify.Message) {
			m.LastPing.Body = []byte(strings.Repeat("word ", 30) + "\nshort line\n" + strings.Repeat("x", 100) + " tail")
		}, func(t *testing.T, _, text, html string) {
			want := strings.TrimSpace(strings.Repeat("word ", 16)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 14)) + " \nshort line\n" + strings.Repeat("x", 100) + "\ntail"
			if !strings.Contains(text, want) {
				t.Errorf("wrapping:\n%s", text)
			}
			if !strings.Contains(html, strings.Repeat("word ", 30)) {
				t.Errorf("the HTML part is wrapped too")
			}
		}},
		{"no description, no tags, no project", func(m *notify.Message) { m.Check.Desc, m.Check.Tags, m.ProjectName = "", "", "" },
			func(t *testing.T, _, text, html string) {
				if strings.Contains(text, "Description:") || strings.Contains(text, "Tags:") || strings.Contains(text, "Project:") ||
					strings.Contains(html, "<b>Description</b>") || strings.Contains(html, "<b>Tags</b>") || strings.Contains(html, "<b>Project</b>") {
					t.Errorf("empty fields shown:\n%s\n%s", text, html)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := upstreamFixture()
			if c.mutate != nil {
				c.mutate(m)
			}
			subject, text, html, err := email.Render(m)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, subject, text, html)
		})
	}
}

// Django's humanize naturaltime, as "Last ping" shows it.
func TestUpstreamEmailLastPingAge(t *testing.T) {
	for age, want := range map[time.Duration]string{
		0:                               "now",
		time.Second:                     "a second ago",
		45 * time.Second:                "45 seconds ago",
		time.Minute:                     "a minute ago",
		59*time.Minute + 59*time.Second: "59 minutes ago",
		time.Hour:                       "an hour ago",
		23 * time.Hour:                  "23 hours ago",
		24 * time.Hour:                  "1 day ago",
		26*time.Hour + 5*time.Minute:    "1 day, 2 hours ago",
		8 * 24 * time.Hour:              "1 week, 1 day ago",
		24*time.Hour + 5*time.Minute:    "1 day ago", // units must be adjacent
		40 * 24 * time.Hour:             "1 month, 1 week ago",
		400 * 24 * time.Hour:            "1 year, 1 month ago",
	} {
		m := upstreamFixture()
		m.LastPing.Created = m.Now.Add(-age)
		_, text, _, _ := email.Render(m)
		if !strings.Contains(text, "Last ping: "+want+", from 1.2.3.4") {
			t.Errorf("%v ago: %q", age, strings.Split(strings.Split(text, "Last ping: ")[1], "\n")[0])
		}
	}
}

// Upstream's hc_duration for the period: weeks only when whole.
func TestUpstreamEmailPeriod(t *testing.T) {
	for period, want := range map[time.Duration]string{
		time.Minute:                   "1 minute",
		90 * time.Minute:              "1 hour 30 minutes",
		24 * time.Hour:                "1 day",
		8 * 24 * time.Hour:            "8 days",
		14 * 24 * time.Hour:           "2 weeks",
		26*time.Hour + 30*time.Second: "1 day 2 hours",
	} {
		m := upstreamFixture()
		m.Check.Timeout = period
		_, text, html, _ := email.Render(m)
		if !strings.Contains(text, "Period: "+want+"\n") || !strings.Contains(html, "<b>Period</b><br>"+want+"<") {
			t.Errorf("period %v: want %q in\n%s", period, want, text)
		}
	}
}

// The address comes from the channel's JSON (test_it_handles_json_value);
// DEFAULT_FROM_EMAIL with a display name still gives a Message-ID in its
// domain (test_it_message_id_generation_handles_angle_brackets).
func TestUpstreamEmailAddresses(t *testing.T) {
	m := upstreamFixture()
	m.Channel.Value = `{"value": "alice@example.org", "up": true, "down": true}`
	r := deliver(t, m, mailer.Config{From: `"Alerts" <alerts@example.org>`}, nil)
	if r.mail.To[0] != "alice@example.org" {
		t.Errorf("to %q", r.mail.To)
	}
	if id := r.header.Get("Message-Id"); !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if from, err := mail.ParseAddress(r.header.Get("From")); err != nil || from.Name != "Alerts" || from.Address != "alerts@example.org" {
		t.Errorf("From %q", r.header.Get("From"))
	}
	// An address with a "+" is still its own recipient (test_it_handles_missing_profile).
	m.Channel.Value = "alice+notifications@example.org"
	if r := deliver(t, m, mailer.Config{}, nil); r.mail.To[0] != "alice+notifications@example.org" {
		t.Errorf("to %q", r.mail.To)
	}
}

// With EMAIL_MAIL_FROM_TMPL the envelope sender carries the signed bounce
// ID "n.<notification uuid>"; the From header stays DEFAULT_FROM_EMAIL and
// no X-Bounce-ID header is sent (test_it_sets_custom_mail_from).
func TestUpstreamEmailCustomMailFrom(t *testing.T) {
	const secret = "bounce-secret"
	m := upstreamFixture()
	tr := &email.Transport{BounceID: func(s string) string { return auth.SignBounceID(secret, s, time.Now()) }}
	r := deliver(t, m, mailer.Config{From: "alerts@example.org", MailFromTmpl: "%s@bounces.example.org"}, tr)
	if !strings.HasPrefix(r.mail.From, "n.") || !strings.HasSuffix(r.mail.From, "@bounces.example.org") {
		t.Errorf("MAIL FROM %q", r.mail.From)
	}
	id := strings.TrimSuffix(r.mail.From, "@bounces.example.org")
	if got, err := auth.UnsignBounceID(secret, id, time.Hour, time.Now()); err != nil || got != "n."+m.Code {
		t.Errorf("bounce ID %q unsigns to %q, %v", id, got, err)
	}
	if from := r.header.Get("From"); from != "<alerts@example.org>" && from != "alerts@example.org" {
		t.Errorf("From %q", from)
	}
	if r.header.Get("X-Bounce-Id") != "" {
		t.Errorf("X-Bounce-ID %q", r.header.Get("X-Bounce-Id"))
	}
}

// test_it_reports_unverified_email: nothing is sent, the error is
// upstream's, and the send is not retried (nor the channel disabled).
func TestUpstreamEmailUnverified(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := upstreamFixture()
	m.Channel.EmailVerified = false
	tr := &email.Transport{Mailer: mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "alerts@example.org"})}
	err := tr.Send(context.Background(), m)
	if notify.ErrorText(err) != "Email not verified" || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("error %v (final %v, permanent %v)", err, notify.IsFinal(err), notify.IsPermanent(err))
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d emails sent to an unverified address", n)
	}
}

// test_it_checks_up_down_flags: a channel subscribed to "up" only is a
// no-op for "down" (and so gets no notification at all), and the reverse;
// a bare address takes both.
func TestUpstreamEmailUpDownFlags(t *testing.T) {
	for value, want := range map[string][2]bool{
		`{"value": "alice@example.org", "up": true, "down": false}`:  {true, false},
		`{"value": "alice@example.org", "up": false, "down": true}`:  {false, true},
		`{"value": "alice@example.org", "up": false, "down": false}`: {false, false},
		"alice@example.org": {true, true},
	} {
		up, down := email.Events(value)
		if up != want[0] || down != want[1] {
			t.Errorf("Events(%s) = up %v down %v, want %v", value, up, down, want)
		}
	}
}

// A body that is not ASCII, or not UTF-8 at all, arrives intact (or with
// U+FFFD for the bad bytes, as Python's decode(errors="replace")).
func TestUpstreamEmailNonASCIIBody(t *testing.T) {
	m := upstreamFixture()
	m.Check.Name = "glāžšķūņu rūķīši"
	m.LastPing.Body = []byte("glāžšķūņu rūķīši \xff\xe2\x82!")
	r := deliver(t, m, mailer.Config{}, nil)
	if r.subject != "DOWN | glāžšķūņu rūķīši" {
		t.Errorf("subject %q", r.subject)
	}
	r.contains(t, "glāžšķūņu rūķīši \uFFFD\uFFFD!")
}

// An alert to the address of an account lists its projects with their
// down checks (the "Projects Overview" of upstream's template); an address
// without an account gets none (test_it_handles_missing_profile).
func TestUpstreamEmailProjectsOverview(t *testing.T) {
	projects := []email.ProjectSummary{
		{Name: "Alices Project", URL: "https://overdue.example/projects/p1/checks/", Down: 1},
		{Name: "Backups & <more>", URL: "https://overdue.example/projects/p2/checks/", Down: 2},
		{Name: "alice@example.org", URL: "https://overdue.example/projects/p3/checks/"},
	}
	_, text, html, err := email.Render(upstreamFixture(), projects...)
	if err != nil {
		t.Fatal(err)
	}
	want := "Projects Overview:\n------------------\n* Alices Project: 1 check down\n* Backups & <more>: 2 checks down\n* alice@example.org: OK, all checks up\n\n--\nRegards, Mychecks"
	if !strings.HasSuffix(text, want) {
		t.Errorf("text part:\n%s", text)
	}
	for _, s := range []string{"<b>Projects Overview</b>", `<a href="https://overdue.example/projects/p2/checks/">Backups &amp; &lt;more&gt;</a>`,
		"<b>1 check down</b>", "<b>2 checks down</b>", "OK, all checks up"} {
		if !strings.Contains(html, s) {
			t.Errorf("HTML lacks %q:\n%s", s, html)
		}
	}
	// Through the transport: the overview is looked up by the recipient.
	var asked []string
	tr := &email.Transport{Overview: func(_ context.Context, address string) ([]email.ProjectSummary, error) {
		asked = append(asked, address)
		if address == "alice@example.org" {
			return projects[:1], nil
		}
		return nil, nil
	}}
	r := deliver(t, upstreamFixture(), mailer.Config{}, tr)
	r.textHas(t, "* Alices Project: 1 check down")
	m := upstreamFixture()
	m.Channel.Value = "ops-notifications@example.org"
	r = deliver(t, m, mailer.Config{}, tr)
	r.lacks(t, "Projects Overview")
	if strings.Join(asked, " ") != "alice@example.org ops-notifications@example.org" {
		t.Errorf("overview looked up for %q", asked)
	}
}
