package checks

import (
	"context"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// MaxRunDuration is upstream's MAX_DURATION: a start older than this does
// not pair with a later success or failure.
const MaxRunDuration = 72 * time.Hour

// RunStore is what RunDurations reads; *store.Store implements it.
type RunStore interface {
	LatestRunEvents(ctx context.Context, checkID int64, lookups []store.RunLookup) (map[string]store.RunEvent, error)
}

// RunDurations returns the run duration of each success and failure among
// pings (a page of a check's pings, newest first), keyed by index, as
// upstream's prepare_durations: paired with the latest start of the same
// run id. full says the page may have older pings after it (it is as long
// as its limit); then the runs whose start may lie before the page are
// looked up with one query, unless there are more than ten of them, when
// the page shows no durations at all.
func RunDurations(ctx context.Context, st RunStore, checkID int64, pings []store.PingInfo, full bool) (map[int]time.Duration, error) {
	durations, misses := runDurations(pings)
	switch {
	case len(misses) > maxLookBacks:
		clear(durations)
	case len(misses) > 0 && full:
		if err := lookBack(ctx, st, checkID, pings, misses, durations); err != nil {
			return nil, err
		}
	}
	return durations, nil
}

// maxLookBacks is upstream's limit in prepare_durations: when more than ten
// successes or failures of a page may have their start before the page,
// the list shows no durations at all rather than look them all up.
const maxLookBacks = 10

// runDurations pairs each success or failure with the latest start of the
// same run id before it (less than 72 hours before, with no other success
// or failure of that run in between), as upstream's prepare_durations does
// for the pings it lists. pings are newest first; the result is keyed by
// index. misses are the indexes of the successes and failures whose run has
// no earlier start, success or failure on the page and that came less than
// 72 hours after the page's oldest ping: their start may lie before the
// page, and upstream looks it up (Ping.duration). At most one per run id.
func runDurations(pings []store.PingInfo) (out map[int]time.Duration, misses []int) {
	out = map[int]time.Duration{}
	if len(pings) == 0 {
		return out, nil
	}
	earliest := pings[len(pings)-1].Created
	starts := map[string]*time.Time{}
	for i := len(pings) - 1; i >= 0; i-- {
		p := &pings[i]
		switch p.Kind {
		case model.PingStart:
			t := p.Created
			starts[p.RID] = &t
		case model.PingSuccess, model.PingFail:
			if start, seen := starts[p.RID]; !seen {
				if p.Created.Sub(earliest) < MaxRunDuration {
					misses = append(misses, i)
				}
			} else if start != nil {
				if d := p.Created.Sub(*start); d < MaxRunDuration {
					out[i] = d
				}
			}
			starts[p.RID] = nil
		}
	}
	return out, misses
}

// lookBack completes runDurations for the misses with one query: for each,
// the latest start, success or failure of its run among the older pings
// within 72 hours, a start giving the duration (upstream's Ping.duration,
// which also skips ping number 1). A full page is needed for there to be
// older pings at all.
func lookBack(ctx context.Context, st RunStore, checkID int64, pings []store.PingInfo, misses []int, durations map[int]time.Duration) error {
	lookups := make([]store.RunLookup, 0, len(misses))
	for _, i := range misses {
		if p := &pings[i]; p.N != 1 {
			lookups = append(lookups, store.RunLookup{Before: p.ID, Since: p.Created.Add(-MaxRunDuration), RID: p.RID})
		}
	}
	found, err := st.LatestRunEvents(ctx, checkID, lookups)
	if err != nil {
		return err
	}
	for _, i := range misses {
		p := &pings[i]
		if ev, ok := found[p.RID]; ok && ev.Kind == model.PingStart && p.N != 1 {
			durations[i] = p.Created.Sub(ev.Created)
		}
	}
	return nil
}
