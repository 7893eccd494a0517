package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// TestTransferRequests: at most one offer per project; accepting swaps
// owner and member in one transaction and only when the offer and the old
// owner are still what the caller saw; otherwise nothing changes.
func TestTransferRequests(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		var bob, carol model.User
		for _, u := range []*model.User{&bob, &carol} {
			*u = model.User{Email: uuid.NewString()[:8] + "@example.org", Created: t0}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := st.AddMember(ctx, f.project.ID, u.ID, model.RoleReadOnly, t0); err != nil {
				t.Fatal(err)
			}
		}
		pending := func() []int64 {
			ms, err := st.ListMembers(ctx, f.project.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, m := range ms {
				if m.TransferRequest != nil {
					if !m.TransferRequest.Equal(t0us()) {
						t.Errorf("transfer request at %v", m.TransferRequest)
					}
					out = append(out, m.UserID)
				}
			}
			return out
		}
		if err := st.RequestTransfer(ctx, f.project.ID, f.user.ID, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("offer to the owner: %v", err)
		}
		if err := st.RequestTransfer(ctx, f.project.ID, bob.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := st.RequestTransfer(ctx, f.project.ID, carol.ID, t0); err != nil {
			t.Fatal(err)
		}
		if got := pending(); len(got) != 1 || got[0] != carol.ID {
			t.Fatalf("pending %v, want only carol", got)
		}
		// Bob holds no offer; a stale old owner is refused as well.
		if err := st.AcceptTransfer(ctx, f.project.ID, f.user.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("accept without an offer: %v", err)
		}
		if err := st.AcceptTransfer(ctx, f.project.ID, bob.ID, carol.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("accept with a stale owner: %v", err)
		}
		if p, _ := st.ProjectByID(ctx, f.project.ID); p.OwnerID != f.user.ID || len(pending()) != 1 {
			t.Fatalf("a refused accept changed something: owner %d, pending %v", p.OwnerID, pending())
		}
		if err := st.RejectTransfer(ctx, f.project.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("reject without an offer: %v", err)
		}
		if err := st.AcceptTransfer(ctx, f.project.ID, f.user.ID, carol.ID); err != nil {
			t.Fatal(err)
		}
		_, role, err := st.ProjectAccess(ctx, f.project.Code, f.user.ID)
		if err != nil || role != model.RoleMember {
			t.Errorf("old owner: %q, %v", role, err)
		}
		if _, role, _ := st.ProjectAccess(ctx, f.project.Code, carol.ID); role != model.RoleOwner || len(pending()) != 0 {
			t.Errorf("new owner: %q, pending %v", role, pending())
		}
		if err := st.RequestTransfer(ctx, f.project.ID, bob.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := st.CancelTransfer(ctx, f.project.ID); err != nil || len(pending()) != 0 {
			t.Errorf("cancel: %v, pending %v", err, pending())
		}
	})
}

func TestInviteSuggestionsAndCounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		other := model.Project{Code: uuid.NewString(), Name: "Other", OwnerID: f.user.ID, Created: t0}
		if err := st.CreateProject(ctx, &other); err != nil {
			t.Fatal(err)
		}
		var in, both model.User
		for _, u := range []*model.User{&in, &both} {
			*u = model.User{Email: uuid.NewString()[:8] + "@example.org", Created: t0}
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := st.AddMember(ctx, other.ID, u.ID, model.RoleMember, t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.AddMember(ctx, f.project.ID, both.ID, model.RoleMember, t0); err != nil {
			t.Fatal(err)
		}
		got, err := st.InviteSuggestions(ctx, f.project.ID, f.user.ID)
		if err != nil || len(got) != 1 || got[0] != in.Email {
			t.Errorf("suggestions %v, %v; want [%s]", got, err, in.Email)
		}
		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			t.Fatal(err)
		}
		if n, err := st.CountProjectChecks(ctx, f.project.ID); err != nil || n != 1 {
			t.Errorf("count %d, %v", n, err)
		}
		if err := st.DeleteProject(ctx, f.project.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteProject(ctx, f.project.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if _, err := st.CheckByCode(ctx, c.Code); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the check survived: %v", err)
		}
	})
}
