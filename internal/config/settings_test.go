package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile puts content in a file of its own under t.TempDir().
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecretFileRule: the table's secrets and the declared (integration)
// secrets read NAME_FILE by the one rule: a non-empty NAME_FILE wins and
// its content is stripped, an empty one leaves NAME, a file that cannot
// be read stops the load with an error naming NAME_FILE, and a setting
// that is not secret never reads NAME_FILE.
func TestSecretFileRule(t *testing.T) {
	settings := []Setting{
		{Name: "TELEGRAM_TOKEN", Secret: true},
		{Name: "TWILIO_AUTH", Secret: true},
		{Name: "TWILIO_FROM"},
		{Name: "TELEGRAM_BOT_NAME", Default: "ExampleBot"},
	}
	file := writeFile(t, " \t123:file-token\r\n\n")
	dir := t.TempDir() // a directory: no file content to read
	missing := filepath.Join(t.TempDir(), "absent")
	for _, tc := range []struct {
		name    string
		env     map[string]string
		get     string // the variable looked up through Env (or the table's SecretKey)
		want    string
		wantSet bool
		err     string // a substring of Load's error
	}{
		{name: "plain", env: map[string]string{"TELEGRAM_TOKEN": "123:plain"}, get: "TELEGRAM_TOKEN", want: "123:plain", wantSet: true},
		{name: "file wins over the variable", env: map[string]string{"TELEGRAM_TOKEN": "123:plain", "TELEGRAM_TOKEN_FILE": file}, get: "TELEGRAM_TOKEN", want: "123:file-token", wantSet: true},
		{name: "file alone", env: map[string]string{"TWILIO_AUTH_FILE": file}, get: "TWILIO_AUTH", want: "123:file-token", wantSet: true},
		{name: "empty _FILE leaves the variable", env: map[string]string{"TELEGRAM_TOKEN": "123:plain", "TELEGRAM_TOKEN_FILE": ""}, get: "TELEGRAM_TOKEN", want: "123:plain", wantSet: true},
		{name: "empty _FILE, no variable", env: map[string]string{"TELEGRAM_TOKEN_FILE": ""}, get: "TELEGRAM_TOKEN", want: "", wantSet: false},
		{name: "not secret: no _FILE", env: map[string]string{"TWILIO_FROM_FILE": file}, get: "TWILIO_FROM", want: "", wantSet: false},
		{name: "unset reads unset (the kind applies its default)", env: nil, get: "TELEGRAM_BOT_NAME", want: "", wantSet: false},
		{name: "undeclared names pass through", env: map[string]string{"SITE_NAME": "Acme"}, get: "SITE_NAME", want: "Acme", wantSet: true},
		{name: "missing file", env: map[string]string{"TELEGRAM_TOKEN": "123:plain", "TELEGRAM_TOKEN_FILE": missing}, err: "TELEGRAM_TOKEN_FILE names a file that cannot be read"},
		{name: "a directory", env: map[string]string{"TWILIO_AUTH_FILE": dir}, err: "TWILIO_AUTH_FILE names a file that cannot be read"},
		{name: "the table's secret by the same rule", env: map[string]string{"SECRET_KEY_FILE": file}, get: "table:SECRET_KEY", want: "123:file-token", wantSet: true},
		{name: "the table's secret, missing file", env: map[string]string{"SECRET_KEY": "k", "SECRET_KEY_FILE": missing}, err: "SECRET_KEY_FILE names a file that cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(envOf(tc.env), settings...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "123:plain") {
					t.Fatalf("err = %v, want one naming %q (and no secret)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got string
			var set bool
			if name, ok := strings.CutPrefix(tc.get, "table:"); ok && name == "SECRET_KEY" {
				got, set = c.SecretKey, true
			} else {
				got, set = c.Env(envOf(tc.env))(tc.get)
			}
			if got != tc.want || set != tc.wantSet {
				t.Errorf("%s = %q (set %v), want %q (set %v)", tc.get, got, set, tc.want, tc.wantSet)
			}
		})
	}
}

// TestRedactedListsSettings: every declared setting is in the dump once,
// after the table, with its default when unset, and no secret's value,
// whether it came from the variable or from NAME_FILE.
func TestRedactedListsSettings(t *testing.T) {
	settings := []Setting{
		{Name: "TWILIO_ACCOUNT"}, {Name: "TWILIO_AUTH", Secret: true},
		{Name: "TWILIO_ACCOUNT"}, {Name: "TWILIO_AUTH", Secret: true}, // a second kind's declaration
		{Name: "TELEGRAM_TOKEN", Secret: true}, {Name: "TELEGRAM_BOT_NAME", Default: "ExampleBot"},
		{Name: "MATRIX_ACCESS_TOKEN", Secret: true},
		{Name: "WEBHOOKS_ENABLED", Default: "True"}, // the table's own variable
	}
	env := map[string]string{"TWILIO_ACCOUNT": "AC123", "TWILIO_AUTH": "twilio-s3cret",
		"TELEGRAM_TOKEN_FILE": writeFile(t, "telegram-s3cret\n")}
	c, err := Load(envOf(env), settings...)
	if err != nil {
		t.Fatal(err)
	}
	lines := c.Redacted()
	tail := lines[len(variables()):]
	want := []string{"TWILIO_ACCOUNT=AC123", "TWILIO_AUTH=********", "TELEGRAM_TOKEN=********", "TELEGRAM_BOT_NAME=ExampleBot", "MATRIX_ACCESS_TOKEN="}
	if strings.Join(tail, " ") != strings.Join(want, " ") {
		t.Errorf("settings in the dump = %q, want %q", tail, want)
	}
	all := strings.Join(lines, "\n")
	for _, secret := range []string{"twilio-s3cret", "telegram-s3cret"} {
		if strings.Contains(all, secret) {
			t.Errorf("Redacted() leaks %q", secret)
		}
	}
	if n := strings.Count(all, "WEBHOOKS_ENABLED="); n != 1 {
		t.Errorf("WEBHOOKS_ENABLED is in the dump %d times, want once (the table's)", n)
	}
}

// TestConflictingSettings: two declarations of a name that disagree are
// refused, so a secret cannot be dumped because one kind forgot it is one.
func TestConflictingSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []Setting
	}{
		{"secrecy", []Setting{{Name: "TWILIO_AUTH", Secret: true}, {Name: "TWILIO_AUTH"}}},
		{"default", []Setting{{Name: "TELEGRAM_BOT_NAME", Default: "A"}, {Name: "TELEGRAM_BOT_NAME", Default: "B"}}},
		{"against the table", []Setting{{Name: "WEBHOOKS_ENABLED", Secret: true}}},
	} {
		if _, err := Load(envOf(nil), tc.list...); err == nil || !strings.Contains(err.Error(), tc.list[0].Name) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.list[0].Name)
		}
	}
}
