// Package webhook is the webhook integration: upstream's separate request
// (method, URL, body, headers) for "down" and "up", with its placeholders
// and its escaping rules, sent through the SSRF-safe notify.Client.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/pycompat"
)

// Spec is the request for one event.
type Spec struct {
	Method  string
	URL     string
	Body    string
	Headers map[string]string
}

// ParseConfig reads a webhook channel's value: upstream's JSON with
// method_down, url_down, body_down, headers_down and the same for "up".
func ParseConfig(value string) (down, up Spec, err error) {
	var v struct {
		MethodDown  string            `json:"method_down"`
		URLDown     string            `json:"url_down"`
		BodyDown    string            `json:"body_down"`
		HeadersDown map[string]string `json:"headers_down"`
		MethodUp    string            `json:"method_up"`
		URLUp       string            `json:"url_up"`
		BodyUp      string            `json:"body_up"`
		HeadersUp   map[string]string `json:"headers_up"`
	}
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		return down, up, fmt.Errorf("webhook configuration is not valid JSON: %w", err)
	}
	norm := func(m string) string {
		if m == "" {
			return http.MethodGet
		}
		return strings.ToUpper(m)
	}
	down = Spec{Method: norm(v.MethodDown), URL: v.URLDown, Body: v.BodyDown, Headers: v.HeadersDown}
	up = Spec{Method: norm(v.MethodUp), URL: v.URLUp, Body: v.BodyUp, Headers: v.HeadersUp}
	return down, up, nil
}

// position is where a template is expanded: each escapes values its own way.
type position int

const (
	inURL    position = iota // values percent-encoded (Python's quote)
	inBody                   // values raw; $BODY and $BODY_JSON available
	inHeader                 // values raw, then non-latin-1 as &#NNN;
)

// placeholder is one name and its value, in upstream's order: the first
// name a "$..." part starts with wins, which is why $NAME_JSON precedes
// $NAME, and why (as upstream) $TAG1 wins over $TAG10.
type placeholder struct{ name, value string }

// Expand fills template's placeholders for message m in the given context.
// Replacement is single-pass: text that a value brings in is never expanded
// again, so a check named "$TAGS" stays "$TAGS".
func expand(template string, m *notify.Message, where position) string {
	if where == inHeader {
		return latin1(expandValues(template, m, where))
	}
	return expandValues(template, m, where)
}

func expandValues(template string, m *notify.Message, where position) string {
	if !strings.Contains(template, "$") {
		return template
	}
	safe := func(s string) string {
		if where == inURL {
			return pycompat.Quote(s, "/")
		}
		return s
	}
	c := &m.Check
	ph := []placeholder{
		{"$CODE", c.Code},
		{"$STATUS", m.Status},
		{"$NOW", safe(pycompat.ISOFormat(m.Flip.Created.Truncate(time.Second)))},
		{"$NAME_JSON", safe(pycompat.JSONString(c.Name))},
		{"$NAME", safe(c.Name)},
		{"$SLUG", c.Slug},
		{"$TAGS", safe(c.Tags)},
		{"$JSON", safe(string(m.CheckJSON))},
	}
	if where == inBody && strings.Contains(template, "$BODY") {
		body := ""
		if m.LastPing != nil && len(m.LastPing.Body) > 0 {
			body = pycompat.DecodeUTF8(m.LastPing.Body)
		}
		ph = append(ph, placeholder{"$BODY_JSON", pycompat.JSONString(body)}, placeholder{"$BODY", body})
	}
	if strings.Contains(template, "$EXITSTATUS") {
		v := "-1"
		if m.LastPing != nil && m.LastPing.ExitStatus != nil {
			v = strconv.Itoa(*m.LastPing.ExitStatus)
		}
		ph = append(ph, placeholder{"$EXITSTATUS", v})
	}
	for i, tag := range c.TagsList() {
		ph = append(ph, placeholder{"$TAG" + strconv.Itoa(i+1), safe(tag)})
	}

	parts := strings.Split(template, "$")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, part := range parts[1:] {
		part = "$" + part
		for _, p := range ph {
			if strings.HasPrefix(part, p.name) {
				part = p.value + part[len(p.name):]
				break
			}
		}
		b.WriteString(part)
	}
	return b.String()
}

// Render builds the request for message m from spec, as upstream does: the
// URL with percent-encoded values, the body (POST and PUT only) with raw
// values, and header values turned into latin-1 bytes, other characters as
// XML character references. Upstream's curl wrapper knows only GET, POST
// and PUT: any other method is sent as GET.
func Render(spec Spec, m *notify.Message) (method, url string, headers map[string]string, body []byte) {
	method = spec.Method
	if method != http.MethodPost && method != http.MethodPut {
		method = http.MethodGet
	}
	url = expand(spec.URL, m, inURL)
	if spec.Body != "" && (method == http.MethodPost || method == http.MethodPut) {
		body = []byte(expand(spec.Body, m, inBody))
	}
	if len(spec.Headers) > 0 {
		headers = make(map[string]string, len(spec.Headers))
		for k, v := range spec.Headers {
			headers[k] = expand(v, m, inHeader)
		}
	}
	return method, url, headers, body
}

// Transport sends webhook notifications.
// WEBHOOKS_ENABLED=False is Integration's Enabled: the registry then
// builds a transport that fails every send with upstream's text.
type Transport struct {
	Client *notify.Client
}

// Send delivers m. A status other than 200, 201, 202 or 204 is a failure.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	down, up, err := ParseConfig(m.Channel.Value)
	if err != nil {
		return notify.FailPermanent("Invalid webhook configuration")
	}
	spec := down
	if m.Status == "up" {
		spec = up
	}
	if spec.URL == "" {
		// The event lost its URL after the row was queued: upstream's text,
		// and nothing a retry could fix.
		return notify.FailFinal("Empty webhook URL")
	}
	method, url, headers, body := Render(spec, m)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return notify.FailFinal("Invalid webhook URL")
	}
	for k, v := range headers {
		// As typed: upstream sends header names verbatim.
		req.Header[k] = []string{v}
	}
	tries := notify.Attempts
	if m.Test {
		tries = 1
	}
	_, err = t.Client.SendAttempts(ctx, req, tries)
	return err
}

// latin1 returns s as latin-1 bytes (what upstream's curl puts on the
// wire), with every character beyond U+00FF as an XML character reference.
func latin1(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r <= 0xff {
			b.WriteByte(byte(r))
			continue
		}
		fmt.Fprintf(&b, "&#%d;", r)
	}
	return b.String()
}
