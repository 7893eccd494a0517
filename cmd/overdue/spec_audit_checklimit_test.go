package main

import (
	"context"
	"testing"

	"github.com/overdue/overdue/internal/store"
)

// TestSpecAuditDefaultCheckLimit pins reference §2.9: without payments an
// account may have 10,000 checks (upstream's default when USE_PAYMENTS is
// off), for project owners made by `project create` and for superusers.
func TestSpecAuditDefaultCheckLimit(t *testing.T) {
	vars := sqliteEnv(t)
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "admin@example.org", "--password", "long-enough-pass"); code != 0 {
		t.Fatalf("createsuperuser: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, vars, "", "project", "create", "--owner", "owner@example.org", "--name", "P"); code != 0 {
		t.Fatalf("project create: exit %d %q", code, stderr)
	}
	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, email := range []string{"admin@example.org", "owner@example.org"} {
		u, err := st.UserByEmail(context.Background(), email)
		if err != nil || u.CheckLimit != 10000 {
			t.Errorf("%s: check limit %d (%v), want 10000", email, u.CheckLimit, err)
		}
	}
}
