package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// TestApplyPingsBatchSizes drives ApplyPings across the batch sizes where
// the statements change shape: SQLite's padded IN-list buckets (3 and 65
// ids pad up, 513 and more split into two loads) and power-of-two INSERT
// chunks, PostgreSQL's arrays and MySQL's one-statement write-back and
// 500-row INSERT chunks. Every check and ping written must read back as fn
// left it, and checks outside the batch must stay untouched.
func TestApplyPingsBatchSizes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		const nChecks = 600
		ids := make([]int64, nChecks)
		for i := range ids {
			c := model.NewCheck(f.project.ID, t0)
			if err := st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatalf("CreateCheck: %v", err)
			}
			ids[i] = c.ID
		}
		nPings := map[int64]int64{}
		for round, size := range []int{1, 2, 3, 7, 64, 65, 257, 513, 600} {
			// A window that moves each round, so batches mix touched and
			// untouched checks; one id twice and one missing id.
			batch := make([]int64, 0, size+2)
			for i := range size {
				batch = append(batch, ids[(round*37+i)%nChecks])
			}
			batch = append(batch, batch[0], 1<<40)
			var want map[int64]*model.Check
			total := 0
			err := st.ApplyPings(ctx, batch, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				want = m
				if len(m) != size {
					return nil, nil, fmt.Errorf("got %d checks, want %d", len(m), size)
				}
				var pings []model.Ping
				for _, id := range batch[:size] {
					c := m[id]
					// 1–3 pings per check, so the INSERT sizes vary too.
					for k := range 1 + int(id%3) {
						c.NPings++
						at := t0.Add(time.Duration(round*1000+k) * time.Millisecond)
						c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &at, &at
						if k == 1 {
							d := time.Duration(id) * time.Microsecond
							c.LastStart, c.LastStartRID, c.LastDuration = &at, fmt.Sprintf("00000000-0000-4000-8000-%012d", id), &d
						}
						exit := int(id % 256)
						p := model.Ping{CheckID: id, N: c.NPings, Created: at, Kind: model.PingSuccess, Scheme: "http",
							Method: "GET", UA: fmt.Sprint("ua-", id), Body: []byte(fmt.Sprint("body ", id, " ", k))}
						if k == 2 {
							p.ExitStatus, p.Body = &exit, nil
						}
						pings = append(pings, p)
					}
				}
				total = len(pings)
				return pings, nil, nil
			})
			if err != nil {
				t.Fatalf("round %d (%d checks): ApplyPings: %v", round, size, err)
			}
			for id, c := range want {
				nPings[id] = c.NPings
			}
			list, err := st.ListChecks(ctx, f.project.ID)
			if err != nil {
				t.Fatalf("ListChecks: %v", err)
			}
			for _, got := range list {
				if w, ok := want[got.ID]; ok {
					if d := checkDiff(pingColumns(got), *w); d != "" {
						t.Fatalf("round %d (%d checks, %d pings): check %d%s", round, size, total, got.ID, d)
					}
				} else if got.NPings != nPings[got.ID] {
					t.Fatalf("round %d: check %d outside the batch has n_pings %d, want %d", round, got.ID, got.NPings, nPings[got.ID])
				}
			}
		}
		// Spot-check the ping rows of one check that got three pings a round.
		for _, id := range ids {
			if id%3 != 2 || nPings[id] == 0 {
				continue
			}
			pings, err := st.ListPings(ctx, id, 0)
			if err != nil {
				t.Fatalf("ListPings: %v", err)
			}
			if int64(len(pings)) != nPings[id] {
				t.Fatalf("check %d has %d pings, want %d", id, len(pings), nPings[id])
			}
			for i, p := range pings {
				if p.N != nPings[id]-int64(i) || p.UA != fmt.Sprint("ua-", id) {
					t.Errorf("check %d ping %d = n %d ua %q", id, i, p.N, p.UA)
				}
				if p.ExitStatus != nil {
					if *p.ExitStatus != int(id%256) || p.Body != nil {
						t.Errorf("check %d ping n=%d: exit %d body %q, want exit %d and a NULL body", id, p.N, *p.ExitStatus, p.Body, id%256)
					}
				} else if len(p.Body) == 0 {
					t.Errorf("check %d ping n=%d lost its body", id, p.N)
				}
			}
			break
		}
	})
}
