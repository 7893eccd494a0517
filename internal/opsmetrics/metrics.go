// Package opsmetrics owns the operator's metrics: what a Prometheus server
// scrapes to watch Overdue itself (pings taken in, ingest batches and their
// transactions, alert detection lag, notifications sent and failed), as
// opposed to the per-project metrics of upstream's
// /projects/<uuid>/metrics/<key>, which describe the checks.
//
// The counters are plain sync/atomic values in fixed arrays and in a map
// built once by New and only read afterwards, so the ping path and the
// notification workers never take a lock to count. The text format is
// written by hand: it is a few lines of code, where
// prometheus/client_golang would bring its registry (global by default),
// protobuf and a dozen transitive modules for the same output.
package opsmetrics

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ping"
)

// Ping kinds and transports, as labels. A ping's kind is one of upstream's
// stored kinds; its transport is its scheme (the X-Forwarded-Proto a proxy
// sent, "http" without one, or "email"). Anything else counts as "other",
// so a client cannot create label values.
var (
	pingKinds  = [...]string{"success", "start", "fail", "log", "ign", "other"}
	transports = [...]string{"http", "https", "email", "other"}
)

func pingKindIndex(k string) int {
	switch k {
	case model.PingSuccess:
		return 0
	case model.PingStart:
		return 1
	case model.PingFail:
		return 2
	case model.PingLog:
		return 3
	case model.PingIgnored:
		return 4
	}
	return 5
}

func transportIndex(scheme string) int {
	switch scheme {
	case "http":
		return 0
	case "https":
		return 1
	case "email":
		return 2
	}
	return 3
}

// Bucket bounds. Batch sizes go up to the writer's default cap (500);
// durations cover a fast SQLite commit to a slow network database; the
// detection lag is bounded by the engine's 2 s poll in a healthy install,
// and its long tail shows an engine that fell behind or was not running.
var (
	batchBounds    = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500}
	durationBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	lagBounds      = []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900, 3600}
	sendBounds     = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)

// notifyCounters counts one integration kind's sends.
type notifyCounters struct {
	sent, failed atomic.Uint64
}

// Metrics holds the operator's counters of one process. A nil *Metrics is
// valid and counts nothing, so commands that export no metrics pass nil.
type Metrics struct {
	now     func() time.Time
	started time.Time
	version string
	dbPing  func(ctx context.Context) error

	pings      [len(pingKinds)][len(transports)]atomic.Uint64
	batchSize  *histogram
	batchTime  *histogram // the ingest transaction: check updates + ping rows + flips
	alertPass  *histogram // one ProcessDue transaction of the alert engine
	detectLag  *histogram
	sendTime   *histogram
	notifyKind []string                   // sorted keys of notify, for a stable output order
	notify     map[string]*notifyCounters // built by New; read-only afterwards
	smtpd      smtpdCounters
}

// Options configure New.
type Options struct {
	// Version is shown as overdue_build_info's label.
	Version string
	// NotifyKinds are the integration kinds that can send (the transport
	// registry's keys); a send of another kind counts as "other".
	NotifyKinds []string
	// DBPing, when set, is timed on every scrape (overdue_db_up and
	// overdue_db_ping_seconds).
	DBPing func(ctx context.Context) error
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// New returns the metrics of a process starting now.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		now:       o.Now,
		started:   o.Now(),
		version:   o.Version,
		dbPing:    o.DBPing,
		batchSize: newHistogram(batchBounds...),
		batchTime: newHistogram(durationBounds...),
		alertPass: newHistogram(durationBounds...),
		detectLag: newHistogram(lagBounds...),
		sendTime:  newHistogram(sendBounds...),
		notify:    map[string]*notifyCounters{"other": {}},
	}
	for _, k := range o.NotifyKinds {
		if _, ok := m.notify[k]; !ok {
			m.notify[k] = &notifyCounters{}
		}
	}
	for k := range m.notify {
		m.notifyKind = append(m.notifyKind, k)
	}
	slices.Sort(m.notifyKind)
	return m
}

// ObservePings counts one committed ingest batch: its size and each ping
// written, by kind and transport. It is a ping.WriterOptions.OnCommit
// callback (chain it with the others); it only adds to atomics.
func (m *Metrics) ObservePings(rs []ping.Result) {
	if m == nil {
		return
	}
	n := 0
	for i := range rs {
		if rs[i].Err != nil {
			continue
		}
		n++
		m.pings[pingKindIndex(rs[i].Ping.Kind)][transportIndex(rs[i].Ping.Scheme)].Add(1)
	}
	if n > 0 {
		m.batchSize.Observe(float64(n))
	}
}

// ObserveFlips records how late the alert engine noticed each check that
// went down: the time from the deadline it missed (the flip's Created) to
// now. It is an alerts.EngineOptions.OnFlips callback.
func (m *Metrics) ObserveFlips(flips []model.Flip) {
	if m == nil {
		return
	}
	now := m.now()
	for _, f := range flips {
		m.detectLag.Observe(max(now.Sub(f.Created), 0).Seconds())
	}
}

// ObserveSend counts one notification attempt of an integration kind.
func (m *Metrics) ObserveSend(kind string, took time.Duration, err error) {
	if m == nil {
		return
	}
	c, ok := m.notify[kind]
	if !ok {
		c = m.notify["other"]
	}
	if err != nil {
		c.failed.Add(1)
	} else {
		c.sent.Add(1)
	}
	m.sendTime.Observe(took.Seconds())
}

// goRuntime reads the two runtime figures worth a dashboard panel without
// stopping the world (runtime.ReadMemStats would).
func goRuntime() (goroutines int, heapBytes uint64) {
	return runtime.NumGoroutine(), heapObjectBytes()
}
