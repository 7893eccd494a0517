package schedule

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestRunPreviewCommand(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 7, 30, 0, time.UTC)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // exact stdout
		wantLines  int    // checked instead of wantOut when > 0
		wantErrHas string // substring of stderr
	}{
		{"DST-correct times", []string{"--tz", "Europe/Riga", "--after", "2026-03-29T00:00:00Z", "-n", "3", "30 3 * * *"}, 0,
			"2026-03-29T01:00:00Z\n2026-03-30T00:30:00Z\n2026-03-31T00:30:00Z\n", 0, ""},
		{"defaults: five after now in UTC", []string{"0 * * * *"}, 0,
			"2026-01-01T11:00:00Z\n2026-01-01T12:00:00Z\n2026-01-01T13:00:00Z\n2026-01-01T14:00:00Z\n2026-01-01T15:00:00Z\n", 0, ""},
		{"single-dash flags and --", []string{"-n", "1", "-after", "2026-01-01T00:00:00+02:00", "--", "*/15 * * * *"}, 0,
			"2025-12-31T22:15:00Z\n", 0, ""},
		{"multi-line oncalendar", []string{"--kind", "oncalendar", "-n", "2", "--after", "2026-01-01T00:00:00Z", "Mon 12:00\nFri 18:00"}, 0,
			"2026-01-02T18:00:00Z\n2026-01-05T12:00:00Z\n", 0, ""},
		{"legacy zone accepted", []string{"--tz", "Europe/Kiev", "-n", "1", "--after", "2026-01-01T00:00:00Z", "0 12 * * *"}, 0,
			"2026-01-01T10:00:00Z\n", 0, ""},
		{"fewer than n exist", []string{"-n", "5", "--after", "2026-01-01T12:00:00Z", "2026-01-01..02"}, 0,
			"2026-01-02T00:00:00Z\n", 0, ""},
		{"none exist", []string{"--after", "2026-01-01T12:00:00Z", "2019-01-01"}, 0, "", 0, ""},
		{"n at the maximum", []string{"-n", "1000", "* * * * *"}, 0, "", 1000, ""},
		{"help", []string{"-h"}, 0, "", 3, ""},
		{"help, long form", []string{"--help"}, 0, "", 3, ""},

		{"unknown flag", []string{"--zone", "UTC", "* * * * *"}, 2, "", 0, "flag provided but not defined"},
		{"hostile unknown flag", []string{"-\x1b[2J" + strings.Repeat("x", 10000), "* * * * *"}, 2, "", 0, `flag provided but not defined: -\x1b[2Jxxx`},
		{"missing expression", []string{"--tz", "UTC"}, 2, "", 0, "missing the schedule expression"},
		{"no arguments", nil, 2, "", 0, "usage:"},
		{"unquoted expression", []string{"0", "0", "*", "*", "*"}, 2, "", 0, "got 5"},
		{"flag after expression", []string{"* * * * *", "--tz", "UTC"}, 2, "", 0, "got 3"},
		{"bad --after", []string{"--after", "yesterday", "* * * * *"}, 2, "", 0, "RFC 3339"},
		{"date-only --after", []string{"--after", "2026-01-01", "* * * * *"}, 2, "", 0, "RFC 3339"},
		{"negative n", []string{"-n", "-1", "* * * * *"}, 2, "", 0, "between 1 and 1000"},
		{"zero n", []string{"-n", "0", "* * * * *"}, 2, "", 0, "between 1 and 1000"},
		{"huge n", []string{"-n", "1001", "* * * * *"}, 2, "", 0, "between 1 and 1000"},
		{"non-numeric n", []string{"-n", "abc", "* * * * *"}, 2, "", 0, "invalid value"},
		{"n overflow", []string{"-n", "99999999999999999999", "* * * * *"}, 2, "", 0, "invalid value"},
		{"bad kind", []string{"--kind", "simple", "* * * * *"}, 2, "", 0, "--kind must be cron or oncalendar"},

		{"empty expression", []string{""}, 1, "", 0, "the expression is empty"},
		{"10 KB expression", []string{strings.Repeat("* ", 5120)}, 1, "", 0, "too long"},
		{"NUL bytes", []string{"12:00\x00\x00"}, 1, "", 0, "invalid OnCalendar expression"},
		{"NUL in zone", []string{"--tz", "UTC\x00", "* * * * *"}, 1, "", 0, `unknown time zone "UTC\x00"`},
		{"invalid cron", []string{"0 0 32 * *"}, 1, "", 0, "invalid cron expression: day-of-month 32 is out of range 1-31."},
		{"cron forced on oncalendar text", []string{"--kind", "cron", "daily"}, 1, "", 0, "expected 5 fields, got 1"},
		{"unknown zone", []string{"--tz", "Mars/Olympus", "* * * * *"}, 1, "", 0, `unknown time zone "Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := RunPreviewCommand(tt.args, now, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			switch {
			case tt.wantLines > 0:
				if n := strings.Count(stdout.String(), "\n"); n < tt.wantLines {
					t.Errorf("stdout has %d lines, want at least %d", n, tt.wantLines)
				}
			case stdout.String() != tt.wantOut:
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantOut)
			}
			if code == 0 && stderr.Len() != 0 {
				t.Errorf("stderr on success: %q", stderr.String())
			}
			if code != 0 && stderr.Len() == 0 {
				t.Error("failure with nothing on stderr")
			}
			if !strings.Contains(stderr.String(), tt.wantErrHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErrHas)
			}
			if i := strings.IndexFunc(stderr.String(), func(r rune) bool { return r != '\n' && r != '\t' && !unicode.IsPrint(r) }); i >= 0 {
				t.Errorf("stderr has a control character at %d: %q", i, stderr.String())
			}
			if len(stderr.String()) > 4096 {
				t.Errorf("stderr is %d bytes; hostile input should not be echoed in full", stderr.Len())
			}
			if code == 1 && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("want a one-line message, got %q", stderr.String())
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x00b", `a\x00b`},
		{"bell\a", `bell\a`},
		{"esc\x1b[31m", `esc\x1b[31m`},
		{"ünïcode", "ünïcode"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
