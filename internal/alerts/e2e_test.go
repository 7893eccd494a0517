package alerts_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store/storetest"
)

// End to end with the real transports: a check with a one-minute period is
// pinged, the fake clock passes its deadline, and the alert arrives as an
// email at an SMTP server and as a webhook at an HTTP server, both over
// real sockets. Runs on every engine.
func TestEndToEndEmailAndWebhook(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			smtp := smtptest.Start(t, smtptest.Options{Mode: smtptest.StartTLS})
			hooks := make(chan string, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				hooks <- r.Method + " " + r.URL.RequestURI() + " " + string(b)
			}))
			defer srv.Close()
			registry := notify.Registry{
				"email": &email.Transport{Mailer: mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, UseTLS: true,
					From: "alerts@overdue.example", TLSConfig: smtp.ClientTLS})},
				"webhook": &webhook.Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true})},
			}
			c := w.check(t, "db-backup")
			mail := w.channel(t, "email", `{"value": "ops@example.org", "up": true, "down": true}`)
			ch := w.channel(t, "webhook", `{"method_down": "POST", "url_down": "`+srv.URL+`/down?check=$NAME", "body_down": "$STATUS $NOW", "headers_down": {},
				"method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`)
			if err := w.st.SetCheckChannels(t.Context(), c.ID, []int64{mail.ID, ch.ID}); err != nil {
				t.Fatal(err)
			}
			r := w.start(t, registry, nil)
			r.ping(t, c, ping.ActionSuccess)
			deadline := w.clock.Now().Add(2 * time.Minute)

			idle := r.engine.Idle()
			w.clock.Set(deadline.Add(time.Second))
			waitClosed(t, idle, "the engine's pass")
			select {
			case got := <-hooks:
				if want := "POST /down?check=db-backup down " + deadline.UTC().Format("2006-01-02T15:04:05") + "+00:00"; got != want {
					t.Errorf("webhook %q, want %q", got, want)
				}
			case <-time.After(hangGuard):
				t.Fatal("no webhook arrived")
			}
			select {
			case m := <-smtp.Received():
				if m.To[0] != "ops@example.org" || !strings.Contains(string(m.Data), "DOWN | db-backup") {
					t.Errorf("email to %q:\n%.400s", m.To, m.Data)
				}
			case <-time.After(hangGuard):
				t.Fatal("no email arrived")
			}
			r.recorded(t)
			r.recorded(t)
			// Recovery: email only ("up" has no webhook URL).
			r.ping(t, c, ping.ActionSuccess)
			select {
			case m := <-smtp.Received():
				if !strings.Contains(string(m.Data), "UP | db-backup") {
					t.Errorf("recovery email:\n%.400s", m.Data)
				}
			case <-time.After(hangGuard):
				t.Fatal("no recovery email arrived")
			}
			r.recorded(t)
			select {
			case got := <-hooks:
				t.Errorf("a webhook was sent for \"up\" without an up URL: %s", got)
			default:
			}
		})
	}
}
