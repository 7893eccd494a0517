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

// TestListPingPreviewsFiltered: the events log's filters (kinds, time
// range, page) narrow the query on every engine.
func TestListPingPreviewsFiltered(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			t.Fatal(err)
		}
		kinds := []string{model.PingStart, model.PingSuccess, model.PingFail, model.PingLog, model.PingIgnored, model.PingSuccess}
		at := func(n int64) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
		err := st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			var ps []model.Ping
			for i, k := range kinds {
				n := int64(i + 1)
				ps = append(ps, model.Ping{CheckID: c.ID, N: n, Created: at(n), Kind: k, Scheme: "http", Method: "GET"})
			}
			m[c.ID].NPings = int64(len(kinds))
			return ps, nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ptr := func(t time.Time) *time.Time { return &t }
		cases := []struct {
			name string
			f    store.PingFilter
			want []int64
		}{
			{"all", store.PingFilter{}, []int64{6, 5, 4, 3, 2, 1}},
			{"success", store.PingFilter{Kinds: []string{model.PingSuccess}}, []int64{6, 2}},
			{"fail and start", store.PingFilter{Kinds: []string{model.PingFail, model.PingStart}}, []int64{3, 1}},
			{"no kind", store.PingFilter{Kinds: []string{}}, nil},
			{"before", store.PingFilter{Before: 4}, []int64{3, 2, 1}},
			{"since (inclusive)", store.PingFilter{Since: ptr(at(4))}, []int64{6, 5, 4}},
			{"until (exclusive)", store.PingFilter{Until: ptr(at(3))}, []int64{2, 1}},
			{"all of it", store.PingFilter{Kinds: []string{model.PingSuccess, model.PingLog}, Since: ptr(at(2)), Until: ptr(at(6)), Before: 6}, []int64{4, 2}},
		}
		for _, tc := range cases {
			got, err := st.ListPingPreviewsFiltered(ctx, c.ID, tc.f, 100)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ns []int64
			for _, p := range got {
				ns = append(ns, p.N)
			}
			if !slices.Equal(ns, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, ns, tc.want)
			}
		}
		if got, _ := st.ListPingPreviewsFiltered(ctx, c.ID, store.PingFilter{}, 2); len(got) != 2 || got[0].N != 6 {
			t.Errorf("limit 2: %d pings", len(got))
		}
	})
}

// TestEventsVersion: the fingerprint changes with a flip and with a
// notification's queueing and delivery, and not otherwise.
func TestEventsVersion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		ch := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Kind: "email", Value: "a@example.org", Created: t0}
		if err := st.CreateChannel(ctx, &ch); err != nil {
			t.Fatal(err)
		}
		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheck(ctx, &c, true); err != nil {
			t.Fatal(err)
		}
		version := func() string {
			t.Helper()
			v, err := st.EventsVersion(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v0 := version()
		if again := version(); again != v0 {
			t.Fatalf("unstable version: %q, %q", v0, again)
		}
		now := time.Now()
		err := st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			m[c.ID].Status = model.StatusDown
			return nil, []model.Flip{{CheckID: c.ID, Created: now, OldStatus: model.StatusNew, NewStatus: model.StatusDown}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v1 := version()
		if v1 == v0 {
			t.Fatal("a flip did not change the version")
		}
		claims, err := st.ClaimNotifications(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 1 {
			// The flip queues the email's notification with it.
			t.Fatalf("claimed %d notifications", len(claims))
		}
		v2 := version()
		if _, err := st.RecordResults(ctx, []store.SendResult{{NotificationID: claims[0].Notification.ID, Attempt: claims[0].Notification.Attempts,
			ChannelID: claims[0].Channel.ID, Started: now}}); err != nil {
			t.Fatal(err)
		}
		if v3 := version(); v3 == v2 || v3 == v1 {
			t.Errorf("a delivery did not change the version: %q → %q", v2, v3)
		}
		if _, err := st.EventsVersion(ctx, c.ID+1000); err != nil {
			t.Errorf("a check without events: %v", err)
		}
	})
}

// TestUserCheckStatesAndSuperuserAccess: ListUserCheckStates reads the
// checks of the projects a user owns or is in, and no others;
// ProjectAccess gives a superuser every project as a manager.
func TestUserCheckStatesAndSuperuserAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		bob := model.User{Email: "bob@example.org", Created: t0}
		root := model.User{Email: "root@example.org", Created: t0, IsSuperuser: true}
		for _, u := range []*model.User{&bob, &root} {
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		shared := model.Project{Code: uuid.NewString(), Name: "Shared", OwnerID: bob.ID, Created: t0}
		private := model.Project{Code: uuid.NewString(), Name: "Private", OwnerID: bob.ID, Created: t0}
		for _, p := range []*model.Project{&shared, &private} {
			if err := st.CreateProject(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.AddMember(ctx, shared.ID, f.user.ID, model.RoleReadOnly, t0); err != nil {
			t.Fatal(err)
		}
		want := map[int64]int64{}
		for _, p := range []model.Project{f.project, f.project, shared, private} {
			c := model.NewCheck(p.ID, t0)
			if err := st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
			if p.ID != private.ID {
				want[c.ID] = p.ID
			}
		}
		got, err := st.ListUserCheckStates(ctx, f.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d checks, want %d", len(got), len(want))
		}
		for _, c := range got {
			if want[c.ID] != c.ProjectID || c.Code == "" || c.Status != model.StatusNew {
				t.Errorf("check %d: project %d, want %d (%+v)", c.ID, c.ProjectID, want[c.ID], c)
			}
		}
		if _, role, err := st.ProjectAccess(ctx, private.Code, root.ID); err != nil || role != model.RoleManager {
			t.Errorf("superuser: %q, %v", role, err)
		}
		if _, _, err := st.ProjectAccess(ctx, private.Code, f.user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ordinary user: %v, want ErrNotFound", err)
		}
		if _, role, err := st.ProjectAccess(ctx, shared.Code, f.user.ID); err != nil || role != model.RoleReadOnly {
			t.Errorf("member: %q, %v", role, err)
		}
	})
}
