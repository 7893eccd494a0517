package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// BenchmarkDashboard measures the server side of issue 10's targets: the
// checks page and its live-update poll with 1,000 checks on SQLite,
// through the real router, session lookup and store, over a loopback
// socket. It reports the page weight next to the time.
//
//	go test -run '^$' -bench Dashboard -benchtime 200x ./internal/web
func BenchmarkDashboard(b *testing.B) {
	e := newEnv(b, "sqlite")
	ctx := context.Background()
	u := e.user("alice@example.org", "correct horse")
	p := model.Project{Code: "aaaaaaaa-0000-4000-8000-0000000000bb", Name: "Fleet", OwnerID: u.ID}
	if err := e.st.CreateProject(ctx, &p); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range 1000 {
		c := model.NewCheck(p.ID, now.Add(time.Duration(i)*time.Second))
		c.Name, c.Tags, c.Slug = fmt.Sprintf("job %d", i), fmt.Sprintf("team%d prod", i%7), fmt.Sprintf("job-%d", i)
		last := now.Add(-time.Duration(i) * time.Minute)
		c.Status, c.LastPing = model.StatusUp, &last
		if i%5 == 0 {
			c.Kind, c.Schedule, c.TZ = model.KindCron, "*/15 * * * *", "Europe/Riga"
		}
		if err := e.st.CreateCheck(ctx, &c, false); err != nil {
			b.Fatal(err)
		}
	}
	c := e.client()
	resp, err := c.PostForm(e.base+"/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("log in: %v", err)
	}
	resp.Body.Close()
	// The browser's request: same-origin, gzip accepted. The transport
	// leaves the body compressed, so bytes/page is what goes on the wire.
	c.Transport = &http.Transport{DisableCompression: true}
	for _, bc := range []struct {
		name, path string
		gzip       bool
	}{
		{"page", "/projects/" + p.Code + "/checks/", false},
		{"page-gzip", "/projects/" + p.Code + "/checks/", true},
		{"status", "/projects/" + p.Code + "/checks/status/", false},
		{"status-gzip", "/projects/" + p.Code + "/checks/status/", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int64
			req, _ := http.NewRequest("GET", e.base+bc.path, nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if bc.gzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			for b.Loop() {
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", bc.path, resp.StatusCode)
				}
			}
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}
