package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

func TestUserAccountChanges(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		alice := mkUser(t, st, "alice@example.org")
		bob := mkUser(t, st, "bob@example.org")
		if got, _ := st.UserByID(ctx, alice.ID); got.Theme != model.ThemeSystem {
			t.Errorf("new user's theme %q, want %q", got.Theme, model.ThemeSystem)
		}

		// Theme.
		if err := st.SetUserTheme(ctx, alice.ID, model.ThemeDark); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByID(ctx, alice.ID); got.Theme != model.ThemeDark {
			t.Errorf("theme %q after SetUserTheme(dark)", got.Theme)
		}
		if err := st.SetUserTheme(ctx, 99999, model.ThemeDark); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserTheme(unknown) = %v", err)
		}

		// Email: another user's address, in any case, is taken.
		if err := st.SetUserEmail(ctx, alice.ID, "BOB@example.org"); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("SetUserEmail(bob's) = %v, want ErrDuplicate", err)
		}
		if err := st.SetUserEmail(ctx, alice.ID, "Alice.New@example.org"); err != nil {
			t.Fatal(err)
		}
		if got, err := st.UserByEmail(ctx, "alice.new@EXAMPLE.org"); err != nil || got.ID != alice.ID || got.Email != "Alice.New@example.org" {
			t.Errorf("after SetUserEmail: %+v, %v", got, err)
		}
		if _, err := st.UserByEmail(ctx, "alice@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the old address still finds a user: %v", err)
		}

		// Password: outstanding login links stop working.
		if err := st.CreateLoginToken(ctx, "tok-a", alice.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateLoginToken(ctx, "tok-b", bob.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.SetUserPassword(ctx, alice.ID, "argon2id$new"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByID(ctx, alice.ID); got.Password != "argon2id$new" {
			t.Errorf("password %q", got.Password)
		}
		if _, err := st.UseLoginToken(ctx, "tok-a", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice's login link survived a password change: %v", err)
		}
		if id, err := st.UseLoginToken(ctx, "tok-b", now); err != nil || id != bob.ID {
			t.Errorf("bob's login link: %d, %v", id, err)
		}
		if err := st.SetUserPassword(ctx, 99999, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserPassword(unknown) = %v", err)
		}
	})
}

func TestDeleteUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		alice := mkUser(t, st, "alice@example.org")
		bob := mkUser(t, st, "bob@example.org")
		mine := mkProject(t, st, alice, "aaaaaaaa-0000-4000-8000-00000000000a")
		theirs := mkProject(t, st, bob, "bbbbbbbb-0000-4000-8000-00000000000b")
		var checks []model.Check
		for _, pid := range []int64{mine.ID, theirs.ID} {
			c := model.NewCheck(pid, now)
			if err := st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
			checks = append(checks, c)
			ch := model.Channel{Code: c.Code, ProjectID: pid, Kind: "webhook", Value: "{}", Created: now}
			if err := st.CreateChannelForAllChecks(ctx, &ch); err != nil {
				t.Fatal(err)
			}
		}
		// Alice is also in bob's team, and has a session and a login link.
		if err := st.AddMember(ctx, theirs.ID, alice.ID, model.RoleMember, now); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateSession(ctx, "sess-a", alice.ID, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateLoginToken(ctx, "tok-a", alice.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		if err := st.DeleteUser(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UserByID(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user: %v", err)
		}
		if _, err := st.ProjectByID(ctx, mine.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("owned project: %v", err)
		}
		if _, err := st.CheckByCode(ctx, checks[0].Code); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("owned check: %v", err)
		}
		if chs, err := st.ListChannels(ctx, mine.ID); err != nil || len(chs) != 0 {
			t.Errorf("owned channels: %d, %v", len(chs), err)
		}
		if _, _, err := st.SessionUser(ctx, "sess-a", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session: %v", err)
		}
		if _, err := st.UseLoginToken(ctx, "tok-a", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("login link: %v", err)
		}
		// Bob's project, check, channel and team lose only alice.
		if _, err := st.CheckByCode(ctx, checks[1].Code); err != nil {
			t.Errorf("bob's check: %v", err)
		}
		if chs, err := st.ListChannels(ctx, theirs.ID); err != nil || len(chs) != 1 {
			t.Errorf("bob's channels: %d, %v", len(chs), err)
		}
		if ms, err := st.ListMembers(ctx, theirs.ID); err != nil || len(ms) != 0 {
			t.Errorf("bob's team: %+v, %v", ms, err)
		}
		if err := st.DeleteUser(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting again: %v", err)
		}
	})
}

func TestCreateSignedUpAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		taken := mkUser(t, st, "taken@example.org")
		tp := mkProject(t, st, taken, "aaaaaaaa-0000-4000-8000-00000000000a")
		ch0 := model.Channel{Code: "cccccccc-0000-4000-8000-00000000000c", ProjectID: tp.ID, Kind: "email", Value: "x", Created: now}
		if err := st.CreateChannel(ctx, &ch0); err != nil {
			t.Fatal(err)
		}
		// A channel that cannot be written (its code is taken): no user,
		// no project either.
		u := model.User{Email: "new@example.org", Created: now}
		p := model.Project{Code: "bbbbbbbb-0000-4000-8000-00000000000b", Name: "My Project", Created: now}
		ch := model.Channel{Code: ch0.Code, Kind: "email", Value: "new@example.org", EmailVerified: true, Created: now}
		if err := st.CreateSignedUpAccount(ctx, &u, &p, &ch); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate channel code: %v", err)
		}
		if _, err := st.UserByEmail(ctx, "new@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user left behind: %v", err)
		}
		if _, err := st.ProjectByCode(ctx, p.Code); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("project left behind: %v", err)
		}
		if u.ID != 0 || p.ID != 0 || ch.ID != 0 {
			t.Errorf("ids kept after a rollback: %d %d %d", u.ID, p.ID, ch.ID)
		}
		ch.Code = "dddddddd-0000-4000-8000-00000000000d"
		if err := st.CreateSignedUpAccount(ctx, &u, &p, &ch); err != nil {
			t.Fatal(err)
		}
		chs, err := st.ListChannels(ctx, p.ID)
		if err != nil || len(chs) != 1 || !chs[0].EmailVerified || p.OwnerID != u.ID {
			t.Errorf("channels %+v, %v; owner %d", chs, err, p.OwnerID)
		}
		// Without a channel.
		u2 := model.User{Email: "other@example.org", Created: now}
		p2 := model.Project{Code: "eeeeeeee-0000-4000-8000-00000000000e", Created: now}
		if err := st.CreateSignedUpAccount(ctx, &u2, &p2, nil); err != nil || p2.OwnerID != u2.ID {
			t.Errorf("without a channel: %v", err)
		}
	})
}
