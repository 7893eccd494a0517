package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

func intp(n int) *int { return &n }

// TestSetLimits: on every engine, a change writes only the limits given,
// leaves the monthly counters alone, and a value out of range (or an
// unknown user) changes nothing.
func TestSetLimits(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		u, _, err := w.acc.CreateSuperuser(ctx, "ops@example.org", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		last := t0
		if err := w.st.SetSendQuota(ctx, u.ID, model.LimitSMS, model.SendQuota{Limit: 10000, Sent: 7, Last: &last}); err != nil {
			t.Fatal(err)
		}
		def := store.UserLimits{Checks: 10000, PingLog: 100, SMS: 10000, Calls: 10000}
		for _, tc := range []struct {
			name   string
			addr   string
			change accounts.LimitChange
			want   store.UserLimits // the stored limits afterwards
			err    error
			field  string // of a *LimitError
		}{
			{"negative", "ops@example.org", accounts.LimitChange{Checks: intp(5), SMS: intp(-1)}, def, nil, "sms_limit"},
			{"too large", "ops@example.org", accounts.LimitChange{Calls: intp(accounts.MaxLimit + 1)}, def, nil, "call_limit"},
			{"no ping log", "ops@example.org", accounts.LimitChange{PingLog: intp(0)}, def, nil, "ping_log_limit"},
			{"unknown user", "nobody@example.org", accounts.LimitChange{Checks: intp(5)}, def, accounts.ErrNoSuchUser, ""},
			{"some", "OPS@example.org", accounts.LimitChange{Checks: intp(0), SMS: intp(3)}, store.UserLimits{Checks: 0, PingLog: 100, SMS: 3, Calls: 10000}, nil, ""},
			{"the rest", "ops@example.org", accounts.LimitChange{PingLog: intp(1), Calls: intp(accounts.MaxLimit)}, store.UserLimits{Checks: 0, PingLog: 1, SMS: 3, Calls: accounts.MaxLimit}, nil, ""},
		} {
			_, _, after, err := w.acc.SetLimits(ctx, tc.addr, tc.change)
			var le *accounts.LimitError
			switch {
			case tc.field != "":
				if !errors.As(err, &le) || le.Field != tc.field {
					t.Errorf("%s: err = %v, want a LimitError on %s", tc.name, err, tc.field)
				}
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
				}
			case err != nil || after != tc.want:
				t.Errorf("%s: after %+v, err %v; want %+v", tc.name, after, err, tc.want)
			}
			email, got, err := w.acc.Limits(ctx, "ops@example.org")
			if err != nil || got != tc.want || email != "ops@example.org" {
				t.Errorf("%s: stored %+v (%q, %v), want %+v", tc.name, got, email, err, tc.want)
			}
		}
		q, err := w.st.SendQuota(ctx, u.ID, model.LimitSMS)
		if err != nil || q.Sent != 7 || q.Last == nil || q.Limit != 3 {
			t.Errorf("SMS counter after the changes: %+v %v, want 7 sent kept and limit 3", q, err)
		}
		u2, err := w.st.UserByID(ctx, u.ID)
		if err != nil || u2.CheckLimit != 0 || u2.PingLogLimit != 1 {
			t.Errorf("the user row: check_limit %d ping_log_limit %d (%v)", u2.CheckLimit, u2.PingLogLimit, err)
		}
	})
}
