package main

import (
	"context"
	"encoding/json"
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
	slugs := []string{"a", "b", "c", "d"}
	for _, s := range slugs {
		resp, err := client.Get(base + "/ping/" + keys["ping_key"] + "/" + s + "?create=1")
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %v %v", s, resp, err)
		}
		resp.Body.Close()
	}

	var acked [4]atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (w + i) % len(slugs)
				resp, err := client.Post(base+"/ping/"+keys["ping_key"]+"/"+slugs[k], "text/plain", strings.NewReader("run"))
				if err != nil {
					// Refused once the listener closed; keep trying until
					// the process is gone, so that pings race the shutdown.
					time.Sleep(time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(body) == "OK" {
					acked[k].Add(1)
				}
			}
		}(w)
	}
	total := func() int64 { return acked[0].Load() + acked[1].Load() + acked[2].Load() + acked[3].Load() }
	deadline := time.Now().Add(30 * time.Second)
	for total() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}

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
	close(stop)
	wg.Wait()
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) || waitErr != nil {
		t.Fatalf("overdue serve exited with %v after SIGTERM, want status 0", waitErr)
	}
	if took < 2*time.Second {
		t.Errorf("exited %v after SIGTERM, before the in-flight webhook could finish (2 s)", took)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByPingKey(ctx, keys["ping_key"])
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range slugs {
		checks, err := st.ChecksBySlug(ctx, p.ID, s)
		if err != nil || len(checks) != 1 {
			t.Fatalf("slug %s: %v %v", s, checks, err)
		}
		// n_pings counts the creating ping too.
		if got, want := checks[0].NPings-1, acked[i].Load(); got < want {
			t.Errorf("check %s: %d pings stored, but %d were acknowledged", s, got, want)
		}
	}
	if total() < 300 {
		t.Errorf("only %d pings were acknowledged; the test did not load the server", total())
	}
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
func projectWithWebhookCheck(t *testing.T, vars map[string]string, url string, adjust func(*model.Check)) (map[string]string, string) {
	t.Helper()
	code, out, stderr := runCmd(t, vars, "", "project", "create", "--owner", "a@example.org", "--name", "P", "--json")
	if code != 0 {
		t.Fatalf("project create: %s", stderr)
	}
	var keys map[string]string
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: "sqlite", Path: vars["DB_NAME"]})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByCode(ctx, keys["uuid"])
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
