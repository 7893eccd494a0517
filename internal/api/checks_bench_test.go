package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// countingWriter is a ResponseWriter that keeps the status and the body's
// length only, as a network connection would take the bytes: the benchmark
// measures the handler, not a recorder's buffer.
type countingWriter struct {
	hdr  http.Header
	code int
	n    int
}

func (w *countingWriter) Header() http.Header         { return w.hdr }
func (w *countingWriter) WriteHeader(code int)        { w.code = code }
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// BenchmarkListChecks lists 1,000 checks (a third cron, a third OnCalendar,
// each linked to two channels) through the router, on SQLite and on the
// server engines named by OVERDUE_TEST_POSTGRES / OVERDUE_TEST_MYSQL. It
// reports the median and 90th percentile latency per request (p50-ms,
// p90-ms); the one-check sub-benchmark (GET checks/<uuid> of the same
// project) is the baseline measured in the same run. The target is a p50
// under 10 ms on SQLite and PostgreSQL.
func BenchmarkListChecks(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) { benchmarkListChecks(b, engine) })
	}
}

func benchmarkListChecks(b *testing.B, engine string) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := apptest.New(b, apptest.Options{Engine: engine, NoServer: true, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{API: api.NewAPI(api.APIDeps{Store: a.Store, SiteRoot: "http://hc.example",
			Now: func() time.Time { return now }, Cache: schedule.NewCache(0)})}
	}})
	owner := a.AddUser(model.User{Email: "bench@example.org", CheckLimit: 10000, PingLogLimit: 100}, "")
	proj := a.AddProject(model.Project{OwnerID: owner.ID, APIKey: auth.HashAPIKey(apiRW), PingKey: "benchbenchbenchbenchbe",
		BadgeKey: "bench", Created: now})
	for i := range 2 {
		a.AddChannel(model.Channel{ProjectID: proj.ID, Name: string(rune('a' + i)), Kind: "email"})
	}
	lp := now.Add(-10 * time.Minute)
	var one string
	for i := range 1000 {
		c := model.NewCheck(proj.ID, now)
		c.Name, c.Tags, c.Status, c.LastPing = "check", "prod db", model.StatusUp, &lp
		switch i % 3 {
		case 1:
			c.Kind, c.Schedule, c.TZ = model.KindCron, "*/5 * * * *", "Europe/Riga"
		case 2:
			c.Kind, c.Schedule = model.KindOnCalendar, "Mon..Fri 09:00"
		}
		// Linked to every channel of the project (AddCheck links none).
		if err := a.Store.CreateCheck(context.Background(), &c, true); err != nil {
			b.Fatal(err)
		}
		one = c.Code
	}
	h := a.Handler
	run := func(b *testing.B, path string, minBytes int) {
		var lat []time.Duration
		for b.Loop() {
			req := httptest.NewRequest("GET", "http://hc.example"+path, nil)
			req.Header.Set("X-Api-Key", apiRW)
			w := &countingWriter{hdr: http.Header{}, code: 200}
			start := time.Now()
			h.ServeHTTP(w, req)
			lat = append(lat, time.Since(start))
			if w.code != 200 || w.n < minBytes {
				b.Fatalf("%d, %d bytes", w.code, w.n)
			}
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
	}
	b.Run("list-1000", func(b *testing.B) { run(b, "/api/v3/checks/", 1000*500) })
	b.Run("get-one", func(b *testing.B) { run(b, "/api/v3/checks/"+one, 500) })
}
