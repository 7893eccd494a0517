package webhook

// Upstream's webhook behaviour (hc/integrations/webhook/tests/test_notify.py
// and hc/integrations/webhook/transport.py), checked over a real socket: an
// httptest server records every request the transport makes.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// hookServer records requests and answers each with status (200 unless set).
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []captured
	status int
}

func newHookServer(t *testing.T, status int) *hookServer {
	t.Helper()
	h := &hookServer{status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, captured{r.Method, r.RequestURI, string(b), r.Header.Clone()})
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() []captured {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]captured(nil), h.reqs...)
}

// upstreamMessage is the fixture of upstream's webhook tests: a check whose
// stored status is "paused" (a transport must use the flip's status), its
// last ping with a two-line body and exit status 123, and a "down" flip.
func upstreamMessage(status string, value map[string]any, t *testing.T) *notify.Message {
	exit := 123
	now := time.Date(2026, 3, 1, 10, 20, 30, 456000, time.UTC)
	return &notify.Message{
		Status:   status,
		Check:    model.Check{Code: code, Status: model.StatusPaused},
		Channel:  model.Channel{Kind: "webhook", Value: channelValue(t, value)},
		Flip:     model.Flip{Created: now, OldStatus: model.StatusNew, NewStatus: status},
		LastPing: &model.Ping{N: 112233, Created: now.Add(-10 * time.Minute), Body: []byte("Body Line 1\nBody Line 2"), ExitStatus: &exit},
		Now:      now,
	}
}

func down(method, url, body string, headers map[string]string) map[string]any {
	if headers == nil {
		headers = map[string]string{}
	}
	return map[string]any{"method_down": method, "url_down": url, "body_down": body, "headers_down": headers}
}

func sendOne(t *testing.T, m *notify.Message) error {
	t.Helper()
	tr := &Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true})}
	return tr.Send(context.Background(), m)
}

// One request per case; the table says what the receiving end must see.
func TestUpstreamWebhookRequests(t *testing.T) {
	cases := []struct {
		name    string
		status  string
		value   func(base string) map[string]any
		mutate  func(m *notify.Message)
		method  string
		uri     string // path and query as received
		body    string
		headers map[string]string // must be present with these values
		absent  []string          // must not be present
	}{
		{
			name:   "plain GET", // test_webhook
			value:  func(b string) map[string]any { return down("GET", b+"/hook", "", nil) },
			method: "GET", uri: "/hook",
			headers: map[string]string{"User-Agent": "healthchecks.io", "Accept": "*/*"},
			absent:  []string{"Content-Type"},
		},
		{
			name: "URL variables", // test_webhooks_support_variables
			value: func(b string) map[string]any {
				return down("GET", b+"/$CODE/$SLUG/$STATUS/$TAG1/$TAG2/?name=$NAME", "", nil)
			},
			mutate: func(m *notify.Message) {
				m.Check.Name, m.Check.Slug, m.Check.Tags = "Hello World", "hello-world", "foo bar"
			},
			method: "GET", uri: "/" + code + "/hello-world/down/foo/bar/?name=Hello%20World",
		},
		{
			name:   "a placeholder made of two is not expanded twice", // test_webhooks_handle_variable_variables
			value:  func(b string) map[string]any { return down("GET", b+"/$$NAMETAG1", "", nil) },
			mutate: func(m *notify.Message) { m.Check.Tags = "foo bar" },
			method: "GET", uri: "/$TAG1",
		},
		{
			name:   "POST body with $NOW, spaces not encoded", // test_webhooks_support_post
			value:  func(b string) map[string]any { return down("POST", b+"/", "The Time Is $NOW", nil) },
			method: "POST", uri: "/", body: "The Time Is 2026-03-01T10:20:30+00:00",
			absent: []string{"Content-Type"},
		},
		{
			name:   "a name that looks like a placeholder", // test_webhooks_dollarsign_escaping
			value:  func(b string) map[string]any { return down("GET", b+"/$NAME", "", nil) },
			mutate: func(m *notify.Message) { m.Check.Name, m.Check.Tags = "$TAG1", "foo" },
			method: "GET", uri: "/%24TAG1",
		},
		{
			name:   "up event", // test_webhooks_handle_up_events
			status: "up",
			value: func(b string) map[string]any {
				return map[string]any{"method_up": "GET", "url_up": b + "/bar", "body_up": "", "headers_up": map[string]string{}}
			},
			method: "GET", uri: "/bar",
		},
		{
			name:   "unicode body is sent as UTF-8", // test_webhooks_handle_unicode_post_body
			value:  func(b string) map[string]any { return down("POST", b+"/", "(╯°□°）╯︵ ┻━┻", nil) },
			method: "POST", uri: "/", body: "(╯°□°）╯︵ ┻━┻",
		},
		{
			name: "POST headers", // test_webhooks_handle_post_headers
			value: func(b string) map[string]any {
				return down("POST", b+"/", "data", map[string]string{"Content-Type": "application/json"})
			},
			method: "POST", uri: "/", body: "data", headers: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "GET headers", // test_webhooks_handle_get_headers
			value: func(b string) map[string]any {
				return down("GET", b+"/", "", map[string]string{"Content-Type": "application/json"})
			},
			method: "GET", uri: "/", headers: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "User-Agent can be overridden", // test_webhooks_allow_user_agent_override
			value: func(b string) map[string]any {
				return down("GET", b+"/", "", map[string]string{"User-Agent": "My-Agent"})
			},
			method: "GET", uri: "/", headers: map[string]string{"User-Agent": "My-Agent"},
		},
		{
			name: "variables in headers", // test_webhooks_support_variables_in_headers
			value: func(b string) map[string]any {
				return down("GET", b+"/", "", map[string]string{"X-Message": "$NAME is DOWN"})
			},
			mutate: func(m *notify.Message) { m.Check.Name = "Foo" },
			method: "GET", uri: "/", headers: map[string]string{"X-Message": "Foo is DOWN"},
		},
		{
			name:   "non-latin-1 header characters become character references", // test_webhooks_handle_non_ascii_in_headers
			value:  func(b string) map[string]any { return down("GET", b+"/", "", map[string]string{"X-Foo": "bār"}) },
			method: "GET", uri: "/", headers: map[string]string{"X-Foo": "b&#257;r"},
		},
		{
			name:   "latin-1 header characters are sent as latin-1 bytes", // test_webhooks_handle_latin1_in_headers
			value:  func(b string) map[string]any { return down("GET", b+"/", "", map[string]string{"X-Foo": "½"}) },
			method: "GET", uri: "/", headers: map[string]string{"X-Foo": "\xbd"},
		},
		{
			name:   "$BODY in the body", // test_webhooks_support_body_variable_in_body
			value:  func(b string) map[string]any { return down("POST", b+"/", "$BODY", nil) },
			method: "POST", uri: "/", body: "Body Line 1\nBody Line 2",
		},
		{
			name: "$BODY is not expanded in URLs and headers", // test_webhooks_dont_support_body_variable_in_url_and_headers
			value: func(b string) map[string]any {
				return down("POST", b+"/$BODY", "", map[string]string{"User-Agent": "$BODY"})
			},
			method: "POST", uri: "/$BODY", headers: map[string]string{"User-Agent": "$BODY"},
		},
		{
			name:   "$EXITSTATUS", // test_webhooks_support_exitstatus_variable
			value:  func(b string) map[string]any { return down("POST", b+"/", "Exit status $EXITSTATUS", nil) },
			method: "POST", uri: "/", body: "Exit status 123",
		},
		{
			name:   "$EXITSTATUS without a last ping", // test_webhooks_handle_exitstatus_variable_with_last_ping_missing
			value:  func(b string) map[string]any { return down("POST", b+"/", "Exit status $EXITSTATUS", nil) },
			mutate: func(m *notify.Message) { m.LastPing = nil },
			method: "POST", uri: "/", body: "Exit status -1",
		},
		{
			name:   "$EXITSTATUS of a ping without one", // test_webhooks_handle_null_exitstatus
			value:  func(b string) map[string]any { return down("POST", b+"/", "Exit status $EXITSTATUS", nil) },
			mutate: func(m *notify.Message) { m.LastPing.ExitStatus = nil },
			method: "POST", uri: "/", body: "Exit status -1",
		},
		{
			name:   "$NAME is raw in bodies", // test_webhooks_do_not_escape_name_variable
			value:  func(b string) map[string]any { return down("POST", b+"/", "$NAME", nil) },
			mutate: func(m *notify.Message) { m.Check.Name = `Project "Foo"` },
			method: "POST", uri: "/", body: `Project "Foo"`,
		},
		{
			name:   "$NAME_JSON", // test_webhooks_support_name_json_variable
			value:  func(b string) map[string]any { return down("POST", b+"/", "$NAME_JSON", nil) },
			mutate: func(m *notify.Message) { m.Check.Name = `Project "Foo"` },
			method: "POST", uri: "/", body: `"Project \"Foo\""`,
		},
		{
			name:   "$BODY is raw", // test_webhooks_do_not_escape_body_variable
			value:  func(b string) map[string]any { return down("POST", b+"/", "$BODY", nil) },
			mutate: func(m *notify.Message) { m.LastPing.Body = []byte(`Project "Foo"`) },
			method: "POST", uri: "/", body: `Project "Foo"`,
		},
		{
			name:   "$BODY_JSON", // test_webhooks_support_body_json_variable
			value:  func(b string) map[string]any { return down("POST", b+"/", "$BODY_JSON", nil) },
			method: "POST", uri: "/", body: `"Body Line 1\nBody Line 2"`,
		},
		// Beyond upstream's tests, from its code.
		{
			name:   "a PUT body; $STATUS is the flip's, not the check's stored status",
			value:  func(b string) map[string]any { return down("PUT", b+"/", "$STATUS", nil) },
			method: "PUT", uri: "/", body: "down",
		},
		{
			name:   "GET sends no body",
			value:  func(b string) map[string]any { return down("GET", b+"/", "ignored", nil) },
			method: "GET", uri: "/",
		},
		{
			name:   "methods other than POST and PUT go out as GET, as upstream's curl wrapper",
			value:  func(b string) map[string]any { return down("DELETE", b+"/", "ignored", nil) },
			method: "GET", uri: "/",
		},
		{
			name:   "$NAME_JSON and $TAGS in URLs are percent-encoded",
			value:  func(b string) map[string]any { return down("GET", b+"/?j=$NAME_JSON&t=$TAGS", "", nil) },
			mutate: func(m *notify.Message) { m.Check.Name, m.Check.Tags = "ü", "a b" },
			method: "GET", uri: "/?j=%22%5Cu00fc%22&t=a%20b",
		},
		{
			name:   "$BODY of a body that is not UTF-8: one U+FFFD per bad subpart, as Python decodes",
			value:  func(b string) map[string]any { return down("POST", b+"/", "$BODY|$BODY_JSON", nil) },
			mutate: func(m *notify.Message) { m.LastPing.Body = []byte("a\xe2\x82b\xffc") },
			method: "POST", uri: "/", body: "a\uFFFDb\uFFFDc|\"a\\ufffdb\\ufffdc\"",
		},
		{
			name:   "$BODY of an empty body",
			value:  func(b string) map[string]any { return down("POST", b+"/", "[$BODY][$BODY_JSON]", nil) },
			mutate: func(m *notify.Message) { m.LastPing.Body = nil },
			method: "POST", uri: "/", body: `[][""]`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newHookServer(t, http.StatusOK)
			status := c.status
			if status == "" {
				status = "down"
			}
			m := upstreamMessage(status, c.value(srv.URL), t)
			if c.mutate != nil {
				c.mutate(m)
			}
			if err := sendOne(t, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != c.method || r.uri != c.uri || r.body != c.body {
				t.Errorf("got %s %s body %q\nwant %s %s body %q", r.method, r.uri, r.body, c.method, c.uri, c.body)
			}
			for k, v := range c.headers {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range c.absent {
				if got, ok := r.header[http.CanonicalHeaderKey(k)]; ok {
					t.Errorf("header %s = %q, want none", k, got)
				}
			}
		})
	}
}

// $JSON is the check as the API shows it; the body parses as JSON.
func TestUpstreamWebhookJSONVariable(t *testing.T) {
	srv := newHookServer(t, http.StatusOK)
	m := upstreamMessage("down", down("POST", srv.URL, "$JSON", nil), t)
	m.CheckJSON = []byte(`{"name": "Hello World", "tags": "foo bar"}`)
	if err := sendOne(t, m); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(srv.requests()[0].body), &doc); err != nil || doc["name"] != "Hello World" {
		t.Errorf("$JSON body %q: %v", srv.requests()[0].body, err)
	}
}

// Header names go out as they were typed, not canonicalized.
func TestUpstreamWebhookHeaderNameAsTyped(t *testing.T) {
	lines := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(hookWait))
		buf := make([]byte, 4096)
		n, _ := conn.Read(buf)
		lines <- string(buf[:n])
		_, _ = conn.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
	}()
	m := upstreamMessage("down", down("GET", "http://"+ln.Addr().String()+"/", "", map[string]string{"x-lower-case": "v"}), t)
	if err := sendOne(t, m); err != nil {
		t.Fatal(err)
	}
	if head := <-lines; !strings.Contains(head, "\r\nx-lower-case: v\r\n") {
		t.Errorf("request head:\n%s", head)
	}
}

// hookWait bounds waits on sockets in these tests.
const hookWait = 10 * time.Second

// Failures: non-2xx statuses and connection errors are tried three times
// and give upstream's texts; test notifications are tried once.
func TestUpstreamWebhookFailures(t *testing.T) {
	t.Run("500 is tried three times", func(t *testing.T) { // test_webhooks_handle_500
		srv := newHookServer(t, http.StatusInternalServerError)
		err := sendOne(t, upstreamMessage("down", down("GET", srv.URL, "", nil), t))
		if notify.ErrorText(err) != "Received status code 500" || notify.IsFinal(err) {
			t.Errorf("error %v (final %v), want a retryable \"Received status code 500\"", err, notify.IsFinal(err))
		}
		if n := len(srv.requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("a test notification is tried once", func(t *testing.T) { // test_webhooks_dont_retry_when_sending_test_notifications
		srv := newHookServer(t, http.StatusBadGateway)
		m := upstreamMessage("down", down("GET", srv.URL, "", nil), t)
		m.Test = true
		if err := sendOne(t, m); notify.ErrorText(err) != "Received status code 502" {
			t.Errorf("error %v", err)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("connection errors are tried three times", func(t *testing.T) { // test_webhooks_handle_curl_errors
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var mu sync.Mutex
		accepted := 0
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				accepted++
				mu.Unlock()
				// Read the whole request, then hang up without answering:
				// closing earlier races the client's write (a reset while
				// sending is a different curl code, 55 or 56).
				_, _ = http.ReadRequest(bufio.NewReader(conn))
				conn.Close()
			}
		}()
		err = sendOne(t, upstreamMessage("down", down("GET", "http://"+ln.Addr().String()+"/", "", nil), t))
		// curl says CURLE_GOT_NOTHING (52) for a server that hangs up.
		if notify.ErrorText(err) != "HTTP request failed, code: 52" || notify.IsFinal(err) {
			t.Errorf("error %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if accepted != 3 {
			t.Errorf("%d connections, want 3", accepted)
		}
	})
	t.Run("nothing listening, and a body cut short", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().String()
		ln.Close()
		if err := sendOne(t, upstreamMessage("down", down("GET", "http://"+closed+"/", "", nil), t)); notify.ErrorText(err) != "Connection failed" {
			t.Errorf("refused: %v", err)
		}
		short := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("only part"))
		}))
		defer short.Close()
		// curl's CURLE_PARTIAL_FILE (18).
		if err := sendOne(t, upstreamMessage("down", down("GET", short.URL, "", nil), t)); notify.ErrorText(err) != "HTTP request failed, code: 18" {
			t.Errorf("cut short: %v", err)
		}
	})
	t.Run("201, 202 and 204 are successes; 404 and 301 without Location are not", func(t *testing.T) {
		for status, want := range map[int]string{201: "", 202: "", 204: "", 404: "Received status code 404", 301: "Received status code 301", 400: "Received status code 400"} {
			srv := newHookServer(t, status)
			if err := sendOne(t, upstreamMessage("down", down("GET", srv.URL, "", nil), t)); notify.ErrorText(err) != want {
				t.Errorf("status %d: error %q, want %q", status, notify.ErrorText(err), want)
			}
		}
	})
	t.Run("WEBHOOKS_ENABLED=False", func(t *testing.T) { // test_it_requires_webhooks_enabled
		srv := newHookServer(t, http.StatusOK)
		tr, err := Integration().Transport(notify.Deps{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true}),
			Getenv: func(name string) (string, bool) { return "False", name == "WEBHOOKS_ENABLED" }})
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Send(context.Background(), upstreamMessage("down", down("GET", srv.URL, "", nil), t))
		if notify.ErrorText(err) != "Webhook notifications are not enabled." || !notify.IsFinal(err) || notify.IsPermanent(err) {
			t.Errorf("error %v: want the text, not retried, channel left enabled", err)
		}
		if n := len(srv.requests()); n != 0 {
			t.Errorf("%d requests with webhooks disabled", n)
		}
	})
	t.Run("timeouts", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		tr := &Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 50 * time.Millisecond})}
		err := tr.Send(context.Background(), upstreamMessage("down", down("GET", srv.URL, "", nil), t))
		if notify.ErrorText(err) != "Connection timed out" {
			t.Errorf("error %v", err)
		}
	})
}

// Which events a webhook channel takes part in: an event without a URL is a
// no-op, and such a flip enqueues nothing (test_webhooks_handle_noop_up_events).
func TestUpstreamWebhookNoopEvents(t *testing.T) {
	for value, want := range map[string][2]bool{
		`{"method_down": "GET", "url_down": "http://a", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`:         {false, true},
		`{"method_down": "GET", "url_down": "", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "http://b", "body_up": "", "headers_up": {}}`:         {true, false},
		`{"method_down": "GET", "url_down": "http://a", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "http://b", "body_up": "", "headers_up": {}}`: {true, true},
	} {
		up, dn := Events(value)
		if up != want[0] || dn != want[1] {
			t.Errorf("Events(%s) = up %v down %v, want %v", value, up, dn, want)
		}
	}
	// Should a send for an event without a URL happen anyway, it fails
	// with upstream's text and reaches no one.
	m := upstreamMessage("up", map[string]any{"method_up": "GET", "url_up": "", "body_up": "", "headers_up": map[string]string{}}, t)
	if err := sendOne(t, m); notify.ErrorText(err) != "Empty webhook URL" {
		t.Errorf("error %v", err)
	}
}
