package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

func TestReportCommandsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"sendreports", "--loop=maybe"}, "invalid boolean value"},
		{[]string{"sendreports", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"sendreports", "now"}, `unexpected argument "now"`},
		{[]string{"prune", "--days", "3"}, "flag provided but not defined: -days"},
		{[]string{"prune", "everything"}, `unexpected argument "everything"`},
		{[]string{"serve", "--roles", "web,report"}, `unknown role "report" (this version has: web, alerts, reports)`},
	} {
		code, out, stderr := runCmd(t, sqliteEnv(t), "", tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, tc.msg) {
			t.Errorf("overdue %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, stderr, tc.msg)
		}
	}
}

// reportsFixture is the superuser's default project with a check pinged a
// minute ago and 30 pings stored, the user's report due an hour ago.
func reportsFixture(t *testing.T, vars map[string]string) {
	t.Helper()
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "ops@example.org", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, "ops@example.org")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-time.Hour)
	u.NextReportDate, u.PingLogLimit = &due, 10
	if err := st.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	projects, err := st.ListProjectsOwnedBy(ctx, u.ID)
	if err != nil || len(projects) != 1 {
		t.Fatalf("projects %v %v", projects, err)
	}
	c := model.NewCheck(projects[0].ID, time.Now().Add(-90*24*time.Hour))
	c.Name = "nightly backup"
	if err := st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	var pings []model.Ping
	for n := int64(1); n <= 30; n++ {
		pings = append(pings, model.Ping{CheckID: c.ID, N: n, Created: time.Now().Add(time.Duration(n-31) * time.Minute), Scheme: "http"})
	}
	err = st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		last := time.Now().Add(-time.Minute)
		m[c.ID].NPings, m[c.ID].LastPing, m[c.ID].Status = 30, &last, model.StatusUp
		return pings, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// `overdue sendreports` sends what is due once, over SMTP, and a second
// run finds nothing; `overdue prune` trims the check to its owner's limit.
func TestSendReportsAndPruneCommands(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	vars := sqliteEnv(t)
	vars["EMAIL_HOST"], vars["EMAIL_PORT"], vars["DEFAULT_FROM_EMAIL"] = srv.Host, strconv.Itoa(srv.Port), "overdue@example.org"
	vars["SITE_ROOT"], vars["EMAIL_USE_TLS"] = "https://overdue.example", "False"
	reportsFixture(t, vars)

	code, out, stderr := runCmd(t, vars, "", "sendreports")
	if code != 0 || out != "Sent 1 report and 0 reminders.\n" {
		t.Fatalf("sendreports: exit %d, %q, %q", code, out, stderr)
	}
	m := <-srv.Received()
	h, text, _, err := m.Parts()
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Subject") != "Monthly Report" || !strings.Contains(text, "nightly backup") ||
		!strings.HasPrefix(h.Get("List-Unsubscribe"), "<https://overdue.example/accounts/unsubscribe_reports/") {
		t.Errorf("report: %q %q\n%s", h.Get("Subject"), h.Get("List-Unsubscribe"), text)
	}
	if code, out, _ := runCmd(t, vars, "", "sendreports"); code != 0 || out != "Sent 0 reports and 0 reminders.\n" {
		t.Errorf("second sendreports: exit %d, %q", code, out)
	}

	code, out, stderr = runCmd(t, vars, "", "prune")
	if code != 0 || out != "Pruned 20 pings, 0 notifications, 0 flips, 0 expired sessions, 0 expired login links and 0 never-logged-in accounts.\n" {
		t.Errorf("prune: exit %d, %q, %q", code, out, stderr)
	}
	if code, out, _ := runCmd(t, vars, "", "prune"); code != 0 || !strings.HasPrefix(out, "Pruned 0 pings,") {
		t.Errorf("second prune: exit %d, %q", code, out)
	}
}

// `sendreports --loop` runs until it is told to stop, then exits 0.
func TestSendReportsLoopStops(t *testing.T) {
	vars := sqliteEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	started := false
	code := run(ctx, []string{"sendreports", "--loop"}, env{getenv: mapEnv(vars), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		onListen: func(net.Addr) { started = true; cancel() }})
	if code != 0 || !started || !strings.Contains(errb.String(), "sendreports is now running") {
		t.Errorf("exit %d, started %v, stderr %q", code, started, errb.String())
	}
}
