package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// SIGTERM to a real `overdue serve` under load: every ping answered 200 is
// in the database afterwards, the webhook that was being sent when the
// signal came finishes and is recorded as sent (not left claimed, to be
// sent again by the next process), and the process exits 0 within a bound.
func TestSIGTERMFinishesInFlightPingsAndNotifications(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var hookCalls atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookCalls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release // the receiver is slow: the send is in flight at SIGTERM
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	vars := sqliteEnv(t)
	vars["INTEGRATIONS_ALLOW_PRIVATE_IPS"] = "True"
	keys, hooked := projectWithWebhookCheck(t, vars, hook.URL, nil)

	cmd, base := serveChild(t, vars)
	client := &http.Client{Timeout: 10 * time.Second}
	load := startSlugLoad(t, base, keys.PingKey)

	// A /fail ping: its webhook is claimed and sent at once, and hangs.
	resp, err := client.Get(base + "/ping/" + hooked + "/fail")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/fail: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook was not called within 30 s of the /fail ping")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The receiver answers two seconds after the signal: by then the HTTP
	// server has stopped and the dispatcher is draining.
	time.AfterFunc(2*time.Second, func() { close(release) })

	bound := 15 * time.Second
	if raceEnabled {
		bound = 40 * time.Second
	}
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(bound):
		t.Fatalf("overdue serve did not exit within %v of SIGTERM", bound)
	}
	took := time.Since(signalled)
	load.halt()
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) || waitErr != nil {
		t.Fatalf("overdue serve exited with %v after SIGTERM, want status 0", waitErr)
	}
	if took < 2*time.Second {
		t.Errorf("exited %v after SIGTERM, before the in-flight webhook could finish (2 s)", took)
	}

	load.checkStored(t, vars["DB_NAME"])
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.CheckByCode(ctx, hooked)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := st.ListNotifications(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Status != "sent" || ns[0].Error != "" {
		t.Errorf("the in-flight notification after shutdown: %+v, want one row, sent", ns)
	}
	if n := hookCalls.Load(); n != 1 {
		t.Errorf("the webhook was called %d times, want once", n)
	}
}

// projectWithWebhookCheck makes a project (returning its keys) with one
// check whose webhook integration POSTs to url; it returns the check's UUID.
// adjust, if not nil, changes the check before it is stored.
func projectWithWebhookCheck(t *testing.T, vars map[string]string, url string, adjust func(*model.Check)) (createdProject, string) {
	t.Helper()
	keys := createProject(t, vars, "a@example.org", "P")
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByCode(ctx, keys.UUID)
	if err != nil {
		t.Fatal(err)
	}
	c := model.NewCheck(p.ID, time.Now())
	c.Name = "hooked"
	if adjust != nil {
		adjust(&c)
	}
	ch := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "webhook",
		Value: `{"method_down": "POST", "url_down": "` + url + `", "body_down": "$NAME is $STATUS", "headers_down": {}}`}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCheckWithChannels(ctx, &c, []int64{ch.ID}); err != nil {
		t.Fatal(err)
	}
	return keys, c.Code
}

// slugLoad is the load of the signal tests: eight clients ping four slug
// checks of a project in a loop and count the pings answered 200 OK.
type slugLoad struct {
	base, pingKey string
	slugs         []string
	acked         []atomic.Int64
	stop          chan struct{}
	wg            sync.WaitGroup
}

// startSlugLoad creates the checks, starts the clients and returns once
// 300 pings were acknowledged (the test fails later if that never happens).
func startSlugLoad(t *testing.T, base, pingKey string) *slugLoad {
	t.Helper()
	l := &slugLoad{base: base, pingKey: pingKey, slugs: []string{"a", "b", "c", "d"}, stop: make(chan struct{})}
	l.acked = make([]atomic.Int64, len(l.slugs))
	client := &http.Client{Timeout: 10 * time.Second}
	for _, s := range l.slugs {
		resp, err := client.Get(base + "/ping/" + pingKey + "/" + s + "?create=1")
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %v %v", s, resp, err)
		}
		resp.Body.Close()
	}
	for w := 0; w < 8; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				k := (w + i) % len(l.slugs)
				resp, err := client.Post(base+"/ping/"+pingKey+"/"+l.slugs[k], "text/plain", strings.NewReader("run"))
				if err != nil {
					// Refused once the listener closed; keep trying until
					// halted, so that pings race the server's end.
					time.Sleep(time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(body) == "OK" {
					l.acked[k].Add(1)
				}
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for l.total() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return l
}

func (l *slugLoad) total() int64 {
	var n int64
	for i := range l.acked {
		n += l.acked[i].Load()
	}
	return n
}

// halt stops the clients and waits for them.
func (l *slugLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// checkStored asserts that every acknowledged ping is in the SQLite
// database at dbPath, once the server is gone.
func (l *slugLoad) checkStored(t *testing.T, dbPath string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByPingKey(ctx, l.pingKey)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range l.slugs {
		checks, err := st.ChecksBySlug(ctx, p.ID, s)
		if err != nil || len(checks) != 1 {
			t.Fatalf("slug %s: %v %v", s, checks, err)
		}
		// n_pings counts the creating ping too.
		if got, want := checks[0].NPings-1, l.acked[i].Load(); got < want {
			t.Errorf("check %s: %d pings stored, but %d were acknowledged", s, got, want)
		}
	}
	if n := l.total(); n < 300 {
		t.Errorf("only %d pings were acknowledged; the test did not load the server", n)
	}
}
