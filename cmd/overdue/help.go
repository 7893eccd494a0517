package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/schedule"
)

// command is one entry of the CLI. The table below drives dispatch, the
// command list of `overdue --help` and each command's own --help, so a
// command cannot exist without its help.
type command struct {
	name    string // "serve", or "project create" for a subcommand
	summary string // one line for the command list
	about   string // the paragraph --help prints under the usage line
	// env lists the main environment variables the command reads.
	env []string
	run func(ctx context.Context, args []string, e env) int
}

// commandTable is the CLI: dispatch, `overdue --help` and each command's
// --help all read it. It is built on each call rather than kept in a package
// variable, so nothing can change it (and it may refer to cmdHelp, which
// reads it).
func commandTable() []command {
	// serveEnv is what `overdue serve --help` names; README.md has all of them.
	serveEnv := []string{
		"SITE_ROOT       the public URL (default: from --listen, e.g. http://127.0.0.1:8000)",
		"SITE_NAME       the name shown in emails and badges (default Overdue)",
		"DB              sqlite (default), postgres or mysql",
		"DB_NAME         the SQLite file (default overdue.sqlite), or the database name (default hc)",
		"DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_SSLMODE   PostgreSQL and MySQL",
		"SECRET_KEY      signs badges and links (default: generated, kept in the database)",
		"EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, DEFAULT_FROM_EMAIL   outgoing mail",
		"PING_BODY_LIMIT bytes of a ping body kept (default 10000)",
		"ALLOWED_HOSTS   Host headers answered (default: SITE_ROOT's host and loopback)",
		"WEBHOOKS_ENABLED, INTEGRATIONS_ALLOW_PRIVATE_IPS, PROMETHEUS_ENABLED, DEBUG",
		"REMOTE_USER_HEADER  log in the user this proxy-set header names (default: off)",
		"METRICS_TOKEN, METRICS_LISTEN   the operator's /metrics (off unless one is set)",
		"LOG_FORMAT      text (default) or json",
	}
	dbEnv := []string{"DB, DB_NAME, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_SSLMODE   the database (see serve --help)"}
	return []command{
		{name: "serve", summary: "run the server (migrates the schema first)",
			about: "Runs the ping endpoints, the management API, badges and metrics and, unless --roles\n" +
				"says otherwise, the alert engine and the reports role (periodic reports and the hourly\n" +
				"retention sweep). Stops gracefully on SIGINT or SIGTERM.",
			env: serveEnv, run: cmdServe},
		{name: "sendalerts", summary: "run only the alert engine and notification sender",
			about: "Runs the alert role alone, as upstream's `manage.py sendalerts`. Any number of these\n" +
				"and of `serve` may share one PostgreSQL or MySQL database.",
			env: append(append([]string{}, dbEnv...), "EMAIL_HOST, EMAIL_PORT, ...   outgoing mail (see serve --help)"), run: cmdSendAlerts},
		{name: "sendreports", summary: "send the due periodic reports and reminders",
			about: "Sends the monthly, weekly and daily reports that are due, and the reminders about\n" +
				"checks still down, once, as upstream's `manage.py sendreports`. With --loop it keeps\n" +
				"looking every minute and also runs the hourly retention sweep (serve's reports role).\n" +
				"Any number may share one database: each email is claimed before it is sent.",
			env: append(append([]string{}, dbEnv...), "EMAIL_HOST, EMAIL_PORT, ...   outgoing mail (see serve --help)",
				"SITE_ROOT, SITE_NAME, SECRET_KEY   links in the emails"), run: cmdSendReports},
		{name: "prune", summary: "delete old pings, notifications, flips and expired sessions",
			about: "Runs one retention sweep, as serve does every hour: each check keeps its owner's\n" +
				"ping log limit of pings; notifications older than a check's oldest ping go, and\n" +
				"flips too once older than 93 days; expired sessions and login links go. Deletes\n" +
				"run in batches of 1000 rows, so pings are not held up.",
			env: dbEnv, run: cmdPrune},
		{name: "smtpd", summary: "run only the email ping listener (SMTP)",
			about: "Accepts mail for <uuid>@PING_EMAIL_DOMAIN and <ping_key>+<slug>@PING_EMAIL_DOMAIN\n" +
				"and records a ping of each check named, as upstream's `manage.py smtpd`. Other\n" +
				"recipients are refused (550 5.1.1); mail is never relayed. `serve` runs the same\n" +
				"listener when SMTPD_PORT is set.",
			env: append(append([]string{}, dbEnv...),
				"PING_EMAIL_DOMAIN  the domain of ping addresses (default localhost)",
				"SMTPD_PORT      the port when --port is absent (default 25)",
				"SMTPD_TLS_CERT, SMTPD_TLS_KEY   PEM files: offer STARTTLS",
				"PING_BODY_LIMIT bytes of a ping body kept (default 10000)"),
			run: cmdSMTPD},
		{name: "reminders", summary: "email a user about their down checks every hour or day",
			about: "Sets a user's reminders (upstream's nag period): while any of their checks is\n" +
				"down, an email lists them every hour or every day.",
			env: dbEnv, run: cmdReminders},
		{name: "removefactors", summary: "remove a user's second factors (TOTP and security keys)",
			about: "Recovery for a user who lost their authenticator app or security keys: removes\n" +
				"every second factor, so that the password or a login link alone logs them in.",
			env: dbEnv, run: cmdRemoveFactors},
		{name: "user", summary: "manage users (subcommand: limits)"},
		{name: "user limits", summary: "show or change a user's check, ping log, SMS and call limits",
			about: "Prints a user's limits, or changes the ones given (upstream's Limits in Django admin):\n" +
				"--check-limit and --sms-limit / --call-limit (a month) from 0 to 1000000, --ping-log-limit\n" +
				"from 1. A value out of range changes nothing. Lowering a limit removes nothing: it stops\n" +
				"new checks or sends until the user is under it. (Upstream v4.1 dropped team limits.)",
			env: dbEnv, run: cmdUserLimits},
		{name: "settelegramwebhook", summary: "tell Telegram where the bot's webhook is", about: "Calls Telegram's setWebhook with SITE_ROOT/integrations/telegram/bot/, as upstream's `manage.py settelegramwebhook`.", env: []string{"TELEGRAM_TOKEN  the bot's token (required)", "SITE_ROOT       the public https URL"}, run: cmdSetTelegramWebhook},
		{name: "integration", summary: "manage a project's integrations (subcommand: add)"},
		{name: "integration add", summary: "add an email or webhook integration to every check of a project",
			about: "Adds an integration to a project and links it to every check there. A new email\n" +
				"address gets a verification link unless EMAIL_USE_VERIFICATION is False.",
			env: dbEnv, run: cmdIntegrationAdd},
		{name: "import", summary: "copy an upstream Healthchecks database into this one",
			about: "Reads a Healthchecks (v2.0 to v4.3) database, named by --from as a SQLite file or a\n" +
				"postgres:// or mysql:// URL, and copies its users (with their password hashes),\n" +
				"projects, team members, API keys, checks, integrations, recent pings and flips into\n" +
				"the configured database, keeping every UUID and key. One transaction: on any error\n" +
				"nothing is written. Running it again updates or skips what is already there.\n" +
				"--dry-run prints the same summary and writes nothing.",
			env: append(append([]string{}, dbEnv...), "SECRET_KEY      set it to upstream's: hashed API keys and badge URLs need it"), run: cmdImport},
		{name: "migrate", summary: "bring the database schema up to date",
			about: "Applies the migrations this version has to the configured database. `serve` does\n" +
				"this itself on start-up.",
			env: dbEnv, run: cmdMigrate},
		{name: "createsuperuser", summary: "create an administrator (prompts for the password)",
			about: "Creates a user with a first project, as upstream's `manage.py createsuperuser`.\n" +
				"The password is read from standard input when --password is absent.",
			env: dbEnv, run: cmdCreateSuperuser},
		{name: "project", summary: "manage projects (subcommand: create)"},
		{name: "project create", summary: "create a project (and its owner if missing)",
			about: "Creates a project and prints its UUID, API keys and ping key. The keys are shown\n" +
				"only once: the database keeps hashes of the API keys.",
			env: dbEnv, run: cmdProjectCreate},
		{name: "schedule", summary: "work with schedules (subcommand: preview)"},
		{name: "schedule preview", summary: "print the next fire times of a cron or OnCalendar schedule",
			run: func(_ context.Context, args []string, e env) int {
				return schedule.RunPreviewCommand(args, time.Now(), e.stdout, e.stderr)
			}},
		{name: "healthcheck", summary: "ask a running server whether it is ready (for Docker's HEALTHCHECK)",
			about: "GETs /readyz (or /healthz with --live) of the server at --addr, under SITE_ROOT's\n" +
				"path, and exits 0 when it answers 200, 1 otherwise.",
			env: []string{"SITE_ROOT       its path is the prefix of the health endpoints"}, run: cmdHealthcheck},
		{name: "version", summary: "print the version", about: "Prints the version, the commit it was built from when known, and the Go version.", run: cmdVersion},
		{name: "help", summary: "print this help, or a command's (overdue help COMMAND)", run: cmdHelp},
	}
}

func lookupCommand(name string) *command {
	for _, c := range commandTable() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

// subcommands lists the entries under group ("project" -> "project create").
func subcommands(group string) []command {
	var out []command
	for _, c := range commandTable() {
		if strings.HasPrefix(c.name, group+" ") {
			out = append(out, c)
		}
	}
	return out
}

func isHelpArg(s string) bool { return s == "-h" || s == "--help" || s == "-help" }

// run dispatches args to a command; it returns the process's exit status.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	if isHelpArg(args[0]) {
		printUsage(e.stdout)
		return exitOK
	}
	if args[0] == "--version" {
		return cmdVersion(ctx, nil, e)
	}
	c := lookupCommand(args[0])
	if c == nil || strings.Contains(args[0], " ") {
		fmt.Fprintf(e.stderr, "overdue: unknown command %q\n", args[0])
		printUsage(e.stderr)
		return exitUsage
	}
	rest := args[1:]
	if c.run == nil { // a group: the next word names the subcommand
		subs := subcommands(c.name)
		if len(rest) > 0 && isHelpArg(rest[0]) {
			printGroup(e.stdout, c, subs)
			return exitOK
		}
		if len(rest) > 0 {
			if sub := lookupCommand(c.name + " " + rest[0]); sub != nil {
				return sub.run(ctx, rest[1:], e)
			}
			fmt.Fprintf(e.stderr, "overdue %s: unknown subcommand %q\n", c.name, rest[0])
		} else {
			fmt.Fprintf(e.stderr, "overdue %s: expected a subcommand\n", c.name)
		}
		printGroup(e.stderr, c, subs)
		return exitUsage
	}
	return c.run(ctx, rest, e)
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: overdue <command> [flags]\n\nOverdue monitors cron jobs and heartbeats: jobs ping it, and it alerts when a ping is late.\n\nCommands:\n")
	for _, c := range commandTable() {
		if c.run == nil {
			continue // groups are listed through their subcommands
		}
		fmt.Fprintf(&b, "  %-18s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `overdue <command> --help` for a command's flags. Configuration comes from\n" +
		"environment variables with Healthchecks' names (DB, DB_NAME, SITE_ROOT, ...); see README.md.\n")
	io.WriteString(w, b.String())
}

func printGroup(w io.Writer, g *command, subs []command) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: overdue %s <subcommand> [flags]\n\n%s.\n\nSubcommands:\n", g.name, upperFirst(g.summary))
	for _, s := range subs {
		fmt.Fprintf(&b, "  %-18s %s\n", strings.TrimPrefix(s.name, g.name+" "), s.summary)
	}
	fmt.Fprintf(&b, "\nRun `overdue %s <subcommand> --help` for its flags.\n", g.name)
	io.WriteString(w, b.String())
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cliFlags is a command's flag set, with the help text of its table entry.
type cliFlags struct {
	*flag.FlagSet
	e   env
	cmd *command
}

// newFlags makes the flag set of the command named name. Its help goes to
// stdout with exit 0 when asked for, and to stderr with exit 2 after a
// usage error.
func newFlags(name string, e env) *cliFlags {
	fs := flag.NewFlagSet("overdue "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr) // where flag reports a bad flag
	fs.Usage = func() {}   // printed by parse, to the right stream
	c := lookupCommand(name)
	if c == nil {
		panic("overdue: no help entry for command " + name) // a programming error, caught by the help tests
	}
	return &cliFlags{FlagSet: fs, e: e, cmd: c}
}

// parse parses args and rejects leftover positional arguments. When it
// returns false the command must exit with code: 0 after --help, 2 after a
// usage error (its message and the help are on stderr by then).
func (f *cliFlags) parse(args []string) (code int, ok bool) {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.printHelp(f.e.stdout)
			return exitOK, false
		}
		f.printHelp(f.e.stderr)
		return exitUsage, false
	}
	if f.NArg() > 0 {
		fmt.Fprintf(f.e.stderr, "%s: unexpected argument %q\n", f.Name(), f.Arg(0))
		f.printHelp(f.e.stderr)
		return exitUsage, false
	}
	return exitOK, true
}

func (f *cliFlags) printHelp(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: overdue %s [flags]\n\n", f.cmd.name)
	about := f.cmd.about
	if about == "" {
		about = upperFirst(f.cmd.summary) + "."
	}
	b.WriteString(about + "\n")
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		out := f.Output()
		f.SetOutput(&b)
		f.PrintDefaults()
		f.SetOutput(out)
	}
	if len(f.cmd.env) > 0 {
		b.WriteString("\nEnvironment:\n")
		for _, v := range f.cmd.env {
			b.WriteString("  " + v + "\n")
		}
	}
	io.WriteString(w, b.String())
}

func cmdHelp(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || isHelpArg(args[0]) {
		printUsage(e.stdout)
		return exitOK
	}
	name := strings.Join(args, " ")
	c := lookupCommand(name)
	if c == nil || c.name == "help" {
		if c == nil {
			fmt.Fprintf(e.stderr, "overdue help: unknown command %q\n", name)
			printUsage(e.stderr)
			return exitUsage
		}
		printUsage(e.stdout)
		return exitOK
	}
	if c.run == nil {
		printGroup(e.stdout, c, subcommands(c.name))
		return exitOK
	}
	return c.run(ctx, []string{"--help"}, e)
}

func cmdVersion(_ context.Context, args []string, e env) int {
	fs := newFlags("version", e)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	bi, _ := debug.ReadBuildInfo() // nil without module support; versionText says so
	fmt.Fprintln(e.stdout, "overdue", versionText(bi))
	return exitOK
}

// version is the short form for logs: the module version, or the commit.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v, rev, _, _ := buildFacts(bi)
	if v == "" {
		if rev == "" {
			return "source"
		}
		return rev
	}
	return v
}

// buildFacts reads what the Go toolchain stamped: the module version
// ("" for "(devel)"), the VCS commit (shortened), its time, and whether the
// tree had uncommitted changes.
func buildFacts(bi *debug.BuildInfo) (ver, rev, when string, modified bool) {
	if bi == nil {
		return "", "", "", false
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		ver = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return ver, rev, when, modified
}

// versionText is what `overdue version` prints after the name: the module
// version, the commit and its date when the build was stamped, and always
// the Go version and platform, so a bug report says what was run.
func versionText(bi *debug.BuildInfo) string {
	ver, rev, when, modified := buildFacts(bi)
	var parts []string
	if rev != "" {
		c := "commit " + rev
		if when != "" {
			c += " of " + when
		}
		if modified {
			c += ", with uncommitted changes"
		}
		parts = append(parts, c)
	}
	goVer := runtime.Version()
	if bi != nil && bi.GoVersion != "" {
		goVer = bi.GoVersion
	}
	parts = append(parts, goVer+" "+runtime.GOOS+"/"+runtime.GOARCH)
	if ver == "" {
		ver = "built from source"
		if rev == "" {
			parts = append([]string{"no version or commit recorded"}, parts...)
		}
	}
	return ver + " (" + strings.Join(parts, "; ") + ")"
}

// commandNames lists every command and subcommand, for the help tests.
func commandNames() []string {
	var out []string
	for _, c := range commandTable() {
		out = append(out, c.name)
	}
	return out
}
