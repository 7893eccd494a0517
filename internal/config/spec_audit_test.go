package config

// Audit of the compatibility spec §8.1 for the variables of the alerts
// area (EMAIL_*, DEFAULT_FROM_EMAIL, WEBHOOKS_ENABLED,
// INTEGRATIONS_ALLOW_PRIVATE_IPS, SECRET_KEY), read against upstream's
// hc/settings.py (envbool, envint, envsecret).

import (
	"errors"
	"strings"
	"testing"
)

func TestSpecMailAndIntegrationDefaults(t *testing.T) {
	c, err := load(envOf(nil), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if c.EmailHost != "" || c.EmailPort != 587 || c.EmailHostUser != "" || c.EmailHostPassword != "" ||
		!c.EmailUseTLS || c.EmailUseSSL || !c.EmailUseVerification || c.EmailMailFromTmpl != "" {
		t.Errorf("email defaults: %+v", c)
	}
	// Deliberately not upstream's healthchecks@example.org (README's table).
	if c.DefaultFromEmail != "overdue@example.org" {
		t.Errorf("DEFAULT_FROM_EMAIL %q", c.DefaultFromEmail)
	}
	if !c.WebhooksEnabled || c.IntegrationsAllowPrivateIPs {
		t.Errorf("WEBHOOKS_ENABLED %v INTEGRATIONS_ALLOW_PRIVATE_IPS %v, want True and False", c.WebhooksEnabled, c.IntegrationsAllowPrivateIPs)
	}
	// Upstream's default is "---"; Overdue leaves it empty here and the
	// binary generates a random key once and keeps it in the database
	// (cmd/overdue TestGeneratedSecretKeyIsPersisted).
	if c.SecretKey != "" {
		t.Errorf("SECRET_KEY default %q", c.SecretKey)
	}
}

// envbool: "True", "False", and the empty string (False); anything else
// stops start-up with a sentence naming the variable.
func TestSpecBooleans(t *testing.T) {
	names := []string{"EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_USE_VERIFICATION", "WEBHOOKS_ENABLED", "INTEGRATIONS_ALLOW_PRIVATE_IPS"}
	get := func(c Config, name string) bool {
		return map[string]bool{"EMAIL_USE_TLS": c.EmailUseTLS, "EMAIL_USE_SSL": c.EmailUseSSL, "EMAIL_USE_VERIFICATION": c.EmailUseVerification,
			"WEBHOOKS_ENABLED": c.WebhooksEnabled, "INTEGRATIONS_ALLOW_PRIVATE_IPS": c.IntegrationsAllowPrivateIPs}[name]
	}
	for _, name := range names {
		for v, want := range map[string]bool{"True": true, "False": false, "": false} {
			env := map[string]string{name: v}
			if name == "EMAIL_USE_SSL" && v == "True" {
				env["EMAIL_USE_TLS"] = "False"
			}
			c, err := load(envOf(env), noFiles)
			if err != nil || get(c, name) != want {
				t.Errorf("%s=%q: %v (%v), want %v", name, v, get(c, name), err, want)
			}
		}
		for _, bad := range []string{"true", "1", "yes", " True"} {
			_, err := load(envOf(map[string]string{name: bad}), noFiles)
			if err == nil || !strings.HasPrefix(err.Error(), name+" must be True or False") {
				t.Errorf("%s=%q: err %v", name, bad, err)
			}
		}
	}
}

// envint: EMAIL_PORT is a number, or None (Django then uses its own
// default port, 25).
func TestSpecEmailPort(t *testing.T) {
	for v, want := range map[string]int{"465": 465, " 2525 ": 2525, "None": 25} {
		c, err := load(envOf(map[string]string{"EMAIL_PORT": v}), noFiles)
		if err != nil || c.EmailPort != want {
			t.Errorf("EMAIL_PORT=%q: %d (%v), want %d", v, c.EmailPort, err, want)
		}
	}
	for _, bad := range []string{"", "smtp", "587.0"} {
		if _, err := load(envOf(map[string]string{"EMAIL_PORT": bad}), noFiles); err == nil || !strings.HasPrefix(err.Error(), "EMAIL_PORT must be") {
			t.Errorf("EMAIL_PORT=%q: err %v", bad, err)
		}
	}
}

// envsecret: NAME_FILE, when not empty, must name a readable file, whose
// stripped content wins over NAME; an empty NAME_FILE is ignored. Values
// are read as given otherwise (DEFAULT_FROM_EMAIL with a display name, a
// password with spaces).
func TestSpecSecretFiles(t *testing.T) {
	files := func(p string) ([]byte, error) {
		switch p {
		case "/run/secrets/mail":
			return []byte("\tmail pass\n\n"), nil
		case "/run/secrets/key":
			return []byte("key-from-file\r\n"), nil
		}
		return nil, errors.New("no such file")
	}
	c, err := load(envOf(map[string]string{
		"EMAIL_HOST_PASSWORD": "plain", "EMAIL_HOST_PASSWORD_FILE": "/run/secrets/mail",
		"SECRET_KEY": "plain", "SECRET_KEY_FILE": "/run/secrets/key",
		"DEFAULT_FROM_EMAIL": "Overdue <alerts@example.org>", "EMAIL_HOST_USER": " alice ",
	}), files)
	if err != nil || c.EmailHostPassword != "mail pass" || c.SecretKey != "key-from-file" {
		t.Fatalf("password %q key %q err %v, want the files' stripped contents", c.EmailHostPassword, c.SecretKey, err)
	}
	if c.DefaultFromEmail != "Overdue <alerts@example.org>" || c.EmailHostUser != " alice " {
		t.Errorf("DEFAULT_FROM_EMAIL %q EMAIL_HOST_USER %q, want them as given", c.DefaultFromEmail, c.EmailHostUser)
	}
	c, err = load(envOf(map[string]string{"EMAIL_HOST_PASSWORD": "plain pw", "EMAIL_HOST_PASSWORD_FILE": ""}), files)
	if err != nil || c.EmailHostPassword != "plain pw" {
		t.Errorf("empty _FILE: %q %v", c.EmailHostPassword, err)
	}
	for _, name := range []string{"EMAIL_HOST_PASSWORD", "SECRET_KEY"} {
		_, err := load(envOf(map[string]string{name + "_FILE": "/missing"}), files)
		if err == nil || !strings.HasPrefix(err.Error(), name+"_FILE names a file that cannot be read") {
			t.Errorf("%s_FILE unreadable: err %v", name, err)
		}
	}
}
