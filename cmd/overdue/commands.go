package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/web"
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

// withDefault is e with name reading as value when the operator left it
// unset (an empty value counts as set, as config.Load treats it).
func withDefault(e env, name, value string) env {
	get := e.getenv
	e.getenv = func(k string) (string, bool) {
		v, ok := get(k)
		if !ok && k == name {
			return value, true
		}
		return v, ok
	}
	return e
}

// loadConfig reads the configuration table and every integration's own
// settings (so that their secrets accept NAME_FILE and are in the dump).
func loadConfig(e env) (config.Config, bool) {
	cfg, err := config.Load(e.getenv, notify.Settings(kinds.All())...)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", strings.TrimSuffix(err.Error(), "."))
		return config.Config{}, false
	}
	return cfg, true
}

func storeConfig(c config.Config) store.Config {
	return store.Config{
		Engine: c.DB, Path: c.DBName, Name: c.DBName, Host: c.DBHost, Port: c.DBPort,
		User: c.DBUser, Password: c.DBPassword, SSLMode: c.DBSSLMode, TargetSessionAttrs: c.DBTargetSessionAttrs,
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

// openAccounts is openConfigured followed by the accounts rules over the
// store, for the commands that change users and projects; an error is
// printed as "overdue <command>: ...". closeStore closes the store.
func openAccounts(ctx context.Context, e env, command string) (acc *accounts.Accounts, closeStore func(), ok bool) {
	cfg, st, ok := openConfigured(ctx, e)
	if !ok {
		return nil, nil, false
	}
	acc, err := newAccounts(cfg, st)
	if err != nil {
		st.Close()
		fmt.Fprintf(e.stderr, "overdue %s: %v.\n", command, err)
		return nil, nil, false
	}
	return acc, func() { st.Close() }, true
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
	// Every process that writes flips (a /fail ping on a web node too)
	// enqueues their notifications, by the registry's rule.
	sc.ChannelEvents = kinds.New().Events
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
	if code, ok := fs.parse(args); !ok {
		return code
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
	roles := fs.String("roles", "web,alerts,reports", "comma-separated roles to run: web, alerts, reports")
	workers := fs.Int("num-workers", 32, "notifications sent at the same time (alerts role)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	runWeb, runAlerts, runReports := false, false, false
	for _, r := range strings.Split(*roles, ",") {
		switch strings.TrimSpace(r) {
		case "web":
			runWeb = true
		case "alerts":
			runAlerts = true
		case "reports": // reports.go
			runReports = true
		default:
			fmt.Fprintf(e.stderr, "overdue serve: unknown role %q (this version has: web, alerts, reports)\n", r)
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
	// Bind before the configuration is read: without SITE_ROOT, the URLs the
	// server prints (ping_url, badge_url, links in emails) come from the
	// address it really listens on, port 0 included.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue serve: cannot listen on %s: %s.\n", *listen, oneLine(err))
		return exitError
	}
	defer ln.Close()
	bound := ln.Addr().String()
	_, siteRootSet := e.getenv("SITE_ROOT")
	cfg, ok := loadConfig(withDefault(e, "SITE_ROOT", config.SiteRootForListen(bound)))
	if !ok {
		return exitError
	}
	log := newLogger(cfg, e.stderr)
	log.Debug("configuration", "values", strings.Join(cfg.Redacted(), " "))
	if msg := config.SiteRootMismatch(cfg.SiteRoot, bound); siteRootSet && msg != "" {
		log.Warn(msg)
	}
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

	om := newOpsMetrics(cfg, st) // nil (counting nothing) unless METRICS_TOKEN or METRICS_LISTEN
	cache := schedule.NewCache(10_000)
	ui, err := newWeb(cfg, e.getenv, st, cache, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var role *alertRole
	var onCommit func([]ping.Result)
	if runAlerts {
		role, err = startAlerts(bg, cfg, e.getenv, st, cache, *workers, log, om)
		if err != nil {
			stopBG()
			fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
			return exitError
		}
		onCommit = alerts.PingHook(role.engine, role.dispatcher)
	}
	if runReports {
		// Reminders go with the alert role when it runs here. stopBG
		// stops it with the others; it is waited for before the store closes.
		rep := startReports(bg, cfg, st, cache, !runAlerts, log)
		defer rep.wait()
	}
	// One resolver for HTTP and SMTP pings: one UUID cache, one set of rules.
	in := startIngest(bg, cfg, st, cache, log, onCommit, om)
	opsCtx, stopOps := context.WithCancel(ctx)
	waitOps, err := startOpsListener(opsCtx, cfg, st, om, log)
	if err != nil {
		stopOps()
		fmt.Fprintf(e.stderr, "overdue serve: %s.\n", err)
		stopBG()
		in.wait()
		if role != nil {
			role.wait()
		}
		return exitError
	}
	defer func() { stopOps(); waitOps() }()
	waitSMTPD := func() {}
	smtpCtx, stopSMTPD := context.WithCancel(ctx)
	defer stopSMTPD()
	if cfg.SMTPDPort != 0 {
		// The mail listener binds the host of --listen, so a server kept
		// on loopback keeps its SMTP port there too.
		host, _, _ := net.SplitHostPort(bound)
		_, wait, err := startSMTPD(smtpCtx, cfg, in.res, net.JoinHostPort(host, strconv.Itoa(cfg.SMTPDPort)), om, log)
		if err != nil {
			fmt.Fprintf(e.stderr, "overdue serve: %s.\n", oneLine(err))
			stopBG()
			in.wait()
			if role != nil {
				role.wait()
			}
			return exitError
		}
		waitSMTPD = wait
	}

	var metrics http.Handler = api.NewDisabledMetrics()
	if cfg.PrometheusEnabled {
		metrics = api.NewMetrics(st, cache, nil, log).WithSecretKey(cfg.SecretKey)
	}
	compat := server.Compat(server.Surfaces{
		Pings: api.NewPingsResolver(in.res, cfg.PingBodyLimit, log),
		API: api.NewAPI(api.APIDeps{Store: st, SiteRoot: cfg.SiteRoot, PingEndpoint: cfg.PingEndpoint,
			SecretKey: cfg.SecretKey, MetricsKey: cfg.MetricsKey, RateLimit: cfg.APIRateLimit, Cache: cache, Log: log}),
		Badges:       api.NewBadges(st, cfg.SecretKey, cfg.MasterBadgeLabel, cache, nil, log),
		Metrics:      metrics,
		Integrations: api.NewIntegrations(st, cfg.SecretKey, cfg.SiteName, nil, log),
	})
	h := server.Handler(server.Options{
		BasePath:    cfg.BasePath,
		HostAllowed: cfg.HostAllowed,
		Log:         log,
		Groups:      append([]server.Group{compat}, ui.Groups()...),
		Ready:       st.Ping,
		Metrics:     mainListenerMetrics(cfg, om),
	})
	err = server.ServeListener(ctx, ln, h, log, func(addr net.Addr) {
		// Logged after binding so that --listen 127.0.0.1:0 reports the real port.
		log.Info("overdue listening", "addr", addr.String(), "site_root", cfg.SiteRoot, "db", cfg.DB, "version", version())
		if e.onListen != nil {
			e.onListen(addr)
		}
	})
	// The HTTP server has stopped taking pings (and the mail listener,
	// which stops on the same ctx, is waited for); let the writer drain
	// what it holds before the database closes.
	stopSMTPD() // also when HTTP stopped on an error rather than ctx
	waitSMTPD()
	stopBG()
	in.wait()
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

// newLogger is the process's logger: DEBUG=True shows Debug lines (each
// ping's access line among them), LOG_FORMAT=json writes one JSON object
// per line for log collectors.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.Debug {
		opts.Level = slog.LevelDebug
	}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdCreateSuperuser(ctx context.Context, args []string, e env) int {
	fs := newFlags("createsuperuser", e)
	email := fs.String("email", "", "the administrator's email address (required)")
	password := fs.String("password", "", "the password (prompted for when absent)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if accounts.CheckEmail(*email) != nil {
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
	if err := accounts.CheckPassword(pw); err != nil {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: %v.\n", err)
		return exitError
	}
	acc, closeStore, ok := openAccounts(ctx, e, "createsuperuser")
	if !ok {
		return exitError
	}
	defer closeStore()
	_, _, err := acc.CreateSuperuser(ctx, *email, pw)
	if errors.Is(err, accounts.ErrUserExists) {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: a user with the email %s already exists.\n", *email)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue createsuperuser: %v.\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Superuser %s created.\n", *email)
	return exitOK
}

// newAccounts is the account service over st, as the web UI will build it.
func newAccounts(cfg config.Config, st *store.Store) (*accounts.Accounts, error) {
	return accounts.New(accounts.Options{Store: st, Kinds: kinds.New(), Mailer: newMailer(cfg),
		SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, SecretKey: cfg.SecretKey,
		EmailUseVerification: cfg.EmailUseVerification, PingLogLimit: cfg.PingLogLimit})
}

// newWeb builds the UI with the same rules (accounts), integration
// registry and transports as the CLI and the dispatcher.
func newWeb(cfg config.Config, getenv config.Env, st *store.Store, cache *schedule.Cache, log *slog.Logger) (*web.Web, error) {
	acc, err := newAccounts(cfg, st)
	if err != nil {
		return nil, err
	}
	transports, err := buildTransports(cfg, getenv, st)
	if err != nil {
		return nil, err
	}
	reg := kinds.New()
	return web.New(web.Deps{Store: st, SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, PingEndpoint: cfg.PingEndpoint, PingEmailDomain: cfg.PingEmailDomain, Cache: cache, Log: log,
		Kinds: reg, Getenv: cfg.Env(getenv), Accounts: acc, RegistrationOpen: cfg.RegistrationOpen, RemoteUserHeader: cfg.RemoteUserHeader, SecretKey: cfg.SecretKey,
		Tester: &alerts.Tester{Store: st, Transports: transports, Events: reg.Events, SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, Now: time.Now}})
}

// projectKeys is `project create --json`: the secrets shown once.
type projectKeys struct {
	UUID           string `json:"uuid"`
	Name           string `json:"name"`
	APIKey         string `json:"api_key"`
	APIKeyReadonly string `json:"api_key_readonly"`
	PingKey        string `json:"ping_key"`
}

func cmdProjectCreate(ctx context.Context, args []string, e env) int {
	fs := newFlags("project create", e)
	owner := fs.String("owner", "", "the owner's email address (created when missing)")
	name := fs.String("name", "", "the project's name")
	asJSON := fs.Bool("json", false, "print the project and its keys as JSON")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if accounts.CheckEmail(*owner) != nil {
		fmt.Fprintf(e.stderr, "overdue project create: --owner must be an email address such as alice@example.org, not %q\n", *owner)
		return exitUsage
	}
	if accounts.CheckProjectName(*name) != nil {
		fmt.Fprintln(e.stderr, "overdue project create: --name is required and must be at most 200 characters")
		return exitUsage
	}
	acc, closeStore, ok := openAccounts(ctx, e, "project create")
	if !ok {
		return exitError
	}
	defer closeStore()
	np, err := acc.CreateProject(ctx, *owner, *name)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue project create: %v.\n", err)
		return exitError
	}
	keys := projectKeys{UUID: np.Project.Code, Name: np.Project.Name, APIKey: np.APIKey, APIKeyReadonly: np.APIKeyReadonly, PingKey: np.PingKey}
	if *asJSON {
		// One line, as the README shows it, so `| jq` and shell reads both work.
		_ = json.NewEncoder(e.stdout).Encode(keys)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "Project %q created.\nUUID:              %s\nAPI key:           %s\nRead-only API key: %s\nPing key:          %s\n",
		keys.Name, keys.UUID, keys.APIKey, keys.APIKeyReadonly, keys.PingKey)
	return exitOK
}
