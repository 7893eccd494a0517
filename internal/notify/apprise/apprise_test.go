package apprise

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

// run sends m through the script in testdata, standing in for apprise,
// and returns what it recorded.
func run(t *testing.T, m *notify.Message, environ []string, timeout time.Duration) (string, error) {
	t.Helper()
	script, err := filepath.Abs("testdata/apprise.sh")
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "rec")
	tr := &Transport{Command: script, Environ: append(environ, "RECORD_TO="+rec), Timeout: timeout}
	err = tr.Send(context.Background(), m)
	b, _ := os.ReadFile(rec)
	return string(b), err
}

// Real processes: every sample message, the arguments and environment
// the script saw kept in golden files. The hostile name arrives as one
// argument, as typed.
func TestGolden(t *testing.T) {
	// The server's environment, cut down as Integration's transport does.
	environ := Environ([]string{"PATH=/usr/bin:/bin", "SECRET_KEY=server-secret", "TWILIO_AUTH=twilio-secret", "EXIT_WITH=1"})
	dash := notifytest.Message(model.StatusDown)
	dash.Check.Name = "--config=/etc/passwd -v"
	for _, c := range append(notifytest.Cases(), notifytest.Case{Name: "dash", Msg: dash}) {
		t.Run(c.Name, func(t *testing.T) {
			c.Msg.Channel.Value = "tgram://123:abc/-100200 ; rm -rf / $(id)"
			got, err := run(t, c.Msg, environ, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, c.Name+".txt", []byte(got))
			if strings.Contains(got, "server-secret") || strings.Contains(got, "twilio-secret") {
				t.Error("the server's secrets reach apprise")
			}
		})
	}
}

func TestFailures(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = "json://localhost/"
	base := []string{"PATH=/usr/bin:/bin"}
	if _, err := run(t, m, append(base, "EXIT_WITH=1"), 10*time.Second); notify.ErrorText(err) != "Failed" || notify.IsFinal(err) {
		t.Errorf("exit 1: %v, want a retryable Failed", err)
	}
	start := time.Now()
	if _, err := run(t, m, append(base, "HANG=1"), 200*time.Millisecond); notify.ErrorText(err) != "Failed" || time.Since(start) > 10*time.Second {
		t.Errorf("hang: %v after %v", err, time.Since(start))
	}
	tr := &Transport{Command: "overdue-no-such-apprise", Environ: base}
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != Disabled || !notify.IsFinal(err) {
		t.Errorf("not installed: %v", err)
	}
	m.Channel.Value = " "
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "Invalid Apprise configuration" {
		t.Errorf("blank URL: %v", err)
	}
}

func TestDisabled(t *testing.T) {
	in := Integration()
	for _, env := range []map[string]string{{}, {"APPRISE_ENABLED": "False"}, {"APPRISE_ENABLED": "true"}, {"APPRISE_ENABLED": ""}} {
		tr, err := in.Transport(notify.Deps{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = "json://localhost/"
		if err := tr.Send(context.Background(), m); notify.ErrorText(err) != Disabled || !notify.IsFinal(err) || notify.IsPermanent(err) {
			t.Errorf("%v: %v", env, err)
		}
	}
	if !in.Enabled(in.EnvFrom(func(string) (string, bool) { return "True", true })) {
		t.Error("APPRISE_ENABLED=True does not enable it")
	}
}

func TestForm(t *testing.T) {
	in := Integration()
	if v, err := in.FromForm(url.Values{"url": {"  tgram://bot/chat \n"}}); err != nil || v != "tgram://bot/chat" {
		t.Errorf("%q %v", v, err)
	}
	for _, c := range []struct{ in, msg string }{
		{"", "is required"},
		{" \t", "is required"},
		{strings.Repeat("é", 513), "must be at most 512 characters"},
		{"json://a/\nmailto://b", "must be one line without control characters"},
		{"json://a/\x00", "must be one line without control characters"},
		{"json://a/\xff", "must be at most 512 characters"},
		{"hooks.example.org", "must be an Apprise URL: a scheme and :// (tgram://, mailto://, json://...)"},
		{"-v://x", "must be an Apprise URL: a scheme and :// (tgram://, mailto://, json://...)"},
		{`{"value": 5}`, "must be an Apprise URL: a scheme and :// (tgram://, mailto://, json://...)"},
	} {
		_, err := in.FromForm(url.Values{"url": {c.in}})
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != "url" || fe.Msg != c.msg {
			t.Errorf("%q: %v, want %q", c.in, err, c.msg)
		}
	}
	if in.Validate(" json://a/") == nil || in.Validate("json://a/") != nil {
		t.Error("Validate")
	}
}
