// Package config reads Overdue's configuration from environment variables
// that carry upstream Healthchecks' names and meanings, so that an existing
// Healthchecks .env file works unchanged.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config is the validated configuration. It is built once in main and passed
// explicitly; nothing reads the environment after start-up.
type Config struct {
	// DB is the engine: "sqlite", "postgres" or "mysql" ("mariadb" is read as "mysql").
	DB                   string
	DBName               string
	DBHost               string
	DBPort               string
	DBUser               string
	DBPassword           string
	DBSSLMode            string
	DBTargetSessionAttrs string

	// SiteRoot is SITE_ROOT without its trailing slash; BasePath is its path
	// ("" or "/hc"), the prefix under which every route is served.
	SiteRoot        string
	BasePath        string
	SiteName        string
	PingEndpoint    string
	PingEmailDomain string
	// PingBodyLimit is the number of body bytes stored per ping; -1 means no
	// limit (upstream's PING_BODY_LIMIT=None).
	PingBodyLimit int
	// PingLogLimit is how many pings are kept per check (upstream keeps it per
	// user profile, default 100).
	PingLogLimit int

	SecretKey        string
	Debug            bool
	AllowedHosts     []string
	RegistrationOpen bool

	DefaultFromEmail     string
	EmailHost            string
	EmailPort            int
	EmailHostUser        string
	EmailHostPassword    string
	EmailUseTLS          bool
	EmailUseSSL          bool
	EmailUseVerification bool
	// EmailMailFromTmpl is EMAIL_MAIL_FROM_TMPL, e.g. "%s@bounces.example.org":
	// the envelope sender of alert emails with the signed bounce ID in place
	// of %s, so bounces can be fed back through /api/v3/bounces/.
	EmailMailFromTmpl string

	IntegrationsAllowPrivateIPs bool
	// WebhooksEnabled is WEBHOOKS_ENABLED: webhook channels send (default True).
	WebhooksEnabled bool
	SMTPDPort       int
	// SMTPDTLSCert and SMTPDTLSKey (SMTPD_TLS_CERT, SMTPD_TLS_KEY) are PEM
	// files; when both are set the SMTP listener offers STARTTLS.
	SMTPDTLSCert string
	SMTPDTLSKey  string

	// MasterBadgeLabel labels the all-checks badge (default SITE_NAME).
	MasterBadgeLabel  string
	PrometheusEnabled bool

	// MetricsKey is upstream's METRICS_KEY: the X-Metrics-Key value that
	// opens the operator endpoint /api/v3/metrics/; empty keeps it closed
	// (403), as upstream. It is not the Prometheus export, which takes a
	// project's read-only API key.
	MetricsKey string
	// APIRateLimit is API_RATE_LIMIT (ours, not upstream's): Management API
	// requests per minute per API key, per process; 0 (the default) means
	// no limit, as in upstream's open-source code. The hosted
	// healthchecks.io allows 100.
	APIRateLimit int
}

// Env looks up one variable; os.LookupEnv in production, a map in tests.
type Env func(name string) (string, bool)

// FromOS is the Env of the running process.
func FromOS() Env { return os.LookupEnv }

// secretsWithFile are the variables that also accept NAME_FILE, as upstream
// (v3.13+): the file's stripped content wins over the plain variable.
var secretsWithFile = map[string]bool{
	"SECRET_KEY": true, "DB_PASSWORD": true, "EMAIL_HOST_PASSWORD": true,
}

type reader struct {
	env      Env
	readFile func(string) ([]byte, error)
	err      error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) str(name, def string) string {
	if secretsWithFile[name] {
		if path, ok := r.env(name + "_FILE"); ok && path != "" {
			b, err := r.readFile(path)
			if err != nil {
				r.fail("%s_FILE names a file that cannot be read: %v", name, err)
				return def
			}
			return strings.TrimSpace(string(b))
		}
	}
	if v, ok := r.env(name); ok {
		return v
	}
	return def
}

// boolean accepts exactly "True" or "False", as upstream's envbool does,
// which also reads a variable set to the empty string as False (so that
// "PROMETHEUS_ENABLED=" in an .env file switches the feature off).
func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.env(name)
	if !ok {
		return def
	}
	switch v {
	case "True":
		return true
	case "False", "":
		return false
	}
	r.fail("%s must be True or False, not %q", name, v)
	return def
}

// integer reads a whole number in [min, max]; allowNone maps "None" to -1.
func (r *reader) integer(name string, def, min, max int, allowNone bool) int {
	v, ok := r.env(name)
	if !ok {
		return def
	}
	if allowNone && v == "None" {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		what := fmt.Sprintf("a whole number from %d to %d", min, max)
		if allowNone {
			what += " or None"
		}
		r.fail("%s must be %s, not %q", name, what, v)
		return def
	}
	return n
}

// Load reads and validates the configuration. The error is one sentence that
// names the variable and what it accepts.
func Load(env Env) (Config, error) {
	return load(env, os.ReadFile)
}

func load(env Env, readFile func(string) ([]byte, error)) (Config, error) {
	r := &reader{env: env, readFile: readFile}
	var c Config

	switch db := r.str("DB", "sqlite"); strings.ToLower(db) {
	case "", "sqlite", "sqlite3":
		c.DB = "sqlite"
	case "postgres", "postgresql":
		c.DB = "postgres"
	case "mysql", "mariadb":
		c.DB = "mysql"
	default:
		r.fail("DB must be sqlite, postgres, mysql or mariadb, not %q", db)
	}
	defName, defUser := "hc", "postgres"
	switch c.DB {
	case "sqlite":
		defName, defUser = "overdue.sqlite", ""
	case "mysql":
		defUser = "root"
	}
	c.DBName = r.str("DB_NAME", defName)
	c.DBHost = r.str("DB_HOST", "")
	c.DBPort = r.str("DB_PORT", "")
	c.DBUser = r.str("DB_USER", defUser)
	c.DBPassword = r.str("DB_PASSWORD", "")
	c.DBSSLMode = r.str("DB_SSLMODE", "prefer")
	c.DBTargetSessionAttrs = r.str("DB_TARGET_SESSION_ATTRS", "read-write")
	if c.DBPort != "" {
		if p, err := strconv.Atoi(c.DBPort); err != nil || p < 1 || p > 65535 {
			r.fail("DB_PORT must be a port number from 1 to 65535, not %q", c.DBPort)
		}
	}
	switch c.DBSSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		r.fail("DB_SSLMODE must be disable, allow, prefer, require, verify-ca or verify-full, not %q", c.DBSSLMode)
	}
	if c.DBName == "" {
		r.fail("DB_NAME must not be empty")
	}

	siteRoot := strings.TrimSuffix(r.str("SITE_ROOT", "http://localhost:8000"), "/")
	u, err := url.Parse(siteRoot)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		r.fail("SITE_ROOT must be an http:// or https:// URL such as https://example.org or https://example.org/hc, not %q", siteRoot)
		u = &url.URL{Scheme: "http", Host: "localhost:8000"}
	}
	c.SiteRoot = siteRoot
	c.BasePath = strings.TrimSuffix(u.EscapedPath(), "/")
	c.SiteName = r.str("SITE_NAME", "Overdue")
	c.PingEndpoint = r.str("PING_ENDPOINT", c.SiteRoot+"/ping/")
	c.PingEmailDomain = r.str("PING_EMAIL_DOMAIN", "localhost")
	c.PingBodyLimit = r.integer("PING_BODY_LIMIT", 10000, 0, 1<<30, true)
	c.PingLogLimit = r.integer("PING_LOG_LIMIT", 100, 1, 1_000_000, false)

	c.SecretKey = r.str("SECRET_KEY", "")
	c.Debug = r.boolean("DEBUG", false)
	c.RegistrationOpen = r.boolean("REGISTRATION_OPEN", true)
	if v, ok := env("ALLOWED_HOSTS"); ok && strings.TrimSpace(v) != "" {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.AllowedHosts = append(c.AllowedHosts, strings.ToLower(h))
			}
		}
	} else {
		// Upstream defaults to SITE_ROOT's host alone; the loopback names are
		// added so that `curl http://127.0.0.1:8000/ping/...` works on the
		// machine itself with nothing configured.
		c.AllowedHosts = []string{strings.ToLower(u.Hostname()), "localhost", "127.0.0.1", "::1"}
	}

	c.DefaultFromEmail = r.str("DEFAULT_FROM_EMAIL", "overdue@example.org")
	c.EmailHost = r.str("EMAIL_HOST", "")
	c.EmailPort = r.integer("EMAIL_PORT", 587, 1, 65535, true)
	if c.EmailPort < 0 {
		// EMAIL_PORT=None: Django's own default port.
		c.EmailPort = 25
	}
	c.EmailHostUser = r.str("EMAIL_HOST_USER", "")
	c.EmailHostPassword = r.str("EMAIL_HOST_PASSWORD", "")
	c.EmailUseTLS = r.boolean("EMAIL_USE_TLS", true)
	c.EmailUseSSL = r.boolean("EMAIL_USE_SSL", false)
	c.EmailUseVerification = r.boolean("EMAIL_USE_VERIFICATION", true)
	c.EmailMailFromTmpl = r.str("EMAIL_MAIL_FROM_TMPL", "")
	if t := c.EmailMailFromTmpl; t != "" && (strings.Count(t, "%s") != 1 || strings.Count(t, "%") != 1 || !strings.Contains(t, "@")) {
		r.fail("EMAIL_MAIL_FROM_TMPL must be an address with one %s in its local part, such as %s@bounces.example.org", "%s", "%s")
	}
	if c.EmailUseTLS && c.EmailUseSSL {
		if _, set := env("EMAIL_USE_TLS"); set {
			r.fail("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be True")
		} else {
			// Only SSL was asked for: the implicit default of STARTTLS yields.
			c.EmailUseTLS = false
		}
	}
	c.IntegrationsAllowPrivateIPs = r.boolean("INTEGRATIONS_ALLOW_PRIVATE_IPS", false)
	c.WebhooksEnabled = r.boolean("WEBHOOKS_ENABLED", true)
	c.SMTPDPort = r.integer("SMTPD_PORT", 0, 1, 65535, false)
	c.SMTPDTLSCert, c.SMTPDTLSKey = r.str("SMTPD_TLS_CERT", ""), r.str("SMTPD_TLS_KEY", "")
	if (c.SMTPDTLSCert == "") != (c.SMTPDTLSKey == "") {
		r.fail("SMTPD_TLS_CERT and SMTPD_TLS_KEY must be set together")
	}

	c.MasterBadgeLabel = r.str("MASTER_BADGE_LABEL", c.SiteName)
	c.PrometheusEnabled = r.boolean("PROMETHEUS_ENABLED", true)

	c.MetricsKey = r.str("METRICS_KEY", "")
	// An HTTP header value loses surrounding whitespace and cannot carry
	// control characters, so such a key could never be presented.
	if k := c.MetricsKey; k != strings.TrimSpace(k) || strings.ContainsFunc(k, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		r.fail("METRICS_KEY must not start or end with whitespace or contain control characters, since the X-Metrics-Key header cannot carry them")
	}
	c.APIRateLimit = r.integer("API_RATE_LIMIT", 0, 0, 1_000_000, false)

	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// HostAllowed reports whether a request's Host header (with or without port)
// is one of ALLOWED_HOSTS; "*" allows any host and ".example.org" a domain and
// its subdomains, as Django does.
func (c *Config) HostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	for _, a := range c.AllowedHosts {
		switch {
		case a == "*":
			return true
		case strings.HasPrefix(a, "."):
			if host == a[1:] || strings.HasSuffix(host, a) {
				return true
			}
		case strings.Trim(a, "[]") == host:
			return true
		}
	}
	return false
}

// Redacted lists the configuration as NAME=value lines with secrets masked,
// for `overdue serve` start-up logs and bug reports.
func (c *Config) Redacted() []string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "********"
	}
	return []string{
		"DB=" + c.DB, "DB_NAME=" + c.DBName, "DB_HOST=" + c.DBHost, "DB_PORT=" + c.DBPort,
		"DB_USER=" + c.DBUser, "DB_PASSWORD=" + mask(c.DBPassword), "DB_SSLMODE=" + c.DBSSLMode,
		"SITE_ROOT=" + c.SiteRoot, "SITE_NAME=" + c.SiteName, "PING_ENDPOINT=" + c.PingEndpoint,
		"PING_BODY_LIMIT=" + strconv.Itoa(c.PingBodyLimit), "SECRET_KEY=" + mask(c.SecretKey),
		"ALLOWED_HOSTS=" + strings.Join(c.AllowedHosts, ","),
		"EMAIL_HOST=" + c.EmailHost, "EMAIL_HOST_PASSWORD=" + mask(c.EmailHostPassword),
		"METRICS_KEY=" + mask(c.MetricsKey), "API_RATE_LIMIT=" + strconv.Itoa(c.APIRateLimit),
	}
}
