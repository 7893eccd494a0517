package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

// BenchmarkPing sends pings through the router to a real writer and store,
// by UUID and by ping key + slug, from parallel clients (the writer's group
// commit needs concurrency to batch). It is the hot path's guard: the
// UUID form must cost no query besides the writer's transaction.
func BenchmarkPing(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) { benchmarkPing(b, engine) })
	}
}

func benchmarkPing(b *testing.B, engine string) {
	a := apptest.New(b, apptest.Options{Engine: engine, NoServer: true, Writer: &ping.WriterOptions{}, Surfaces: func(a *apptest.App) server.Surfaces {
		return server.Surfaces{Pings: api.NewPings(a.Store, a.Writer, 10000, nil, nil)}
	}})
	now := time.Now()
	owner := a.AddUser(model.User{Email: "bench@example.org", CheckLimit: 10000}, "")
	proj := a.AddProject(model.Project{OwnerID: owner.ID, PingKey: "benchbenchbenchbenchbe", BadgeKey: "bench", Created: now})
	var codes, slugs []string
	for i := range 64 {
		c := a.AddCheck(proj.ID, now, func(c *model.Check) { c.Slug = "job-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) })
		codes, slugs = append(codes, c.Code), append(slugs, c.Slug)
	}
	h := a.Handler
	run := func(b *testing.B, path func(i int) string) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				req := httptest.NewRequest("POST", "http://hc.example/ping/"+path(i), nil)
				rw := &countingWriter{hdr: http.Header{}, code: 200}
				h.ServeHTTP(rw, req)
				if rw.code != 200 {
					b.Errorf("status %d", rw.code)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	}
	b.Run("uuid", func(b *testing.B) { run(b, func(i int) string { return codes[i%len(codes)] }) })
	b.Run("slug", func(b *testing.B) { run(b, func(i int) string { return proj.PingKey + "/" + slugs[i%len(slugs)] }) })
}
