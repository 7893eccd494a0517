// Package promtool lets tests lint Prometheus text output with Prometheus's
// own checker, `promtool check metrics` (Debian's prometheus package, which
// scripts/test.sh installs).
package promtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Check fails t when promtool rejects body. Without promtool it fails under
// CI (where scripts/test.sh should have installed it) and skips the check
// elsewhere, saying so.
func Check(t testing.TB, body string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; scripts/test.sh should have installed it")
		}
		t.Log("promtool not installed; skipping its check")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, body)
	}
}
