package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// With SMTPD_PORT set, serve also listens for email pings, through the same
// resolver and writer as HTTP pings.
func TestServeRunsSMTPDWhenPortSet(t *testing.T) {
	port := freePort(t)
	s := startAuditServer(t, "", "", map[string]string{"SMTPD_PORT": strconv.Itoa(port), "PING_EMAIL_DOMAIN": "mail.example.org"})
	c := s.createCheck("by-mail")
	code := c["ping_url"].(string)
	code = code[strings.LastIndex(code, "/")+1:]
	addr := "127.0.0.1:" + strconv.Itoa(port)
	msg := "Subject: nightly\r\n\r\ndone\r\n"
	if err := smtp.SendMail(addr, nil, "cron@box.example", []string{code + "@mail.example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := smtp.SendMail(addr, nil, "cron@box.example", []string{s.keys.PingKey + "+by-mail@mail.example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	err := smtp.SendMail(addr, nil, "cron@box.example", []string{code + "@elsewhere.example"}, []byte(msg))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail for another domain: %v, want a 550", err)
	}
	// The bound is for the report only: the pings are written within
	// milliseconds, but a loaded machine under -race can stall for seconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := s.api("checks/" + code)
		if n, _ := got["n_pings"].(float64); n == 3 { // the ?create=1 ping and two emails
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check after the emails: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// `overdue smtpd` runs the listener alone and stops cleanly on cancel.
func TestSMTPDCommand(t *testing.T) {
	vars := sqliteEnv(t)
	vars["PING_EMAIL_DOMAIN"] = "mail.example.org"
	if code, _, stderr := runCmd(t, vars, "", "migrate"); code != exitOK {
		t.Fatalf("migrate: %s", stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"smtpd", "--host", "127.0.0.1", "--port", strconv.Itoa(freePort(t))},
			env{getenv: mapEnv(vars), stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, onListen: func(a net.Addr) { addr <- a }})
	}()
	var a net.Addr
	select {
	case a = <-addr:
	case code := <-done:
		t.Fatalf("smtpd exited with %d: %s", code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("smtpd did not listen")
	}
	err := smtp.SendMail(a.String(), nil, "x@y.example", []string{"4f0c3c2e-6f7a-4d1e-9b3a-0c1d2e3f4a5b@mail.example.org"}, []byte("Subject: x\r\n\r\n"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail for a check that does not exist: %v, want 550", err)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
