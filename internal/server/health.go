package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// Health endpoints, for load balancers, orchestrators and Docker's
// HEALTHCHECK:
//
//	/healthz  liveness: the process serves HTTP ("OK"); nothing else is
//	          asked, so a database outage does not get the process restarted
//	/readyz   readiness: the database answers too ("OK", or 503)
const (
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
	MetricsPath = "/metrics"
)

// opsGroup is the group of the operator's endpoints on a listener: health
// always, /metrics when metrics is not nil. Health probes come every few
// seconds and log at Debug.
func opsGroup(ready func(context.Context) error, metrics http.Handler) Group {
	return Group{Mounts: []Mount{
		{Pattern: HealthzPath, Handler: getOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainOK(w) })), LogLevel: slog.LevelDebug},
		{Pattern: ReadyzPath, Handler: getOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ready != nil {
				if err := ready(r.Context()); err != nil {
					http.Error(w, "database unavailable", http.StatusServiceUnavailable)
					return
				}
			}
			plainOK(w)
		})), LogLevel: slog.LevelDebug},
		{Pattern: MetricsPath, Handler: metrics},
	}}
}

func plainOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("OK"))
}

func getOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isHealthPath reports whether path (below base) is a health endpoint:
// those answer whatever the Host header, since probes often use the
// machine's address rather than a name in ALLOWED_HOSTS, and they show no
// link a poisoned Host could taint.
func isHealthPath(base, path string) bool {
	rest, ok := strings.CutPrefix(path, base)
	return ok && (rest == HealthzPath || rest == ReadyzPath)
}

// OpsOptions configure OpsHandler.
type OpsOptions struct {
	Log     *slog.Logger
	Ready   func(ctx context.Context) error
	Metrics http.Handler
}

// OpsHandler is the handler of the operator's own listener (METRICS_LISTEN):
// /healthz, /readyz and /metrics at the root, whatever SITE_ROOT's path and
// Host header, and 404 for everything else. It never serves the UI, the API
// or pings, so it can be exposed to a monitoring network alone.
func OpsHandler(o OpsOptions) http.Handler {
	return Handler(Options{Log: o.Log, Ready: o.Ready, Metrics: o.Metrics})
}
