package api_test

import (
	"testing"
	"time"

	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// newProject stores an owner and a project for a test; mut adjusts the
// project (keys, badge key) before it is saved.
func newProject(t *testing.T, st *store.Store, mut func(*model.Project)) (model.User, model.Project) {
	t.Helper()
	seed := apptest.Seed{T: t, Store: st}
	owner := seed.AddUser(model.User{Email: "owner@example.org", CheckLimit: 10000, PingLogLimit: 100}, "")
	proj := model.Project{Code: "11111111-2222-4333-8444-555555555555", Name: "P", OwnerID: owner.ID,
		PingKey: "abcdefghijklmnopqrstuv", BadgeKey: "b", Created: time.Now().UTC()}
	if mut != nil {
		mut(&proj)
	}
	return owner, seed.AddProject(proj)
}
