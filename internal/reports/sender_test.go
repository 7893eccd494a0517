package reports_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/reports"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

const secret = "test-secret-key"

func newSender(st reports.Store, clock alerts.Clock, srv *smtptest.Server) *reports.Sender {
	m := mailer.New(mailer.Config{Host: srv.Host, Port: srv.Port, From: "reports@overdue.example", MailFromTmpl: "%s@bounces.example.org"})
	return reports.New(reports.Options{Store: st, Mailer: m, Clock: clock, Pause: -1, Jitter: func() time.Duration { return 0 },
		SiteRoot: "https://overdue.example", SiteName: "Overdue", SecretKey: secret})
}

// world is alice's project with one check, "Foo", as upstream's report
// tests set it up: created 2019-10-01, down since a flip at 2019-12-31
// 23:00 UTC (already January in Riga), last pinged then.
type world struct {
	st    *store.Store
	alice model.User
	proj  model.Project
	check model.Check
}

func newWorld(t *testing.T, st *store.Store, aliceReports, aliceTZ string) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{st: st}
	w.alice = model.User{Email: "alice@example.org", Reports: aliceReports, TZ: aliceTZ, PingLogLimit: 100, CheckLimit: 20}
	w.proj = model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Alices Project", PingKey: "pk-alice-00000000000001", BadgeKey: "bk-alice"}
	if err := st.CreateAccount(ctx, &w.alice, &w.proj); err != nil {
		t.Fatal(err)
	}
	w.check = model.Check{Code: "cccccccc-0000-4000-8000-000000000001", ProjectID: w.proj.ID, Name: "Foo", Kind: model.KindSimple,
		Timeout: 24 * time.Hour, Grace: time.Hour, TZ: "UTC", Created: utc(2019, 10, 1, 0, 0)}
	if err := st.CreateCheck(ctx, &w.check, false); err != nil {
		t.Fatal(err)
	}
	at := utc(2019, 12, 31, 23, 0)
	w.history(t, w.check.ID, "down", &at, []model.Flip{{Created: at, OldStatus: "new", NewStatus: "down", Processed: &at}})
	return w
}

// history sets a check's status and last ping and adds flips.
func (w *world) history(t *testing.T, checkID int64, status string, lastPing *time.Time, flips []model.Flip) {
	t.Helper()
	for i := range flips {
		flips[i].CheckID = checkID
	}
	err := w.st.ApplyPings(context.Background(), []int64{checkID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[checkID].Status, m[checkID].LastPing = status, lastPing
		return nil, flips, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) user(t *testing.T, id int64) model.User {
	t.Helper()
	u, err := w.st.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *world) setDue(t *testing.T, u *model.User, freq string, due time.Time) {
	t.Helper()
	u.Reports, u.NextReportDate = freq, &due
	if err := w.st.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func tick(t *testing.T, s *reports.Sender, want int) {
	t.Helper()
	n, err := s.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	if n != want {
		t.Fatalf("Tick sent %d reports, want %d", n, want)
	}
}

type got struct {
	mail             smtptest.Mail
	subject, to      string
	unsub, unsubPost string
	text, html       string
}

func receive(t *testing.T, srv *smtptest.Server) got {
	t.Helper()
	select {
	case m := <-srv.Received():
		h, text, html, err := m.Parts()
		if err != nil {
			t.Fatal(err)
		}
		return got{m, h.Get("Subject"), h.Get("To"), h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"), text, html}
	case <-time.After(10 * time.Second):
		t.Fatal("no report arrived")
	}
	return got{}
}

func noMore(t *testing.T, srv *smtptest.Server) {
	t.Helper()
	select {
	case m := <-srv.Received():
		t.Fatalf("unexpected email to %v", m.To)
	default:
	}
}

func (g got) has(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(g.text, s) {
			t.Errorf("text part lacks %q:\n%s", s, g.text)
		}
		if !strings.Contains(g.html, s) {
			t.Errorf("HTML part lacks %q:\n%s", s, g.html)
		}
	}
}

// golden compares s with testdata/<name> (notifytest's golden files: go
// test -update rewrites them).
func golden(t *testing.T, name, s string) {
	t.Helper()
	notifytest.Golden(t, name, []byte(s))
}

// Two users see one check across the turn of the year: alice in UTC, bob
// (a team member) in Riga, two hours ahead. Each first gets only a date,
// 09:00 local on January 1st; each report then goes out once, at its own
// hour, and says what December looked like in its reader's zone: the
// flip at 23:00 UTC on the 31st is in December for alice and in January
// for bob.
func TestMonthlyReportsAcrossTheYearEnd(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, engine)
			w := newWorld(t, st, "", "") // upstream's defaults: monthly, UTC
			bob := model.User{Email: "bob@example.org", Reports: "monthly", TZ: "Europe/Riga"}
			if err := st.CreateUser(ctx, &bob); err != nil {
				t.Fatal(err)
			}
			if err := st.AddMember(ctx, w.proj.ID, bob.ID, model.RoleMember, time.Now()); err != nil {
				t.Fatal(err)
			}
			srv := smtptest.Start(t, smtptest.Options{})
			clock := alerts.NewFakeClock(utc(2019, 12, 20, 12, 0))
			s := newSender(st, clock, srv)

			tick(t, s, 0)
			for _, tc := range []struct {
				id   int64
				want time.Time
			}{{w.alice.ID, utc(2020, 1, 1, 9, 0)}, {bob.ID, utc(2020, 1, 1, 7, 0)}} {
				u := w.user(t, tc.id)
				if u.Reports != "monthly" || u.NextReportDate == nil || !u.NextReportDate.Equal(tc.want) {
					t.Fatalf("user %s: reports %q, next %v; want monthly at %s", u.Email, u.Reports, u.NextReportDate, tc.want)
				}
			}
			noMore(t, srv)

			clock.Set(utc(2020, 1, 1, 6, 59))
			tick(t, s, 0)
			clock.Set(utc(2020, 1, 1, 7, 1))
			tick(t, s, 1)
			b := receive(t, srv)
			if b.subject != "Monthly Report" || b.to != "<bob@example.org>" && b.to != "bob@example.org" {
				t.Fatalf("first report: %q to %q", b.subject, b.to)
			}
			b.has(t, "In December, no checks had downtimes. Nice!", "Nov. 2019", "Dec. 2019", "All good!", "Alices Project")
			if u := w.user(t, bob.ID); !u.NextReportDate.Equal(utc(2020, 2, 1, 7, 0)) {
				t.Errorf("bob's next report: %v", u.NextReportDate)
			}
			tick(t, s, 0)
			noMore(t, srv)

			clock.Set(utc(2020, 1, 1, 9, 1))
			tick(t, s, 1)
			a := receive(t, srv)
			a.has(t, "In December,", "1 check", "1 downtime event", "1 h 0 min total", "DOWN", "Foo")
			if !strings.Contains(a.text, "In December, 1 check had 1 downtime event.") {
				t.Errorf("text summary:\n%s", a.text)
			}
			wantUnsub := "<" + email.ReportUnsubURL("https://overdue.example", secret, w.alice.ID, clock.Now()) + ">"
			if a.unsub != wantUnsub || a.unsubPost != "List-Unsubscribe=One-Click" {
				t.Errorf("unsubscribe headers %q %q, want %q", a.unsub, a.unsubPost, wantUnsub)
			}
			local, _, _ := strings.Cut(a.mail.From, "@")
			if id, err := auth.UnsignBounceID(secret, local, 48*time.Hour, clock.Now()); err != nil || id != fmt.Sprintf("r.%d", w.alice.ID) ||
				!strings.HasSuffix(a.mail.From, "@bounces.example.org") {
				t.Errorf("envelope sender %q: %q %v", a.mail.From, id, err)
			}
			golden(t, "monthly.txt", a.text)
			golden(t, "monthly.html", a.html)
			tick(t, s, 0)
			noMore(t, srv)

			// A month later, January's report: 31 days down in Riga's
			// January minus the first hour, all of it for alice.
			clock.Set(utc(2020, 2, 1, 9, 1))
			tick(t, s, 2)
			for range 2 {
				r := receive(t, srv)
				if !strings.Contains(r.text, "In January, 1 check had 1 downtime event.") {
					t.Errorf("text summary:\n%s", r.text)
				}
				if strings.Contains(r.to, "bob") {
					r.has(t, "30 days 23 h total")
				} else {
					r.has(t, "31 days 0 h total", "1 h 0 min total")
				}
			}
		})
	}
}

// Upstream's weekly and daily report tests, at 2020-01-13 02:00 UTC, a
// Monday: the columns are the two last full periods, the summary names the
// last one, and the next report is a week or a day away.
func TestWeeklyAndDailyReports(t *testing.T) {
	now := utc(2020, 1, 13, 2, 0)
	for _, tc := range []struct {
		freq, subject, summary string
		columns                []string
		next                   time.Time
	}{
		{"weekly", "Weekly Report", "Last week (January 6 to January 12), 1 check had 1 downtime event.", []string{"Dec 30 - Jan 5", "Jan 6 - Jan 12"}, utc(2020, 1, 20, 9, 0)},
		{"daily", "Daily Report", "Yesterday (January 12), 1 check had 1 downtime event.", []string{"January 11", "January 12"}, utc(2020, 1, 14, 9, 0)},
		{"monthly", "Monthly Report", "In December, 1 check had 1 downtime event.", []string{"Nov. 2019", "Dec. 2019"}, utc(2020, 2, 1, 9, 0)},
	} {
		t.Run(tc.freq, func(t *testing.T) {
			st := storetest.Open(t, "sqlite")
			w := newWorld(t, st, tc.freq, "UTC")
			w.setDue(t, &w.alice, tc.freq, now.Add(-time.Hour))
			srv := smtptest.Start(t, smtptest.Options{})
			tick(t, newSender(st, alerts.NewFakeClock(now), srv), 1)
			r := receive(t, srv)
			if r.subject != tc.subject || !strings.Contains(r.text, tc.summary) {
				t.Errorf("subject %q, text:\n%s", r.subject, r.text)
			}
			r.has(t, tc.columns...)
			if u := w.user(t, w.alice.ID); !u.NextReportDate.Equal(tc.next) {
				t.Errorf("next report %v, want %v", u.NextReportDate, tc.next)
			}
		})
	}
}

// Upstream's EMPTY_TABLE: a check created this month has empty cells for
// the months before it existed, and no "All good!".
func TestRecentlyCreatedCheck(t *testing.T) {
	now := utc(2020, 1, 13, 2, 0)
	st := storetest.Open(t, "sqlite")
	w := newWorld(t, st, "monthly", "UTC")
	ctx := context.Background()
	if err := st.DeleteCheck(ctx, w.check.ID); err != nil {
		t.Fatal(err)
	}
	c := model.Check{Code: "cccccccc-0000-4000-8000-000000000002", ProjectID: w.proj.ID, Name: "Foo", Kind: model.KindSimple,
		Timeout: 24 * time.Hour, Grace: time.Hour, TZ: "UTC", Created: utc(2020, 1, 5, 0, 0)}
	if err := st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	pinged := utc(2020, 1, 6, 0, 0)
	w.history(t, c.ID, "new", &pinged, nil)
	w.setDue(t, &w.alice, "monthly", now.Add(-time.Hour))
	srv := smtptest.Start(t, smtptest.Options{})
	tick(t, newSender(st, alerts.NewFakeClock(now), srv), 1)
	r := receive(t, srv)
	const table = `+--------+------+-----------+-----------+
| Status | Name | Nov. 2019 | Dec. 2019 |
+========+======+===========+===========+
| new    | Foo  |           |           |
+--------+------+-----------+-----------+`
	if !strings.Contains(r.text, table) || strings.Contains(r.text, "All good!") || strings.Contains(r.text, "total") {
		t.Errorf("text part:\n%s", r.text)
	}
}

// No report goes to an account whose checks have not pinged for 180 days,
// to a user with reports off, or for a setting this version does not know;
// the dates still move on (or stay empty), so nothing is tried again each
// minute.
func TestReportsNotSent(t *testing.T) {
	now := utc(2020, 7, 1, 12, 0)
	st := storetest.Open(t, "sqlite")
	w := newWorld(t, st, "monthly", "UTC") // last ping 2019-12-31: 183 days before now
	w.setDue(t, &w.alice, "monthly", now.Add(-time.Minute))
	off := model.User{Email: "off@example.org", Reports: "off"}
	odd := model.User{Email: "odd@example.org", Reports: "yearly"}
	for _, u := range []*model.User{&off, &odd} {
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(st, alerts.NewFakeClock(now), srv)
	tick(t, s, 0)
	tick(t, s, 0)
	noMore(t, srv)
	if u := w.user(t, w.alice.ID); !u.NextReportDate.Equal(utc(2020, 8, 1, 9, 0)) {
		t.Errorf("quiet account's next report: %v", u.NextReportDate)
	}
	for _, id := range []int64{off.ID, odd.ID} {
		if u := w.user(t, id); u.NextReportDate != nil {
			t.Errorf("%s: next report %v", u.Email, u.NextReportDate)
		}
	}
}

// Two instances on one database, each with its own store, race over 40
// due reports: every user gets exactly one.
func TestTwoInstancesSendOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.NewDatabase(t, engine)
			var stores []*store.Store
			for range 2 {
				st, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				stores = append(stores, st)
			}
			if err := stores[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			now := utc(2020, 1, 13, 2, 0)
			w := newWorld(t, stores[0], "monthly", "UTC")
			w.setDue(t, &w.alice, "monthly", now.Add(-time.Hour))
			const n = 40
			for i := range n - 1 {
				u := model.User{Email: fmt.Sprintf("user%02d@example.org", i), Reports: "weekly", TZ: "Asia/Tokyo", NextReportDate: &now}
				if err := stores[0].CreateUser(ctx, &u); err != nil {
					t.Fatal(err)
				}
				if err := stores[0].AddMember(ctx, w.proj.ID, u.ID, model.RoleReadOnly, now); err != nil {
					t.Fatal(err)
				}
			}
			srv := smtptest.Start(t, smtptest.Options{})
			clock := alerts.NewFakeClock(now.Add(time.Minute))
			var wg sync.WaitGroup
			sent := make([]int, 2)
			for i, st := range stores {
				wg.Go(func() {
					var err error
					if sent[i], err = newSender(st, clock, srv).Tick(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if sent[0]+sent[1] != n {
				t.Errorf("sent %d + %d, want %d in all", sent[0], sent[1], n)
			}
			seen := map[string]int{}
			for range n {
				seen[receive(t, srv).to]++
			}
			noMore(t, srv)
			for to, c := range seen {
				if c != 1 {
					t.Errorf("%s got %d reports", to, c)
				}
			}
			if len(seen) != n {
				t.Errorf("%d recipients, want %d", len(seen), n)
			}
		})
	}
}

// Run sleeps on the clock and sends a report once its time comes.
func TestRunSendsWhenDue(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	start := utc(2020, 1, 31, 20, 0)
	w := newWorld(t, st, "monthly", "UTC")
	w.setDue(t, &w.alice, "monthly", utc(2020, 2, 1, 9, 0))
	srv := smtptest.Start(t, smtptest.Options{})
	clock := alerts.NewFakeClock(start)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newSender(st, clock, srv).Run(ctx) }()
	// Every sleep before 09:00 ends without an email; the one after it
	// brings the report.
	for !clock.Now().After(utc(2020, 2, 1, 9, 0)) {
		<-clock.Sleepers()
		noMore(t, srv)
		clock.Advance(time.Minute)
	}
	r := receive(t, srv)
	r.has(t, "In January")
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
}

func TestUnsubscribeToken(t *testing.T) {
	at := utc(2026, 12, 7, 9, 0)
	u := email.ReportUnsubURL("https://overdue.example/hc/", secret, 42, at)
	prefix := "https://overdue.example/hc/accounts/unsubscribe_reports/"
	if !strings.HasPrefix(u, prefix) || !strings.HasSuffix(u, "/") {
		t.Fatalf("URL %q", u)
	}
	signed := strings.TrimSuffix(strings.TrimPrefix(u, prefix), "/")
	who, signedAt, err := email.UnsignReportUnsub(secret, signed)
	if err != nil || who != "42" || !signedAt.Equal(at) {
		t.Fatalf("UnsignUnsub = %q, %v, %v", who, signedAt, err)
	}
	if id, ok := email.ReportUnsubUser(who); !ok || id != 42 {
		t.Errorf("ReportUnsubUser(%q) = %d, %v", who, id, ok)
	}
	// An upstream user name verifies too (the API looks it up); what is
	// not a canonical positive decimal is a name, not an id.
	if who, _, err := email.UnsignReportUnsub(secret, auth.TimestampSign(secret, "reports", "alice", at)); err != nil || who != "alice" {
		t.Errorf("upstream name: %q, %v", who, err)
	}
	for _, name := range []string{"alice", "-1", "0", "042", "+42", "9223372036854775808", ""} {
		if id, ok := email.ReportUnsubUser(name); ok {
			t.Errorf("ReportUnsubUser(%q) = %d, want a user name", name, id)
		}
	}
	for _, bad := range []string{
		"", "42", signed + "x", strings.Replace(signed, "42", "43", 1),
		auth.TimestampSign(secret, "alerts", "42", at), // another salt
		auth.TimestampSign("other-secret", "reports", "42", at),
	} {
		if who, _, err := email.UnsignReportUnsub(secret, bad); err == nil {
			t.Errorf("UnsignUnsub(%q) = %q, want an error", bad, who)
		}
	}
}

// Checks without downtime are listed in upstream's natural name order
// (natural_name_key): numbers by value, case ignored; plain lowercase
// order would put "job 10" before "job 9".
func TestReportNaturalOrder(t *testing.T) {
	now := utc(2020, 1, 13, 2, 0)
	st := storetest.Open(t, "sqlite")
	w := newWorld(t, st, "monthly", "UTC")
	ctx := context.Background()
	if err := st.DeleteCheck(ctx, w.check.ID); err != nil {
		t.Fatal(err)
	}
	pinged := utc(2020, 1, 6, 0, 0)
	for i, name := range []string{"job 10", "Job 9", "job 100", "backup 2"} {
		c := model.Check{Code: fmt.Sprintf("cccccccc-0000-4000-8000-00000000010%d", i), ProjectID: w.proj.ID, Name: name, Kind: model.KindSimple,
			Timeout: 24 * time.Hour, Grace: time.Hour, TZ: "UTC", Created: utc(2019, 10, 1, 0, 0)}
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			t.Fatal(err)
		}
		w.history(t, c.ID, "up", &pinged, nil)
	}
	w.setDue(t, &w.alice, "monthly", now.Add(-time.Hour))
	srv := smtptest.Start(t, smtptest.Options{})
	tick(t, newSender(st, alerts.NewFakeClock(now), srv), 1)
	r := receive(t, srv)
	last := -1
	for _, name := range []string{"backup 2", "Job 9", "job 10", "job 100"} {
		i := strings.Index(r.text, "| "+name+" ")
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order:\n%s", name, r.text)
		}
		last = i
	}
}
