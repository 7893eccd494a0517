package email_test

import (
	"context"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

// rendered is a message as one golden file: the subject, then each part.
func rendered(subject, text, html string) []byte {
	return []byte("Subject: " + subject + "\n\n" + text + "\n-- HTML --\n" + html)
}

// TestAlertEmailGolden pins the alert email, both parts, for the messages
// every kind renders (testdata/alert-<case>.eml.txt; go test -update rewrites them),
// and once more with the projects overview of a user with three projects.
func TestAlertEmailGolden(t *testing.T) {
	t.Parallel()
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			subject, text, html, err := email.Render(c.Msg)
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, "alert-"+c.Name+".eml.txt", rendered(subject, text, html))
		})
	}
	t.Run("overview", func(t *testing.T) {
		m := notifytest.Message(model.StatusDown)
		subject, text, html, err := email.Render(m,
			email.ProjectSummary{Name: "Alice's Project", URL: "https://hc.example.org/projects/a/checks/", Down: 1},
			email.ProjectSummary{Name: "<Staging>", URL: "https://hc.example.org/projects/b/checks/", Down: 0},
			email.ProjectSummary{Name: "Bob's", URL: "https://hc.example.org/projects/c/checks/", Down: 3})
		if err != nil {
			t.Fatal(err)
		}
		notifytest.Golden(t, "alert-overview.eml.txt", rendered(subject, text, html))
	})
}

// capture is a Sender that keeps the message instead of sending it.
type capture struct{ msg *mailer.Message }

func (c *capture) Send(_ context.Context, m *mailer.Message) error { c.msg = m; return nil }

// TestNagAndVerificationGolden pins the reminder email (hourly, daily and
// another period, with a hostile check name) and the address verification.
func TestNagAndVerificationGolden(t *testing.T) {
	t.Parallel()
	items := []email.NagItem{
		{Name: "Daily Backup", Project: "Alice's Project", URL: "https://hc.example.org/checks/a/details/", Since: "3 hours ago"},
		{Name: notifytest.Hostile, Project: "<Staging>", URL: "https://hc.example.org/checks/b/details/"},
	}
	for _, tc := range []struct {
		name  string
		every time.Duration
		items []email.NagItem
		unsub string
	}{
		{"nag-hourly", time.Hour, items, "https://hc.example.org/accounts/unsubscribe_reports/signed/"},
		{"nag-daily", 24 * time.Hour, items[:1], ""},
		{"nag-weekly", 7 * 24 * time.Hour, items, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c capture
			if err := email.SendNag(context.Background(), &c, email.Nag{To: "alice@example.org", SiteName: "Overdue", Every: tc.every, Items: tc.items, UnsubURL: tc.unsub}); err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, tc.name+".eml.txt", rendered(c.msg.Subject, c.msg.Text, c.msg.HTML))
		})
	}
	t.Run("verify", func(t *testing.T) {
		var c capture
		ch := model.Channel{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Kind: "email", Value: `{"value": "ops@example.org", "up": true, "down": true}`}
		if err := email.SendVerification(context.Background(), &c, "https://hc.example.org", "Overdue", "golden secret", ch); err != nil {
			t.Fatal(err)
		}
		notifytest.Golden(t, "verify.eml.txt", rendered(c.msg.Subject, c.msg.Text, c.msg.HTML))
	})
}
