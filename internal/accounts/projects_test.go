package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/store/storetest"
)

// ownerActor makes a project with a check and returns its owner as an Actor.
func ownerActor(t *testing.T, w world) accounts.Actor {
	t.Helper()
	np, err := w.acc.CreateProject(context.Background(), "owner@example.org", "Team")
	if err != nil {
		t.Fatal(err)
	}
	return accounts.Actor{Project: np.Project, UserID: np.Project.OwnerID, Role: model.RoleOwner}
}

// An invitation is made whatever happens to its email: no mailer, a mailer
// without EMAIL_HOST (both silent, as upstream without MAILERS), or a relay
// that refuses it (reported in Err).
func TestInviteEmailOutcomes(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			refusing := smtptest.Start(t, smtptest.Options{RejectRcpt: true})
			w := world{st: storetest.Open(t, engine), smtp: refusing}
			cases := []struct {
				name   string
				mailer notify.Mailer
				sent   bool
				err    string
			}{
				{"no mailer", nil, false, ""},
				{"no EMAIL_HOST", mailer.New(mailer.Config{}), false, ""},
				{"relay refuses", mailer.New(mailer.Config{Host: refusing.Host, Port: refusing.Port, From: "overdue@example.org"}), false, "send the email to "},
			}
			for _, tc := range cases {
				w.acc = newAccounts(t, w, func(o *accounts.Options) { o.Mailer = tc.mailer })
				who := ownerActor(t, w) // a new project each time
				inv, err := w.acc.Invite(context.Background(), who, "Guest@Example.org", model.RoleMember)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if inv.Email != "guest@example.org" || inv.Sent != tc.sent || (tc.err == "") != (inv.Err == nil) ||
					(inv.Err != nil && !strings.HasPrefix(inv.Err.Error(), tc.err)) {
					t.Errorf("%s: %+v", tc.name, inv)
				}
				members, _ := w.st.ListMembers(context.Background(), who.Project.ID)
				if len(members) != 1 || members[0].Email != "guest@example.org" || members[0].Role != model.RoleMember {
					t.Errorf("%s: members %+v", tc.name, members)
				}
			}
		})
	}
}

// The role rules, without the web: each action refused to the roles
// upstream refuses it to, with nothing written.
func TestProjectRulesByRole(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		owner := ownerActor(t, w)
		for _, role := range []model.Role{model.RoleManager, model.RoleMember, model.RoleReadOnly} {
			who := owner
			who.Role, who.UserID = role, owner.UserID+1000
			wantManage := role == model.RoleManager
			wantWrite := role != model.RoleReadOnly
			checks := []struct {
				name    string
				allowed bool
				err     error
			}{
				{"rename", wantWrite, func() error { _, err := w.acc.RenameProject(ctx, who, "X"); return err }()},
				{"create key", wantWrite, func() error { _, _, err := w.acc.CreateKey(ctx, who, accounts.KeyAPI); return err }()},
				{"revoke key", wantWrite, func() error { _, err := w.acc.RevokeKey(ctx, who, accounts.KeyPing); return err }()},
				{"invite", wantManage, func() error { _, err := w.acc.Invite(ctx, who, "x@example.org", model.RoleReadOnly); return err }()},
				{"remove project", false, w.acc.RemoveProject(ctx, who)},
				{"transfer", false, func() error { _, err := w.acc.RequestTransfer(ctx, who, "x@example.org"); return err }()},
				{"cancel transfer", false, w.acc.CancelTransfer(ctx, who)},
			}
			for _, c := range checks {
				if refused := errors.Is(c.err, accounts.ErrForbidden); refused == c.allowed || (c.allowed && c.err != nil) {
					t.Errorf("%s as %s: %v", c.name, role, c.err)
				}
			}
		}
		if _, err := w.st.ProjectByID(ctx, owner.Project.ID); err != nil {
			t.Fatalf("the project went away: %v", err)
		}
	})
}
