package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// reply is one answer of the stand-in for api.telegram.org.
type reply struct {
	Status int
	Body   string
}

type seen struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

// telegramStandIn answers every request with r and records it. (notifytest
// defines a flag this package's tests define too, so it is not used here.)
func telegramStandIn(t *testing.T, r reply) (*httptest.Server, *[]seen) {
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		reqs = append(reqs, seen{req.Method, req.RequestURI, req.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(r.Status)
		_, _ = io.WriteString(w, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, &reqs
}

func TestSetTelegramWebhook(t *testing.T) {
	const token = "123456:ABC-secret"
	base := map[string]string{"TELEGRAM_TOKEN": token, "SITE_ROOT": "https://hc.example.org/sub/", "INTEGRATIONS_ALLOW_PRIVATE_IPS": "True"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		args     []string
		reply    reply
		code     int
		requests int
		out, err string
	}{
		{name: "set", vars: base, reply: reply{Status: 200, Body: `{"ok":true,"result":true,"description":"Webhook was set"}`},
			requests: 1, out: "Telegram's webhook is set to https://hc.example.org/sub/integrations/telegram/bot/\n"},
		{name: "no token", vars: with("TELEGRAM_TOKEN", "-"), code: 1, err: "overdue settelegramwebhook: TELEGRAM_TOKEN is not set: give it the bot's token from @BotFather.\n"},
		{name: "empty token", vars: with("TELEGRAM_TOKEN", ""), code: 1, err: "TELEGRAM_TOKEN is not set"},
		{name: "refused", vars: base, reply: reply{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook for ` + token + `\n\tok"}`},
			requests: 1, code: 1, err: "overdue settelegramwebhook: Telegram refused the webhook (status 400): Bad Request: bad webhook for [TELEGRAM_TOKEN] ok.\n"},
		{name: "unauthorized, not JSON", vars: base, reply: reply{Status: 401, Body: `<html>`}, requests: 1, code: 1,
			err: "overdue settelegramwebhook: Telegram refused the webhook (status 401).\n"},
		{name: "extra argument", vars: base, args: []string{"now"}, code: 2},
		{name: "bad SITE_ROOT", vars: with("SITE_ROOT", "ftp://x"), code: 1, err: "SITE_ROOT must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reply.Status == 0 {
				tc.reply.Status = 500
			}
			srv, recorded := telegramStandIn(t, tc.reply)
			var out, errb bytes.Buffer
			code := setTelegramWebhook(context.Background(), tc.args, env{getenv: mapEnv(tc.vars), stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, srv.URL+"/")
			if code != tc.code || out.String() != tc.out || !strings.Contains(errb.String(), tc.err) {
				t.Errorf("exit %d, out %q, err %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.out, tc.err)
			}
			if strings.Contains(out.String()+errb.String(), token) {
				t.Error("the token was printed")
			}
			reqs := *recorded
			if len(reqs) != tc.requests {
				t.Fatalf("%d requests, want %d", len(reqs), tc.requests)
			}
			if len(reqs) == 0 {
				return
			}
			// Bot API: POST /bot<token>/setWebhook with a JSON body.
			r := reqs[0]
			if r.Method != http.MethodPost || r.URI != "/bot"+token+"/setWebhook" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s (%s)", r.Method, r.URI, r.Header.Get("Content-Type"))
			}
			if want := `{"allowed_updates":["message","channel_post"],"url":"https://hc.example.org/sub/integrations/telegram/bot/"}`; string(r.Body) != want {
				t.Errorf("body %s, want %s", r.Body, want)
			}
		})
	}
}

// The command is listed, with its own help.
func TestSetTelegramWebhookHelp(t *testing.T) {
	if code, out, _ := runCmd(t, nil, "", "settelegramwebhook", "--help"); code != 0 || !strings.Contains(out, "TELEGRAM_TOKEN") {
		t.Errorf("settelegramwebhook --help: exit %d, %q", code, out)
	}
	if code, _, errOut := runCmd(t, map[string]string{}, "", "settelegramwebhook"); code != 1 || !strings.Contains(errOut, "TELEGRAM_TOKEN is not set") {
		t.Errorf("without a token: exit %d, %q", code, errOut)
	}
}
