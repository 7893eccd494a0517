package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// POST /api/v3/notifications/<uuid>/status records a provider's late
// delivery report on the notification and its channel, and always answers
// 200 with an empty body.
func TestNotificationStatusCallback(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := apptest.New(t, apptest.Options{Engine: engine, Surfaces: func(a *apptest.App) server.Surfaces {
				return server.Surfaces{API: api.NewAPI(api.APIDeps{Store: a.Store, SiteRoot: "http://x"})}
			}})
			st := a.Store
			ctx := context.Background()
			now := time.Now().UTC()
			u := a.AddUser(model.User{Email: "o@example.org"}, "")
			p := a.AddProject(model.Project{OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString()})
			ch := a.AddChannel(model.Channel{ProjectID: p.ID, Kind: "sms", Value: `{"value": "+15555550100", "up": true, "down": true}`})
			c := model.NewCheck(p.ID, now)
			c.Status = model.StatusUp
			must(t, st.CreateCheckWithChannels(ctx, &c, []int64{ch.ID}))
			must(t, st.ApplyPings(ctx, []int64{c.ID}, func(cs map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				cs[c.ID].Status = model.StatusDown
				return nil, []model.Flip{{CheckID: c.ID, Created: now, OldStatus: "up", NewStatus: "down", Reason: "fail"}}, nil
			}))
			ns, err := st.ListNotifications(ctx, c.ID)
			if err != nil || len(ns) != 1 {
				t.Fatalf("notifications %+v %v", ns, err)
			}
			code := ns[0].Code

			client := a.Client()
			post := func(path string, form url.Values) (int, string) {
				t.Helper()
				resp, body := client.PostForm(a.URL+path, form)
				return resp.StatusCode, body
			}
			channel := func() model.Channel {
				chs, err := st.ListChannels(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				return chs[0]
			}
			// Unknown notification, and no error at all: 200, nothing changes.
			for _, path := range []string{"/api/v3/notifications/" + uuid.NewString() + "/status", "/api/v1/notifications/" + code + "/status"} {
				if sc, body := post(path, url.Values{"MessageStatus": {"delivered"}}); sc != 200 || body != "" {
					t.Errorf("POST %s = %d %q", path, sc, body)
				}
			}
			if got := channel(); got.LastError != "" || got.Disabled {
				t.Fatalf("channel changed without an error: %+v", got)
			}
			if sc, _ := post("/api/v3/notifications/"+code+"/status", url.Values{"MessageStatus": {"undelivered"}}); sc != 200 {
				t.Errorf("status %d", sc)
			}
			if got := channel(); got.LastError != "Delivery failed (status=undelivered)." || got.Disabled {
				t.Errorf("after Twilio undelivered: %+v", got)
			}
			long := strings.Repeat("é", 300)
			post("/api/v2/notifications/"+code+"/status", url.Values{"error": {long}, "mark_disabled": {"1"}})
			got := channel()
			if got.LastError != strings.Repeat("é", 200) || !got.Disabled {
				t.Errorf("after error+mark_disabled: disabled %v, last_error of %d runes", got.Disabled, len([]rune(got.LastError)))
			}
			ns, _ = st.ListNotifications(ctx, c.ID)
			if ns[0].Error != strings.Repeat("é", 200) {
				t.Errorf("notification error %q", ns[0].Error)
			}
			// GET is not allowed; an oversized form is still a quiet 200.
			resp, _ := client.Get(a.URL + "/api/v3/notifications/" + code + "/status")
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET = %d, want 405", resp.StatusCode)
			}
			if sc, _ := post("/api/v3/notifications/"+code+"/status", url.Values{"error": {strings.Repeat("x", 100_000)}}); sc != 200 {
				t.Errorf("oversized form: %d, want 200", sc)
			}
			// An hour-old notification is ignored.
			found, err := st.NotificationFeedback(ctx, code, now.Add(time.Hour), "late", false)
			if err != nil || found {
				t.Errorf("feedback for a notification older than the window: found %v err %v", found, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
