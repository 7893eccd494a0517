package main

import (
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", t.Name(), path, got, want)
	}
}

// TestHelpEveryCommand: every command and subcommand answers -h and --help
// on stdout with exit 0 and nothing on stderr, with the text pinned in
// testdata/help/. The command list comes from the dispatch table itself, so a
// new command without help fails here.
func TestHelpEveryCommand(t *testing.T) {
	names := append([]string{""}, commandNames()...)
	for _, name := range names {
		for _, h := range []string{"-h", "--help"} {
			args := append(strings.Fields(name), h)
			code, out, stderr := runCmd(t, nil, "", args...)
			if code != exitOK || stderr != "" {
				t.Errorf("overdue %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, stderr)
			}
			if !strings.HasPrefix(out, "Usage: overdue") && !strings.HasPrefix(out, "usage: overdue") {
				t.Errorf("overdue %s: stdout does not start with the usage line: %q", strings.Join(args, " "), out)
			}
			file := "root"
			if name != "" {
				file = strings.ReplaceAll(name, " ", "_")
			}
			if h == "--help" {
				golden(t, "help/"+file+".txt", out)
			} else if _, long, _ := runCmd(t, nil, "", append(strings.Fields(name), "--help")...); out != long {
				t.Errorf("overdue %s -h and --help differ", name)
			}
		}
	}
}

// `overdue help X` prints what `overdue X --help` prints.
func TestHelpCommand(t *testing.T) {
	for _, name := range []string{"serve", "project", "project create", "schedule preview"} {
		_, want, _ := runCmd(t, nil, "", append(strings.Fields(name), "--help")...)
		code, got, stderr := runCmd(t, nil, "", append([]string{"help"}, strings.Fields(name)...)...)
		if code != exitOK || got != want || stderr != "" {
			t.Errorf("overdue help %s: exit %d, stderr %q, output differs from --help: %v", name, code, stderr, got != want)
		}
	}
	if code, _, stderr := runCmd(t, nil, "", "help", "frobnicate"); code != exitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr %q", code, stderr)
	}
}

// serve's help names the environment variables a first run needs.
func TestServeHelpNamesEnvironment(t *testing.T) {
	_, out, _ := runCmd(t, nil, "", "serve", "--help")
	for _, v := range []string{"SITE_ROOT", "DB_NAME", "\n  DB ", "SECRET_KEY", "EMAIL_HOST", "  -listen string"} {
		if !strings.Contains(out, v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

// A usage error prints the command's help on stderr, not stdout.
func TestUsageErrorHelpOnStderr(t *testing.T) {
	code, out, stderr := runCmd(t, nil, "", "serve", "--no-such-flag")
	if code != exitUsage || out != "" || !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") ||
		!strings.Contains(stderr, "Usage: overdue serve") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func TestVersionText(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0d5810d4c3b2a19f8e7d6c5b4a3928170f6e5d4c"},
		{Key: "vcs.time", Value: "2026-12-06T22:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	checkout := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0d5810d4c3b2a19f8e7d6c5b4a3928170f6e5d4c"},
		{Key: "vcs.time", Value: "2026-12-06T22:00:00Z"},
		{Key: "vcs.modified", Value: "false"},
	}}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want []string
		not  []string
	}{
		{stamped, []string{"v1.4.0 (", "commit 0d5810d4c3b2 of 2026-12-06T22:00:00Z", "uncommitted", "go1.26.8"}, []string{"(devel)", "built from source"}},
		{checkout, []string{"built from source (commit 0d5810d4c3b2 of 2026-12-06T22:00:00Z;", "go1.26.8"}, []string{"(devel)", "uncommitted", "no version"}},
		{bare, []string{"built from source (no version or commit recorded; go1.26.8"}, []string{"(devel)"}},
		{nil, []string{"built from source (no version or commit recorded; go"}, nil},
	} {
		got := versionText(tc.bi)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("versionText = %q, want it to contain %q", got, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("versionText = %q, must not contain %q", got, n)
			}
		}
	}
	code, out, _ := runCmd(t, nil, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "overdue ") || strings.Contains(out, "(devel)") || strings.Count(out, "\n") != 1 {
		t.Errorf("overdue version: exit %d, %q", code, out)
	}
}
