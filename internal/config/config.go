// Package config reads Overdue's configuration from environment variables
// that carry upstream Healthchecks' names and meanings, so that an existing
// Healthchecks .env file works unchanged.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/pycompat"
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
	// RemoteUserHeader is upstream's REMOTE_USER_HEADER: when set, the UI
	// logs in the user whose email this header (set by a trusted reverse
	// proxy) names. Django's META form ("HTTP_X_AUTHENTICATED_USER") or a
	// header name; "" (the default) turns it off.
	RemoteUserHeader string

	// MetricsToken (METRICS_TOKEN, ours) opens the operator's /metrics on
	// the main listener to requests with "Authorization: Bearer <token>".
	// MetricsListen (METRICS_LISTEN, ours) is a separate host:port serving
	// /metrics, /healthz and /readyz only. With neither, /metrics is off.
	MetricsToken  string
	MetricsListen string
	// LogFormat is LOG_FORMAT (ours): "text" (logfmt-style lines, the
	// default) or "json" (one JSON object per line, for log collectors).
	LogFormat string

	// settings are the variables declared outside the table (the
	// integrations' own, given to Load), without repeats, as Load read
	// them; Env answers them and Redacted lists them.
	settings []settingValue
}

// Setting is an operator variable that a part outside this table declares
// and reads itself (an integration's TELEGRAM_TOKEN, TWILIO_FROM, ...), by
// upstream's name. Load reads it by the table's rules for a string, so it
// is in the redacted dump and a Secret one accepts NAME_FILE.
type Setting struct {
	Name    string
	Default string
	// Secret settings are masked in the dump and never logged, and accept
	// NAME_FILE as the table's secrets do: upstream reads each of them
	// with envsecret.
	Secret bool
	// Help is one line for the README and `overdue help`.
	Help string
}

// settingValue is a Setting as Load read it.
type settingValue struct {
	Setting
	value string
	set   bool
}

// Env looks up one variable; os.LookupEnv in production, a map in tests.
type Env func(name string) (string, bool)

// FromOS is the Env of the running process.
func FromOS() Env { return os.LookupEnv }

// kind is how a variable's text is read.
type kind int

const (
	kindString kind = iota // as given
	kindBool               // "True", "False", or "" (False), as upstream's envbool
	kindInt                // Python's int() (upstream's envint) within [min, max]
	kindList               // comma-separated, items trimmed and lower-cased
)

// variable is one entry of the configuration table: loading, validation
// and the redacted dump all come from it.
type variable struct {
	name string
	kind kind
	// def is the value when the variable is unset, in the variable's own
	// syntax; defFn, when set, computes it from the variables read before.
	def   string
	defFn func(c *Config) string
	// secret values are masked in Redacted.
	secret bool
	// file: NAME_FILE, when not empty, names a file whose stripped content
	// wins over NAME (upstream's envsecret, v3.13+).
	file bool
	// min and max bound a kindInt; none, when set, is the value "None" reads as.
	min, max int
	none     *int
	// field is the Config field the value goes to (*string, *bool, *int or *[]string).
	field func(c *Config) any
	// check validates (and may normalise) the value once it is in c.
	check func(c *Config) error
}

func intp(n int) *int { return &n }

// variables is the configuration table, in loading order. It is built by a
// function so that nothing in the package is mutable state.
func variables() []variable {
	str := func(name, def string, field func(c *Config) *string) variable {
		return variable{name: name, kind: kindString, def: def, field: func(c *Config) any { return field(c) }}
	}
	boolean := func(name string, def bool, field func(c *Config) *bool) variable {
		d := "False"
		if def {
			d = "True"
		}
		return variable{name: name, kind: kindBool, def: d, field: func(c *Config) any { return field(c) }}
	}
	integer := func(name string, def, min, max int, none *int, field func(c *Config) *int) variable {
		return variable{name: name, kind: kindInt, def: strconv.Itoa(def), min: min, max: max, none: none, field: func(c *Config) any { return field(c) }}
	}
	with := func(v variable, f func(v *variable)) variable { f(&v); return v }
	secret := func(v variable, file bool) variable { v.secret, v.file = true, file; return v }
	return []variable{
		with(str("DB", "sqlite", func(c *Config) *string { return &c.DB }), func(v *variable) {
			v.check = func(c *Config) error {
				switch strings.ToLower(c.DB) {
				case "", "sqlite", "sqlite3":
					c.DB = "sqlite"
				case "postgres", "postgresql":
					c.DB = "postgres"
				case "mysql", "mariadb":
					c.DB = "mysql"
				default:
					return fmt.Errorf("DB must be sqlite, postgres, mysql or mariadb, not %q", c.DB)
				}
				return nil
			}
		}),
		with(str("DB_NAME", "", func(c *Config) *string { return &c.DBName }), func(v *variable) {
			v.defFn = func(c *Config) string {
				if c.DB == "sqlite" {
					return "overdue.sqlite"
				}
				return "hc"
			}
			v.check = func(c *Config) error {
				if c.DBName == "" {
					return errors.New("DB_NAME must not be empty")
				}
				return nil
			}
		}),
		str("DB_HOST", "", func(c *Config) *string { return &c.DBHost }),
		with(str("DB_PORT", "", func(c *Config) *string { return &c.DBPort }), func(v *variable) {
			v.check = func(c *Config) error {
				if c.DBPort != "" {
					if p, err := strconv.Atoi(c.DBPort); err != nil || p < 1 || p > 65535 {
						return fmt.Errorf("DB_PORT must be a port number from 1 to 65535, not %q", c.DBPort)
					}
				}
				return nil
			}
		}),
		with(str("DB_USER", "", func(c *Config) *string { return &c.DBUser }), func(v *variable) {
			v.defFn = func(c *Config) string {
				switch c.DB {
				case "sqlite":
					return ""
				case "mysql":
					return "root"
				}
				return "postgres"
			}
		}),
		secret(str("DB_PASSWORD", "", func(c *Config) *string { return &c.DBPassword }), true),
		with(str("DB_SSLMODE", "prefer", func(c *Config) *string { return &c.DBSSLMode }), func(v *variable) {
			v.check = choice("DB_SSLMODE", func(c *Config) string { return c.DBSSLMode },
				"disable", "allow", "prefer", "require", "verify-ca", "verify-full")
		}),
		with(str("DB_TARGET_SESSION_ATTRS", "read-write", func(c *Config) *string { return &c.DBTargetSessionAttrs }), func(v *variable) {
			v.check = choice("DB_TARGET_SESSION_ATTRS", func(c *Config) string { return c.DBTargetSessionAttrs },
				"any", "read-write", "read-only", "primary", "standby", "prefer-standby")
		}),

		with(str("SITE_ROOT", "http://localhost:8000", func(c *Config) *string { return &c.SiteRoot }), func(v *variable) {
			v.check = func(c *Config) error {
				c.SiteRoot = strings.TrimSuffix(c.SiteRoot, "/")
				u, err := url.Parse(c.SiteRoot)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
					return fmt.Errorf("SITE_ROOT must be an http:// or https:// URL such as https://example.org or https://example.org/hc, not %q", c.SiteRoot)
				}
				c.BasePath = strings.TrimSuffix(u.EscapedPath(), "/")
				return nil
			}
		}),
		str("SITE_NAME", "Overdue", func(c *Config) *string { return &c.SiteName }),
		with(str("PING_ENDPOINT", "", func(c *Config) *string { return &c.PingEndpoint }), func(v *variable) {
			v.defFn = func(c *Config) string { return c.SiteRoot + "/ping/" }
		}),
		str("PING_EMAIL_DOMAIN", "localhost", func(c *Config) *string { return &c.PingEmailDomain }),
		integer("PING_BODY_LIMIT", 10000, 0, 1<<30, intp(-1), func(c *Config) *int { return &c.PingBodyLimit }),
		integer("PING_LOG_LIMIT", 100, 1, 1_000_000, nil, func(c *Config) *int { return &c.PingLogLimit }),

		secret(str("SECRET_KEY", "", func(c *Config) *string { return &c.SecretKey }), true),
		boolean("DEBUG", false, func(c *Config) *bool { return &c.Debug }),
		boolean("REGISTRATION_OPEN", true, func(c *Config) *bool { return &c.RegistrationOpen }),
		{name: "ALLOWED_HOSTS", kind: kindList, field: func(c *Config) any { return &c.AllowedHosts },
			// Upstream defaults to SITE_ROOT's host alone; the loopback names
			// are added so that `curl http://127.0.0.1:8000/ping/...` works on
			// the machine itself with nothing configured.
			defFn: func(c *Config) string {
				host := "localhost"
				if u, err := url.Parse(c.SiteRoot); err == nil && u.Hostname() != "" {
					host = u.Hostname()
				}
				return host + ",localhost,127.0.0.1,::1"
			}},

		str("DEFAULT_FROM_EMAIL", "overdue@example.org", func(c *Config) *string { return &c.DefaultFromEmail }),
		str("EMAIL_HOST", "", func(c *Config) *string { return &c.EmailHost }),
		// EMAIL_PORT=None: Django's own default port.
		integer("EMAIL_PORT", 587, 1, 65535, intp(25), func(c *Config) *int { return &c.EmailPort }),
		str("EMAIL_HOST_USER", "", func(c *Config) *string { return &c.EmailHostUser }),
		secret(str("EMAIL_HOST_PASSWORD", "", func(c *Config) *string { return &c.EmailHostPassword }), true),
		boolean("EMAIL_USE_TLS", true, func(c *Config) *bool { return &c.EmailUseTLS }),
		boolean("EMAIL_USE_SSL", false, func(c *Config) *bool { return &c.EmailUseSSL }),
		boolean("EMAIL_USE_VERIFICATION", true, func(c *Config) *bool { return &c.EmailUseVerification }),
		with(str("EMAIL_MAIL_FROM_TMPL", "", func(c *Config) *string { return &c.EmailMailFromTmpl }), func(v *variable) {
			v.check = func(c *Config) error {
				if t := c.EmailMailFromTmpl; t != "" && (strings.Count(t, "%s") != 1 || strings.Count(t, "%") != 1 || !strings.Contains(t, "@")) {
					return errors.New("EMAIL_MAIL_FROM_TMPL must be an address with one %s in its local part, such as %s@bounces.example.org")
				}
				return nil
			}
		}),
		boolean("INTEGRATIONS_ALLOW_PRIVATE_IPS", false, func(c *Config) *bool { return &c.IntegrationsAllowPrivateIPs }),
		boolean("WEBHOOKS_ENABLED", true, func(c *Config) *bool { return &c.WebhooksEnabled }),
		// Unset (0) means no SMTP listener, as upstream's Docker image.
		with(integer("SMTPD_PORT", 0, 1, 65535, nil, func(c *Config) *int { return &c.SMTPDPort }), func(v *variable) { v.def = "" }),
		// Both set: the SMTP listener offers STARTTLS with this pair.
		str("SMTPD_TLS_CERT", "", func(c *Config) *string { return &c.SMTPDTLSCert }),
		str("SMTPD_TLS_KEY", "", func(c *Config) *string { return &c.SMTPDTLSKey }),

		with(str("MASTER_BADGE_LABEL", "", func(c *Config) *string { return &c.MasterBadgeLabel }), func(v *variable) {
			v.defFn = func(c *Config) string { return c.SiteName }
		}),
		boolean("PROMETHEUS_ENABLED", true, func(c *Config) *bool { return &c.PrometheusEnabled }),
		with(secret(str("METRICS_KEY", "", func(c *Config) *string { return &c.MetricsKey }), false), func(v *variable) {
			// An HTTP header value loses surrounding whitespace and cannot
			// carry control characters, so such a key could never be presented.
			v.check = func(c *Config) error {
				if k := c.MetricsKey; k != strings.TrimSpace(k) || strings.ContainsFunc(k, func(r rune) bool { return r < ' ' || r == 0x7f }) {
					return errors.New("METRICS_KEY must not start or end with whitespace or contain control characters, since the X-Metrics-Key header cannot carry them")
				}
				return nil
			}
		}),
		integer("API_RATE_LIMIT", 0, 0, 1_000_000, nil, func(c *Config) *int { return &c.APIRateLimit }),
		with(str("REMOTE_USER_HEADER", "", func(c *Config) *string { return &c.RemoteUserHeader }), func(v *variable) {
			v.check = func(c *Config) error {
				h := strings.TrimSpace(c.RemoteUserHeader)
				c.RemoteUserHeader = h
				if h != "" && !validHeaderName(h) {
					return fmt.Errorf("REMOTE_USER_HEADER must be a header name such as HTTP_X_AUTHENTICATED_USER or X-Authenticated-User, not %q", h)
				}
				return nil
			}
		}),
		with(secret(str("METRICS_TOKEN", "", func(c *Config) *string { return &c.MetricsToken }), true), func(v *variable) {
			v.check = func(c *Config) error { return checkMetricsToken(c.MetricsToken) }
		}),
		with(str("METRICS_LISTEN", "", func(c *Config) *string { return &c.MetricsListen }), func(v *variable) {
			v.check = func(c *Config) error { return checkListen("METRICS_LISTEN", c.MetricsListen) }
		}),
		with(str("LOG_FORMAT", "text", func(c *Config) *string { return &c.LogFormat }), func(v *variable) {
			v.check = func(c *Config) error {
				if c.LogFormat == "" {
					c.LogFormat = "text" // set but empty reads as the default
				}
				return choice("LOG_FORMAT", func(c *Config) string { return c.LogFormat }, "text", "json")(c)
			}
		}),
	}
}

// choice is a check that the value is one of choices.
func choice(name string, get func(c *Config) string, choices ...string) func(c *Config) error {
	return func(c *Config) error {
		if v := get(c); !slices.Contains(choices, v) {
			list := strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
			return fmt.Errorf("%s must be %s, not %q", name, list, v)
		}
		return nil
	}
}

// Load reads and validates the configuration, the table's variables and
// the settings other parts declare (the integrations'). The error is one
// sentence that names the variable and what it accepts.
func Load(env Env, settings ...Setting) (Config, error) {
	return load(env, os.ReadFile, settings...)
}

func load(env Env, readFile func(string) ([]byte, error), settings ...Setting) (Config, error) {
	var c Config
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	vars := variables()
	for _, v := range vars {
		raw, set, err := read(env, v.name, v.file, readFile)
		if err != nil {
			fail(err)
		}
		if !set {
			raw = v.def
			if v.defFn != nil {
				raw = v.defFn(&c)
			}
		}
		if err := v.set(&c, raw, set); err != nil {
			fail(err)
			continue
		}
		if v.check != nil {
			if err := v.check(&c); err != nil {
				fail(err)
			}
		}
	}
	if c.EmailUseTLS && c.EmailUseSSL {
		if _, set := env("EMAIL_USE_TLS"); set {
			fail(errors.New("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be True"))
		} else {
			// Only SSL was asked for: the implicit default of STARTTLS yields.
			c.EmailUseTLS = false
		}
	}
	if (c.SMTPDTLSCert == "") != (c.SMTPDTLSKey == "") {
		fail(errors.New("SMTPD_TLS_CERT and SMTPD_TLS_KEY must be set together"))
	}
	list, err := declared(vars, settings)
	if err != nil {
		fail(err)
	}
	for _, s := range list {
		raw, set, err := read(env, s.Name, s.Secret, readFile)
		if err != nil {
			fail(err)
		}
		c.settings = append(c.settings, settingValue{Setting: s, value: raw, set: set})
	}
	if first != nil {
		return Config{}, first
	}
	return c, nil
}

// declared is settings without repeats (the Twilio ones are declared by
// three kinds) and without the table's own variables (WEBHOOKS_ENABLED),
// which the table reads. Two declarations of one name that disagree on
// the default or the secrecy are a programming error, refused here so that
// no build starts with a secret that is dumped or read from the wrong place.
func declared(vars []variable, settings []Setting) ([]Setting, error) {
	inTable := make(map[string]variable, len(vars))
	for _, v := range vars {
		inTable[v.name] = v
	}
	var out []Setting
	seen := map[string]Setting{}
	for _, s := range settings {
		if v, ok := inTable[s.Name]; ok {
			// A secret setting must be a secret with a _FILE form in the table; a plain one, plain.
			if s.Secret && !(v.secret && v.file) || !s.Secret && v.secret {
				return nil, fmt.Errorf("the setting %s is declared with another secrecy than the configuration table's", s.Name)
			}
			continue
		}
		if prev, ok := seen[s.Name]; ok {
			// The same declaration but for its help line.
			a, b := prev, s
			a.Help, b.Help = "", ""
			if a != b {
				return nil, fmt.Errorf("the setting %s is declared twice with different defaults or secrecy", s.Name)
			}
			continue
		}
		seen[s.Name] = s
		out = append(out, s)
	}
	return out, nil
}

// read is the one rule by which a variable is read: upstream's
// os.getenv, or with file its envsecret, where NAME_FILE, when set and not
// empty, names a file whose content (stripped as Python's str.strip()
// does) is the value, whatever NAME says. A NAME_FILE that cannot be read
// is an error naming it, never a fall back to NAME. It returns the text
// and whether it was given.
func read(env Env, name string, file bool, readFile func(string) ([]byte, error)) (string, bool, error) {
	if file {
		if path, ok := env(name + "_FILE"); ok && path != "" {
			b, err := readFile(path)
			if err != nil {
				return "", false, fmt.Errorf("%s_FILE names a file that cannot be read: %w", name, err)
			}
			return pycompat.Strip(string(b)), true, nil
		}
	}
	raw, ok := env(name)
	return raw, ok, nil
}

// Env is raw with the settings given to Load answered as Load read them
// (a secret's NAME_FILE content as NAME), for the parts that look their
// settings up by name: the integrations. Other names are raw's.
func (c *Config) Env(raw Env) Env {
	settings := c.settings
	return func(name string) (string, bool) {
		for _, s := range settings {
			if s.Name == name {
				return s.value, s.set
			}
		}
		if raw == nil {
			return "", false
		}
		return raw(name)
	}
}

// set parses raw into the variable's field.
func (v variable) set(c *Config, raw string, given bool) error {
	switch p := v.field(c).(type) {
	case *string:
		*p = raw
	case *bool:
		// upstream's envbool also reads a variable set to the empty string
		// as False (so that "PROMETHEUS_ENABLED=" switches the feature off).
		switch raw {
		case "True":
			*p = true
		case "False", "":
			*p = false
		default:
			return fmt.Errorf("%s must be True or False, not %q", v.name, raw)
		}
	case *int:
		if !given && raw == "" {
			*p = 0
			return nil
		}
		if v.none != nil && raw == "None" {
			*p = *v.none
			return nil
		}
		n, err := pycompat.ParseInt(raw)
		if err != nil || n < int64(v.min) || n > int64(v.max) {
			what := fmt.Sprintf("a whole number from %d to %d", v.min, v.max)
			if v.none != nil {
				what += " or None"
			}
			return fmt.Errorf("%s must be %s, not %q", v.name, what, raw)
		}
		*p = int(n)
	case *[]string:
		var items []string
		for _, h := range strings.Split(raw, ",") {
			if h = strings.TrimSpace(h); h != "" {
				items = append(items, strings.ToLower(h))
			}
		}
		if len(items) == 0 && given && v.defFn != nil {
			// Set but blank: the default, as upstream's `if v := os.getenv(...)`.
			return v.set(c, v.defFn(c), false)
		}
		*p = items
	}
	return nil
}

// show is the variable's value as Redacted prints it.
func (v variable) show(c *Config) string {
	var s string
	switch p := v.field(c).(type) {
	case *string:
		s = *p
	case *bool:
		s = "False"
		if *p {
			s = "True"
		}
	case *int:
		s = strconv.Itoa(*p)
		if v.none != nil && *p == -1 {
			s = "None"
		}
	case *[]string:
		s = strings.Join(*p, ",")
	}
	return mask(s, v.secret)
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

// Redacted lists every variable of the table, then every setting given to
// Load (a value not set shows its default), as NAME=value lines with
// secrets masked, for `overdue serve` start-up logs and bug reports.
func (c *Config) Redacted() []string {
	vars := variables()
	out := make([]string, 0, len(vars)+len(c.settings))
	for _, v := range vars {
		out = append(out, v.name+"="+v.show(c))
	}
	for _, s := range c.settings {
		v := s.value
		if !s.set {
			v = s.Default
		}
		out = append(out, s.Name+"="+mask(v, s.Secret))
	}
	return out
}

// mask is the dump's form of a value: a secret's is stars unless empty.
func mask(s string, secret bool) string {
	if secret && s != "" {
		return "********"
	}
	return s
}

// validHeaderName: letters, digits, '-' and '_' (RFC 9110 allows more,
// but no proxy sets those).
func validHeaderName(s string) bool {
	if len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
