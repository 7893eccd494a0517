package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store/storetest"
)

// Hourly reminders: planned when a check is down, sent once per hour by
// exactly one of two naggers, listing the down checks, and stopped when
// every check is up again.
func TestHourlyReminders(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			ctx := context.Background()
			owner, err := w.st.UserByID(ctx, w.project.OwnerID)
			if err != nil {
				t.Fatal(err)
			}
			owner.NagPeriod = time.Hour
			if err := w.st.UpdateUser(ctx, &owner); err != nil {
				t.Fatal(err)
			}
			w.check(t, "fine")
			down := w.check(t, "broken <job>")
			failFlip(t, w.st, down, w.clock.Now())

			smtp := smtptest.Start(t, smtptest.Options{})
			m := mailer.New(mailer.Config{Host: smtp.Host, Port: smtp.Port, From: "alerts@overdue.example"})
			opts := alerts.NaggerOptions{Store: w.st, Mailer: m, Clock: w.clock, SiteRoot: "https://overdue.example", SiteName: "Overdue", SecretKey: "nag-secret"}
			a, b := alerts.NewNagger(opts), alerts.NewNagger(opts)

			if sent, err := a.Tick(ctx); err != nil || sent != 0 {
				t.Fatalf("first tick: sent %d err %v; want a plan, no email", sent, err)
			}
			got, _ := w.st.UserByID(ctx, owner.ID)
			if got.NextNagDate == nil || !got.NextNagDate.Equal(w.clock.Now().Add(time.Hour)) {
				t.Fatalf("next_nag_date = %v, want an hour from now", got.NextNagDate)
			}
			w.clock.Advance(time.Hour + time.Second)
			sa, errA := a.Tick(ctx)
			sb, errB := b.Tick(ctx)
			if errA != nil || errB != nil || sa+sb != 1 {
				t.Fatalf("two naggers sent %d and %d reminders (%v, %v); want exactly one", sa, sb, errA, errB)
			}
			mail := <-smtp.Received()
			data := strings.ReplaceAll(string(mail.Data), "=\r\n", "")
			if mail.To[0] != owner.Email || !strings.Contains(data, "Subject: Reminder: 1 check still down") ||
				!strings.Contains(data, "broken <job>") || !strings.Contains(data, "/cloaked/"+down.UniqueKey()+"/") || strings.Contains(data, "fine (") {
				t.Errorf("reminder to %q:\n%s", mail.To, data)
			}
			// Upstream's unsubscribe headers, with the reports' link (it
			// turns reminders off too), in the footer as well.
			h, text, _, err := mail.Parts()
			if err != nil {
				t.Fatal(err)
			}
			unsub := email.ReportUnsubURL("https://overdue.example", "nag-secret", owner.ID, w.clock.Now())
			if h.Get("List-Unsubscribe") != "<"+unsub+">" || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(text, "Unsubscribe: "+unsub) {
				t.Errorf("unsubscribe: %q %q\n%s", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"), text)
			}
			// The check recovers: the plan is cleared and nothing more is sent.
			err = w.st.ApplyPings(ctx, []int64{down.ID}, func(cs map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				cs[down.ID].Status = model.StatusUp
				return nil, nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(2 * time.Hour)
			if sent, err := a.Tick(ctx); err != nil || sent != 0 {
				t.Errorf("after recovery: sent %d err %v", sent, err)
			}
			got, _ = w.st.UserByID(ctx, owner.ID)
			if got.NextNagDate != nil {
				t.Errorf("next_nag_date after recovery = %v, want none", got.NextNagDate)
			}
			if n := len(smtp.Mails()); n != 1 {
				t.Errorf("%d reminder emails in all, want 1", n)
			}
		})
	}
}
