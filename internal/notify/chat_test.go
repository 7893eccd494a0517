package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

func TestMessageDetails(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exit := 4
	m := &notify.Message{Status: "up", Now: now, Downtime: 90 * time.Minute,
		LastPing: &model.Ping{N: 7, Created: now.Add(-10 * time.Minute), Kind: model.PingFail, ExitStatus: &exit, Body: []byte("ab\xffc")}}
	if got := notify.LastPingText(m); got != "Exit status 4, 10 minutes ago" {
		t.Errorf("LastPingText = %q", got)
	}
	if got := notify.TotalPings(m); got != "7" {
		t.Errorf("TotalPings = %q", got)
	}
	if got := notify.DowntimeText(m); got != "1 hour, 30 minutes" {
		t.Errorf("DowntimeText = %q", got)
	}
	if got := notify.PingBody(m, 0); got != "ab\ufffdc" {
		t.Errorf("PingBody = %q", got)
	}
	// The limit counts characters, not bytes.
	m.LastPing.Body = []byte(strings.Repeat("é", 5))
	if got := notify.PingBody(m, 5); got != "ééééé" {
		t.Errorf("PingBody at the limit = %q", got)
	}
	if got := notify.PingBody(m, 4); got != "éééé\n[truncated]" {
		t.Errorf("PingBody over the limit = %q", got)
	}
	m.Status = "down"
	if notify.DowntimeText(m) != "" {
		t.Error("a down message has no downtime")
	}
	m.LastPing = nil
	if notify.LastPingText(m) != "Never" || notify.TotalPings(m) != "0" || notify.PingBody(m, 10) != "" {
		t.Error("no ping: Never, 0 and no body")
	}
	for reason, want := range map[string]string{"timeout": "success signal did not arrive on time, grace time passed", "fail": "received a failure signal", "": ""} {
		if got := notify.ReasonLong(reason); got != want {
			t.Errorf("ReasonLong(%q) = %q", reason, got)
		}
	}
}

// SendJSON: the exact body and headers, a kind's own reading of a
// refusal, and when it stops trying.
func TestSendJSON(t *testing.T) {
	var n atomic.Int32
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		buf := make([]byte, 100)
		k, _ := r.Body.Read(buf)
		if r.Method != "PUT" || string(buf[:k]) != `{"a":"<&>"}` || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-K") != "v" {
			t.Errorf("request %s %q %q", r.Method, buf[:k], r.Header)
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	c := notify.NewClient(notify.ClientOptions{AllowPrivate: true})
	gone := errors.New("gone")
	req := notify.JSONRequest{Method: "PUT", URL: srv.URL, Header: map[string]string{"X-K": "v"}, Body: map[string]string{"a": "<&>"},
		Refuse: func(r *notify.Response) error {
			if r.StatusCode == 410 {
				return &notify.Error{Msg: gone.Error(), Permanent: true}
			}
			return notify.Fail(notify.StatusText(r.StatusCode))
		}}
	for _, c2 := range []struct {
		status int
		err    string
		tries  int32
	}{{201, "", 1}, {410, "gone", 1}, {503, "Received status code 503", 3}, {429, "Received status code 429", 1}} {
		n.Store(0)
		status.Store(int32(c2.status))
		_, err := c.SendJSON(context.Background(), req)
		if notify.ErrorText(err) != c2.err || n.Load() != c2.tries {
			t.Errorf("status %d: %v after %d tries, want %q after %d", c2.status, err, n.Load(), c2.err, c2.tries)
		}
	}
	if _, err := c.SendJSON(context.Background(), notify.JSONRequest{URL: srv.URL, Body: func() {}}); err == nil || notify.IsFinal(err) {
		t.Errorf("unencodable body: %v", err)
	}
}

func FuzzURLField(f *testing.F) {
	for _, s := range []string{"https://hooks.slack.com/x", "hooks.slack.com/x", " http://a:1/ ", "javascript:x", "https://a b/", "//x", "https://[::1]/", "HTTPS://X.ORG/", "example.org/?u=http://x", "localhost:8080/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := notify.URLField(raw)
		if err != nil {
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Field != "value" {
				t.Fatalf("URLField(%q): %v is not a field error on value", raw, err)
			}
			return
		}
		if !notify.ValidURL(v) || strings.ContainsAny(v, " \t\r\n") || !(strings.HasPrefix(strings.ToLower(v), "http://") || strings.HasPrefix(strings.ToLower(v), "https://")) {
			t.Fatalf("URLField(%q) = %q", raw, v)
		}
	})
}

func TestURLField(t *testing.T) {
	for in, want := range map[string]string{
		"example.org/?u=http://x": "https://example.org/?u=http://x",
		"HTTPS://X.ORG/":          "HTTPS://X.ORG/",
		"localhost:8080/":         "",
		"mailto:a@example.org":    "",
		"http://home_server:80/":  "http://home_server:80/",
	} {
		got, err := notify.URLField(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("URLField(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
