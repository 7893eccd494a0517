package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/opsmetrics"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// alertRole is the alert engine and the outbox dispatcher of one process.
type alertRole struct {
	engine     *alerts.Engine
	dispatcher *alerts.Dispatcher
	wg         sync.WaitGroup
}

// startAlerts runs the engine and the dispatcher until ctx ends; wait
// returns once both have stopped (the dispatcher lets in-flight sends finish).
// m, when not nil, counts sends by kind, detection lag and engine passes.
func startAlerts(ctx context.Context, cfg config.Config, getenv config.Env, st *store.Store, cache *schedule.Cache, workers int, log *slog.Logger, m *opsmetrics.Metrics) (*alertRole, error) {
	transports, err := buildTransports(cfg, getenv, st)
	if err != nil {
		return nil, err
	}
	transports = m.Transports(transports)
	r := &alertRole{}
	r.dispatcher = alerts.NewDispatcher(alerts.DispatcherOptions{
		Store:      st,
		Transports: transports,
		Workers:    workers,
		SiteRoot:   cfg.SiteRoot,
		SiteName:   cfg.SiteName,
		CheckJSON: api.CheckJSON(api.APIDeps{Store: st, SiteRoot: cfg.SiteRoot, PingEndpoint: cfg.PingEndpoint,
			SecretKey: cfg.SecretKey, Cache: cache, Log: log}),
		Log: log,
	})
	r.engine = alerts.NewEngine(alerts.EngineOptions{
		Store: m.DueStore(st),
		Cache: cache,
		OnFlips: func(flips []model.Flip) {
			m.ObserveFlips(flips)
			r.dispatcher.Wake()
		},
		Log: log,
	})
	nagger := alerts.NewNagger(alerts.NaggerOptions{Store: st, Mailer: newMailer(cfg), SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, SecretKey: cfg.SecretKey, Log: log})
	for name, run := range map[string]func(context.Context) error{"alert engine": r.engine.Run, "notification dispatcher": r.dispatcher.Run, "reminders": nagger.Run} {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error(name+" stopped", "err", err)
			}
		}()
	}
	return r, nil
}

func (r *alertRole) wait() { r.wg.Wait() }

// cmdSendAlerts runs only the alert role until SIGINT or SIGTERM (main
// turns those into ctx's end), as upstream's `manage.py
// sendalerts` does: any number of these (and of `serve`) may share one
// PostgreSQL or MySQL database.
func cmdSendAlerts(ctx context.Context, args []string, e env) int {
	fs := newFlags("sendalerts", e)
	workers := fs.Int("num-workers", 32, "notifications sent at the same time")
	pool := fs.Bool("pool", false, "ignored; accepted as upstream's sendalerts accepts it")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *pool {
		// Upstream's words: service files written for `manage.py
		// sendalerts --pool` keep working.
		fmt.Fprintln(e.stderr, "WARNING: The --pool argument is not supported any more and will be ignored.")
	}
	if *workers < 1 || *workers > 1000 {
		fmt.Fprintf(e.stderr, "overdue sendalerts: --num-workers must be between 1 and 1000, not %d\n", *workers)
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	log := newLogger(cfg, e.stderr)
	warnNoSMTP(cfg, log)
	st, ok := openStoreAs(ctx, cfg, e, "sendalerts")
	if !ok {
		return exitError
	}
	defer st.Close()
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	log.Info("sending alerts", "workers", *workers, "db", cfg.DB, "version", version())
	// METRICS_LISTEN gives an alert-only node its metrics and health
	// endpoints (it has no other HTTP listener).
	om := newOpsMetrics(cfg, st)
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	waitOps, err := startOpsListener(opsCtx, cfg, st, om, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue sendalerts: %s.\n", err)
		return exitError
	}
	defer func() { stopOps(); waitOps() }()
	r, err := startAlerts(ctx, cfg, e.getenv, st, schedule.NewCache(10_000), *workers, log, om)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	if e.onListen != nil {
		e.onListen(nil)
	}
	<-ctx.Done()
	r.wait()
	return exitOK
}

// buildTransports is the kind → transport table of this build, from the
// integration registry. Kinds without a transport fail with a clear error on
// the channel (notify.Registry).
func buildTransports(cfg config.Config, getenv config.Env, st *store.Store) (notify.Registry, error) {
	return kinds.New().Transports(notify.Deps{
		Client:    notify.NewClient(notify.ClientOptions{AllowPrivate: cfg.IntegrationsAllowPrivateIPs}),
		Getenv:    cfg.Env(getenv),
		Mailer:    newMailer(cfg),
		SecretKey: cfg.SecretKey,
		Overview:  alerts.ProjectsOverview(st, cfg.SiteRoot),
		SiteRoot:  cfg.SiteRoot,
		SiteName:  cfg.SiteName,
		Channels:  st.ProjectChannelsByCode,
		Quota:     st.AuthorizeSend,
		// A group's members keep their own outcomes, as upstream's do.
		RecordMember: st.RecordMemberSend,
	})
}

// warnNoSMTP is upstream's start-up check W002: without EMAIL_HOST no
// email can be sent (alerts to email channels fail with a clear error).
func warnNoSMTP(cfg config.Config, log *slog.Logger) {
	if cfg.EmailHost == "" {
		log.Warn("No SMTP configuration, cannot send email: set EMAIL_HOST (hc.api.W002)")
	}
}

// newMailer is the outgoing SMTP connection from the EMAIL_* settings.
func newMailer(cfg config.Config) *mailer.Mailer {
	return mailer.New(mailer.Config{Host: cfg.EmailHost, Port: cfg.EmailPort, User: cfg.EmailHostUser, Password: cfg.EmailHostPassword,
		UseTLS: cfg.EmailUseTLS, UseSSL: cfg.EmailUseSSL, From: cfg.DefaultFromEmail, MailFromTmpl: cfg.EmailMailFromTmpl})
}

// cmdReminders sets a user's reminders (upstream's per-user "nag" setting):
// while any of their checks is down, an email lists them every hour or day.
func cmdReminders(ctx context.Context, args []string, e env) int {
	fs := newFlags("reminders", e)
	addr := fs.String("email", "", "the user's email address")
	every := fs.String("every", "", "off, hourly or daily")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	periods := map[string]time.Duration{"off": 0, "hourly": time.Hour, "daily": 24 * time.Hour}
	period, ok := periods[*every]
	if *addr == "" || !ok {
		fmt.Fprintln(e.stderr, "overdue reminders: --email and --every (off, hourly or daily) are required")
		return exitUsage
	}
	_, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, *addr)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(e.stderr, "overdue: there is no user with the email address %q.\n", *addr)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	u.NagPeriod = period
	u.NextNagDate = nil // planned afresh by the alert role
	if err := st.UpdateUser(ctx, &u); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Reminders for %s: %s.\n", u.Email, *every)
	return exitOK
}
