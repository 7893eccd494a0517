package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/opsmetrics"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/smtpd"
)

// smtpdTLS loads SMTPD_TLS_CERT/SMTPD_TLS_KEY; nil when they are unset.
func smtpdTLS(cfg config.Config) (*tls.Config, error) {
	if cfg.SMTPDTLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.SMTPDTLSCert, cfg.SMTPDTLSKey)
	if err != nil {
		return nil, fmt.Errorf("SMTPD_TLS_CERT/SMTPD_TLS_KEY: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// startSMTPD binds addr and serves email pings through res until ctx is
// done, counting them in m (nil: not counted); wait returns once the
// listener has stopped and its sessions ended.
func startSMTPD(ctx context.Context, cfg config.Config, res *ping.Resolver, addr string, m *opsmetrics.Metrics, log *slog.Logger) (bound net.Addr, wait func(), err error) {
	tlsCfg, err := smtpdTLS(cfg)
	if err != nil {
		return nil, nil, err
	}
	srv, err := smtpd.New(res, smtpd.Options{Domain: cfg.PingEmailDomain, BodyLimit: cfg.PingBodyLimit, TLS: tlsCfg, Logger: log, Metrics: m})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen for SMTP on %s: %s", addr, oneLine(err))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("smtpd stopped", "err", err)
		}
	}()
	log.Info("smtpd listening", "addr", ln.Addr().String(), "domain", cfg.PingEmailDomain, "starttls", tlsCfg != nil)
	return ln.Addr(), func() { <-done }, nil
}

// cmdSMTPD runs the email ping listener alone, as upstream's
// `manage.py smtpd`: it records pings (and prunes old ones); the alert
// engine of a `serve` or `sendalerts` on the same database sees them.
func cmdSMTPD(ctx context.Context, args []string, e env) int {
	fs := newFlags("smtpd", e)
	host := fs.String("host", "0.0.0.0", "address to listen on")
	port := fs.Int("port", 0, "port to listen on (default SMTPD_PORT, else 25)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *port < 0 || *port > 65535 {
		fmt.Fprintf(e.stderr, "overdue smtpd: --port must be between 1 and 65535, not %d\n", *port)
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	if *port == 0 {
		*port = cfg.SMTPDPort
	}
	if *port == 0 {
		*port = 25
	}
	log := newLogger(cfg, e.stderr)
	st, ok := openStoreAs(ctx, cfg, e, "smtpd")
	if !ok {
		return exitError
	}
	defer st.Close()

	// METRICS_LISTEN gives the listener its metrics and health endpoints,
	// as serve and sendalerts have them; it has no other HTTP listener, so
	// METRICS_TOKEN alone has nowhere to serve /metrics.
	om := newOpsMetrics(cfg, st)
	if cfg.MetricsListen == "" && cfg.MetricsToken != "" {
		log.Warn("METRICS_TOKEN is set but overdue smtpd serves no HTTP: set METRICS_LISTEN for /metrics")
	}
	opsCtx, stopOps := context.WithCancel(ctx)
	defer stopOps()
	waitOps, err := startOpsListener(opsCtx, cfg, st, om, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue smtpd: %s.\n", err)
		return exitError
	}
	defer func() { stopOps(); waitOps() }()

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	in := startIngest(bg, cfg, st, schedule.NewCache(10_000), log, nil, om)

	addr, wait, err := startSMTPD(ctx, cfg, in.res, net.JoinHostPort(*host, strconv.Itoa(*port)), om, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue smtpd: %s.\n", oneLine(err))
		stopBG()
		in.wait()
		return exitError
	}
	if e.onListen != nil {
		e.onListen(addr)
	}
	wait()
	stopBG()
	in.wait()
	return exitOK
}
