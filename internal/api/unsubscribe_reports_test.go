package api_test

// Ports of upstream's hc/accounts/tests/test_unsubscribe_reports.py, with
// the user id where upstream signs the user name, and hostile links.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestUnsubscribeReports(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newUnsubEnv(t, engine, "unsub-secret")
			now := e.now
			u := model.User{Email: "alice@example.org", Reports: "weekly", NextReportDate: &now, NagPeriod: time.Hour, NextNagDate: &now}
			if err := e.st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			link := func(id int64, at time.Time) string { return email.ReportUnsubURL(e.base, e.secret, id, at) }

			// test_it_serves_confirmation_form; a GET changes nothing.
			r := e.do(http.MethodGet, link(u.ID, now))
			if r.status != 200 || !strings.Contains(r.body, "stop Overdue reports and reminders from reaching your email address. Please press the button below") || strings.Contains(r.body, "submit()") {
				t.Errorf("confirmation: %d %s", r.status, r.body)
			}
			if got, _ := e.st.UserByID(ctx, u.ID); got.Reports != "weekly" {
				t.Errorf("a GET unsubscribed: %q", got.Reports)
			}
			// test_aged_signature_autosubmits; exactly 300 s is not yet over
			// upstream's max_age.
			if r := e.do(http.MethodGet, link(u.ID, now.Add(-300*time.Second))); strings.Contains(r.body, "submit()") {
				t.Errorf("a 300 s old link submits itself: %s", r.body)
			}
			if r := e.do(http.MethodGet, link(u.ID, now.Add(-301*time.Second))); !strings.Contains(r.body, "submit()") {
				t.Errorf("an old link does not submit itself: %s", r.body)
			}
			// test_it_unsubscribes, twice (a mail client may retry).
			for range 2 {
				r = e.do(http.MethodPost, link(u.ID, now))
				if r.status != 200 || !strings.Contains(r.body, "You will not receive Overdue reports or reminders any more.") || r.header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("unsubscribe: %d %v %s", r.status, r.header, r.body)
				}
			}
			got, _ := e.st.UserByID(ctx, u.ID)
			if got.Reports != "off" || got.NextReportDate != nil || got.NagPeriod != 0 || got.NextNagDate != nil {
				t.Errorf("after unsubscribing: %+v", got)
			}
			// test_it_handles_missing_user
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				if r := e.do(m, link(999999, now)); r.status != 200 || !strings.Contains(r.body, "Unsubscribed") {
					t.Errorf("%s for a deleted user: %d %s", m, r.status, r.body)
				}
			}
			// test_bad_signature_gets_rejected, and forged or mangled links.
			valid := strings.TrimSuffix(strings.TrimPrefix(link(u.ID, now), e.base+"/accounts/unsubscribe_reports/"), "/")
			for _, bad := range []string{
				"invalid",
				valid + "x",
				strconv.FormatInt(u.ID+1, 10) + strings.TrimPrefix(valid, strconv.FormatInt(u.ID, 10)), // another user, same signature
				auth.TimestampSign(e.secret, "alerts", strconv.FormatInt(u.ID, 10), now),               // an alert link's salt
				auth.TimestampSign("another-secret", "reports", strconv.FormatInt(u.ID, 10), now),
				auth.TimestampSign(e.secret, "reports", "alice", now), // an upstream user name
				strings.Repeat("A", 5000),
			} {
				r := e.do(http.MethodPost, e.base+"/accounts/unsubscribe_reports/"+bad+"/")
				if r.status != 200 || !strings.Contains(r.body, "Incorrect link") {
					t.Errorf("POST %.40q: %d %.200s", bad, r.status, r.body)
				}
			}
			// Paths the route does not match are 404, not the page.
			for _, p := range []string{"/accounts/unsubscribe_reports/", "/accounts/unsubscribe_reports/a/b/"} {
				if r := e.do(http.MethodGet, e.base+p); r.status != http.StatusNotFound {
					t.Errorf("GET %s: %d", p, r.status)
				}
			}
		})
	}
}
