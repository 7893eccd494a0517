package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// newProject stores an owner and a project for a test; mut adjusts the
// project (keys, badge key) before it is saved.
func newProject(t *testing.T, st *store.Store, mut func(*model.Project)) (model.User, model.Project) {
	t.Helper()
	ctx := context.Background()
	owner := model.User{Email: "owner@example.org", Password: "!", CheckLimit: 10000, PingLogLimit: 100}
	if err := st.CreateUser(ctx, &owner); err != nil {
		t.Fatal(err)
	}
	proj := model.Project{Code: "11111111-2222-4333-8444-555555555555", Name: "P", OwnerID: owner.ID,
		PingKey: "abcdefghijklmnopqrstuv", BadgeKey: "b", Created: time.Now().UTC()}
	if mut != nil {
		mut(&proj)
	}
	if err := st.CreateProject(ctx, &proj); err != nil {
		t.Fatal(err)
	}
	return owner, proj
}
