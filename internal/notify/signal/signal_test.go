package signal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/ratelimit"
)

// rpcServer is a stand-in signal-cli daemon on a real socket: it reads a
// request until the client shuts its side down, then writes the lines
// answer returns ({{id}} is replaced by the request's id) and closes.
type rpcServer struct {
	addr   string
	mu     sync.Mutex
	reqs   [][]byte
	answer func(n int) []string // n counts connections from 1
	hang   bool
}

func newRPCServer(t *testing.T, network string, answer func(n int) []string) *rpcServer {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "signal-cli.sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &rpcServer{addr: ln.Addr().String(), answer: answer}
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				req, _ := io.ReadAll(conn)
				s.mu.Lock()
				s.reqs = append(s.reqs, req)
				n := len(s.reqs)
				s.mu.Unlock()
				if s.hang {
					<-done
					return
				}
				var doc struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(req, &doc)
				for _, line := range s.answer(n) {
					_, _ = io.WriteString(conn, strings.ReplaceAll(line, "{{id}}", doc.ID)+"\n")
				}
			}()
		}
	}()
	return s
}

func (s *rpcServer) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.reqs...)
}

func always(lines ...string) func(int) []string { return func(int) []string { return lines } }

func transport(socket string) *Transport {
	return &Transport{Socket: socket, Timeout: 2 * time.Second, Log: slog.New(slog.DiscardHandler), NewID: func() string { return "req-1" }}
}

func message(status, value string) *notify.Message {
	m := notifytest.Message(status)
	m.Channel = model.Channel{Kind: "signal", Value: value}
	return m
}

const phone = `{"value": "+15555550100", "up": true, "down": true}`

// The exact request signal-cli receives for every message, over a real
// UNIX socket.
func TestSendGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := newRPCServer(t, "unix", always(`{"jsonrpc": "2.0", "result": {"timestamp": 1}, "id": "{{id}}"}`))
			c.Msg.Channel = model.Channel{Kind: "signal", Value: phone}
			if err := transport(srv.addr).Send(context.Background(), c.Msg); err != nil {
				t.Fatal(err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 || !bytes.HasSuffix(reqs[0], []byte("}\n")) {
				t.Fatalf("requests %q", reqs)
			}
			notifytest.Golden(t, c.Name+".json", bytes.TrimSpace(reqs[0]))
		})
	}
}

// Styles are ranges over the text in UTF-16 code units, as Signal reads
// them: upstream's "10:12:BOLD" for "Daily Backup", and an emoji counts two.
func TestStyles(t *testing.T) {
	m := notifytest.Message("down")
	got := Render(m)
	if got.Styles[0] != "10:12:BOLD" || !strings.HasPrefix(got.Body, "The check Daily Backup is DOWN (success signal did not arrive on time, grace time passed).\n\n") {
		t.Errorf("%q %q", got.Body, got.Styles)
	}
	m.Check.Name = "😀<b>"
	got = Render(m)
	if got.Styles[0] != "10:5:BOLD" || got.Styles[1] != "19:4:BOLD" || !strings.HasPrefix(got.Body, "The check 😀<b> is DOWN") {
		t.Errorf("%q %q", got.Body, got.Styles)
	}
	m = notifytest.Message("up")
	if got := Render(m).Body; !strings.HasPrefix(got, "The check Daily Backup is now UP. The downtime lasted 1 hour, 30 minutes.\n") {
		t.Errorf("up: %q", got)
	}
}

func TestAnswers(t *testing.T) {
	unregistered := `{"jsonrpc": "2.0", "error": {"code": -1, "message": "Failed to send message", "data": {"response": {"results": [{"recipientAddress": {"uuid": "3feed650-c9a3-4cde-9775-0ad0608f407a", "number": null}, "type": "UNREGISTERED_FAILURE"}]}}}, "id": "{{id}}"}`
	rateLimited := `{"jsonrpc": "2.0", "error": {"code": -1, "message": "Failed to send message", "data": {"response": {"results": [{"recipientAddress": {"number": "+15555550100"}, "type": "RATE_LIMIT_FAILURE", "token": "fddc87d7-572a-4559-9081-b41e3bc25254"}]}}}, "id": "{{id}}"}`
	network := `{"jsonrpc": "2.0", "error": {"code": -1, "message": "Failed to send message", "data": {"response": {"results": [{"type": "NETWORK_FAILURE"}]}}}, "id": "{{id}}"}`
	cases := []struct {
		name      string
		answer    func(int) []string
		hang      bool
		err       string
		permanent bool
		conns     int
	}{
		{name: "ok", answer: always(`{"jsonrpc": "2.0", "result": {}, "id": "{{id}}"}`), conns: 1},
		{name: "another id first", answer: always(`{"id": "surprise"}`, `{}`, `{"id": "{{id}}"}`), conns: 1},
		{name: "unexpected", answer: always(`"surprise"`), err: "signal-cli call failed (unexpected response)", conns: 2},
		{name: "closed without an answer", answer: always(), err: "signal-cli call failed (unexpected response)", conns: 2},
		{name: "only others' answers", answer: always(`{"id": "x"}`), err: "signal-cli call failed (unexpected response)", conns: 2},
		{name: "unregistered", answer: always(unregistered), err: "Recipient not found", permanent: true, conns: 1},
		{name: "rate limited", answer: always(rateLimited), err: "CAPTCHA proof required", conns: 1},
		{name: "error code", answer: always(`{"error": {"code": 123, "foo": "foobar"}, "id": "{{id}}"}`), err: "signal-cli call failed (123)", conns: 2},
		{name: "null data", answer: always(`{"error": {"code": -32602, "message": "Method requires valid account parameter", "data": null}, "id": "{{id}}"}`), err: "signal-cli call failed (-32602)", conns: 2},
		{name: "network failure", answer: always(network), err: "signal-cli call failed (-1)", conns: 2},
		{name: "second try works", answer: func(n int) []string {
			if n == 1 {
				return []string{network}
			}
			return []string{`{"id": "{{id}}"}`}
		}, conns: 2},
		{name: "hang", hang: true, err: "signal-cli call timed out", conns: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newRPCServer(t, "unix", c.answer)
			srv.hang = c.hang
			var logs bytes.Buffer
			tr := transport(srv.addr)
			tr.Timeout = 200 * time.Millisecond
			tr.Log = slog.New(slog.NewTextHandler(&logs, nil))
			err := tr.Send(context.Background(), message("down", phone))
			if notify.ErrorText(err) != c.err || notify.IsPermanent(err) != c.permanent {
				t.Errorf("error %q (permanent %v), want %q (permanent %v)", notify.ErrorText(err), notify.IsPermanent(err), c.err, c.permanent)
			}
			if n := len(srv.requests()); n != c.conns {
				t.Errorf("%d calls, want %d", n, c.conns)
			}
			if c.name == "rate limited" && !strings.Contains(logs.String(), "challenge=fddc87d7-572a-4559-9081-b41e3bc25254") {
				t.Errorf("the challenge is not logged for the operator: %s", logs.String())
			}
			if c.name == "error code" && !strings.Contains(logs.String(), "foobar") {
				t.Errorf("signal-cli's reply is not logged: %s", logs.String())
			}
		})
	}
}

func TestTCPAndUsername(t *testing.T) {
	srv := newRPCServer(t, "tcp", always(`{"id": "{{id}}"}`))
	err := transport(srv.addr).Send(context.Background(), message("up", `{"value": "foobar.123", "up": true, "down": true}`))
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Method string `json:"method"`
		Params struct {
			Recipient []string `json:"recipient"`
		} `json:"params"`
	}
	if err := json.Unmarshal(srv.requests()[0], &req); err != nil || req.Method != "send" || len(req.Params.Recipient) != 1 || req.Params.Recipient[0] != "u:foobar.123" {
		t.Errorf("request %s (%v)", srv.requests()[0], err)
	}
}

func TestNoDaemon(t *testing.T) {
	tr := transport(filepath.Join(t.TempDir(), "missing.sock"))
	err := tr.Send(context.Background(), message("down", phone))
	if notify.ErrorText(err) != "signal-cli call failed ([Errno 2] No such file or directory)" || notify.IsFinal(err) {
		t.Errorf("missing socket: %v", err)
	}
}

// Six messages a minute to one recipient, as upstream; others are not held up.
func TestRateLimit(t *testing.T) {
	srv := newRPCServer(t, "unix", always(`{"id": "{{id}}"}`))
	now := notifytest.Now
	tr := transport(srv.addr)
	tr.Limit = ratelimit.PerMinute(perMinute, func() time.Time { return now })
	for i := range 7 {
		err := tr.Send(context.Background(), message("down", phone))
		if i < 6 && err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		if i == 6 && (notify.ErrorText(err) != "Rate limit exceeded" || notify.IsFinal(err)) {
			t.Errorf("7th message: %v", err)
		}
	}
	if err := tr.Send(context.Background(), message("down", `{"value": "+15555550101", "up": true, "down": true}`)); err != nil {
		t.Errorf("another recipient: %v", err)
	}
	now = now.Add(10 * time.Second)
	if err := tr.Send(context.Background(), message("down", phone)); err != nil {
		t.Errorf("after 10 s: %v", err)
	}
}

func TestDisabled(t *testing.T) {
	tr, err := Integration().Transport(notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), message("down", phone))
	if notify.ErrorText(err) != "Signal notifications are not enabled." || !notify.IsFinal(err) {
		t.Errorf("no SIGNAL_CLI_SOCKET: %v", err)
	}
}

func TestFromForm(t *testing.T) {
	cases := []struct {
		form  url.Values
		value string
		err   string
	}{
		{url.Values{"recipient": {"+1 555-555-0100"}, "down": {"on"}}, `{"down":true,"up":false,"value":"+15555550100"}`, ""},
		{url.Values{"recipient": {"\u200e+15555550100\u200f"}, "up": {"on"}, "down": {"on"}}, `{"down":true,"up":true,"value":"+15555550100"}`, ""},
		{url.Values{"recipient": {"alice_b.01"}, "up": {"on"}}, `{"down":false,"up":true,"value":"alice_b.01"}`, ""},
		{url.Values{"recipient": {""}, "up": {"on"}}, "", "recipient: is required"},
		{url.Values{"recipient": {"15555550100"}, "up": {"on"}}, "", "recipient: must be a phone number"},
		{url.Values{"recipient": {"+1234"}, "up": {"on"}}, "", "recipient: must be a phone number"},
		{url.Values{"recipient": {"+1234567890123456"}, "up": {"on"}}, "", "recipient: must be a phone number"},
		{url.Values{"recipient": {"ab.01"}, "up": {"on"}}, "", "recipient: must be a Signal username"},
		{url.Values{"recipient": {"alice.1"}, "up": {"on"}}, "", "recipient: must be a Signal username"},
		{url.Values{"recipient": {"<script>.01"}, "up": {"on"}}, "", "recipient: must be a Signal username"},
		{url.Values{"recipient": {strings.Repeat("a", 49) + ".01"}, "up": {"on"}}, "", "recipient: must be a Signal username"},
		{url.Values{"recipient": {"+15555550100"}}, "", "at least one of up and down must be true"},
		{url.Values{"recipient": {"+15555550100"}, "up": {"false"}, "down": {"False"}}, "", "at least one of up and down must be true"},
	}
	for _, c := range cases {
		v, err := fromForm(c.form)
		var fe *notify.FieldError
		switch {
		case c.err != "" && (!errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("fromForm(%v) = %q, %v; want error %q", c.form, v, err, c.err)
		case c.err == "" && (err != nil || v != c.value):
			t.Errorf("fromForm(%v) = %q, %v; want %q", c.form, v, err, c.value)
		case c.err == "":
			if err := validate(v); err != nil {
				t.Errorf("validate(%s): %v", v, err)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ value, err string }{
		{phone, ""},
		{`{"value": "foobar.123", "up": false, "down": true}`, ""},
		{`{"value": "+15555550100", "up": false, "down": false}`, "at least one of up and down must be true"},
		{`{"value": "+1 555 555 0100", "up": true, "down": true}`, "recipient: must be stored without spaces or dashes"},
		{`{"up": true}`, "recipient: is required"},
		{`{"value": "+15555550100", "up": "yes"}`, "signal configuration is not a JSON object"},
	} {
		err := validate(c.value)
		if (c.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}

func FuzzFromForm(f *testing.F) {
	for _, s := range []string{"+15555550100", "alice.01", "+1 555-555", "ü.12", "a.b.c", ""} {
		f.Add(s, true, false)
	}
	f.Fuzz(func(t *testing.T, recipient string, up, down bool) {
		form := url.Values{"recipient": {recipient}}
		if up {
			form.Set("up", "on")
		}
		if down {
			form.Set("down", "on")
		}
		v, err := fromForm(form)
		if err != nil {
			var fe *notify.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		if err := validate(v); err != nil {
			t.Fatalf("validate(fromForm(%q)) = %v", recipient, err)
		}
	})
}
