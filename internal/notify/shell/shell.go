// Package shell is the shell-command integration: when the operator sets
// SHELL_ENABLED=True, a channel runs its cmd_down or cmd_up through
// /bin/sh -c, as upstream's os.system does, with upstream's placeholders
// filled in (the check's name and tags shell-quoted).
package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/pycompat"
)

// maxCmd is upstream's max_length of each command, in characters.
const maxCmd = 1000

// DefaultTimeout bounds one command. Upstream has none (a hung command
// blocks its sendalerts worker for ever); this one is shorter than the
// outbox lease, so a hung command never makes the row be sent twice.
const DefaultTimeout = 60 * time.Second

// Integration is the shell kind for the registry (internal/notify/kinds).
// Its stored value is upstream's {"cmd_down": ..., "cmd_up": ...}.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "shell",
		Name: "Shell Command",
		Settings: []notify.Setting{{Name: "SHELL_ENABLED", Default: "False",
			Help: "True lets channels run shell commands on this server, as the server's user"}},
		Enabled:  func(env notify.Env) bool { return env("SHELL_ENABLED") == "True" },
		Disabled: "Shell commands are not enabled",
		Fields: []notify.Field{
			{Name: "cmd_down", Label: "Command for \"down\"", Type: notify.FieldText, MaxLen: maxCmd,
				Help: "run when a check goes down; $NAME, $STATUS, $CODE, $NOW, $TAGS, $TAG1... are filled in"},
			{Name: "cmd_up", Label: "Command for \"up\"", Type: notify.FieldText, MaxLen: maxCmd,
				Help: "run when a check goes up; empty: nothing runs"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: validate,
		Events:   Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			return &Transport{Environ: os.Environ(), Timeout: DefaultTimeout, Log: d.Log}, nil
		},
		Example: `{"cmd_down": "logger \"$NAME is $STATUS\"", "cmd_up": ""}`,
	}
}

type config struct {
	CmdDown *string `json:"cmd_down"`
	CmdUp   *string `json:"cmd_up"`
}

// fromForm: upstream accepts two empty commands (a channel that never runs
// anything); Overdue asks for at least one, so that a typo in a field
// name is not silently a no-op channel.
func fromForm(form url.Values) (string, error) {
	down, up := form.Get("cmd_down"), form.Get("cmd_up")
	if down == "" && up == "" {
		return "", &notify.FieldError{Msg: "a shell channel needs {cmd_down}, {cmd_up} or both"}
	}
	for name, cmd := range map[string]string{"cmd_down": down, "cmd_up": up} {
		if utf8.RuneCountInString(cmd) > maxCmd || strings.ContainsRune(cmd, 0) || !utf8.ValidString(cmd) {
			return "", &notify.FieldError{Field: name, Msg: "must be text of at most 1,000 characters"}
		}
	}
	// A map, so that keys come out sorted, as upstream's json.dumps(sort_keys=True).
	v, err := json.Marshal(map[string]string{"cmd_down": down, "cmd_up": up})
	if err != nil {
		return "", fmt.Errorf("encode shell configuration: %w", err)
	}
	return string(v), nil
}

func parse(value string) (down, up string, err error) {
	var c config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return "", "", fmt.Errorf("shell configuration is not a JSON object with strings \"cmd_down\" and \"cmd_up\": %w", err)
	}
	if c.CmdDown == nil || c.CmdUp == nil {
		return "", "", &notify.FieldError{Msg: "{cmd_down} and {cmd_up} are both required (either may be empty)"}
	}
	return *c.CmdDown, *c.CmdUp, nil
}

func toForm(value string) url.Values {
	down, up, err := parse(value)
	if err != nil {
		return url.Values{}
	}
	return url.Values{"cmd_down": {down}, "cmd_up": {up}}
}

func validate(value string) error {
	down, up, err := parse(value)
	if err != nil {
		return err
	}
	_, err = fromForm(url.Values{"cmd_down": {down}, "cmd_up": {up}})
	return err
}

// Events: an empty command is a no-op event; a value that is not JSON
// takes neither.
func Events(value string) (up, down bool) {
	d, u, err := parse(value)
	if err != nil {
		return false, false
	}
	return u != "", d != ""
}

// unsafe is shlex.quote's test: anything outside these needs quoting.
var unsafe = regexp.MustCompile(`[^A-Za-z0-9_@%+=:,./-]`)

// quote is Python's shlex.quote.
func quote(s string) string {
	if s == "" {
		return "''"
	}
	if !unsafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// Command is cmd with upstream's placeholders filled in, in upstream's
// order and single pass (hc.lib.string.replace): the first name a "$..."
// part starts with wins (so $TAG1 wins over $TAG10), and text a value
// brings in is never expanded again.
func Command(cmd string, m *notify.Message) string {
	c := &m.Check
	ph := [][2]string{
		{"$CODE", c.Code},
		{"$STATUS", m.Status},
		{"$NOW", pycompat.ISOFormat(m.Flip.Created.Truncate(time.Second))},
		{"$NAME", quote(c.Name)},
		{"$TAGS", quote(c.Tags)},
	}
	for i, tag := range c.TagsList() {
		ph = append(ph, [2]string{"$TAG" + strconv.Itoa(i+1), quote(tag)})
	}
	parts := strings.Split(cmd, "$")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, part := range parts[1:] {
		part = "$" + part
		for _, p := range ph {
			if strings.HasPrefix(part, p[0]) {
				part = p[1] + part[len(p[0]):]
				break
			}
		}
		b.WriteString(part)
	}
	return b.String()
}

// Transport runs the commands.
type Transport struct {
	// Environ is the commands' environment: the server's own, as
	// upstream's os.system passes it.
	Environ []string
	Timeout time.Duration
	Log     *slog.Logger
}

// maxOutput is how much of a failed command's output is logged.
const maxOutput = 200

// Send runs the event's command. Upstream runs it once and never
// retries, so every failure is final: running a command again could
// repeat whatever it did.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	down, up, err := parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid shell configuration")
	}
	cmd := down
	if m.Status == model.StatusUp {
		cmd = up
	}
	if cmd == "" {
		return nil
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	r := Run(ctx, "/bin/sh", []string{"-c", Command(cmd, m)}, t.Environ, timeout)
	if r.Err == nil {
		return nil
	}
	if r.TimedOut {
		return notify.FailFinal("Command timed out after " + timeout.String())
	}
	code := -1
	if r.State != nil {
		code = waitStatus(r.State)
	}
	if t.Log != nil {
		// The output may hold anything the command printed: only its start.
		t.Log.Warn("shell command failed", "channel", m.Channel.Code, "status", code, "output", Truncate(r.Output, maxOutput))
	}
	if code < 0 {
		return notify.FailFinal("Command could not be run")
	}
	return notify.FailFinal(fmt.Sprintf("Command returned exit code %d", code))
}

// Result is how a Run ended.
type Result struct {
	// Err is nil when the command exited with status 0.
	Err error
	// State is the exited process's (nil when it could not be started).
	State *os.ProcessState
	// TimedOut: the command was killed when its time ran out.
	TimedOut bool
	// Output is the start (4 KiB) of what it wrote to stdout and stderr.
	Output string
}

// Run runs name with args and env (and nothing on stdin), in its own
// process group so that a timeout kills whatever it started too, not
// only the command. The shell and apprise kinds run their commands so.
func Run(ctx context.Context, name string, args, env []string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env = env
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	out := &capped{max: 4 << 10}
	c.Stdout, c.Stderr = out, out
	err := c.Run()
	return Result{Err: err, State: c.ProcessState, TimedOut: err != nil && ctx.Err() != nil, Output: out.String()}
}

// waitStatus is what Python's os.system returns on Unix, which upstream
// reports as the "exit code": the exit status shifted left by 8 (exit 1 is
// 256), or the number of the signal that killed the shell.
func waitStatus(ps *os.ProcessState) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return ps.ExitCode()
	}
	if ws.Signaled() {
		n := int(ws.Signal())
		if ws.CoreDump() {
			n |= 0x80
		}
		return n
	}
	return ws.ExitStatus() << 8
}

// Truncate cuts s to at most n bytes on a character boundary, marking the
// cut with "…": the start of a command's output, for a log line.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// capped keeps the first max bytes written and drops the rest, so a
// chatty command cannot fill the server's memory.
type capped struct {
	max int
	buf bytes.Buffer
}

func (w *capped) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (w *capped) String() string { return w.buf.String() }
