package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// The notifications page shows the stored settings, saves new ones (and
// plans the next report in the chosen zone, and reminders for a check that
// is already down), and refuses anything else with the old values intact.
func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, engine, func(d *web.Deps) { d.Now = func() time.Time { return now } })
			alice := e.user("alice@example.org", "correct horse")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "P", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			down := model.NewCheck(p.ID, now)
			down.Code, down.Status = "cccccccc-0000-4000-8000-000000000001", model.StatusDown
			if err := e.st.CreateCheck(ctx, &down, false); err != nil {
				t.Fatal(err)
			}
			page := e.base + "/accounts/profile/notifications/"

			// Anonymous: to the log-in page, and back here afterwards.
			resp, _ := get(t, e.client(), page)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/hc/accounts/login/?next=%2Fhc%2Faccounts%2Fprofile%2Fnotifications%2F" {
				t.Errorf("anonymous: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := post(t, e.client(), page, url.Values{"reports": {"off"}, "nag_period": {"0"}}); resp.StatusCode != http.StatusFound {
				t.Errorf("anonymous POST: %d", resp.StatusCode)
			}

			c := e.login("alice@example.org", "correct horse")
			resp, body := get(t, c, page)
			if resp.StatusCode != 200 || !strings.Contains(body, `value="monthly" checked`) || !strings.Contains(body, `value="0" checked`) ||
				!strings.Contains(body, `data-saved="UTC"`) || !strings.Contains(body, "/static/tz.js") {
				t.Fatalf("page: %d\n%s", resp.StatusCode, body)
			}

			resp, body = post(t, c, page, url.Values{"reports": {"weekly"}, "nag_period": {"3600"}, "tz": {"America/New_York"}})
			if resp.StatusCode != 200 || !strings.Contains(body, "Your settings have been updated.") || !strings.Contains(body, `value="weekly" checked`) {
				t.Fatalf("save: %d\n%s", resp.StatusCode, body)
			}
			u, _ := e.st.UserByID(ctx, alice.ID)
			// Monday December 14th, 09:00-10:59 in New York (UTC-5).
			if u.Reports != "weekly" || u.TZ != "America/New_York" || u.NagPeriod != time.Hour || u.NextReportDate == nil ||
				u.NextReportDate.Before(time.Date(2026, 12, 14, 14, 0, 0, 0, time.UTC)) || !u.NextReportDate.Before(time.Date(2026, 12, 14, 16, 0, 0, 0, time.UTC)) {
				t.Errorf("saved: %q %q %v next %v", u.Reports, u.TZ, u.NagPeriod, u.NextReportDate)
			}
			if u.NextNagDate == nil || !u.NextNagDate.Equal(now.Add(time.Hour)) {
				t.Errorf("reminder for the down check: %v", u.NextNagDate)
			}

			for _, tc := range []struct {
				form url.Values
				msg  string
			}{
				{url.Values{"reports": {"yearly"}, "nag_period": {"0"}}, "Reports must be off, daily, weekly or monthly."},
				{url.Values{"nag_period": {"0"}}, "Reports must be off"},
				{url.Values{"reports": {"off"}, "nag_period": {"60"}}, "Reminders must be disabled, hourly or daily."},
				{url.Values{"reports": {"off"}, "nag_period": {"-3600"}}, "Reminders must be"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {"Mars/Olympus_Mons"}}, "The time zone must be an IANA name"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {"../../etc/passwd"}}, "The time zone must be"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {"/etc/localtime"}}, "The time zone must be"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {"Local"}}, "The time zone must be"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {"Europe/Riga\x00"}}, "The time zone must be"},
				{url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {strings.Repeat("A", 37)}}, "The time zone must be"},
				{url.Values{"reports": {"<script>"}, "nag_period": {"0"}}, "Reports must be"},
			} {
				resp, body := post(t, c, page, tc.form)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.msg) || !strings.Contains(body, `value="weekly" checked`) || strings.Contains(body, "<script>") {
					t.Errorf("%q: %d\n%s", tc.form, resp.StatusCode, body)
				}
			}
			if resp, body := post(t, c, page, url.Values{"reports": {strings.Repeat("x", 70<<10)}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "larger than") {
				t.Errorf("oversized form: %d", resp.StatusCode)
			}
			// A cross-site post is refused before the view runs.
			if resp, _ := post(t, c, page, url.Values{"reports": {"off"}, "nag_period": {"0"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site: %d", resp.StatusCode)
			}
			if got, _ := e.st.UserByID(ctx, alice.ID); got.Reports != "weekly" || got.TZ != "America/New_York" || got.NagPeriod != time.Hour {
				t.Errorf("a refused form changed the settings: %+v", got)
			}

			// A legacy alias upstream accepts is stored as its zone.
			if resp, _ := post(t, c, page, url.Values{"reports": {"weekly"}, "nag_period": {"3600"}, "tz": {"Europe/Kiev"}}); resp.StatusCode != 200 {
				t.Errorf("legacy zone: %d", resp.StatusCode)
			}
			if got, _ := e.st.UserByID(ctx, alice.ID); got.TZ != "Europe/Kyiv" {
				t.Errorf("Europe/Kiev stored as %q", got.TZ)
			}

			// Off: no report planned; reminders off clear their date; an
			// empty time zone (a browser without one) keeps the stored one.
			resp, _ = post(t, c, page, url.Values{"reports": {"off"}, "nag_period": {"0"}, "tz": {""}})
			u, _ = e.st.UserByID(ctx, alice.ID)
			if resp.StatusCode != 200 || u.Reports != "off" || u.NextReportDate != nil || u.NagPeriod != 0 || u.NextNagDate != nil || u.TZ != "Europe/Kyiv" {
				t.Errorf("turned off: %d %+v", resp.StatusCode, u)
			}
		})
	}
}
