package opsmetrics

import (
	"bufio"
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// textWriter writes the Prometheus text exposition format (version 0.0.4).
type textWriter struct{ w *bufio.Writer }

func (t textWriter) family(name, typ, help string) {
	t.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// sample writes one line; labels alternate names and values.
func (t textWriter) sample(name string, v float64, labels ...string) {
	t.w.WriteString(name)
	if len(labels) > 0 {
		t.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				t.w.WriteByte(',')
			}
			t.w.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		}
		t.w.WriteByte('}')
	}
	t.w.WriteByte(' ')
	t.w.WriteString(formatFloat(v))
	t.w.WriteByte('\n')
}

func (t textWriter) histogram(name, help string, h *histogram, labels ...string) {
	t.family(name, "histogram", help)
	t.histogramSamples(name, h, labels...)
}

func (t textWriter) histogramSamples(name string, h *histogram, labels ...string) {
	cum, sum := h.snapshot()
	for i, b := range h.bounds {
		t.sample(name+"_bucket", float64(cum[i]), append(labels[:len(labels):len(labels)], "le", formatFloat(b))...)
	}
	count := cum[len(cum)-1]
	t.sample(name+"_bucket", float64(count), append(labels[:len(labels):len(labels)], "le", "+Inf")...)
	t.sample(name+"_sum", sum, labels...)
	t.sample(name+"_count", float64(count), labels...)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteText writes every metric in the text format. ctx bounds the
// database ping, when there is one.
func (m *Metrics) WriteText(ctx context.Context, w io.Writer) error {
	t := textWriter{bufio.NewWriter(w)}

	t.family("overdue_build_info", "gauge", "Always 1; the version label is the running build's.")
	t.sample("overdue_build_info", 1, "version", m.version)
	t.family("overdue_start_time_seconds", "gauge", "When this process started, in seconds since the Unix epoch.")
	t.sample("overdue_start_time_seconds", float64(m.started.UnixMilli())/1000)

	t.family("overdue_pings_received_total", "counter", "Pings written to the database, by kind and transport (the scheme: http, https, email).")
	for k, kind := range pingKinds {
		for tr, transport := range transports {
			t.sample("overdue_pings_received_total", float64(m.pings[k][tr].Load()), "kind", kind, "transport", transport)
		}
	}
	t.histogram("overdue_ping_batch_size", "Pings written by one ingest transaction (group commit).", m.batchSize)

	t.family("overdue_db_duration_seconds", "histogram", "Duration of database transactions on the hot paths: an ingest batch, an alert engine pass.")
	t.histogramSamples("overdue_db_duration_seconds", m.batchTime, "op", "ping_batch")
	t.histogramSamples("overdue_db_duration_seconds", m.alertPass, "op", "alert_pass")

	t.histogram("overdue_alert_detection_lag_seconds", "Time from a check's missed deadline to the alert engine marking it down.", m.detectLag)

	t.family("overdue_notifications_sent_total", "counter", "Notifications delivered, by integration kind.")
	for _, k := range m.notifyKind {
		t.sample("overdue_notifications_sent_total", float64(m.notify[k].sent.Load()), "kind", k)
	}
	t.family("overdue_notifications_failed_total", "counter", "Notification attempts that failed, by integration kind (retries count again).")
	for _, k := range m.notifyKind {
		t.sample("overdue_notifications_failed_total", float64(m.notify[k].failed.Load()), "kind", k)
	}
	t.histogram("overdue_notification_duration_seconds", "Duration of one notification attempt, all kinds.", m.sendTime)
	m.writeSMTPD(t)

	if m.dbPing != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		start := time.Now()
		err := m.dbPing(ctx)
		took := time.Since(start)
		cancel()
		up := 1.0
		if err != nil {
			up = 0
		}
		t.family("overdue_db_up", "gauge", "1 when the database answered this scrape's ping, else 0.")
		t.sample("overdue_db_up", up)
		t.family("overdue_db_ping_seconds", "gauge", "How long this scrape's database ping took.")
		t.sample("overdue_db_ping_seconds", took.Seconds())
	}

	goroutines, heap := goRuntime()
	t.family("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	t.sample("go_goroutines", float64(goroutines))
	t.family("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	t.sample("go_memstats_heap_alloc_bytes", float64(heap))
	return t.w.Flush()
}
