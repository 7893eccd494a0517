package alerts_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store/storetest"
)

// noMail is the mailer of a registry whose email kind is not used.
type noMail struct{}

func (noMail) Send(context.Context, *mailer.Message) error { return nil }

// A group fans out through the real registry to real webhooks and a Slack
// webhook at HTTP servers, and each member keeps its own outcome, as
// upstream's members do: a notification row with its error, its last
// error, and disabled after a permanent error. A member that does not send
// the event gets nothing. Runs on every engine.
func TestGroupMembersKeepTheirOutcomes(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			var hits atomic.Int64
			answer := func(status int) string {
				srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					rw.WriteHeader(status)
				}))
				t.Cleanup(srv.Close)
				return srv.URL
			}
			hook := func(down, up string) string {
				return `{"method_down": "POST", "url_down": "` + down + `", "body_down": "$NAME", "headers_down": {}, "method_up": "GET", "url_up": "` + up + `", "body_up": "", "headers_up": {}}`
			}
			ctx := t.Context()
			c := w.check(t, "db-backup")
			ok := w.channel(t, "webhook", hook(answer(200)+"/down", ""))
			failing := w.channel(t, "webhook", hook(answer(500)+"/down", ""))
			gone := w.channel(t, "slack", answer(404)+"/services/T/B/X")
			upOnly := w.channel(t, "webhook", hook("", answer(200)+"/up"))
			group := w.channel(t, "group", strings.Join([]string{ok.Code, failing.Code, gone.Code, upOnly.Code}, ","))
			if err := w.st.SetCheckChannels(ctx, c.ID, []int64{group.ID}); err != nil {
				t.Fatal(err)
			}
			reg, err := kinds.New().Transports(notify.Deps{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true}),
				Channels: w.st.ProjectChannelsByCode, RecordMember: w.st.RecordMemberSend, Mailer: noMail{}})
			if err != nil {
				t.Fatal(err)
			}
			r := w.start(t, reg, nil)
			r.ping(t, c, ping.ActionSuccess)
			idle := r.engine.Idle()
			w.clock.Set(w.clock.Now().Add(3 * time.Minute))
			waitClosed(t, idle, "the engine's pass")
			if res := r.recorded(t); res.ChannelID != group.ID || res.Error != "2 out of 4 notifications failed" || res.RetryAt != nil {
				t.Fatalf("the group's result: %+v", res)
			}
			// 1 + 3 tries + 1 (404 is permanent) + 0 (no "down" URL).
			if n := hits.Load(); n != 5 {
				t.Errorf("%d requests, want 5", n)
			}
			rows, err := w.st.ListNotifications(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			byChannel := map[int64]model.Notification{}
			for _, n := range rows {
				if _, dup := byChannel[n.ChannelID]; dup {
					t.Errorf("two rows for channel %d", n.ChannelID)
				}
				byChannel[n.ChannelID] = n
			}
			if len(rows) != 4 {
				t.Errorf("%d notification rows, want the group's and 3 members'", len(rows))
			}
			if _, ok := byChannel[upOnly.ID]; ok {
				t.Error("a member that sends no \"down\" got a notification row")
			}
			for _, want := range []struct {
				ch       model.Channel
				status   string
				err      string
				disabled bool
			}{
				{ok, "sent", "", false},
				{failing, "failed", "Received status code 500", false},
				{gone, "failed", "Received status code 404", true},
			} {
				n := byChannel[want.ch.ID]
				if n.Status != want.status || n.Error != want.err || n.CheckStatus != model.StatusDown || n.FlipID == nil || n.Code == "" ||
					n.Code == byChannel[group.ID].Code || n.Duration == nil {
					t.Errorf("%s's row: %+v, want %s %q", want.ch.Kind, n, want.status, want.err)
				}
				got, err := w.st.ChannelByCode(ctx, want.ch.Code)
				if err != nil || got.LastError != want.err || got.Disabled != want.disabled || got.LastNotify == nil {
					t.Errorf("%s channel: last error %q, disabled %v, last notify %v (%v); want %q, %v", want.ch.Kind, got.LastError, got.Disabled, got.LastNotify, err, want.err, want.disabled)
				}
			}
			if got, _ := w.st.ChannelByCode(ctx, upOnly.Code); got.LastNotify != nil {
				t.Error("the no-op member's channel was touched")
			}
			// Nothing a member row holds is claimed and sent again.
			claims, err := w.st.ClaimNotifications(ctx, w.clock.Now().Add(time.Hour), time.Minute, 100)
			if err != nil || len(claims) != 0 {
				t.Errorf("claimable after the send: %d rows (%v)", len(claims), err)
			}

			// A test notification of the group keeps the members' outcomes
			// on their channels only (a test has no notification rows).
			before := len(rows)
			tester := &alerts.Tester{Store: w.st, Transports: reg, SiteRoot: "https://overdue.example", Now: w.clock.Now}
			if err := tester.Send(context.Background(), group, w.project); err == nil || err.Error() != "1 out of 3 notifications failed" {
				t.Errorf("test of the group: %v", err)
			}
			if got, _ := w.st.ChannelByCode(ctx, failing.Code); got.LastError != "Received status code 500" || got.LastNotify == nil {
				t.Errorf("the failing member after the test: %+v", got)
			}
			if rows, _ := w.st.ListNotifications(ctx, c.ID); len(rows) != before {
				t.Errorf("the test added rows: %d, want %d", len(rows), before)
			}
		})
	}
}
