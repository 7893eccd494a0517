package main

// Threat: a user aims an integration at the operator's own network (a
// cloud metadata service, an admin port on loopback) and uses the
// notification, or its error text, to reach it (SSRF). Every kind of the
// registry with a URL field is sent, through the transports `overdue
// serve` builds, to a loopback server: refused with upstream's words
// unless INTEGRATIONS_ALLOW_PRIVATE_IPS is set, when the same send
// arrives (which shows the test aimed at the right URL).
//
// Only loopback addresses are used: a send that escaped the check must
// not leave this machine.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
)

var anyURL = regexp.MustCompile(`https?://[^"\s]+`)

func TestSecuritySSRFInEveryURLIntegration(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(rw, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	targets := []string{
		"http://127.0.0.1:" + port + "/hook",
		"http://localhost:" + port + "/hook",
		"http://[::1]:" + port + "/hook",
		"http://0.0.0.0:" + port + "/hook",
		"http://127.1.2.3:" + port + "/hook",
		"http://2130706433:" + port + "/hook", // 127.0.0.1 as one number
	}
	transports := func(allow string) notify.Registry {
		vars := sqliteEnv(t)
		vars["INTEGRATIONS_ALLOW_PRIVATE_IPS"] = allow
		cfg, ok := loadConfig(env{getenv: mapEnv(vars), stderr: io.Discard})
		if !ok {
			t.Fatal("configuration does not load")
		}
		reg, err := buildTransports(cfg, mapEnv(vars), nil)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	refuse, allow := transports("False"), transports("True")
	tested := 0
	for _, in := range kinds.New().List() {
		if !in.Addable() || !hasURLField(in) {
			continue
		}
		tested++
		if !anyURL.MatchString(in.Example) {
			t.Errorf("%s has a URL field but its Example holds no URL to aim", in.Kind)
			continue
		}
		t.Run(string(in.Kind), func(t *testing.T) {
			for _, target := range targets {
				value := anyURL.ReplaceAllString(in.Example, target)
				if in.Validate != nil {
					if err := in.Validate(value); err != nil {
						t.Fatalf("the example aimed at %s does not validate: %v", target, err)
					}
				}
				send := func(reg notify.Registry) (int32, error) {
					before := hits.Load()
					now := time.Now()
					m := &notify.Message{Code: "9c2b0a5e-3f4d-4e6a-8b7c-1d2e3f4a5b6c", Status: model.StatusDown,
						Check: model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: "probe", Kind: model.KindSimple,
							Timeout: time.Hour, Schedule: model.DefaultSchedule, TZ: model.DefaultTZ, Status: model.StatusDown},
						Flip:        model.Flip{Created: now, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Reason: "timeout"},
						Channel:     model.Channel{Code: "5e0c8c35-0b6a-4d0f-9a66-1bd0b1b2c3d4", Kind: string(in.Kind), Value: value},
						ProjectName: "P", CheckURL: "https://hc.example.org/cloaked/x/", SiteRoot: "https://hc.example.org", SiteName: "Overdue", Now: now}
					tr, err := reg.Lookup(string(in.Kind))
					if err != nil {
						t.Fatal(err)
					}
					err = tr.Send(context.Background(), m)
					return hits.Load() - before, err
				}
				n, err := send(refuse)
				refused := err != nil && strings.Contains(notify.ErrorText(err), "Connections to private IP addresses are not allowed")
				if strings.Contains(target, "2130706433") {
					// Go's resolver reads no number as an address (curl would);
					// a system resolver that does answers 127.0.0.1, refused.
					refused = refused || err != nil && notify.ErrorText(err) == "Could not resolve host"
				}
				if n != 0 || !refused {
					t.Errorf("%s: %d requests arrived, error %v; want none and upstream's refusal", target, n, err)
				}
				if strings.Contains(target, "[::1]") || strings.Contains(target, "127.1.2.3") || strings.Contains(target, "0.0.0.0") || strings.Contains(target, "2130706433") {
					continue // the server listens on 127.0.0.1 only: no control
				}
				if n, err := send(allow); n == 0 {
					t.Errorf("control %s with INTEGRATIONS_ALLOW_PRIVATE_IPS: nothing arrived (%v): the test does not aim where it thinks", target, err)
				}
			}
		})
	}
	if tested < 5 {
		t.Errorf("only %d kinds with a URL field: the registry changed or the filter broke", tested)
	}
}

func hasURLField(in notify.Integration) bool {
	for _, f := range in.Fields {
		if f.Type == notify.FieldURL {
			return true
		}
	}
	return false
}
