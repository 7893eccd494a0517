package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestChannelPageOperations(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			u := mkUser(t, st, "alice@example.org")
			p := mkProject(t, st, u, "aaaaaaaa-0000-4000-8000-00000000000a")
			other := mkProject(t, st, u, "bbbbbbbb-0000-4000-8000-00000000000b")
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			var checks []model.Check
			for _, pid := range []int64{p.ID, p.ID, other.ID} {
				c := model.NewCheck(pid, now)
				if err := st.CreateCheck(ctx, &c, false); err != nil {
					t.Fatal(err)
				}
				checks = append(checks, c)
			}
			ch := model.Channel{Code: "cccccccc-0000-4000-8000-00000000000c", ProjectID: p.ID, Kind: "webhook", Value: "{}", Created: now}
			if err := st.CreateChannel(ctx, &ch); err != nil {
				t.Fatal(err)
			}
			// Another project's check is ignored, not linked.
			if err := st.SetChannelChecks(ctx, ch.ID, []int64{checks[0].ID, checks[2].ID}); err != nil {
				t.Fatal(err)
			}
			ids, err := st.ChannelCheckIDs(ctx, ch.ID)
			if err != nil || !slices.Equal(ids, []int64{checks[0].ID}) {
				t.Fatalf("linked %v, %v; want only the first check", ids, err)
			}
			if err := st.SetChannelChecks(ctx, ch.ID, []int64{checks[1].ID, checks[0].ID}); err != nil {
				t.Fatal(err)
			}
			counts, err := st.ChannelCheckCounts(ctx, p.ID)
			if err != nil || counts[ch.ID] != 2 || len(counts) != 1 {
				t.Fatalf("counts %v, %v", counts, err)
			}
			if err := st.RenameChannel(ctx, ch.ID, "Ops <pager>"); err != nil {
				t.Fatal(err)
			}
			if err := st.RecordChannelTest(ctx, ch.ID, now, 1500*time.Millisecond, "Received status code 404", true); err != nil {
				t.Fatal(err)
			}
			got, err := st.ChannelByCode(ctx, ch.Code)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Ops <pager>" || got.LastError != "Received status code 404" || !got.Disabled ||
				got.LastNotify == nil || !got.LastNotify.Equal(now) || got.LastNotifyDuration == nil || *got.LastNotifyDuration != 1500*time.Millisecond {
				t.Errorf("after rename and test: %+v", got)
			}
			// A later successful test clears the error but does not re-enable.
			if err := st.RecordChannelTest(ctx, ch.ID, now, time.Second, "", false); err != nil {
				t.Fatal(err)
			}
			if got, _ = st.ChannelByCode(ctx, ch.Code); got.LastError != "" || !got.Disabled {
				t.Errorf("after a good test: %+v", got)
			}
			if err := st.DeleteChannel(ctx, ch.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ChannelByCode(ctx, ch.Code); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("after delete: %v", err)
			}
			if counts, _ := st.ChannelCheckCounts(ctx, p.ID); len(counts) != 0 {
				t.Errorf("links survived the channel: %v", counts)
			}
			for _, err := range []error{st.DeleteChannel(ctx, ch.ID), st.RenameChannel(ctx, ch.ID, "x"),
				st.RecordChannelTest(ctx, ch.ID, now, 0, "", false)} {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("on a missing channel: %v", err)
				}
			}
		})
	}
}
