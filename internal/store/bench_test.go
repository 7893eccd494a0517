package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// BenchmarkApplyPings measures the ping writer's transaction on SQLite: one
// batch of 100 pings, spread over 100 distinct checks (each distinct: the
// costly case, one UPDATE per check) or all to one check.
func BenchmarkApplyPings(b *testing.B) {
	const batch = 100
	for _, spread := range []int{batch, 1} {
		b.Run(fmt.Sprintf("sqlite/batch=%d/checks=%d", batch, spread), func(b *testing.B) {
			st := storetest.Open(b, "sqlite")
			ctx := context.Background()
			f := newFixture(b, st)
			ids := make([]int64, spread)
			for i := range ids {
				c := model.NewCheck(f.project.ID, t0)
				if err := st.CreateCheck(ctx, &c, false); err != nil {
					b.Fatal(err)
				}
				ids[i] = c.ID
			}
			body := []byte("backup finished: 1234 files, 5.6 GB")
			fn := func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				pings := make([]model.Ping, 0, batch)
				now := time.Now()
				for i := 0; i < batch; i++ {
					c := m[ids[i%len(ids)]]
					c.NPings++
					c.Status, c.LastPing = model.StatusUp, &now
					pings = append(pings, model.Ping{CheckID: c.ID, N: c.NPings, Created: now, Scheme: "http",
						RemoteAddr: "192.0.2.1", Method: "POST", UA: "curl/8.5.0", Body: body})
				}
				return pings, nil, nil
			}
			b.ResetTimer()
			for b.Loop() {
				if err := st.ApplyPings(ctx, ids, fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "pings/s")
		})
	}
}
