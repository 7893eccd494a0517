package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// MetricsStore is what the Prometheus endpoint reads; *store.Store implements it.
type MetricsStore interface {
	ProjectByAPIKey(ctx context.Context, keyHash string) (model.Project, bool, error)
	ListChecks(ctx context.Context, projectID int64) ([]model.Check, error)
}

// Metrics serves upstream's Prometheus export: /projects/<uuid>/metrics/<key>,
// the legacy /projects/<uuid>/checks/metrics/<key>, and /projects/<uuid>/metrics/
// with "Authorization: Bearer <key>". As upstream, only a read-only key is
// accepted and the project comes from the key, not from the UUID in the path.
type Metrics struct {
	store MetricsStore
	cache *schedule.Cache
	now   func() time.Time
	log   *slog.Logger
	// disabled is PROMETHEUS_ENABLED=False (see NewDisabledMetrics).
	disabled bool
	// secretKey verifies API keys imported from upstream (WithSecretKey).
	secretKey string
	links     linkTable
}

// WithSecretKey makes the handler accept read-only keys imported from
// upstream in its hashed form, which verify under SECRET_KEY.
func (m *Metrics) WithSecretKey(secret string) *Metrics {
	m.secretKey = secret
	return m
}

// NewMetrics builds the metrics handler.
func NewMetrics(s MetricsStore, cache *schedule.Cache, now func() time.Time, log *slog.Logger) *Metrics {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{store: s, cache: cache, now: now, log: log}
	m.links = m.metricsRoutes()
	return m
}

// NewDisabledMetrics is the handler for PROMETHEUS_ENABLED=False. Upstream's
// URL patterns stay in place and its require_setting decorator answers 404
// with an empty body; paths outside the patterns get the 404 page, unsafe
// methods the CSRF 403, as when the export is on.
func NewDisabledMetrics() *Metrics {
	m := &Metrics{disabled: true}
	m.links = m.metricsRoutes()
	return m
}

func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.links.ServeHTTP(w, r) }

// Routes lists the metrics URLs, as api.(*API).Routes lists the API's.
func (m *Metrics) Routes() []string { return m.links.Routes() }

// metricsRoutes are upstream's URL patterns of the export
// (hc/integrations/prometheus/urls.py), in place whether or not it is
// enabled. The project's UUID must be canonical lowercase (Django's uuid
// converter) but is not otherwise used. The view is not csrf_exempt:
// Django's CSRF middleware refuses unsafe methods (POST, PUT, PATCH,
// DELETE, ...) with 403 before it runs.
func (m *Metrics) metricsRoutes() linkTable {
	get := []string{http.MethodGet}
	inPath := func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, r.PathValue("key"), false) }
	return newLinkTable(
		&linkRoute{pattern: "/projects/{code}/checks/metrics/{key}", methods: get, csrf: true, serve: inPath},
		&linkRoute{pattern: "/projects/{code}/metrics/{key}", methods: get, csrf: true, serve: inPath},
		// The key in the Authorization header.
		&linkRoute{pattern: "/projects/{code}/metrics/", methods: get, csrf: true, serve: func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, "", true) }},
	)
}

func (m *Metrics) serve(w http.ResponseWriter, r *http.Request, key string, bearer bool) {
	if m.disabled {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	if bearer {
		authz := r.Header.Get("Authorization")
		k, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok {
			writeEmpty(w, http.StatusUnauthorized)
			return
		}
		key = k
	}
	// Python's len() of a header value counts its bytes (WSGI decodes
	// headers as Latin-1), so len() here is the same count.
	if len(key) != 32 {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	proj, readOnly, err := projectByAPIKey(r.Context(), m.store, key, m.secretKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !readOnly) {
		writeEmpty(w, http.StatusForbidden)
		return
	}
	if err != nil {
		m.log.Error("metrics: look up key", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	checks, err := m.store.ListChecks(r.Context(), proj.ID)
	if err != nil {
		m.log.Error("metrics: list checks", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	bw := bufio.NewWriter(w)
	now := m.now()
	WriteMetrics(bw, checks, func(c *model.Check) string {
		st, _, err := schedule.Evaluate(c, m.cache, now)
		if err != nil {
			m.log.Warn("metrics: cannot evaluate schedule", "check", c.Code, "err", err)
			return model.StatusUp
		}
		return st
	})
	_ = bw.Flush()
}

// promEscape escapes a label value as the exposition format requires.
var promEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// WriteMetrics writes the project's checks in Prometheus text format with
// upstream's metric names, labels and order. status gives each check's
// current status.
func WriteMetrics(w *bufio.Writer, checks []model.Check, status func(*model.Check) string) {
	type row struct {
		labels, status string
		started        int
	}
	rows := make([]row, len(checks))
	allTags, downTags, numDown := map[string]bool{}, map[string]bool{}, 0
	for i := range checks {
		c := &checks[i]
		st := status(c)
		started := 0
		if c.LastStart != nil {
			started = 1
		}
		rows[i] = row{fmt.Sprintf(`{name="%s", tags="%s", unique_key="%s"}`, promEscape.Replace(c.Name), promEscape.Replace(c.Tags), c.UniqueKey()), st, started}
		for _, t := range c.TagsList() {
			allTags[t] = true
			if st == model.StatusDown {
				downTags[t] = true
			}
		}
		if st == model.StatusDown {
			numDown++
		}
	}
	gauge := func(name, help string, value func(row) int) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, r := range rows {
			fmt.Fprintf(w, "%s%s %d\n", name, r.labels, value(r))
		}
		w.WriteString("\n")
	}
	gauge("hc_check_up", "Whether the check is currently up (1 for yes, 0 for no).", func(r row) int { return b2i(r.status != model.StatusDown) })
	gauge("hc_check_started", "Whether the check is currently started (1 for yes, 0 for no).", func(r row) int { return r.started })
	gauge("hc_check_grace", "Whether the check is currently in the grace period (1 for yes, 0 for no).", func(r row) int { return b2i(r.status == model.StatusGrace) })
	gauge("hc_check_paused", "Whether the check is currently paused (1 for yes, 0 for no).", func(r row) int { return b2i(r.status == model.StatusPaused) })

	tags := make([]string, 0, len(allTags))
	for t := range allTags {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	w.WriteString("# HELP hc_tag_up Whether all checks with this tag are up (1 for yes, 0 for no).\n# TYPE hc_tag_up gauge\n")
	for _, t := range tags {
		fmt.Fprintf(w, "hc_tag_up{tag=\"%s\"} %d\n", promEscape.Replace(t), b2i(!downTags[t]))
	}
	// Upstream types these two as gauges, which promtool's linter rejects for
	// a _total name. The sample names (all that PromQL sees) stay the same;
	// only the TYPE line says counter so that the output passes promtool.
	fmt.Fprintf(w, "\n# HELP hc_checks_total The total number of checks.\n# TYPE hc_checks_total counter\nhc_checks_total %d\n\n", len(checks))
	fmt.Fprintf(w, "# HELP hc_checks_down_total The number of checks currently down.\n# TYPE hc_checks_down_total counter\nhc_checks_down_total %d\n", numDown)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
