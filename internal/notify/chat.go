package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
)

// This file holds what the chat kinds (Slack, Mattermost, Discord,
// Telegram, Matrix, ...) share: the details every message shows in
// upstream's words, the URL field of upstream's AddUrlForm, and posting a
// JSON document with a kind's own reading of the provider's answer.

// ReasonLong is upstream's Flip.reason_long for a flip's reason; the rule
// is model.Flip.ReasonLong.
func ReasonLong(reason string) string { return model.Flip{Reason: reason}.ReasonLong() }

// PingKindDisplay is upstream's Ping.get_kind_display: "Success",
// "Failure", "Exit status 3", "Start", "Log" or "Ignored".
func PingKindDisplay(p *model.Ping) string {
	switch p.Kind {
	case model.PingIgnored:
		return "Ignored"
	case model.PingFail:
		if p.ExitStatus != nil && *p.ExitStatus != 0 {
			return "Exit status " + strconv.Itoa(*p.ExitStatus)
		}
		return "Failure"
	case model.PingStart:
		return "Start"
	case model.PingLog:
		return "Log"
	}
	return "Success"
}

// LastPingText is upstream's Ping.formatted_kind_created for m's last
// ping, "Success, 10 minutes ago", or "Never" when the check has none.
func LastPingText(m *Message) string {
	if m.LastPing == nil {
		return "Never"
	}
	return PingKindDisplay(m.LastPing) + ", " + humanize.NaturalTime(m.LastPing.Created, m.Now)
}

// TotalPings is the "Total Pings" detail: the last ping's number, or "0".
func TotalPings(m *Message) string {
	if m.LastPing == nil {
		return "0"
	}
	return strconv.FormatInt(m.LastPing.N, 10)
}

// DowntimeText is "1 hour, 30 minutes" for an "up" message whose downtime
// is known, and "" otherwise.
func DowntimeText(m *Message) string {
	if m.Status != model.StatusUp || m.Downtime <= 0 {
		return ""
	}
	return humanize.DurationForSentence(m.Downtime)
}

// PingBody is upstream's get_ping_body(ping, maxlen): the last ping's body
// decoded as UTF-8 (bad bytes replaced), cut to maxlen characters plus
// "\n[truncated]"; "" when there is no body. maxlen 0 means no limit.
func PingBody(m *Message, maxlen int) string {
	if m.LastPing == nil || len(m.LastPing.Body) == 0 {
		return ""
	}
	body := pycompat.DecodeUTF8(m.LastPing.Body)
	if maxlen > 0 && utf8.RuneCountInString(body) > maxlen {
		body = string([]rune(body)[:maxlen]) + "\n[truncated]"
	}
	return body
}

// MaxURL is the max_length of upstream's AddUrlForm, in characters.
const MaxURL = 1000

// ErrURLField is the FieldError message of a bad webhook URL.
const ErrURLField = "must be an http:// or https:// URL of at most 1,000 characters"

// URLField cleans the "value" field of upstream's AddUrlForm (a LaxURLField
// with assume_scheme="https"): surrounding space stripped, "https://" put
// before a URL typed without a scheme, then http or https with a host (no
// TLD needed) of at most 1,000 characters. Slack, Mattermost, Rocket.Chat,
// Teams, Google Chat and the other "paste a webhook URL" kinds use it.
func URLField(raw string) (string, error) {
	v := LaxURL(raw)
	if v == "" {
		return "", &FieldError{Field: "value", Msg: "is required"}
	}
	if !ValidURL(v) {
		return "", &FieldError{Field: "value", Msg: ErrURLField}
	}
	return v, nil
}

// hasScheme reports whether s starts with a URL scheme and ":", as
// Python's urlsplit finds one ("localhost:8080/" has the scheme
// "localhost", and is then refused).
func hasScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		case i > 0 && r == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// ValidURL reports whether s is an http or https URL with a host, of at
// most MaxURL characters and without spaces or control characters: what
// a stored webhook URL must be.
func ValidURL(s string) bool {
	if utf8.RuneCountInString(s) > MaxURL || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// JSONRequest is one JSON document to send.
type JSONRequest struct {
	Method string // POST when ""
	URL    string
	Header map[string]string
	// Body is marshalled as JSON, with <, > and & left as they are (the
	// kinds escape for their targets themselves).
	Body any
	// Attempts is how many times to try (upstream's 3 when 0).
	Attempts int
	// Refuse reads a response whose status is not 200, 201, 202 or 204
	// into the error to record (a *Error, permanent when the provider says
	// the target is gone); nil gives "Received status code N".
	Refuse func(r *Response) error
}

// SendJSON sends r as upstream's HttpTransport.request does: up to
// Attempts tries in a row, stopping early on a permanent error, on a done
// ctx, and (unlike upstream, which tries again at once) on 429 Too Many
// Requests, which the outbox retries later instead of pressing a provider
// that asked for a pause. It returns the accepted response.
func (c *Client) SendJSON(ctx context.Context, r JSONRequest) (*Response, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Body); err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return c.sendBody(ctx, r.Method, r.URL, "application/json", body, r.Header, r.Attempts, r.Refuse)
}

// FormRequest is one form-encoded request (upstream's curl.post with
// data=dict: Twilio, Zulip): the same options as JSONRequest, with Form
// as the body. A nil Form sends an empty body (Trello's parameters are
// in the URL's query).
type FormRequest struct {
	Method   string // POST when ""
	URL      string
	Header   map[string]string
	Form     url.Values
	Attempts int
	Refuse   func(r *Response) error
}

// SendForm sends r as SendJSON sends a JSON document, with the body
// application/x-www-form-urlencoded (fields sorted by name); with a nil
// Form, an empty body and no Content-Type, as curl sends a bare POST.
func (c *Client) SendForm(ctx context.Context, r FormRequest) (*Response, error) {
	ctype := ""
	if r.Form != nil {
		ctype = "application/x-www-form-urlencoded"
	}
	return c.sendBody(ctx, r.Method, r.URL, ctype, []byte(r.Form.Encode()), r.Header, r.Attempts, r.Refuse)
}

// sendBody is the retry loop SendJSON and SendForm share.
func (c *Client) sendBody(ctx context.Context, method, u, ctype string, body []byte, header map[string]string, attempts int, refuse func(*Response) error) (*Response, error) {
	if method == "" {
		method = http.MethodPost
	}
	if attempts <= 0 {
		attempts = Attempts
	}
	for i := 1; ; i++ {
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			return nil, FailPermanent("Invalid URL")
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(ctx, req)
		if err == nil {
			switch resp.StatusCode {
			case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
				return resp, nil
			}
			if refuse != nil {
				err = refuse(resp)
			} else {
				err = Fail(StatusText(resp.StatusCode))
			}
		}
		if i >= attempts || IsPermanent(err) || ctx.Err() != nil || (resp != nil && resp.StatusCode == http.StatusTooManyRequests) {
			return resp, err
		}
	}
}

// StatusText is upstream's "Received status code N".
func StatusText(code int) string { return "Received status code " + strconv.Itoa(code) }

// Tmpl is what upstream's Transport.tmpl does to every rendered text:
// surrounding whitespace stripped and each no-break space (U+00A0) made a
// plain one, so that an SMS is not sent as costlier UCS-2 for its sake.
func Tmpl(s string) string { return strings.ReplaceAll(pycompat.Strip(s), "\u00a0", " ") }

// EscapeHTML is Django's escape (its templates' autoescape): & < > " ' as
// &amp; &lt; &gt; &quot; &#x27;.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")
