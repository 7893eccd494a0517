package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/store"
)

// TestMain lets a test start this very binary as `overdue` in a child process
// (OVERDUE_RUN_MAIN=1), so the crash test can kill -9 a real server without a
// separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("OVERDUE_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// runCmd runs a command in-process with its own environment.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{getenv: mapEnv(vars), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func sqliteEnv(t *testing.T) map[string]string {
	return map[string]string{"DB_NAME": filepath.Join(t.TempDir(), "hc.sqlite")}
}

// createdProject is what `overdue project create --json` prints. It is
// the test's own type, not the command's: its tags pin the names the
// README documents, so a renamed field in the output fails the tests.
type createdProject struct {
	UUID           string `json:"uuid"`
	Name           string `json:"name"`
	APIKey         string `json:"api_key"`
	APIKeyReadonly string `json:"api_key_readonly"`
	PingKey        string `json:"ping_key"`
}

// createProject runs `overdue project create --json` for owner (created
// when missing) and returns what it printed; an exit other than 0, or
// output that is not the keys' JSON, fails the test.
func createProject(t *testing.T, vars map[string]string, owner, name string) createdProject {
	t.Helper()
	code, out, stderr := runCmd(t, vars, "", "project", "create", "--owner", owner, "--name", name, "--json")
	if code != 0 {
		t.Fatalf("project create: exit %d stderr %q", code, stderr)
	}
	var keys createdProject
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("project create --json printed %q: %v", out, err)
	}
	return keys
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"frobnicate"},
		{"serve", "--no-such-flag"},
		{"serve", "extra-arg"},
		{"serve", "--listen", "not-an-address"},
		{"serve", "--roles", "web,teleport"},
		{"serve", "--roles", "alerts"},
		{"serve", "--num-workers", "0"},
		{"sendalerts", "--num-workers", "0"},
		{"sendalerts", "--num-workers", "many"},
		{"sendalerts", "extra"},
		{"migrate", "--x"},
		{"createsuperuser"},
		{"createsuperuser", "--email", "not-an-email"},
		{"project"},
		{"project", "delete"},
		{"project", "create", "--name", "x"},
		{"project", "create", "--owner", "a@b.c"},
		{"project", "create", "--owner", "a@b.c", "--name", strings.Repeat("x", 201)},
		{"schedule"},
		{"schedule", "preview"},
	}
	for _, args := range cases {
		code, _, stderr := runCmd(t, sqliteEnv(t), "", args...)
		if code != exitUsage {
			t.Errorf("overdue %q: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
		}
		if stderr == "" {
			t.Errorf("overdue %q: no usage message on stderr", args)
		}
	}
}

func TestBadConfigurationStopsBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hc.sqlite")
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"DB": "oracle", "DB_NAME": dbPath}, `DB must be sqlite, postgres, mysql or mariadb, not "oracle"`},
		{map[string]string{"PING_BODY_LIMIT": "abc", "DB_NAME": dbPath}, `PING_BODY_LIMIT must be`},
		{map[string]string{"DEBUG": "yes", "DB_NAME": dbPath}, `DEBUG must be True or False`},
	}
	for _, tc := range cases {
		for _, cmd := range [][]string{{"serve", "--listen", "127.0.0.1:0"}, {"migrate"}} {
			code, _, stderr := runCmd(t, tc.vars, "", cmd...)
			if code != exitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v with %v: exit %d stderr %q, want exit 1 and %q", cmd, tc.vars, code, stderr, tc.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: error is not one sentence on one line: %q", cmd, stderr)
			}
		}
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a database file was written despite the bad configuration (stat err %v)", err)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	// A port nothing listens on: connection refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	for _, db := range []string{"postgres", "mysql"} {
		code, _, stderr := runCmd(t, map[string]string{"DB": db, "DB_HOST": "127.0.0.1", "DB_PORT": port, "DB_SSLMODE": "disable"}, "", "migrate")
		if code != exitError || !strings.Contains(stderr, "cannot open the database (DB="+db+"; check DB_HOST") {
			t.Errorf("DB=%s on a closed port: exit %d stderr %q", db, code, stderr)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("DB=%s: the error is not one line: %q", db, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, nil, "", "version")
	if code != 0 || !strings.HasPrefix(out, "overdue ") {
		t.Errorf("version: exit %d out %q", code, out)
	}
}

func TestCreateSuperuserAndProject(t *testing.T) {
	vars := sqliteEnv(t)
	code, _, stderr := runCmd(t, vars, "", "createsuperuser", "--email", "admin@example.org", "--password", "short")
	if code != exitError || !strings.Contains(stderr, "at least 8 characters") {
		t.Errorf("short password: exit %d stderr %q", code, stderr)
	}
	code, out, stderr := runCmd(t, vars, "s3cret-pass\n", "createsuperuser", "--email", "admin@example.org")
	if code != 0 {
		t.Fatalf("createsuperuser: exit %d stderr %q", code, stderr)
	}
	if !strings.Contains(out, "admin@example.org") {
		t.Errorf("createsuperuser printed %q", out)
	}
	code, _, stderr = runCmd(t, vars, "", "createsuperuser", "--email", "admin@example.org", "--password", "another-pass")
	if code != exitError || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate superuser: exit %d stderr %q", code, stderr)
	}

	keys := createProject(t, vars, "new@example.org", "Servers")
	for k, v := range map[string]string{"uuid": keys.UUID, "name": keys.Name, "api_key": keys.APIKey, "api_key_readonly": keys.APIKeyReadonly, "ping_key": keys.PingKey} {
		if v == "" {
			t.Errorf("--json output lacks %q: %+v", k, keys)
		}
	}
	if len(keys.APIKey) != 32 || len(keys.PingKey) != 22 || keys.Name != "Servers" {
		t.Errorf("unexpected keys %+v", keys)
	}

	st, err := store.Open(context.Background(), store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByPingKey(context.Background(), keys.PingKey)
	if err != nil || p.Code != keys.UUID {
		t.Fatalf("project not stored: %+v %v", p, err)
	}
	if p.APIKey == keys.APIKey {
		t.Error("the API key is stored in plain text")
	}
	if _, ro, err := st.ProjectByAPIKey(context.Background(), p.APIKeyReadonly); err != nil || !ro {
		t.Errorf("read-only key lookup: ro=%v err=%v", ro, err)
	}
}

// serveChild starts `overdue serve` as a child process and returns its base URL.
func serveChild(t *testing.T, vars map[string]string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OVERDUE_RUN_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "addr="); i >= 0 && strings.Contains(line, "listening") {
				f := strings.Fields(line[i+5:])
				select {
				case addr <- f[0]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		return cmd, "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("overdue serve did not start listening within 60 s")
	}
	return nil, ""
}

// TestAcknowledgedPingsSurviveKill9 proves the group-commit promise: every
// ping answered 200 is in the database after the server is killed with
// SIGKILL in the middle of a load.
func TestAcknowledgedPingsSurviveKill9(t *testing.T) {
	vars := sqliteEnv(t)
	keys := createProject(t, vars, "a@example.org", "P")

	cmd, base := serveChild(t, vars)
	load := startSlugLoad(t, base, keys.PingKey)
	// A few hundred pings went through: kill without warning.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	load.halt()
	load.checkStored(t, vars["DB_NAME"])
}

func TestGeneratedSecretKeyIsPersisted(t *testing.T) {
	vars := sqliteEnv(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var a, b config.Config
	if err := ensureSecretKey(ctx, st, &a); err != nil || len(a.SecretKey) < 40 {
		t.Fatalf("first start: key %q err %v", a.SecretKey, err)
	}
	if err := ensureSecretKey(ctx, st, &b); err != nil || b.SecretKey != a.SecretKey {
		t.Fatalf("second start got key %q, want the stored %q (err %v)", b.SecretKey, a.SecretKey, err)
	}
	own := config.Config{SecretKey: "operator-set"}
	if err := ensureSecretKey(ctx, st, &own); err != nil || own.SecretKey != "operator-set" {
		t.Errorf("an operator's SECRET_KEY was replaced by %q", own.SecretKey)
	}
}

func TestSchedulePreviewCommand(t *testing.T) {
	code, out, stderr := runCmd(t, nil, "", "schedule", "preview", "--tz", "Europe/Riga", "--after", "2026-03-29T00:00:00Z", "-n", "3", "30 3 * * *")
	if want := "2026-03-29T01:00:00Z\n2026-03-30T00:30:00Z\n2026-03-31T00:30:00Z\n"; code != 0 || out != want {
		t.Errorf("preview: exit %d out %q stderr %q, want %q", code, out, stderr, want)
	}
	code, _, stderr = runCmd(t, nil, "", "schedule", "preview", "0 0 30 2 *")
	if code != exitError || !strings.Contains(stderr, "never matches") {
		t.Errorf("impossible date: exit %d stderr %q", code, stderr)
	}
}
