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

func mkUser(t *testing.T, st *store.Store, email string) model.User {
	t.Helper()
	u := model.User{Email: email, PingLogLimit: 100, CheckLimit: 20}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func mkProject(t *testing.T, st *store.Store, owner model.User, code string) model.Project {
	t.Helper()
	p := model.Project{Code: code, Name: "p " + code[:4], OwnerID: owner.ID}
	if err := st.CreateProject(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSessions(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			alice := mkUser(t, st, "alice@example.org")
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			if err := st.CreateSession(ctx, "h1", alice.ID, now, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateSession(ctx, "h2", alice.ID, now, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			u, exp, err := st.SessionUser(ctx, "h1", now.Add(time.Minute))
			if err != nil || u.ID != alice.ID || u.Email != alice.Email || !exp.Equal(now.Add(time.Hour)) {
				t.Fatalf("SessionUser = %+v, %v, %v", u, exp, err)
			}
			if _, _, err := st.SessionUser(ctx, "h1", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("an expired session answered: %v", err)
			}
			if _, _, err := st.SessionUser(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("an unknown token answered: %v", err)
			}
			if err := st.ExtendSession(ctx, "h1", now.Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.SessionUser(ctx, "h1", now.Add(2*time.Hour)); err != nil {
				t.Errorf("an extended session ended: %v", err)
			}
			if err := st.DeleteUserSessions(ctx, alice.ID, "h1"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.SessionUser(ctx, "h2", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the other session survived DeleteUserSessions: %v", err)
			}
			if n, err := st.PruneSessions(ctx, now.Add(4*time.Hour)); err != nil || n != 1 {
				t.Errorf("PruneSessions = %d, %v; want 1", n, err)
			}
			if err := st.DeleteSession(ctx, "h1"); err != nil {
				t.Errorf("deleting a session that is gone: %v", err)
			}
		})
	}
}

func TestMembersAndProjectAccess(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			now := time.Now()
			alice, bob, eve := mkUser(t, st, "alice@example.org"), mkUser(t, st, "bob@example.org"), mkUser(t, st, "eve@example.org")
			pa := mkProject(t, st, alice, "aaaaaaaa-0000-4000-8000-000000000001")
			pb := mkProject(t, st, bob, "bbbbbbbb-0000-4000-8000-000000000002")
			if err := st.AddMember(ctx, pa.ID, bob.ID, model.RoleReadOnly, now); err != nil {
				t.Fatal(err)
			}
			if err := st.AddMember(ctx, pa.ID, bob.ID, model.RoleMember, now); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("adding a member twice: %v", err)
			}
			if err := st.AddMember(ctx, pa.ID, alice.ID, model.RoleMember, now); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("adding the owner as a member: %v", err)
			}
			if err := st.AddMember(ctx, pa.ID, eve.ID, "x", now); err == nil {
				t.Error("an invalid role was stored")
			}
			if _, role, err := st.ProjectAccess(ctx, pa.Code, alice.ID); err != nil || role != model.RoleOwner {
				t.Errorf("owner access: %v %v", role, err)
			}
			if p, role, err := st.ProjectAccess(ctx, pa.Code, bob.ID); err != nil || role != model.RoleReadOnly || p.ID != pa.ID {
				t.Errorf("member access: %v %v", role, err)
			}
			if _, _, err := st.ProjectAccess(ctx, pa.Code, eve.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a stranger sees the project: %v", err)
			}
			if _, _, err := st.ProjectAccess(ctx, pb.Code, alice.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("alice sees bob's project: %v", err)
			}
			prs, err := st.ProjectsForUser(ctx, bob.ID)
			if err != nil || len(prs) != 2 || prs[0].Project.ID != pb.ID || prs[0].Role != model.RoleOwner ||
				prs[1].Project.ID != pa.ID || prs[1].Role != model.RoleReadOnly {
				t.Errorf("ProjectsForUser(bob) = %+v, %v", prs, err)
			}
			if err := st.SetMemberRole(ctx, pa.ID, bob.ID, model.RoleManager); err != nil {
				t.Fatal(err)
			}
			ms, err := st.ListMembers(ctx, pa.ID)
			if err != nil || len(ms) != 1 || ms[0].Email != "bob@example.org" || ms[0].Role != model.RoleManager {
				t.Errorf("ListMembers = %+v, %v", ms, err)
			}
			if err := st.RemoveMember(ctx, pa.ID, bob.ID); err != nil {
				t.Fatal(err)
			}
			if err := st.RemoveMember(ctx, pa.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("removing a member twice: %v", err)
			}
			if _, _, err := st.ProjectAccess(ctx, pa.Code, bob.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a removed member keeps access: %v", err)
			}
		})
	}
}

func TestLoginTokensWorkOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			u := mkUser(t, st, "a@example.org")
			now := time.Now()
			if err := st.CreateLoginToken(ctx, "t1", u.ID, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateLoginToken(ctx, "t2", u.ID, now.Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			if id, err := st.UseLoginToken(ctx, "t1", now); err != nil || id != u.ID {
				t.Fatalf("UseLoginToken = %d, %v", id, err)
			}
			if _, err := st.UseLoginToken(ctx, "t1", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a login token worked twice: %v", err)
			}
			if _, err := st.UseLoginToken(ctx, "t2", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("an expired login token worked: %v", err)
			}
			if _, err := st.UseLoginToken(ctx, "t2", now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("an expired token was not deleted: %v", err)
			}
		})
	}
}
