package shell

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/notify"
)

// The command each test message produces from a command using every
// placeholder, as upstream's Shell.prepare would build it.
func TestCommandGolden(t *testing.T) {
	const cmd = `echo $CODE $STATUS $NOW $NAME $TAGS $TAG1 $TAG2 $TAG3 $TAG10 $$NAME $NAMEX`
	for _, name := range Names {
		Golden(t, "command-"+name, []byte(Command(cmd, Message(name))+"\n"))
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":          "''",
		"Database":  "Database",
		"a&b":       "'a&b'",
		"a'b":       `'a'"'"'b'`,
		"ünï":       "'ünï'",
		"a-b_c.d/e": "a-b_c.d/e",
		"$(id)":     "'$(id)'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
	}
}

// Real processes: the script in testdata records its arguments and
// environment; the test reads them back.
func TestSendRunsTheCommand(t *testing.T) {
	dir := t.TempDir()
	script, _ := filepath.Abs("testdata/record.sh")
	rec := filepath.Join(dir, "rec")
	value := `{"cmd_down": "` + script + ` $NAME $STATUS $TAG1 $TAGS", "cmd_up": ""}`
	base := []string{"PATH=/usr/bin:/bin", "RECORD_TO=" + rec, "RECORD_MARK=from-the-server"}
	cases := []struct {
		name    string
		msg     string
		env     []string
		wantErr string
		want    string
	}{
		{"down", "down", base, "", "argc=4\narg=Backup db\narg=down\narg=prod\narg=prod db\nRECORD_MARK=from-the-server\n"},
		// The hostile name reaches the script as one argument, unexpanded.
		{"hostile", "hostile", base, "", "argc=4\narg=" + HostileName + "\narg=down\narg=<i>t</i>\narg=<i>t</i> `x` $(reboot) ';rm\nRECORD_MARK=from-the-server\n"},
		{"exit status as os.system reports it", "down", append(base, "EXIT_WITH=3"), "Command returned exit code 768", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(rec)
			m := Message(c.msg)
			m.Channel.Value = value
			err := (&Transport{Environ: c.env, Timeout: 10 * time.Second}).Send(context.Background(), m)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr || !notify.IsFinal(err) || notify.IsPermanent(err) {
					t.Fatalf("err = %v, want final %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("recorded:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestSendNoOpAndTimeout(t *testing.T) {
	m := Message("up")
	m.Channel.Value = `{"cmd_down": "exit 1", "cmd_up": ""}`
	if err := (&Transport{}).Send(context.Background(), m); err != nil {
		t.Errorf("empty up command: %v", err)
	}
	m = Message("down")
	m.Channel.Value = `{"cmd_down": "sleep 30 & sleep 30", "cmd_up": ""}`
	start := time.Now()
	err := (&Transport{Environ: []string{"PATH=/usr/bin:/bin"}, Timeout: 200 * time.Millisecond}).Send(context.Background(), m)
	if err == nil || err.Error() != "Command timed out after 200ms" || !notify.IsFinal(err) {
		t.Errorf("err = %v, want a final timeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the timeout did not stop the command's process group")
	}
	m.Channel.Value = `not json`
	if err := (&Transport{}).Send(context.Background(), m); err == nil || err.Error() != "Invalid shell configuration" {
		t.Errorf("bad value: %v", err)
	}
}

func TestDisabledByDefault(t *testing.T) {
	in := Integration()
	for _, env := range []map[string]string{{}, {"SHELL_ENABLED": "False"}, {"SHELL_ENABLED": "true"}} {
		tr, err := in.Transport(notify.Deps{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		m := Message("down")
		m.Channel.Value = `{"cmd_down": "touch /nonexistent/should-not-run", "cmd_up": ""}`
		if err := tr.Send(context.Background(), m); err == nil || err.Error() != "Shell commands are not enabled" {
			t.Errorf("env %v: err = %v, want upstream's text", env, err)
		}
	}
}

func TestForm(t *testing.T) {
	long := strings.Repeat("é", maxCmd+1)
	cases := []struct {
		form    url.Values
		value   string
		errText string
	}{
		{url.Values{"cmd_down": {"logger down"}, "cmd_up": {"logger up"}}, `{"cmd_down":"logger down","cmd_up":"logger up"}`, ""},
		{url.Values{"cmd_up": {"logger up"}}, `{"cmd_down":"","cmd_up":"logger up"}`, ""},
		{url.Values{}, "", "a shell channel needs cmd_down, cmd_up or both"},
		{url.Values{"cmd_down": {long}}, "", "cmd_down: must be text of at most 1,000 characters"},
		{url.Values{"cmd_up": {"a\x00b"}}, "", "cmd_up: must be text of at most 1,000 characters"},
	}
	for _, c := range cases {
		v, err := fromForm(c.form)
		if c.errText != "" {
			var fe *notify.FieldError
			if !errors.As(err, &fe) || err.Error() != c.errText {
				t.Errorf("fromForm(%v) = %v, want %q", c.form, err, c.errText)
			}
			continue
		}
		if err != nil || v != c.value {
			t.Errorf("fromForm(%v) = %q, %v; want %q", c.form, v, err, c.value)
		}
	}
	for _, bad := range []string{`{"cmd_down": "x"}`, `{"cmd_down": 1, "cmd_up": ""}`, `[]`, `{"cmd_down": "", "cmd_up": ""}`} {
		if validate(bad) == nil {
			t.Errorf("validate(%q) = nil", bad)
		}
	}
	for v, want := range map[string][2]bool{`{"cmd_down": "", "cmd_up": "x"}`: {true, false}, `{"cmd_down": "x", "cmd_up": ""}`: {false, true}, `x`: {}} {
		if up, down := Events(v); up != want[0] || down != want[1] {
			t.Errorf("Events(%q) = %v %v", v, up, down)
		}
	}
}
