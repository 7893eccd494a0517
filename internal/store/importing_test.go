package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// importAll runs one import of a user, a project, a member, a check, a
// channel, its link, two pings and a flip, and returns the actions.
func importAll(t *testing.T, st *store.Store, dryRun bool, name string) []store.ImportAction {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var got []store.ImportAction
	err := st.Import(ctx, now, dryRun, func(it *store.ImportTx) error {
		add := func(a store.ImportAction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a)
		}
		u := model.User{Email: "Alice@Example.org", Password: "pbkdf2_sha256$1$s$aGFzaA==", PingLogLimit: 100, CheckLimit: 20, Created: now}
		add(it.PutUser(ctx, &u))
		bob := model.User{Email: "bob@example.org", Password: "!x", PingLogLimit: 100, CheckLimit: 20, Created: now}
		add(it.PutUser(ctx, &bob))
		p := model.Project{Code: "AAAAAAAA-0000-4000-8000-000000000001", Name: name, OwnerID: u.ID, APIKey: "k", PingKey: "pk", BadgeKey: "bk", Created: now}
		add(it.PutProject(ctx, &p))
		add(it.PutMember(ctx, p.ID, bob.ID, model.RoleReadOnly))
		add(it.PutMember(ctx, p.ID, u.ID, model.RoleMember)) // the owner: skipped
		c := model.NewCheck(p.ID, now)
		c.Code, c.BadgeKey, c.Name, c.NPings = "cccccccc-0000-4000-8000-000000000001", "dddddddd-0000-4000-8000-000000000001", name, 2
		last := now.Add(-time.Minute)
		c.LastPing = &last
		add(it.PutCheck(ctx, &c))
		ch := model.Channel{Code: "eeeeeeee-0000-4000-8000-000000000001", ProjectID: p.ID, Kind: "email", Value: "a@example.org", EmailVerified: true, Created: now}
		add(it.PutChannel(ctx, &ch))
		add(it.LinkChannel(ctx, ch.ID, c.ID))
		n, skipped, err := it.AddPings(ctx, c.ID, []model.Ping{{N: 1, Created: last.Add(-time.Hour)}, {N: 2, Created: last, Body: []byte("ok")}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, store.ImportAction(string(rune('0'+n))+"/"+string(rune('0'+skipped))))
		n, skipped, err = it.AddFlips(ctx, c.ID, []model.Flip{{Created: last, OldStatus: "new", NewStatus: "up", Processed: &last}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, store.ImportAction(string(rune('0'+n))+"/"+string(rune('0'+skipped))))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestImportSteps(t *testing.T) {
	const c, u, s = store.ImportCreated, store.ImportUpdated, store.ImportSkipped
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			// A dry run reports creations and leaves nothing behind.
			want := []store.ImportAction{c, c, c, c, s, c, c, c, "2/0", "1/0"}
			if got := importAll(t, st, true, "one"); !equalActions(got, want) {
				t.Errorf("dry run: %v, want %v", got, want)
			}
			if _, err := st.UserByEmail(ctx, "alice@example.org"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("dry run wrote a user: %v", err)
			}
			if got := importAll(t, st, false, "one"); !equalActions(got, want) {
				t.Errorf("first run: %v, want %v", got, want)
			}
			// The same data again: everything skipped.
			want = []store.ImportAction{s, s, s, s, s, s, s, s, "0/2", "0/1"}
			if got := importAll(t, st, false, "one"); !equalActions(got, want) {
				t.Errorf("second run: %v, want %v", got, want)
			}
			// A changed name updates the project and the check only.
			want = []store.ImportAction{s, s, u, s, s, u, s, s, "0/2", "0/1"}
			if got := importAll(t, st, false, "two"); !equalActions(got, want) {
				t.Errorf("third run: %v, want %v", got, want)
			}
			chk, err := st.CheckByCode(ctx, "cccccccc-0000-4000-8000-000000000001")
			if err != nil || chk.Name != "two" || chk.NPings != 2 || chk.LastPing == nil {
				t.Fatalf("check after import: %+v %v", chk, err)
			}
			if pings, _ := st.ListPings(ctx, chk.ID, 0); len(pings) != 2 || string(pings[0].Body) != "ok" {
				t.Errorf("pings: %+v", pings)
			}
			if flips, _ := st.ListFlips(ctx, chk.ID); len(flips) != 1 {
				t.Errorf("flips: %+v", flips)
			}
			if chans, _ := st.ChannelsForCheck(ctx, chk.ID); len(chans) != 1 || !chans[0].EmailVerified {
				t.Errorf("channels: %+v", chans)
			}
		})
	}
}

func equalActions(a, b []store.ImportAction) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImportConflicts(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			carol := mkUser(t, st, "carol@example.org") // signed up in Overdue
			other := mkProject(t, st, carol, "ffffffff-0000-4000-8000-000000000001")
			for name, step := range map[string]func(it *store.ImportTx) error{
				"existing account": func(it *store.ImportTx) error {
					_, err := it.PutUser(ctx, &model.User{Email: "CAROL@example.org", Password: "x"})
					return err
				},
				"project of another owner": func(it *store.ImportTx) error {
					u := model.User{Email: "dave@example.org"}
					if _, err := it.PutUser(ctx, &u); err != nil {
						return err
					}
					_, err := it.PutProject(ctx, &model.Project{Code: other.Code, OwnerID: u.ID})
					return err
				},
				"ping key taken": func(it *store.ImportTx) error {
					u := model.User{Email: "erin@example.org"}
					if _, err := it.PutUser(ctx, &u); err != nil {
						return err
					}
					if _, err := it.PutProject(ctx, &model.Project{Code: "99999999-0000-4000-8000-000000000001", OwnerID: u.ID, PingKey: "k1"}); err != nil {
						return err
					}
					_, err := it.PutProject(ctx, &model.Project{Code: "99999999-0000-4000-8000-000000000002", OwnerID: u.ID, PingKey: "k1"})
					return err
				},
				"check of another project": func(it *store.ImportTx) error {
					c := model.NewCheck(other.ID, now)
					if _, err := it.PutCheck(ctx, &c); err != nil {
						return err
					}
					u := model.User{Email: "frank@example.org"}
					if _, err := it.PutUser(ctx, &u); err != nil {
						return err
					}
					p := model.Project{Code: "99999999-0000-4000-8000-000000000003", OwnerID: u.ID}
					if _, err := it.PutProject(ctx, &p); err != nil {
						return err
					}
					c.ProjectID = p.ID
					_, err := it.PutCheck(ctx, &c)
					return err
				},
			} {
				err := st.Import(ctx, now, false, step)
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("%s: err = %v, want a conflict", name, err)
				}
			}
			// Nothing of the failed imports stayed behind.
			for _, email := range []string{"dave@example.org", "erin@example.org", "frank@example.org"} {
				if _, err := st.UserByEmail(ctx, email); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s was written by a failed import (%v)", email, err)
				}
			}
			if checks, _ := st.ListChecks(ctx, other.ID); len(checks) != 0 {
				t.Errorf("a failed import left %d checks", len(checks))
			}
		})
	}
}

func TestReplacePasswordHash(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			u := model.User{Email: "a@example.org", Password: "old", PingLogLimit: 7}
			if err := st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if ok, err := st.ReplacePasswordHash(ctx, u.ID, "stale", "new"); ok || err != nil {
				t.Errorf("replaced a hash that had changed: %v %v", ok, err)
			}
			if ok, err := st.ReplacePasswordHash(ctx, u.ID, "old", "new"); !ok || err != nil {
				t.Errorf("did not replace: %v %v", ok, err)
			}
			got, _ := st.UserByID(ctx, u.ID)
			if got.Password != "new" || got.PingLogLimit != 7 {
				t.Errorf("after replace: %+v", got)
			}
		})
	}
}
