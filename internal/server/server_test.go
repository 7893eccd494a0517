package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandlerRouting(t *testing.T) {
	pings := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ping:"+r.URL.Path)
	})
	dbDown := false
	h := Handler(Options{
		BasePath:    "/hc",
		HostAllowed: func(h string) bool { return h == "example.org" },
		Groups:      []Group{Compat(Surfaces{Pings: pings})},
		Ready: func(context.Context) error {
			if dbDown {
				return errors.New("down")
			}
			return nil
		},
	})
	cases := []struct {
		host, path string
		status     int
		body       string
	}{
		{"example.org", "/hc/ping/abc", 200, "ping:/ping/abc"},
		{"example.org", "/ping/abc", 404, ""},
		{"example.org", "/hcping/abc", 404, ""},
		{"example.org", "/hc/healthz", 200, "OK"},
		{"evil.example", "/hc/ping/abc", 400, "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n"},
		// Not cleaned and redirected as ServeMux would: the handler owning
		// the prefix sees the path as sent, as upstream's URL patterns do.
		{"example.org", "/hc/ping//abc/../x", 200, "ping:/ping//abc/../x"},
		{"example.org", "/hc/ping", 404, ""},
		{"example.org", "/hc/badge", 404, ""},
		{"example.org", "/hc/", 404, ""},
		{"example.org", "/hc/healthz/", 404, ""},
	}
	for _, tc := range cases {
		req := httptest.NewRequest("GET", "http://"+tc.host+tc.path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%s%s: %d %q, want %d %q", tc.host, tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		// Django's default security headers, on every answer (errors too).
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s%s: %s = %q, want %q", tc.host, tc.path, k, got, want)
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "http://example.org/hc/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST healthz: %d", rec.Code)
	}
	dbDown = true
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://example.org/hc/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database down: %d", rec.Code)
	}
}

func TestRecovererTurnsPanicInto500(t *testing.T) {
	h := Handler(Options{Groups: []Group{Compat(Surfaces{Pings: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })})}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ping/x", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("panic answered %d %q; want a 500 that does not leak the panic", rec.Code, rec.Body.String())
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, "127.0.0.1:0", Handler(Options{}), discard(), func(a net.Addr) { addrc <- a })
	}()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if err := Serve(context.Background(), "127.0.0.1:99999", Handler(Options{}), discard(), nil); err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:99999") {
		t.Errorf("a bad address gave %v", err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
