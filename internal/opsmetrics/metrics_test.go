package opsmetrics

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/promtool"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func result(kind, scheme string, err error) ping.Result {
	return ping.Result{Ping: model.Ping{Kind: kind, Scheme: scheme}, Err: err}
}

// A fixed set of observations renders to the golden file, which
// promtool's linter accepts. Lines whose values the test cannot fix (the
// Go runtime's, the database ping's duration) are checked apart.
func TestWriteTextGolden(t *testing.T) {
	m := New(Options{Version: `v1.2 "q"`, NotifyKinds: []string{"webhook", "email"}, Now: fixed(t0),
		DBPing: func(context.Context) error { return nil }})
	m.ObservePings([]ping.Result{
		result(model.PingSuccess, "http", nil), result(model.PingSuccess, "https", nil),
		result(model.PingFail, "email", nil), result(model.PingStart, "gopher\n", nil),
		result("weird", "http", nil), result(model.PingLog, "http", errors.New("check gone")),
	})
	m.ObservePings([]ping.Result{result(model.PingIgnored, "http", nil)})
	m.ObservePings([]ping.Result{result(model.PingLog, "http", ping.ErrCheckGone)}) // nothing written: no batch
	m.ObserveFlips([]model.Flip{{Created: t0.Add(-1500 * time.Millisecond)}, {Created: t0.Add(time.Second)}})
	m.ObserveSend("webhook", 30*time.Millisecond, nil)
	m.ObserveSend("webhook", 2*time.Second, errors.New("timeout"))
	m.ObserveSend("email", 100*time.Millisecond, nil)
	m.ObserveSend("signal", time.Second, nil) // not in the registry
	m.batchTime.Observe(0.003)
	m.alertPass.Observe(0.02)
	m.ObserveEmail()
	m.ObserveEmailPing(true)
	m.ObserveEmailPing(true)
	m.ObserveEmailPing(false)

	var buf bytes.Buffer
	if err := m.WriteText(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	promtool.Check(t, body)
	varying := regexp.MustCompile(`(?m)^(go_goroutines|go_memstats_heap_alloc_bytes|overdue_db_ping_seconds) [0-9.e+-]+$`)
	if n := len(varying.FindAllString(body, -1)); n != 3 {
		t.Errorf("found %d of the 3 varying samples:\n%s", n, body)
	}
	stable := varying.ReplaceAllString(body, "$1 X")
	golden := "testdata/metrics.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(stable), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if stable != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, stable)
	}
}

func TestHistogramBucketsAreInclusiveAndNaNIsDropped(t *testing.T) {
	h := newHistogram(1, 2, 5)
	for _, v := range []float64{0, 1, 1.0001, 2, 5, 5.5, 1e9} {
		h.Observe(v)
	}
	h.Observe(nanValue())
	cum, sum := h.snapshot()
	want := []uint64{2, 4, 5, 7}
	for i := range want {
		if cum[i] != want[i] {
			t.Fatalf("cumulative buckets %v, want %v", cum, want)
		}
	}
	if sum != 0+1+1.0001+2+5+5.5+1e9 {
		t.Errorf("sum %v", sum)
	}
}

func nanValue() float64 { z := 0.0; return z / z }

// Many goroutines count at once without a lock and none is lost (run
// under -race, this also proves there is no data race).
func TestConcurrentCountingLosesNothing(t *testing.T) {
	m := New(Options{NotifyKinds: []string{"webhook"}})
	const workers, each = 8, 1000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m.ObservePings([]ping.Result{result(model.PingSuccess, "http", nil)})
				m.ObserveSend("webhook", time.Millisecond, nil)
			}
		}()
	}
	wg.Wait()
	if got := m.pings[0][0].Load(); got != workers*each {
		t.Errorf("pings counted %d, want %d", got, workers*each)
	}
	if got := m.notify["webhook"].sent.Load(); got != workers*each {
		t.Errorf("sends counted %d, want %d", got, workers*each)
	}
	if cum, sum := m.batchSize.snapshot(); cum[len(cum)-1] != workers*each || sum != workers*each {
		t.Errorf("batch histogram count %d sum %v, want %d", cum[len(cum)-1], sum, workers*each)
	}
}

// The dispatcher's registry counts what its transports answer; a kind
// without a transport still fails with notify's "not supported" error.
func TestTransportsCountByKind(t *testing.T) {
	m := New(Options{NotifyKinds: []string{"webhook", "slack", "sms"}})
	fail := errors.New("HTTP 500")
	reg := m.Transports(notify.Registry{
		"webhook": notify.TransportFunc(func(context.Context, *notify.Message) error { return nil }),
		"slack":   notify.TransportFunc(func(context.Context, *notify.Message) error { return fail }),
		"sms":     nil,
	})
	for _, kind := range []string{"webhook", "webhook", "slack"} {
		tr, err := reg.Lookup(kind)
		if err != nil {
			t.Fatal(err)
		}
		_ = tr.Send(context.Background(), &notify.Message{})
	}
	if tr, err := reg.Lookup("sms"); tr != nil || err == nil || !strings.Contains(err.Error(), `"sms" is not supported`) {
		t.Errorf("a kind without transport: %v %v", tr, err)
	}
	for _, c := range []struct {
		kind         string
		sent, failed uint64
	}{{"webhook", 2, 0}, {"slack", 0, 1}, {"sms", 0, 0}} {
		if s, f := m.notify[c.kind].sent.Load(), m.notify[c.kind].failed.Load(); s != c.sent || f != c.failed {
			t.Errorf("%s: sent %d failed %d, want %d %d", c.kind, s, f, c.sent, c.failed)
		}
	}
}

// A nil *Metrics is what commands without metrics pass: it counts nothing
// and hands the wrapped values back unchanged.
func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	m.ObservePings([]ping.Result{result("", "http", nil)})
	m.ObserveFlips([]model.Flip{{}})
	m.ObserveSend("webhook", 0, nil)
	reg := notify.Registry{}
	if got := m.Transports(reg); got == nil {
		t.Error("Transports(nil metrics) lost the registry")
	}
	if m.PingStore(nil) != nil || m.DueStore(nil) != nil {
		t.Error("nil metrics wrapped a store")
	}
}

func TestHandlerBearerToken(t *testing.T) {
	const token = "s3cr3t-token-0123456789"
	h := New(Options{}).Handler(token)
	cases := []struct {
		name, method string
		auth         []string
		status       int
	}{
		{"the token", "GET", []string{"Bearer " + token}, 200},
		{"scheme in lower case", "GET", []string{"bearer " + token}, 200},
		{"HEAD", "HEAD", []string{"Bearer " + token}, 200},
		{"no header", "GET", nil, 401},
		{"wrong token", "GET", []string{"Bearer " + token + "x"}, 401},
		{"a prefix of the token", "GET", []string{"Bearer " + token[:10]}, 401},
		{"empty token", "GET", []string{"Bearer "}, 401},
		{"scheme only", "GET", []string{"Bearer"}, 401},
		{"basic auth", "GET", []string{"Basic " + token}, 401},
		{"token without scheme", "GET", []string{token}, 401},
		{"two headers", "GET", []string{"Bearer " + token, "Bearer " + token}, 401},
		{"trailing garbage", "GET", []string{"Bearer " + token + " extra"}, 401},
		{"POST", "POST", []string{"Bearer " + token}, 405},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, "/metrics", nil)
		for _, a := range tc.auth {
			req.Header.Add("Authorization", a)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.status)
			continue
		}
		switch tc.status {
		case 200:
			if ct := rec.Header().Get("Content-Type"); ct != ContentType {
				t.Errorf("%s: Content-Type %q", tc.name, ct)
			}
			if body := rec.Body.String(); tc.method == "GET" && !strings.Contains(body, "overdue_pings_received_total") {
				t.Errorf("%s: body %q", tc.name, body)
			}
		case 401:
			if rec.Header().Get("WWW-Authenticate") != `Bearer realm="overdue metrics"` || strings.Contains(rec.Body.String(), "overdue_") {
				t.Errorf("%s: 401 answer %v %q", tc.name, rec.Header(), rec.Body.String())
			}
		case 405:
			if rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: Allow %q", tc.name, rec.Header().Get("Allow"))
			}
		}
	}
	// Without a token (the separate listener) anyone may read.
	rec := httptest.NewRecorder()
	New(Options{}).Handler("").ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("no token configured: %d", rec.Code)
	}
}

// The database ping's failure shows as overdue_db_up 0, not as a failed
// scrape: the scrape is how the operator learns of it.
func TestDBDownIsAMetric(t *testing.T) {
	m := New(Options{DBPing: func(context.Context) error { return errors.New("connection refused") }})
	rec := httptest.NewRecorder()
	m.Handler("").ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "\noverdue_db_up 0\n") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}
