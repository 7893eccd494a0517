package main

import (
	"strings"
	"testing"
)

// --set fills any kind's form: a Slack webhook and a Signal recipient are
// added, and a bad field is named by the flag that set it.
func TestIntegrationAddSet(t *testing.T) {
	vars := sqliteEnv(t)
	vars["SIGNAL_CLI_SOCKET"] = "/run/signal-cli/socket"
	proj := createProject(t, vars, "owner@example.org", "P")
	add := func(args ...string) (int, string, string) {
		return runCmd(t, vars, "", append([]string{"integration", "add", "--project", proj.UUID}, args...)...)
	}
	if code, out, stderr := add("--kind", "slack", "--set", "value=https://hooks.slack.com/services/T/B/x"); code != 0 || len(strings.TrimSpace(out)) != 36 {
		t.Errorf("slack: exit %d, out %q, stderr %q", code, out, stderr)
	}
	if code, _, stderr := add("--kind", "signal", "--set", "recipient=+1 555 555 0100"); code != 0 {
		t.Errorf("signal: exit %d, stderr %q", code, stderr)
	}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--kind", "slack", "--set", "value=ftp://example.org/"}, "--set value must be an http:// or https:// URL"},
		{[]string{"--kind", "signal", "--set", "recipient=12"}, "--set recipient must be a phone number"},
		{[]string{"--kind", "slack", "--set", "novalue"}, `want NAME=VALUE, got "novalue"`},
	} {
		code, _, stderr := add(c.args...)
		if code != 2 || !strings.Contains(stderr, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error with %q", c.args, code, stderr, c.err)
		}
	}
}
