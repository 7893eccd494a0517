package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// dsn is a delivery status notification as a mail server sends it.
func dsn(to, status, diagnostic string) string {
	diag := ""
	if diagnostic != "" {
		diag = "Diagnostic-Code: smtp; " + diagnostic + "\r\n"
	}
	return "From: MAILER-DAEMON@mx.example.org\r\n" +
		"To: " + to + "@bounces.overdue.example\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"BOUND\"\r\n\r\n" +
		"--BOUND\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n" +
		"--BOUND\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; ops@example.org\r\nAction: failed\r\nStatus: " + status + "\r\n" + diag + "\r\n" +
		"--BOUND--\r\n"
}

func TestBounces(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			const secret = "bounce-secret"
			a := apptest.New(t, apptest.Options{Engine: engine, Surfaces: func(a *apptest.App) server.Surfaces {
				return server.Surfaces{API: api.NewAPI(api.APIDeps{Store: a.Store, SiteRoot: "http://x", SecretKey: secret})}
			}})
			st := a.Store
			ctx := context.Background()
			now := time.Now().UTC()
			u := a.AddUser(model.User{Email: "o@example.org"}, "")
			p := a.AddProject(model.Project{OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString()})
			ch := a.AddChannel(model.Channel{ProjectID: p.ID, Kind: "email", Value: `{"value": "ops@example.org", "up": true, "down": true}`, EmailVerified: true})
			c := model.NewCheck(p.ID, now)
			c.Status = model.StatusUp
			must(t, st.CreateCheckWithChannels(ctx, &c, []int64{ch.ID}))
			must(t, st.ApplyPings(ctx, []int64{c.ID}, func(cs map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				cs[c.ID].Status = model.StatusDown
				return nil, []model.Flip{{CheckID: c.ID, Created: now, OldStatus: "up", NewStatus: "down", Reason: "fail"}}, nil
			}))
			ns, _ := st.ListNotifications(ctx, c.ID)
			code := ns[0].Code
			client := a.Client()
			post := func(body string) string {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, a.URL+"/api/v3/bounces/", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "message/rfc822")
				resp, b := client.Do(req)
				if resp.StatusCode != 200 {
					t.Errorf("status %d", resp.StatusCode)
				}
				return b
			}
			channel := func() model.Channel {
				got, err := st.ChannelByCode(ctx, ch.Code)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			id := auth.SignBounceID(secret, "n."+code, now)
			cases := []struct{ body, want string }{
				{dsn("n."+code+".69248100.0000000000000000", "5.1.1", ""), "OK (bad signature)"},
				{dsn(auth.SignBounceID("other", "n."+code, now), "5.1.1", ""), "OK (bad signature)"},
				{dsn(auth.SignBounceID(secret, "n."+code, now.Add(-49*time.Hour)), "5.1.1", ""), "OK (bad signature)"},
				{"not an email at all", "OK (bad signature)"},
				{dsn(id, "2.0.0", ""), "OK (ignored)"},
				{dsn(auth.SignBounceID(secret, "n."+uuid.NewString(), now), "5.1.1", ""), "OK (notification not found)"},
				{dsn(auth.SignBounceID(secret, "r.someone", now), "5.1.1", ""), "OK (user not found)"},
			}
			for _, c := range cases {
				if got := post(c.body); got != c.want {
					t.Errorf("%.60q… = %q, want %q", c.body, got, c.want)
				}
			}
			if got := channel(); got.LastError != "" || got.Disabled {
				t.Fatalf("channel changed by rejected bounces: %+v", got)
			}
			// A transient failure records the error; 5.4.4 counts as transient.
			if got := post(dsn(id, "5.4.4", "")); got != "OK" {
				t.Errorf("5.4.4 → %q", got)
			}
			if got := channel(); got.LastError != "Delivery failed (SMTP status code: 5.4.4)" || got.Disabled {
				t.Errorf("after 5.4.4: %+v", got)
			}
			// A permanent failure disables the channel, with the diagnostic.
			if got := post(dsn(id, "5.1.1", "550 5.1.1 <ops@example.org>: Recipient address rejected")); got != "OK" {
				t.Errorf("5.1.1 → %q", got)
			}
			got := channel()
			if got.LastError != "Delivery failed (550 5.1.1 <ops@example.org>: Recipient address rejected)" || !got.Disabled {
				t.Errorf("after 5.1.1: %+v", got)
			}
			// A report bounce names Overdue's user id, or, for a report
			// upstream sent before the import, the Django user name the
			// importer kept: either turns reports off.
			imported := a.AddUser(model.User{Email: "imported@example.org", Reports: "weekly"}, "")
			must(t, st.Import(ctx, now, false, func(it *store.ImportTx) error {
				_, err := it.PutUpstreamLogin(ctx, imported.ID, "5d1e0c7a-2b3f-4a8e-9c6d-7e8f9a", nil)
				return err
			}))
			for _, who := range []string{"r." + strconv.FormatInt(u.ID, 10), "r.5d1e0c7a-2b3f-4a8e-9c6d-7e8f9a"} {
				if got := post(dsn(auth.SignBounceID(secret, who, now), "5.1.1", "")); got != "OK" {
					t.Errorf("report bounce %s: %q", who, got)
				}
			}
			for _, id := range []int64{u.ID, imported.ID} {
				if got, err := st.UserByID(ctx, id); err != nil || got.Reports != "off" {
					t.Errorf("user %d after a report bounce: %q, %v", id, got.Reports, err)
				}
			}
		})
	}
}
