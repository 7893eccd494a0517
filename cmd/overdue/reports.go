package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/reports"
	"github.com/overdue/overdue/internal/retention"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// newReports is the report sender of the configuration.
func newReports(cfg config.Config, st *store.Store, cache *schedule.Cache, log *slog.Logger) *reports.Sender {
	return reports.New(reports.Options{Store: st, Mailer: newMailer(cfg), Cache: cache,
		SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, SecretKey: cfg.SecretKey, Log: log})
}

// newNagger is the reminder sender of the configuration.
func newNagger(cfg config.Config, st *store.Store, log *slog.Logger) *alerts.Nagger {
	return alerts.NewNagger(alerts.NaggerOptions{Store: st, Mailer: newMailer(cfg), SiteRoot: cfg.SiteRoot, SiteName: cfg.SiteName, SecretKey: cfg.SecretKey, Log: log})
}

// reportsRole is serve's "reports" role and `sendreports --loop`: the
// periodic reports, the hourly retention sweep and, when asked (the
// alert role is not running here to send them), the reminders.
type reportsRole struct{ wg sync.WaitGroup }

func startReports(ctx context.Context, cfg config.Config, st *store.Store, cache *schedule.Cache, withNags bool, log *slog.Logger) *reportsRole {
	r := &reportsRole{}
	run := map[string]func(context.Context) error{
		"reports":          newReports(cfg, st, cache, log).Run,
		"retention sweeps": retention.New(retention.Options{Store: st, Log: log}).Run,
	}
	if withNags {
		run["reminders"] = newNagger(cfg, st, log).Run
	}
	for name, fn := range run {
		r.wg.Go(func() {
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error(name+" stopped", "err", err)
			}
		})
	}
	return r
}

func (r *reportsRole) wait() { r.wg.Wait() }

// cmdSendReports is upstream's `manage.py sendreports [--loop]`: the due
// reports and reminders once, or, with --loop, every minute until SIGINT
// or SIGTERM, with the hourly retention sweep besides. Any number may run
// against one database: each report and reminder is claimed first.
func cmdSendReports(ctx context.Context, args []string, e env) int {
	fs := newFlags("sendreports", e)
	loop := fs.Bool("loop", false, "keep running: look for due reports every minute")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	log := newLogger(cfg, e.stderr)
	warnNoSMTP(cfg, log)
	st, ok := openStoreAs(ctx, cfg, e, "sendreports")
	if !ok {
		return exitError
	}
	defer st.Close()
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	cache := schedule.NewCache(10_000)
	if *loop {
		log.Info("sendreports is now running", "db", cfg.DB, "version", version())
		r := startReports(ctx, cfg, st, cache, true, log)
		if e.onListen != nil {
			e.onListen(nil)
		}
		<-ctx.Done()
		r.wait()
		return exitOK
	}
	sent, err := newReports(cfg, st, cache, log).Tick(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue sendreports: %s.\n", oneLine(err))
		return exitError
	}
	nags, err := newNagger(cfg, st, log).Tick(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue sendreports: %s.\n", oneLine(err))
		return exitError
	}
	fmt.Fprintf(e.stdout, "Sent %d report%s and %d reminder%s.\n", sent, humanize.Plural(int64(sent)), nags, humanize.Plural(int64(nags)))
	return exitOK
}

// cmdPrune runs one retention sweep (what serve's reports role does every
// hour) and says what it deleted.
func cmdPrune(ctx context.Context, args []string, e env) int {
	fs := newFlags("prune", e)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	_, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	r, err := retention.New(retention.Options{Store: st}).Sweep(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue prune: %s.\n", oneLine(err))
		return exitError
	}
	fmt.Fprintln(e.stdout, r.String())
	return exitOK
}
