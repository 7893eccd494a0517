package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/opsmetrics"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store"
)

// newOpsMetrics is the operator's metrics of this process, or nil (which
// counts nothing) when neither METRICS_TOKEN nor METRICS_LISTEN asks for them.
func newOpsMetrics(cfg config.Config, st *store.Store) *opsmetrics.Metrics {
	if cfg.MetricsToken == "" && cfg.MetricsListen == "" {
		return nil
	}
	var kindNames []string
	for _, in := range kinds.New().List() {
		kindNames = append(kindNames, string(in.Kind))
	}
	return opsmetrics.New(opsmetrics.Options{Version: version(), NotifyKinds: kindNames, DBPing: st.Ping})
}

// mainListenerMetrics is what the main listener serves at /metrics: the
// metrics behind the bearer token when METRICS_TOKEN is set, else nothing.
func mainListenerMetrics(cfg config.Config, m *opsmetrics.Metrics) http.Handler {
	if m == nil || cfg.MetricsToken == "" {
		return nil
	}
	return m.Handler(cfg.MetricsToken)
}

// startOpsListener binds METRICS_LISTEN, when set, and serves /healthz,
// /readyz and /metrics there until ctx ends (the token is asked there too
// when METRICS_TOKEN is set). wait returns once that server has stopped.
func startOpsListener(ctx context.Context, cfg config.Config, st *store.Store, m *opsmetrics.Metrics, log *slog.Logger) (wait func(), err error) {
	if cfg.MetricsListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on METRICS_LISTEN %s: %s", cfg.MetricsListen, oneLine(err))
	}
	h := server.OpsHandler(server.OpsOptions{Log: log, Ready: st.Ping, Metrics: m.Handler(cfg.MetricsToken)})
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := server.ServeListener(ctx, ln, h, log, func(addr net.Addr) {
			log.Info("operator endpoints open", "addr", addr.String(), "paths", "/metrics /healthz /readyz")
		})
		if err != nil {
			log.Error("operator listener stopped", "err", err)
		}
	}()
	return func() { <-done }, nil
}

// cmdHealthcheck asks a running server's /readyz (or /healthz with
// --live) and exits 0 when it answers 200: Docker's HEALTHCHECK runs it,
// since the image has no curl or wget.
func cmdHealthcheck(ctx context.Context, args []string, e env) int {
	fs := newFlags("healthcheck", e)
	addr := fs.String("addr", "127.0.0.1:8000", "host:port the server listens on (serve's --listen)")
	live := fs.Bool("live", false, "ask /healthz (the process answers) instead of /readyz (the database answers too)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil || port == "" {
		fmt.Fprintf(e.stderr, "overdue healthcheck: --addr must be host:port, such as 127.0.0.1:8000, not %q\n", *addr)
		return exitUsage
	}
	if *timeout <= 0 || *timeout > time.Minute {
		fmt.Fprintf(e.stderr, "overdue healthcheck: --timeout must be between 0 and 1m, not %s\n", *timeout)
		return exitUsage
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // serve --listen 0.0.0.0:8000 is reached on loopback
	}
	// The health endpoints live under SITE_ROOT's path, as every route does.
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	path := server.ReadyzPath
	if *live {
		path = server.HealthzPath
	}
	url := "http://" + net.JoinHostPort(host, port) + cfg.BasePath + path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue healthcheck: %v.\n", err)
		return exitError
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue healthcheck: %s: %s.\n", url, oneLine(err))
		return exitError
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(e.stderr, "overdue healthcheck: %s answered %d %s.\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s: OK\n", url)
	return exitOK
}
