package api_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// BenchmarkListChecks lists 1,000 checks (a third cron, a third OnCalendar,
// each linked to two channels) through the router on SQLite: two queries and
// cached schedule parses per request.
func BenchmarkListChecks(b *testing.B) {
	st := storetest.Open(b, "sqlite")
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	owner := model.User{Email: "bench@example.org", Password: "!", CheckLimit: 10000, PingLogLimit: 100}
	if err := st.CreateUser(ctx, &owner); err != nil {
		b.Fatal(err)
	}
	proj := model.Project{Code: uuid.NewString(), OwnerID: owner.ID, APIKey: auth.HashAPIKey(apiRW), PingKey: "benchbenchbenchbenchbe",
		BadgeKey: "bench", Created: now}
	if err := st.CreateProject(ctx, &proj); err != nil {
		b.Fatal(err)
	}
	for i := range 2 {
		ch := model.Channel{Code: uuid.NewString(), ProjectID: proj.ID, Name: string(rune('a' + i)), Kind: "email"}
		if err := st.CreateChannel(ctx, &ch); err != nil {
			b.Fatal(err)
		}
	}
	lp := now.Add(-10 * time.Minute)
	for i := range 1000 {
		c := model.NewCheck(proj.ID, now)
		c.Name, c.Tags, c.Status, c.LastPing = "check", "prod db", model.StatusUp, &lp
		switch i % 3 {
		case 1:
			c.Kind, c.Schedule, c.TZ = model.KindCron, "*/5 * * * *", "Europe/Riga"
		case 2:
			c.Kind, c.Schedule = model.KindOnCalendar, "Mon..Fri 09:00"
		}
		if err := st.CreateCheck(ctx, &c, true); err != nil {
			b.Fatal(err)
		}
	}
	h := server.Handler(server.Options{API: api.NewAPI(api.APIDeps{Store: st, SiteRoot: "http://hc.example",
		Now: func() time.Time { return now }, Cache: schedule.NewCache(0)})})
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://hc.example/api/v3/checks/", nil)
		req.Header.Set("X-Api-Key", apiRW)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() < 1000*500 {
			b.Fatalf("%d, %d bytes", rec.Code, rec.Body.Len())
		}
	}
}
