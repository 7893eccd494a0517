package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

func TestAPIQueries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		var chans []model.Channel
		for _, name := range []string{"a", "b"} {
			ch := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Name: name, Kind: "email", Created: t0}
			if err := st.CreateChannel(ctx, &ch); err != nil {
				t.Fatal(err)
			}
			chans = append(chans, ch)
		}

		// Create with links; links by project and by check.
		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheckWithChannels(ctx, &c, []int64{chans[0].ID, chans[1].ID}); err != nil {
			t.Fatal(err)
		}
		bare := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheckWithChannels(ctx, &bare, nil); err != nil {
			t.Fatal(err)
		}
		links, err := st.ChannelCodesByCheck(ctx, f.project.ID)
		if err != nil || len(links[c.ID]) != 2 || len(links[bare.ID]) != 0 {
			t.Fatalf("links %v %v", links, err)
		}
		codes, err := st.CheckChannelCodes(ctx, c.ID)
		slices.Sort(codes)
		want := []string{chans[0].Code, chans[1].Code}
		slices.Sort(want)
		if err != nil || !slices.Equal(codes, want) {
			t.Fatalf("codes %v %v", codes, err)
		}

		// A config edit leaves the ping-owned columns alone.
		lp := t0us()
		err = st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			m[c.ID].NPings, m[c.ID].LastPing, m[c.ID].Status = 7, &lp, model.StatusUp
			return nil, nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		aa := t0us().Add(time.Hour)
		got, err := st.EditCheckConfig(ctx, c.ID, func(c *model.Check) (store.CheckEdit, error) {
			if c.NPings != 7 {
				t.Errorf("edit sees n_pings %d", c.NPings)
			}
			c.Name, c.Kind, c.Schedule, c.TZ, c.Grace, c.AlertAfter = "renamed", model.KindCron, "0 5 * * *", "Europe/Riga", 2*time.Minute, &aa
			c.NPings = 0 // must not be written
			return store.CheckEdit{SetChannels: true, ChannelIDs: []int64{chans[1].ID}}, nil
		})
		if err != nil || got.Name != "renamed" {
			t.Fatalf("edit: %v %+v", err, got)
		}
		back, _ := st.CheckByID(ctx, c.ID)
		if back.Name != "renamed" || back.Kind != model.KindCron || back.TZ != "Europe/Riga" || back.NPings != 7 ||
			back.AlertAfter == nil || !back.AlertAfter.Equal(aa) || back.Grace != 2*time.Minute {
			t.Errorf("after edit %+v", back)
		}
		if codes, _ := st.CheckChannelCodes(ctx, c.ID); !slices.Equal(codes, []string{chans[1].Code}) {
			t.Errorf("channels after edit %v", codes)
		}
		if _, err := st.EditCheckConfig(ctx, 999999, func(*model.Check) (store.CheckEdit, error) { return store.CheckEdit{}, nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing check: %v", err)
		}

		// State edits write a flip; ErrUnchanged writes nothing.
		now := t0us().Add(time.Minute)
		_, err = st.EditCheckState(ctx, c.ID, func(c *model.Check) (*model.Flip, error) {
			f := &model.Flip{Created: now, OldStatus: c.Status, NewStatus: model.StatusPaused, Processed: &now}
			c.Status, c.AlertAfter, c.LastStart = model.StatusPaused, nil, nil
			return f, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.EditCheckState(ctx, c.ID, func(*model.Check) (*model.Flip, error) { return nil, store.ErrUnchanged }); err != nil {
			t.Fatal(err)
		}
		back, _ = st.CheckByID(ctx, c.ID)
		if back.Status != model.StatusPaused || back.AlertAfter != nil || back.LastPing == nil {
			t.Errorf("after pause %+v", back)
		}
		flips, err := st.ListFlipsBetween(ctx, c.ID, nil, nil)
		if err != nil || len(flips) != 1 || flips[0].OldStatus != model.StatusUp || flips[0].Processed == nil {
			t.Fatalf("flips %+v %v", flips, err)
		}
		since, until := now, now.Add(time.Second)
		if fl, _ := st.ListFlipsBetween(ctx, c.ID, &since, &until); len(fl) != 1 {
			t.Errorf("flips in range: %d", len(fl))
		}
		if fl, _ := st.ListFlipsBetween(ctx, c.ID, &until, nil); len(fl) != 0 {
			t.Errorf("flips after: %d", len(fl))
		}

		// Ping infos without bodies; bodies one at a time.
		err = st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			return []model.Ping{
				{CheckID: c.ID, N: 8, Created: now, Body: []byte("body")},
				{CheckID: c.ID, N: 9, Created: now, Kind: model.PingLog},
			}, nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		infos, err := st.ListPingInfos(ctx, c.ID, 10)
		if err != nil || len(infos) != 2 || infos[0].N != 9 || infos[0].HasBody || !infos[1].HasBody || infos[1].Body != nil {
			t.Fatalf("infos %+v %v", infos, err)
		}
		if infos, _ := st.ListPingInfos(ctx, c.ID, 1); len(infos) != 1 {
			t.Errorf("limit: %d", len(infos))
		}
		if b, err := st.PingBody(ctx, c.ID, 8); err != nil || string(b) != "body" {
			t.Errorf("body %q %v", b, err)
		}
		if _, err := st.PingBody(ctx, c.ID, 99); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing body: %v", err)
		}

		ops, err := st.Ops(ctx)
		if err != nil || ops.MaxPingID == nil || ops.MaxNotificationID != nil || ops.NumUnprocessedFlips != 0 {
			t.Errorf("ops %+v %v", ops, err)
		}
	})
}
