package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
)

// Exit statuses, as DESIGN.md §5 fixes them.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is everything a command may touch outside its arguments, so tests run
// commands in-process with their own environment and buffers.
type env struct {
	getenv config.Env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// onListen, if set, is told the bound address once serve listens.
	onListen func(net.Addr)
}

const usageText = `Usage: overdue <command> [flags]

Commands:
  serve [--listen ADDR] [--roles web,alerts] [--num-workers N]
                                                run the server (migrates the schema first)
  sendalerts [--num-workers N]                  run only the alert engine and notification sender
  reminders --email E --every off|hourly|daily  email a user about their down checks every hour or day
  integration add --project UUID --kind email --email ADDR [--notify-up=false] [--notify-down=false]
  integration add --project UUID --kind webhook --url-down URL [--method-down M] [--body-down B]
                  [--header-down "Name: value"]... [--url-up URL ...]
                                                add an integration to every check of a project
  migrate                                       bring the database schema up to date
  createsuperuser --email E [--password P]      create an administrator (prompts for the password)
  project create --owner EMAIL --name NAME [--json]
                                                create a project (and its owner if missing)
  schedule preview [--kind cron|oncalendar] [--tz ZONE] [--after RFC3339] [-n N] [--] EXPR
                                                print the next fire times of a schedule
  version                                       print the version

Configuration comes from environment variables with Healthchecks' names
(DB, DB_NAME, SITE_ROOT, PING_BODY_LIMIT, ...); see README.md.
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, e)
	case "migrate":
		return cmdMigrate(ctx, rest, e)
	case "sendalerts":
		return cmdSendAlerts(ctx, rest, e)
	case "reminders":
		return cmdReminders(ctx, rest, e)
	case "integration":
		if len(rest) == 0 || rest[0] != "add" {
			fmt.Fprintln(e.stderr, "overdue integration: expected the subcommand \"add\"")
			fmt.Fprint(e.stderr, usageText)
			return exitUsage
		}
		return cmdIntegrationAdd(ctx, rest[1:], e)
	case "createsuperuser":
		return cmdCreateSuperuser(ctx, rest, e)
	case "project":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprintln(e.stderr, "overdue project: expected the subcommand \"create\"")
			fmt.Fprint(e.stderr, usageText)
			return exitUsage
		}
		return cmdProjectCreate(ctx, rest[1:], e)
	case "schedule":
		if len(rest) == 0 || rest[0] != "preview" {
			fmt.Fprintln(e.stderr, "overdue schedule: expected the subcommand \"preview\"")
			fmt.Fprint(e.stderr, usageText)
			return exitUsage
		}
		return schedule.RunPreviewCommand(rest[1:], time.Now(), e.stdout, e.stderr)
	case "version", "--version":
		fmt.Fprintln(e.stdout, "overdue", version())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "overdue: unknown command %q\n", cmd)
	fmt.Fprint(e.stderr, usageText)
	return exitUsage
}

// version is the module version stamped by the Go toolchain, with the VCS
// revision when built from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

// newFlags makes a flag set whose errors print usage and map to exit 2.
func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("overdue "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses and rejects leftover positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return false
	}
	return true
}

func loadConfig(e env) (config.Config, bool) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", strings.TrimSuffix(err.Error(), "."))
		return config.Config{}, false
	}
	return cfg, true
}

func storeConfig(c config.Config) store.Config {
	return store.Config{
		Engine: c.DB, Path: c.DBName, Name: c.DBName, Host: c.DBHost, Port: c.DBPort,
		User: c.DBUser, Password: c.DBPassword, SSLMode: c.DBSSLMode,
	}
}

// oneLine folds a driver's multi-line error (pgx lists every address it
// tried) into the single line the CLI promises.
func oneLine(err error) string {
	lines := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.TrimSuffix(strings.Join(lines, " "), ".")
}

// openConfigured loads the configuration and opens the database it names;
// on failure the reason is already on stderr.
func openConfigured(ctx context.Context, e env) (config.Config, *store.Store, bool) {
	cfg, ok := loadConfig(e)
	if !ok {
		return config.Config{}, nil, false
	}
	st, ok := openStore(ctx, cfg, e)
	return cfg, st, ok
}

// openStore opens and migrates the database named by the configuration.
func openStore(ctx context.Context, cfg config.Config, e env) (*store.Store, bool) {
	return openStoreAs(ctx, cfg, e, "hc")
}

// openStoreAs is openStore with PostgreSQL connections named app, as
// upstream names its processes' connections ("hc", "sendalerts").
func openStoreAs(ctx context.Context, cfg config.Config, e env, app string) (*store.Store, bool) {
	sc := storeConfig(cfg)
	sc.AppName = app
	st, err := store.Open(ctx, sc)
	if err != nil {
		hint := "DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD"
		if cfg.DB == "sqlite" {
			hint = "DB_NAME"
		}
		fmt.Fprintf(e.stderr, "overdue: cannot open the database (DB=%s; check %s): %s.\n", cfg.DB, hint, oneLine(err))
		return nil, false
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		fmt.Fprintf(e.stderr, "overdue: cannot migrate the database schema: %s.\n", oneLine(err))
		return nil, false
	}
	return st, true
}

func cmdMigrate(ctx context.Context, args []string, e env) int {
	fs := newFlags("migrate", e)
	if !parseFlags(fs, args) {
		return exitUsage
	}
	_, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	fmt.Fprintln(e.stdout, "The database schema is up to date.")
	return exitOK
}

func cmdServe(ctx context.Context, args []string, e env) int {
	fs := newFlags("serve", e)
	listen := fs.String("listen", "127.0.0.1:8000", "address to listen on")
	roles := fs.String("roles", "web,alerts", "comma-separated roles to run: web, alerts")
	workers := fs.Int("num-workers", 32, "notifications sent at the same time (alerts role)")
	if !parseFlags(fs, args) {
		return exitUsage
	}
	runWeb, runAlerts := false, false
	for _, r := range strings.Split(*roles, ",") {
		switch strings.TrimSpace(r) {
		case "web":
			runWeb = true
		case "alerts":
			runAlerts = true
		default:
			fmt.Fprintf(e.stderr, "overdue serve: unknown role %q (this version has: web, alerts)\n", r)
			return exitUsage
		}
	}
	if !runWeb {
		fmt.Fprintln(e.stderr, "overdue serve: --roles must include web; run the alert role alone with `overdue sendalerts`")
		return exitUsage
	}
	if *workers < 1 || *workers > 1000 {
		fmt.Fprintf(e.stderr, "overdue serve: --num-workers must be between 1 and 1000, not %d\n", *workers)
		return exitUsage
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		fmt.Fprintf(e.stderr, "overdue serve: --listen must be host:port, such as 127.0.0.1:8000, not %q\n", *listen)
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	log := newLogger(cfg, e.stderr)
	log.Debug("configuration", "values", strings.Join(cfg.Redacted(), " "))
	warnNoSMTP(cfg, log)
	st, ok := openStore(ctx, cfg, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}

	cache := schedule.NewCache(10_000)
	alertAfter := ping.ScheduleAlertAfter(cache, log)
	keep := cfg.PingLogLimit
	pruner := ping.NewPruner(st, ping.PrunerOptions{
		Keep:   func(context.Context, int64) (int, error) { return keep, nil },
		Logger: log,
	})
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var role *alertRole
	onCommit := pruner.Observe
	if runAlerts {
		role = startAlerts(bg, cfg, st, cache, *workers, log)
		hook := alerts.PingHook(role.engine, role.dispatcher)
		onCommit = func(rs []ping.Result) { pruner.Observe(rs); hook(rs) }
	}
	writer := ping.NewWriter(st, ping.WriterOptions{
		AlertAfter: alertAfter,
		Logger:     log,
		OnCommit:   onCommit,
	})
	writerDone := make(chan error, 1)
	go func() { writerDone <- writer.Run(bg) }()
	go pruner.Run(bg)

	var metrics http.Handler = api.NewDisabledMetrics()
	if cfg.PrometheusEnabled {
		metrics = api.NewMetrics(st, cache, nil, log)
	}
	h := server.Handler(server.Options{
		BasePath:    cfg.BasePath,
		HostAllowed: cfg.HostAllowed,
		Log:         log,
		Pings:       api.NewPings(st, writer, cfg.PingBodyLimit, nil, log),
		API: api.NewAPI(api.APIDeps{Store: st, SiteRoot: cfg.SiteRoot, PingEndpoint: cfg.PingEndpoint,
			SecretKey: cfg.SecretKey, MetricsKey: cfg.MetricsKey, RateLimit: cfg.APIRateLimit, Cache: cache, Log: log}),
		Badges:       api.NewBadges(st, cfg.SecretKey, cfg.MasterBadgeLabel, cache, nil, log),
		Metrics:      metrics,
		Integrations: api.NewIntegrations(st, cfg.SecretKey, cfg.SiteName, log),
		Ready:        st.Ping,
	})
	err := server.Serve(ctx, *listen, h, log, func(addr net.Addr) {
		// Logged after binding so that --listen 127.0.0.1:0 reports the real port.
		log.Info("overdue listening", "addr", addr.String(), "site_root", cfg.SiteRoot, "db", cfg.DB, "version", version())
		if e.onListen != nil {
			e.onListen(addr)
		}
	})
	// The HTTP server has stopped taking pings; let the writer drain what it
	// holds before the database closes.
	stopBG()
	if werr := <-writerDone; werr != nil && !errors.Is(werr, context.Canceled) {
		log.Error("ping writer", "err", werr)
	}
	if role != nil {
		role.wait()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	return exitOK
}

// ensureSecretKey fills in SECRET_KEY when the operator set none: a random
// key is generated once and kept in the database, so badge signatures and
// tokens stay valid across restarts and agree between instances.
func ensureSecretKey(ctx context.Context, st *store.Store, cfg *config.Config) error {
	if cfg.SecretKey != "" {
		return nil
	}
	key, err := st.SettingOrInit(ctx, "secret_key", auth.NewToken(40))
	if err != nil {
		return fmt.Errorf("cannot load the generated SECRET_KEY: %w", err)
	}
	cfg.SecretKey = key
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func cmdCreateSuperuser(ctx context.Context, args []string, e env) int {
	fs := newFlags("createsuperuser", e)
	email := fs.String("email", "", "the administrator's email address (required)")
	password := fs.String("password", "", "the password (prompted for when absent)")
	if !parseFlags(fs, args) {
		return exitUsage
	}
	if !validEmail(*email) {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: --email must be an email address such as alice@example.org, not %q\n", *email)
		return exitUsage
	}
	pw := *password
	if pw == "" {
		fmt.Fprint(e.stderr, "Password: ")
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintf(e.stderr, "overdue createsuperuser: cannot read the password: %v.\n", err)
			return exitError
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if len(pw) < 8 {
		fmt.Fprintln(e.stderr, "overdue createsuperuser: the password must be at least 8 characters long.")
		return exitError
	}
	cfg, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: %v.\n", err)
		return exitError
	}
	u := model.User{Email: *email, Password: hash, IsSuperuser: true, CheckLimit: defaultCheckLimit, PingLogLimit: cfg.PingLogLimit}
	if err := st.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			fmt.Fprintf(e.stderr, "overdue createsuperuser: a user with the email %s already exists.\n", *email)
		} else {
			fmt.Fprintf(e.stderr, "overdue createsuperuser: %v.\n", err)
		}
		return exitError
	}
	// Upstream gives every new account a first project.
	if _, _, err := createProject(ctx, st, u.ID, "My Project"); err != nil {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: %v.\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Superuser %s created.\n", *email)
	return exitOK
}

// defaultCheckLimit is upstream's limit when payments are off.
const defaultCheckLimit = 10000

// projectKeys are the secrets shown once at creation; only hashes of the API
// keys are stored.
type projectKeys struct {
	UUID           string `json:"uuid"`
	Name           string `json:"name"`
	APIKey         string `json:"api_key"`
	APIKeyReadonly string `json:"api_key_readonly"`
	PingKey        string `json:"ping_key"`
}

func createProject(ctx context.Context, st *store.Store, ownerID int64, name string) (model.Project, projectKeys, error) {
	keys := projectKeys{
		UUID: uuid.NewString(), Name: name,
		// Upstream's current key shape: a read-write "hcw_" or read-only "hcr_"
		// prefix and 28 random characters, 32 in all, as its API demands.
		APIKey: auth.NewAPIKey("hcw_"), APIKeyReadonly: auth.NewAPIKey("hcr_"), PingKey: auth.NewPingKey(),
	}
	p := model.Project{
		Code: keys.UUID, Name: name, OwnerID: ownerID,
		APIKey: auth.HashAPIKey(keys.APIKey), APIKeyReadonly: auth.HashAPIKey(keys.APIKeyReadonly),
		PingKey: keys.PingKey, BadgeKey: uuid.NewString(), Created: time.Now().UTC(),
	}
	if err := st.CreateProject(ctx, &p); err != nil {
		return model.Project{}, projectKeys{}, fmt.Errorf("create project: %w", err)
	}
	return p, keys, nil
}

func cmdProjectCreate(ctx context.Context, args []string, e env) int {
	fs := newFlags("project create", e)
	owner := fs.String("owner", "", "the owner's email address (created when missing)")
	name := fs.String("name", "", "the project's name")
	asJSON := fs.Bool("json", false, "print the project and its keys as JSON")
	if !parseFlags(fs, args) {
		return exitUsage
	}
	if !validEmail(*owner) {
		fmt.Fprintf(e.stderr, "overdue project create: --owner must be an email address such as alice@example.org, not %q\n", *owner)
		return exitUsage
	}
	if strings.TrimSpace(*name) == "" || len(*name) > 200 {
		fmt.Fprintln(e.stderr, "overdue project create: --name is required and must be at most 200 characters")
		return exitUsage
	}
	cfg, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, *owner)
	if errors.Is(err, store.ErrNotFound) {
		u = model.User{Email: *owner, Password: auth.UnusablePassword(), CheckLimit: defaultCheckLimit, PingLogLimit: cfg.PingLogLimit}
		err = st.CreateUser(ctx, &u)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue project create: cannot find or create the owner: %v.\n", err)
		return exitError
	}
	_, keys, err := createProject(ctx, st, u.ID, *name)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue project create: %v.\n", err)
		return exitError
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(keys)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "Project %q created.\nUUID:              %s\nAPI key:           %s\nRead-only API key: %s\nPing key:          %s\n",
		keys.Name, keys.UUID, keys.APIKey, keys.APIKeyReadonly, keys.PingKey)
	return exitOK
}

// validEmail is a deliberately loose syntax check: one @, something on both
// sides, no spaces or control characters.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > 254 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
