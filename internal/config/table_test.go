package config

import (
	"errors"
	"strings"
	"testing"
)

// TestRedactedListsEveryVariable: the dump has one NAME= line per table
// entry, in table order, and no secret's value.
func TestRedactedListsEveryVariable(t *testing.T) {
	env := map[string]string{}
	for _, v := range variables() {
		switch v.kind {
		case kindString:
			env[v.name] = "" // the defaults are valid strings; secrets get values below
		}
	}
	for _, k := range []string{"DB", "DB_NAME", "DB_SSLMODE", "DB_TARGET_SESSION_ATTRS", "SITE_ROOT", "PING_ENDPOINT", "MASTER_BADGE_LABEL", "ALLOWED_HOSTS", "SITE_NAME", "DEFAULT_FROM_EMAIL", "PING_EMAIL_DOMAIN", "EMAIL_HOST", "DB_HOST", "DB_USER", "DB_PORT", "EMAIL_HOST_USER", "EMAIL_MAIL_FROM_TMPL"} {
		delete(env, k)
	}
	secrets := map[string]string{"SECRET_KEY": "s3cr3t-key", "DB_PASSWORD": "hunter2", "EMAIL_HOST_PASSWORD": "mail-pw", "METRICS_KEY": "metrics-k3y", "METRICS_TOKEN": "metrics-t0ken-0123456789"}
	for k, v := range secrets {
		env[k] = v
	}
	c, err := load(envOf(env), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	lines := c.Redacted()
	vars := variables()
	if len(lines) != len(vars) {
		t.Fatalf("Redacted() has %d lines for %d variables", len(lines), len(vars))
	}
	seen := map[string]bool{}
	for i, v := range vars {
		if seen[v.name] {
			t.Errorf("%s is in the table twice", v.name)
		}
		seen[v.name] = true
		if !strings.HasPrefix(lines[i], v.name+"=") {
			t.Errorf("line %d = %q, want %s=...", i, lines[i], v.name)
		}
		if v.secret && lines[i] != v.name+"=********" {
			t.Errorf("secret %s shown as %q", v.name, lines[i])
		}
	}
	all := strings.Join(lines, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("Redacted() leaks %q", s)
		}
	}
	for _, want := range []string{"DB=sqlite", "PING_BODY_LIMIT=10000", "EMAIL_USE_TLS=True", "SMTPD_PORT=0", "DB_TARGET_SESSION_ATTRS=read-write", "ALLOWED_HOSTS=localhost,localhost,127.0.0.1,::1"} {
		if !strings.Contains(all, "\n"+want+"\n") && !strings.HasPrefix(all, want+"\n") {
			t.Errorf("Redacted() lacks %s:\n%s", want, all)
		}
	}
}

// TestSecretsAreMarked: every variable whose name says it holds a secret is
// masked, and upstream's envsecret variables take NAME_FILE.
func TestSecretsAreMarked(t *testing.T) {
	withFile := map[string]bool{"SECRET_KEY": true, "DB_PASSWORD": true, "EMAIL_HOST_PASSWORD": true, "METRICS_TOKEN": true}
	for _, v := range variables() {
		looksSecret := v.name == "SECRET_KEY" || v.name == "METRICS_KEY" ||
			strings.HasSuffix(v.name, "_PASSWORD") || strings.HasSuffix(v.name, "_TOKEN") || strings.HasSuffix(v.name, "_SECRET")
		if looksSecret != v.secret {
			t.Errorf("%s: secret=%v, want %v", v.name, v.secret, looksSecret)
		}
		if v.file != withFile[v.name] {
			t.Errorf("%s: NAME_FILE accepted=%v, want %v", v.name, v.file, withFile[v.name])
		}
	}
}

// TestFileForm: NAME_FILE reads the file and strips it as Python's
// str.strip() does (upstream's envsecret), wins over NAME, and stops
// start-up when the file cannot be read; variables without the _FILE form
// ignore it.
func TestFileForm(t *testing.T) {
	files := func(p string) ([]byte, error) {
		switch p {
		case "/run/secrets/pw":
			return []byte("\x1c pw with spaces \n"), nil
		case "/run/secrets/empty":
			return []byte("\n"), nil
		}
		return nil, errors.New("open " + p + ": permission denied")
	}
	for _, tc := range []struct {
		env      map[string]string
		password string
		err      string
	}{
		{map[string]string{"DB_PASSWORD_FILE": "/run/secrets/pw"}, "pw with spaces", ""},
		{map[string]string{"DB_PASSWORD": "plain", "DB_PASSWORD_FILE": "/run/secrets/pw"}, "pw with spaces", ""},
		{map[string]string{"DB_PASSWORD": "plain", "DB_PASSWORD_FILE": "/run/secrets/empty"}, "", ""},
		{map[string]string{"DB_PASSWORD": "plain", "DB_PASSWORD_FILE": ""}, "plain", ""},
		{map[string]string{"DB_PASSWORD_FILE": "/run/secrets/nope"}, "", "DB_PASSWORD_FILE names a file that cannot be read: open /run/secrets/nope: permission denied"},
	} {
		c, err := load(envOf(tc.env), files)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%q: err %v, want %s", tc.env, err, tc.err)
		case tc.err == "" && (err != nil || c.DBPassword != tc.password):
			t.Errorf("%q: password %q (%v), want %q", tc.env, c.DBPassword, err, tc.password)
		}
	}
	c, err := load(envOf(map[string]string{"SITE_NAME_FILE": "/run/secrets/pw"}), files)
	if err != nil || c.SiteName != "Overdue" {
		t.Errorf("SITE_NAME_FILE: %q %v, want it ignored", c.SiteName, err)
	}
}

func TestTargetSessionAttrsAndSMTPDPort(t *testing.T) {
	for _, v := range []string{"any", "read-write", "read-only", "primary", "standby", "prefer-standby"} {
		c, err := load(envOf(map[string]string{"DB": "postgres", "DB_TARGET_SESSION_ATTRS": v}), noFiles)
		if err != nil || c.DBTargetSessionAttrs != v {
			t.Errorf("%s: %q %v", v, c.DBTargetSessionAttrs, err)
		}
	}
	_, err := load(envOf(map[string]string{"DB": "postgres", "DB_TARGET_SESSION_ATTRS": "master"}), noFiles)
	if want := `DB_TARGET_SESSION_ATTRS must be any, read-write, read-only, primary, standby or prefer-standby, not "master"`; err == nil || err.Error() != want {
		t.Errorf("err %v, want %s", err, want)
	}
	for v, want := range map[string]int{"25": 25, " 2525 ": 2525, "65535": 65535, "1_025": 1025} {
		c, err := load(envOf(map[string]string{"SMTPD_PORT": v}), noFiles)
		if err != nil || c.SMTPDPort != want {
			t.Errorf("SMTPD_PORT=%q: %d %v, want %d", v, c.SMTPDPort, err, want)
		}
	}
	if c, err := load(envOf(nil), noFiles); err != nil || c.SMTPDPort != 0 {
		t.Errorf("SMTPD_PORT unset: %d %v, want 0 (off)", c.SMTPDPort, err)
	}
	for _, v := range []string{"0", "65536", "-25", "", "smtp", "25.0", "\x1c25"} {
		_, err := load(envOf(map[string]string{"SMTPD_PORT": v}), noFiles)
		if want := "SMTPD_PORT must be a whole number from 1 to 65535, not "; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("SMTPD_PORT=%q: err %v", v, err)
		}
	}
}
