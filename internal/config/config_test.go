package config

import (
	"errors"
	"strings"
	"testing"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func noFiles(string) ([]byte, error) { return nil, errors.New("no such file") }

func TestDefaults(t *testing.T) {
	c, err := load(envOf(nil), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "sqlite" || c.DBName != "overdue.sqlite" {
		t.Errorf("DB=%q DB_NAME=%q, want sqlite on overdue.sqlite", c.DB, c.DBName)
	}
	if c.SiteRoot != "http://localhost:8000" || c.BasePath != "" {
		t.Errorf("SiteRoot=%q BasePath=%q", c.SiteRoot, c.BasePath)
	}
	if c.PingEndpoint != "http://localhost:8000/ping/" {
		t.Errorf("PingEndpoint=%q", c.PingEndpoint)
	}
	if c.PingBodyLimit != 10000 || c.PingLogLimit != 100 {
		t.Errorf("PingBodyLimit=%d PingLogLimit=%d", c.PingBodyLimit, c.PingLogLimit)
	}
	if c.MasterBadgeLabel != "Overdue" || !c.PrometheusEnabled {
		t.Errorf("MasterBadgeLabel=%q PrometheusEnabled=%v", c.MasterBadgeLabel, c.PrometheusEnabled)
	}
	if !c.RegistrationOpen || c.Debug {
		t.Errorf("RegistrationOpen=%v Debug=%v", c.RegistrationOpen, c.Debug)
	}
	for _, h := range []string{"localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"} {
		if !c.HostAllowed(h) {
			t.Errorf("host %q refused by default", h)
		}
	}
	if c.HostAllowed("evil.example:8000") {
		t.Error("foreign host allowed by default")
	}
}

func TestValues(t *testing.T) {
	c, err := load(envOf(map[string]string{
		"DB": "mariadb", "DB_NAME": "hc", "DB_HOST": "db", "DB_PORT": "3307", "DB_USER": "u",
		"SITE_ROOT": "https://example.org/hc/", "PING_BODY_LIMIT": "None", "DEBUG": "True",
		"ALLOWED_HOSTS": "example.org, .example.net", "REGISTRATION_OPEN": "False",
		"EMAIL_USE_SSL": "True", "EMAIL_PORT": "465",
	}), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "mysql" || c.DBPort != "3307" || c.DBUser != "u" {
		t.Errorf("got DB=%q port=%q user=%q", c.DB, c.DBPort, c.DBUser)
	}
	if c.SiteRoot != "https://example.org/hc" || c.BasePath != "/hc" || c.PingEndpoint != "https://example.org/hc/ping/" {
		t.Errorf("SiteRoot=%q BasePath=%q PingEndpoint=%q", c.SiteRoot, c.BasePath, c.PingEndpoint)
	}
	if c.PingBodyLimit != -1 || !c.Debug || c.RegistrationOpen {
		t.Errorf("PingBodyLimit=%d Debug=%v RegistrationOpen=%v", c.PingBodyLimit, c.Debug, c.RegistrationOpen)
	}
	if !c.EmailUseSSL || c.EmailUseTLS || c.EmailPort != 465 {
		t.Errorf("SSL=%v TLS=%v port=%d", c.EmailUseSSL, c.EmailUseTLS, c.EmailPort)
	}
	for host, want := range map[string]bool{"example.org": true, "a.example.net": true, "example.net:80": true, "localhost": false} {
		if got := c.HostAllowed(host); got != want {
			t.Errorf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSecretFile(t *testing.T) {
	files := func(p string) ([]byte, error) {
		if p == "/run/secrets/key" {
			return []byte("  from-file\n"), nil
		}
		return nil, errors.New("permission denied")
	}
	c, err := load(envOf(map[string]string{"SECRET_KEY": "plain", "SECRET_KEY_FILE": "/run/secrets/key"}), files)
	if err != nil || c.SecretKey != "from-file" {
		t.Fatalf("SecretKey=%q err=%v, want the file's content", c.SecretKey, err)
	}
	_, err = load(envOf(map[string]string{"DB_PASSWORD_FILE": "/nope"}), files)
	if err == nil || !strings.Contains(err.Error(), "DB_PASSWORD_FILE") {
		t.Fatalf("err=%v, want it to name DB_PASSWORD_FILE", err)
	}
}

func TestBadValues(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DB": "oracle"}, `DB must be sqlite, postgres, mysql or mariadb, not "oracle"`},
		{map[string]string{"PING_BODY_LIMIT": "abc"}, `PING_BODY_LIMIT must be a whole number from 0 to 1073741824 or None, not "abc"`},
		{map[string]string{"PING_BODY_LIMIT": "-5"}, `PING_BODY_LIMIT must be a whole number`},
		{map[string]string{"DEBUG": "yes"}, `DEBUG must be True or False, not "yes"`},
		{map[string]string{"DEBUG": "true"}, `DEBUG must be True or False, not "true"`},
		{map[string]string{"REGISTRATION_OPEN": " True"}, `REGISTRATION_OPEN must be True or False`},
		{map[string]string{"REGISTRATION_OPEN": "false"}, `REGISTRATION_OPEN must be True or False`}, // "" is False, as upstream's envbool
		{map[string]string{"SITE_ROOT": "example.org"}, `SITE_ROOT must be an http:// or https:// URL`},
		{map[string]string{"SITE_ROOT": "ftp://example.org"}, `SITE_ROOT must be`},
		{map[string]string{"SITE_ROOT": "http://exa mple.org"}, `SITE_ROOT must be`},
		{map[string]string{"DB": "postgres", "DB_PORT": "99999"}, `DB_PORT must be a port number`},
		{map[string]string{"DB": "postgres", "DB_SSLMODE": "maybe"}, `DB_SSLMODE must be`},
		{map[string]string{"DB_NAME": ""}, `DB_NAME must not be empty`},
		{map[string]string{"EMAIL_PORT": "0"}, `EMAIL_PORT must be a whole number from 1 to 65535`},
		{map[string]string{"EMAIL_USE_TLS": "True", "EMAIL_USE_SSL": "True"}, `EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be True`},
		{map[string]string{"EMAIL_MAIL_FROM_TMPL": "bounces@example.org"}, `EMAIL_MAIL_FROM_TMPL must be an address with one %s in its local part, such as %s@bounces.example.org`},
		{map[string]string{"EMAIL_MAIL_FROM_TMPL": "%s-%d@example.org"}, `EMAIL_MAIL_FROM_TMPL must be an address with one %s in its local part, such as %s@bounces.example.org`},
		{map[string]string{"PING_LOG_LIMIT": "0"}, `PING_LOG_LIMIT must be`},
		{map[string]string{"SMTPD_PORT": "x\x00"}, `SMTPD_PORT must be`},
		{map[string]string{"PROMETHEUS_ENABLED": "1"}, `PROMETHEUS_ENABLED must be True or False`},
		{map[string]string{"METRICS_KEY": " k"}, `METRICS_KEY must not start or end with whitespace`},
		{map[string]string{"METRICS_KEY": "k\n"}, `METRICS_KEY must not start or end with whitespace`},
		{map[string]string{"METRICS_KEY": "a\x01b"}, `METRICS_KEY must not start or end with whitespace or contain control characters`},
		{map[string]string{"API_RATE_LIMIT": "-1"}, `API_RATE_LIMIT must be a whole number from 0 to 1000000, not "-1"`},
		{map[string]string{"API_RATE_LIMIT": "100/min"}, `API_RATE_LIMIT must be a whole number from 0 to 1000000`},
		{map[string]string{"API_RATE_LIMIT": "None"}, `API_RATE_LIMIT must be a whole number`},
	}
	for _, tc := range cases {
		_, err := load(envOf(tc.env), noFiles)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("env %q: err = %v, want prefix %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("env %q: error is not one line: %q", tc.env, err)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c, err := load(envOf(map[string]string{"SECRET_KEY": "s3cr3t", "DB_PASSWORD": "hunter2", "EMAIL_HOST_PASSWORD": "mailpw"}), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Redacted(), "\n")
	for _, secret := range []string{"s3cr3t", "hunter2", "mailpw"} {
		if strings.Contains(all, secret) {
			t.Errorf("Redacted() leaks %q", secret)
		}
	}
	if !strings.Contains(all, "SECRET_KEY=********") {
		t.Errorf("Redacted() = %q, want SECRET_KEY masked", all)
	}
}

// TestMetricsKeyAndRateLimit: METRICS_KEY is read as given (upstream's
// os.getenv; empty keeps /api/v3/metrics/ closed) and API_RATE_LIMIT is
// off unless set.
func TestMetricsKeyAndRateLimit(t *testing.T) {
	c, err := load(envOf(nil), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsKey != "" || c.APIRateLimit != 0 {
		t.Errorf("defaults: MetricsKey=%q APIRateLimit=%d, want empty and 0", c.MetricsKey, c.APIRateLimit)
	}
	c, err = load(envOf(map[string]string{"METRICS_KEY": "s3cr3t metrics key", "API_RATE_LIMIT": " 100 "}), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsKey != "s3cr3t metrics key" || c.APIRateLimit != 100 {
		t.Errorf("MetricsKey=%q APIRateLimit=%d", c.MetricsKey, c.APIRateLimit)
	}
	all := strings.Join(c.Redacted(), "\n")
	if strings.Contains(all, "s3cr3t") || !strings.Contains(all, "METRICS_KEY=********") || !strings.Contains(all, "API_RATE_LIMIT=100") {
		t.Errorf("Redacted() = %q", all)
	}
}

// TestSpecAuditEmptyBooleans: upstream's envbool reads a variable set to ""
// as False (not as its default, and not as an error).
func TestSpecAuditEmptyBooleans(t *testing.T) {
	c, err := load(envOf(map[string]string{"PROMETHEUS_ENABLED": "", "REGISTRATION_OPEN": "", "EMAIL_USE_TLS": "", "WEBHOOKS_ENABLED": "True"}), noFiles)
	if err != nil || c.PrometheusEnabled || c.RegistrationOpen || c.EmailUseTLS || !c.WebhooksEnabled {
		t.Errorf("empty booleans: prometheus=%v registration=%v tls=%v webhooks=%v err=%v",
			c.PrometheusEnabled, c.RegistrationOpen, c.EmailUseTLS, c.WebhooksEnabled, err)
	}
	// Anything else but True and False still stops start-up.
	for _, v := range []string{" ", "true", "FALSE", "0", "True "} {
		if _, err := load(envOf(map[string]string{"PROMETHEUS_ENABLED": v}), noFiles); err == nil {
			t.Errorf("PROMETHEUS_ENABLED=%q accepted", v)
		}
	}
}
