package main

import (
	"strings"
	"testing"
)

// TestUserLimitsCommand: no limit flag prints the limits; given flags
// change only those; bad input is a usage error (exit 2) that changes
// nothing; an unknown user is exit 1.
func TestUserLimitsCommand(t *testing.T) {
	vars := sqliteEnv(t)
	if code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "ops@example.org", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("createsuperuser: %s", stderr)
	}
	show := "Limits of ops@example.org:\n  check_limit     10000\n  ping_log_limit  100\n  sms_limit       10000\n  call_limit      10000\n"
	changed := "Limits of ops@example.org:\n  check_limit     50 (was 10000)\n  ping_log_limit  100\n  sms_limit       0 (was 10000)\n  call_limit      10000\n"
	after := "Limits of ops@example.org:\n  check_limit     50\n  ping_log_limit  100\n  sms_limit       0\n  call_limit      10000\n"
	for _, c := range []struct {
		args   []string
		code   int
		out    string
		stderr string // a substring
	}{
		{[]string{"user", "limits", "--email", "OPS@example.org"}, 0, show, ""},
		{[]string{"user", "limits"}, 2, "", "--email is required"},
		{[]string{"user", "limits", "--email", "ops@example.org", "--check-limit", "-1"}, 2, "", "--check-limit must be a whole number from 0 to 1000000, not -1"},
		{[]string{"user", "limits", "--email", "ops@example.org", "--check-limit", "5", "--ping-log-limit", "0"}, 2, "", "--ping-log-limit must be a whole number from 1 to 1000000, not 0"},
		{[]string{"user", "limits", "--email", "ops@example.org", "--sms-limit", "1000001"}, 2, "", "--sms-limit must be a whole number from 0 to 1000000"},
		{[]string{"user", "limits", "--email", "ops@example.org", "--call-limit", "ten"}, 2, "", "not a whole number"},
		{[]string{"user", "limits", "--email", "ops@example.org", "--team-limit", "3"}, 2, "", "team-limit"},
		{[]string{"user", "limits", "--email", "ops@example.org"}, 0, show, ""}, // nothing above changed anything
		{[]string{"user", "limits", "--email", "nobody@example.org", "--check-limit", "5"}, 1, "", `no user with the email address "nobody@example.org"`},
		{[]string{"user", "limits", "--email", "ops@example.org", "--check-limit", "50", "--sms-limit", "0"}, 0, changed, ""},
		{[]string{"user", "limits", "--email", "ops@example.org"}, 0, after, ""},
		{[]string{"user", "limits", "--email", "ops@example.org", "--check-limit", "50"}, 0, after, ""},
	} {
		code, out, stderr := runCmd(t, vars, "", c.args...)
		if code != c.code || out != c.out || !strings.Contains(stderr, c.stderr) || c.stderr == "" && stderr != "" {
			t.Errorf("%v: exit %d, out %q, stderr %q; want exit %d, out %q, stderr with %q", c.args, code, out, stderr, c.code, c.out, c.stderr)
		}
	}
	// The limit is the one the check rule reads: a project of this owner
	// refuses its 51st check. The command's output is enough here; the
	// accounts tests pin the columns on every engine.
	if code, out, _ := runCmd(t, vars, "", "help"); code != 0 || !strings.Contains(out, "user limits") {
		t.Errorf("overdue help does not list user limits:\n%s", out)
	}
}
