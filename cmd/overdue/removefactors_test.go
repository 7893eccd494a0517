package main

import (
	"context"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/store"
)

func TestRemoveFactorsCommand(t *testing.T) {
	vars := sqliteEnv(t)
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "ops@example.org", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, "ops@example.org")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.SetTOTP(ctx, u.ID, "JBSWY3DPEHPK3PXP", now); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"} {
		if err := st.AddWebAuthnCredential(ctx, &store.WebAuthnCredential{Code: code, UserID: u.ID, Name: "k", Data: "{}", Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"removefactors"}, 2, ""},
		{[]string{"removefactors", "--email", "nobody@example.org"}, 1, ""},
		{[]string{"removefactors", "--email", "OPS@example.org"}, 0, "Removed 3 second factor(s) of ops@example.org.\n"},
		{[]string{"removefactors", "--email", "ops@example.org"}, 0, "Removed 0 second factor(s) of ops@example.org.\n"},
	} {
		code, out, stderr := runCmd(t, vars, "", c.args...)
		if code != c.code || out != c.out {
			t.Errorf("%v: exit %d, out %q, stderr %q; want exit %d, out %q", c.args, code, out, stderr, c.code, c.out)
		}
	}
	if _, err := st.TOTPOf(ctx, u.ID); err == nil {
		t.Error("the TOTP secret is still there")
	}
	if keys, err := st.WebAuthnCredentials(ctx, u.ID); err != nil || len(keys) != 0 {
		t.Errorf("keys left: %v %v", keys, err)
	}
}
