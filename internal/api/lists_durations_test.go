package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestAPIPingDurationLookBack: like upstream, a success or failure whose
// start ping lies before the listed page still gets its duration, looked
// up among the older pings (within 72 hours, and only when the latest older
// ping of that run is a start).
func TestAPIPingDurationLookBack(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testAPIPingDurationLookBack(t, engine)
		})
	}
}

func testAPIPingDurationLookBack(t *testing.T, engine string) {
	e := newAPIEnv(t, engine, 0)
	ctx := context.Background()
	e.owner.PingLogLimit = 5
	if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
		t.Fatal(err)
	}
	ridA, ridB, ridC := uuid.NewString(), uuid.NewString(), uuid.NewString()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := e.addCheck(nil)
	e.addPings(c, []model.Ping{
		// Before the page (the newest 5):
		{Kind: model.PingStart, RID: ridC, Created: t0.Add(-73 * time.Hour)},
		{Kind: model.PingStart, RID: ridA, Created: at(0)},
		{Kind: model.PingStart, Created: at(10)},
		{Kind: model.PingStart, RID: ridB, Created: at(20)},
		{Kind: model.PingSuccess, RID: ridB, Created: at(30)},
		// The page:
		{Kind: model.PingSuccess, RID: ridC, Created: at(100)}, // its start is 73 h old: none
		{Kind: model.PingSuccess, RID: ridA, Created: at(110)}, // 110 s after ping 2
		{Kind: model.PingFail, Created: at(130)},               // 120 s after ping 3 (no run id)
		{Kind: model.PingSuccess, RID: ridB, Created: at(140)}, // ping 5 ended run B: none
		{Kind: model.PingLog, RID: ridA, Created: at(150)},     // logs have none
	})
	got := pingDurations(t, e, c)
	want := "10:-, 9:-, 8:120.0, 7:110.0, 6:-"
	if got != want {
		t.Errorf("durations %s, want %s", got, want)
	}

	// Upstream's cut-off: with more than ten successes or failures to look
	// up, the page shows no durations at all, not even those paired on the
	// page; with ten it shows them.
	for _, misses := range []int{10, 11} {
		e.owner.PingLogLimit = misses + 2
		if err := e.st.UpdateUser(ctx, &e.owner); err != nil {
			t.Fatal(err)
		}
		c := e.addCheck(nil)
		rid := uuid.NewString()
		pings := []model.Ping{{Kind: model.PingStart, RID: rid, Created: at(0)}, // before the page
			{Kind: model.PingStart, Created: at(1)}, {Kind: model.PingSuccess, Created: at(3)}}
		for i := range misses {
			pings = append(pings, model.Ping{Kind: model.PingSuccess, RID: rid, Created: at(10 + i)})
			rid = uuid.NewString()
		}
		e.addPings(c, pings)
		got := pingDurations(t, e, c)
		wantPaired := strings.Contains(got, "3:2.0")
		if wantPaired != (misses <= 10) || strings.Contains(got, "4:10.0") != (misses <= 10) {
			t.Errorf("%d look-ups: durations %s", misses, got)
		}
	}
}

// addPings stores pings numbered from 1 for c, oldest first. It numbers a
// copy: callers share one case table between engine subtests that run in
// parallel.
func (e *apiEnv) addPings(c model.Check, pings []model.Ping) {
	e.t.Helper()
	pings = slices.Clone(pings)
	for i := range pings {
		pings[i].CheckID, pings[i].N, pings[i].Scheme = c.ID, int64(i+1), "http"
	}
	err := e.st.ApplyPings(context.Background(), []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[c.ID].NPings = int64(len(pings))
		return pings, nil, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// pingDurations lists the ping list's "n:duration" pairs, "-" for none.
func pingDurations(t *testing.T, e *apiEnv, c model.Check) string {
	t.Helper()
	r := e.do("GET", "/api/v3/checks/"+c.Code+"/pings/", apiRW, "")
	if r.code != 200 {
		t.Fatalf("pings: %d %s", r.code, r.body)
	}
	var parts []string
	for _, p := range r.json(t)["pings"].([]any) {
		p := p.(map[string]any)
		d := "-"
		if v, ok := p["duration"]; ok {
			d = fmt.Sprintf("%.1f", v)
		}
		parts = append(parts, fmt.Sprintf("%v:%s", p["n"], d))
	}
	return strings.Join(parts, ", ")
}
