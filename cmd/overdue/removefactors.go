package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/overdue/overdue/internal/store"
)

// cmdRemoveFactors is the operator's recovery for a user who lost their
// authenticator app and security keys: it removes every second factor,
// so that the password (or a login link) alone logs them in again.
func cmdRemoveFactors(ctx context.Context, args []string, e env) int {
	fs := newFlags("removefactors", e)
	addr := fs.String("email", "", "the user's email address (required)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *addr == "" {
		fmt.Fprintln(e.stderr, "overdue removefactors: --email is required")
		return exitUsage
	}
	_, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, *addr)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(e.stderr, "overdue: there is no user with the email address %q.\n", *addr)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	n, err := st.DeleteSecondFactors(ctx, u.ID)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Removed %d second factor(s) of %s.\n", n, u.Email)
	return exitOK
}
