// Package signal is the Signal integration: upstream's JSON-RPC "send" to
// a signal-cli daemon (`signal-cli daemon --socket` or `--tcp`) at
// SIGNAL_CLI_SOCKET, a UNIX socket path or host:port.
package signal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ratelimit"
)

// Upstream's limits: 60 s per call, two tries, 6 messages a minute to one
// recipient.
const (
	Timeout   = 60 * time.Second
	tries     = 2
	perMinute = 6
	// maxReply bounds one line of signal-cli's answer.
	maxReply = 1 << 20
)

// Transport sends Signal messages through signal-cli.
type Transport struct {
	// Socket is SIGNAL_CLI_SOCKET: a path, or host:port when it has a ":".
	Socket string
	// Timeout bounds one call, connecting included (Timeout when 0).
	Timeout time.Duration
	// Limit is the per-recipient rate limit (none when nil).
	Limit *ratelimit.Limiter
	Log   *slog.Logger
	// NewID makes JSON-RPC request ids (random UUIDs when nil).
	NewID func() string
}

// New is the transport for SIGNAL_CLI_SOCKET, with upstream's rate limit.
func New(socket string, log *slog.Logger) *Transport {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Transport{Socket: socket, Limit: ratelimit.PerMinute(perMinute, time.Now), Log: log}
}

// Send delivers m to the channel's recipient.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	cfg, err := parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Signal configuration")
	}
	if t.Limit != nil {
		if ok, _ := t.Limit.Allow(cfg.Value); !ok {
			return notify.Fail("Rate limit exceeded")
		}
	}
	text := Render(m)
	for i := 1; ; i++ {
		err := t.SendText(ctx, cfg.Value, text)
		var captcha *captchaError
		if err == nil || errors.As(err, &captcha) || notify.IsPermanent(err) || i >= tries || ctx.Err() != nil {
			return err
		}
		t.Log.Debug("retrying signal-cli call")
	}
}

// SendText sends one message (also the set-up form's test message): a
// recipient with a "." is a username, sent as "u:<name>".
func (t *Transport) SendText(ctx context.Context, recipient string, text Text) error {
	if strings.Contains(recipient, ".") {
		recipient = "u:" + recipient
	}
	styles := text.Styles
	if styles == nil {
		styles = []string{}
	}
	id := t.newID()
	req, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"method":  "send",
		"params":  map[string]any{"recipient": []string{recipient}, "message": text.Body, "textStyle": styles},
		"id":      id,
	})
	if err != nil {
		return fmt.Errorf("encode signal-cli request: %w", err)
	}
	return t.call(ctx, append(req, '\n'), id)
}

func (t *Transport) newID() string {
	if t.NewID != nil {
		return t.NewID()
	}
	return uuid.NewString()
}

// reply is the part of a JSON-RPC answer upstream reads.
type reply struct {
	ID    string `json:"id"`
	Error *struct {
		Code int `json:"code"`
		Data *struct {
			Response struct {
				Results []struct {
					Type  string  `json:"type"`
					Token *string `json:"token"`
				} `json:"results"`
			} `json:"response"`
		} `json:"data"`
	} `json:"error"`
}

// captchaError is signal-cli's RATE_LIMIT_FAILURE: Signal wants a CAPTCHA
// solved for the sending account before it sends more.
// It wraps the *notify.Error to record, and is never retried in the call.
type captchaError struct{ err *notify.Error }

func (e *captchaError) Error() string { return e.err.Msg }
func (e *captchaError) Unwrap() error { return e.err }

// call sends one request and reads newline-separated answers until the one
// with the request's id.
func (t *Transport) call(ctx context.Context, req []byte, id string) error {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	network := "unix"
	if strings.Contains(t.Socket, ":") {
		network = "tcp"
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, t.Socket)
	if err != nil {
		return t.ioFail(err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(req); err != nil {
		return t.ioFail(err)
	}
	// Done sending: signal-cli answers and may then close.
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	r := bufio.NewReaderSize(conn, 4096)
	for {
		line, err := readLine(r)
		if err != nil && !errors.Is(err, io.EOF) {
			return t.ioFail(err)
		}
		var rep reply
		if jerr := json.Unmarshal(bytes.TrimSpace(line), &rep); jerr != nil {
			t.Log.Error("unexpected signal-cli response", "response", string(line))
			return notify.Fail("signal-cli call failed (unexpected response)")
		}
		if rep.ID == id {
			return t.answer(&rep, line)
		}
		if err != nil { // EOF after an answer to someone else
			t.Log.Error("unexpected signal-cli response", "response", "connection closed")
			return notify.Fail("signal-cli call failed (unexpected response)")
		}
	}
}

// readLine reads one line of at most maxReply bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxReply {
			return nil, errors.New("answer line too long")
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// answer reads the reply to our request as upstream does.
func (t *Transport) answer(rep *reply, raw []byte) error {
	if rep.Error == nil {
		return nil
	}
	if rep.Error.Data != nil {
		for _, res := range rep.Error.Data.Response.Results {
			if res.Type == "UNREGISTERED_FAILURE" {
				return notify.FailPermanent("Recipient not found")
			}
			if res.Type == "RATE_LIMIT_FAILURE" && res.Token != nil && *res.Token != "" {
				// Upstream emails the challenge to ADMINS; here it goes to the
				// log, for `signal-cli submitRateLimitChallenge`.
				t.Log.Warn("Signal CAPTCHA proof required: solve it at https://signalcaptchas.org/challenge/generate and run signal-cli submitRateLimitChallenge",
					"challenge", *res.Token)
				return &captchaError{&notify.Error{Msg: "CAPTCHA proof required"}}
			}
		}
	}
	msg := fmt.Sprintf("signal-cli call failed (%d)", rep.Error.Code)
	// The reply goes to the log only: it names the recipient.
	t.Log.Error(msg, "response", strings.TrimSpace(string(raw)))
	return notify.Fail(msg)
}

// ioFail is upstream's "signal-cli call failed (<OSError>)", with Python's
// "[Errno N] Text" for system errors, and "signal-cli call timed out".
func (t *Transport) ioFail(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return notify.Fail("signal-cli call timed out")
	}
	t.Log.Error("signal-cli call failed", "err", err)
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return notify.Fail(fmt.Sprintf("signal-cli call failed ([Errno %d] %s)", int(errno), s))
	}
	return notify.Fail("signal-cli call failed (" + err.Error() + ")")
}
