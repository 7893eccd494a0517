package api_test

// Ports of upstream's hc/accounts/tests/test_unsubscribe_reports.py, with
// the user id where upstream signs the user name, and hostile links.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestUnsubscribeReports(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
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
				djangoTimestampSign("another-secret", "reports", "2f2c7a1e-5b8d-4c3f-9a0e-1b2c3d", now.Unix()), // upstream's, under another key
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

// djangoTimestampSign is Django's TimestampSigner(salt=salt).sign(value) at
// the Unix time ts, written here from Django's documented algorithm rather
// than with the code under test: value:b62(ts):b64url(HMAC-SHA256 keyed with
// SHA-256(salt+"signer"+secret)), without base64 padding.
func djangoTimestampSign(secret, salt, value string, ts int64) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b62 := ""
	for n := ts; n > 0; n /= 62 {
		b62 = string(digits[n%62]) + b62
	}
	if b62 == "" {
		b62 = "0"
	}
	v := value + ":" + b62
	key := sha256.Sum256([]byte(salt + "signer" + secret))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(v))
	return v + ":" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Links upstream sent before an import sign the Django user name, which the
// importer keeps: with upstream's SECRET_KEY they work here too, with the
// same confirmation, auto-submit age and effect as Overdue's own.
func TestUnsubscribeReportsUpstreamLink(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newUnsubEnv(t, engine, "unsub-secret")
			now := e.now
			const name = "2f2c7a1e-5b8d-4c3f-9a0e-1b2c3d" // upstream's str(uuid4())[:30]
			u := model.User{Email: "imported@example.org", Reports: "monthly", NextReportDate: &now, NagPeriod: 24 * time.Hour, NextNagDate: &now}
			if err := e.st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			err := e.st.Import(ctx, now, false, func(it *store.ImportTx) error {
				_, err := it.PutUpstreamLogin(ctx, u.ID, name, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// Printed by CPython's hmac, hashlib and base64 following Django's
			// algorithm, for SECRET_KEY "unsub-secret" at e.now: pins the
			// helper above to the scheme.
			const fresh = name + ":1w1LGn:2xSBBLq27SlO2V7q4AmqeZw65AHI4502gK05dGstsRU"
			if got := djangoTimestampSign(e.secret, "reports", name, now.Unix()); got != fresh {
				t.Fatalf("Django signature %q, want %q", got, fresh)
			}
			link := func(ts int64) string {
				return e.base + "/accounts/unsubscribe_reports/" + djangoTimestampSign(e.secret, "reports", name, ts) + "/"
			}
			for _, tc := range []struct {
				age        int64
				autoSubmit bool
			}{{0, false}, {300, false}, {301, true}, {400 * 86400, true}} {
				r := e.do(http.MethodGet, link(now.Unix()-tc.age))
				if r.status != 200 || !strings.Contains(r.body, "Please press the button below") || strings.Contains(r.body, "submit()") != tc.autoSubmit {
					t.Errorf("GET a %d s old upstream link: %d, auto-submit want %v: %.300s", tc.age, r.status, tc.autoSubmit, r.body)
				}
			}
			if got, _ := e.st.UserByID(ctx, u.ID); got.Reports != "monthly" {
				t.Errorf("a GET unsubscribed: %q", got.Reports)
			}
			r := e.do(http.MethodPost, e.base+"/accounts/unsubscribe_reports/"+fresh+"/")
			if r.status != 200 || !strings.Contains(r.body, "You will not receive Overdue reports or reminders any more.") {
				t.Errorf("POST: %d %.300s", r.status, r.body)
			}
			if got, _ := e.st.UserByID(ctx, u.ID); got.Reports != "off" || got.NagPeriod != 0 || got.NextReportDate != nil {
				t.Errorf("after the upstream link: %+v", got)
			}
			// A user name nobody here has: the account is gone, as upstream's
			// User.DoesNotExist answers.
			if r := e.do(http.MethodGet, e.base+"/accounts/unsubscribe_reports/"+djangoTimestampSign(e.secret, "reports", "someone-else", now.Unix())+"/"); r.status != 200 || !strings.Contains(r.body, "Unsubscribed") {
				t.Errorf("unknown upstream user: %d %.300s", r.status, r.body)
			}
		})
	}
}
