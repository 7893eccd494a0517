package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/store"
)

// cmdUserLimits is the operator's view and change of a user's limits,
// upstream's "Limits" section of Django admin. The rule (ranges, which
// columns are written) is accounts.SetLimits'.
func cmdUserLimits(ctx context.Context, args []string, e env) int {
	fs := newFlags("user limits", e)
	addr := fs.String("email", "", "the user's email address (required)")
	var change accounts.LimitChange
	// Each flag is a pointer left nil unless given, so only given limits change.
	for _, f := range []struct {
		name, usage string
		dst         **int
	}{
		{"check-limit", "checks across every project the user owns", &change.Checks},
		{"ping-log-limit", "pings kept per check", &change.PingLog},
		{"sms-limit", "SMS and WhatsApp messages a month", &change.SMS},
		{"call-limit", "phone calls a month", &change.Calls},
	} {
		fs.Func(f.name, f.usage+" (a whole number `N`)", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return errors.New("not a whole number")
			}
			*f.dst = &n
			return nil
		})
	}
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *addr == "" {
		fmt.Fprintln(e.stderr, "overdue user limits: --email is required")
		return exitUsage
	}
	var le *accounts.LimitError
	if err := accounts.CheckLimits(change); errors.As(err, &le) {
		fmt.Fprintf(e.stderr, "overdue user limits: --%s must be a whole number from %d to %d, not %d\n",
			strings.ReplaceAll(le.Field, "_", "-"), le.Min, le.Max, le.Value)
		return exitUsage
	}
	acc, closeStore, ok := openAccounts(ctx, e, "user limits")
	if !ok {
		return exitError
	}
	defer closeStore()
	var (
		email         string
		before, after store.UserLimits
		err           error
	)
	if change == (accounts.LimitChange{}) {
		email, after, err = acc.Limits(ctx, *addr)
		before = after
	} else {
		email, before, after, err = acc.SetLimits(ctx, *addr, change)
	}
	if errors.Is(err, accounts.ErrNoSuchUser) {
		fmt.Fprintf(e.stderr, "overdue: there is no user with the email address %q.\n", *addr)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue user limits: %v.\n", err)
		return exitError
	}
	printLimits(e, email, before, after)
	return exitOK
}

// printLimits writes one line per limit, with the old value of a changed one.
func printLimits(e env, email string, before, after store.UserLimits) {
	fmt.Fprintf(e.stdout, "Limits of %s:\n", email)
	old := accounts.ListLimits(before)
	for i, l := range accounts.ListLimits(after) {
		if was := old[i].Value; was != l.Value {
			fmt.Fprintf(e.stdout, "  %-15s %d (was %d)\n", l.Field, l.Value, was)
		} else {
			fmt.Fprintf(e.stdout, "  %-15s %d\n", l.Field, l.Value)
		}
	}
}
