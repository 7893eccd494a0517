package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

const code = "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e"

func message(status string) *notify.Message {
	exit := 3
	return &notify.Message{
		Status:    status,
		Check:     model.Check{Code: code, Name: `Backup "db" & ünïcode`, Slug: "backup-db", Tags: "prod db"},
		Flip:      model.Flip{Created: time.Date(2026, 11, 24, 12, 30, 45, 123456000, time.UTC), NewStatus: status},
		LastPing:  &model.Ping{Body: []byte("Body Line 1\nBody Line 2"), ExitStatus: &exit},
		CheckJSON: []byte(`{"name": "Backup \"db\" & \u00fcn\u00efcode", "status": "down"}`),
	}
}

func TestRender(t *testing.T) {
	cases := []struct {
		name      string
		spec      Spec
		mutate    func(m *notify.Message)
		method    string
		url, body string
		headers   map[string]string
	}{
		{
			name:   "upstream's variables example",
			spec:   Spec{Method: "GET", URL: "http://host/$CODE/$SLUG/$STATUS/$TAG1/$TAG2/?name=$NAME"},
			mutate: func(m *notify.Message) { m.Check.Name = "Hello World" },
			method: "GET", url: "http://host/" + code + "/backup-db/down/prod/db/?name=Hello%20World",
		},
		{
			name:   "URL values are quoted like Python's quote (safe='/')",
			spec:   Spec{Method: "GET", URL: "http://host/?n=$NAME&t=$TAGS&now=$NOW&j=$NAME_JSON"},
			method: "GET",
			url: "http://host/?n=Backup%20%22db%22%20%26%20%C3%BCn%C3%AFcode&t=prod%20db&now=2026-11-24T12%3A30%3A45%2B00%3A00" +
				"&j=%22Backup%20%5C%22db%5C%22%20%26%20%5Cu00fcn%5Cu00efcode%22",
		},
		{
			name:   "variable variables are not expanded",
			spec:   Spec{URL: "http://host/$$NAMETAG1"},
			mutate: func(m *notify.Message) { m.Check.Name = "" },
			method: "GET", url: "http://host/$TAG1",
		},
		{
			name:   "a name that looks like a placeholder stays literal (quoted in URLs)",
			spec:   Spec{URL: "http://host/$NAME"},
			mutate: func(m *notify.Message) { m.Check.Name = "$TAG1" },
			method: "GET", url: "http://host/%24TAG1",
		},
		{
			name:   "$TAG beyond the tags is left as is; $TAG1 wins over $TAG10, as upstream",
			spec:   Spec{Method: "POST", URL: "http://host/", Body: "$TAG1 $TAG2 $TAG3 $TAG10"},
			method: "POST", url: "http://host/", body: "prod db $TAG3 prod0",
		},
		{
			name:   "body: raw values, $BODY, $BODY_JSON, $EXITSTATUS, $JSON, $NOW",
			spec:   Spec{Method: "POST", URL: "http://host/", Body: "$NAME|$BODY|$BODY_JSON|$EXITSTATUS|$JSON|$NOW|$STATUS|$CODE"},
			method: "POST", url: "http://host/",
			body: `Backup "db" & ünïcode|Body Line 1` + "\n" + `Body Line 2|"Body Line 1\nBody Line 2"|3|` +
				`{"name": "Backup \"db\" & \u00fcn\u00efcode", "status": "down"}|2026-11-24T12:30:45+00:00|down|` + code,
		},
		{
			name:   "no last ping: empty $BODY, -1 exit status",
			spec:   Spec{Method: "PUT", URL: "http://host/", Body: "[$BODY][$BODY_JSON][$EXITSTATUS]"},
			mutate: func(m *notify.Message) { m.LastPing = nil },
			method: "PUT", url: "http://host/", body: `[][""][-1]`,
		},
		{
			name:   "$BODY is not available in URLs and headers",
			spec:   Spec{Method: "POST", URL: "http://host/$BODY", Headers: map[string]string{"User-Agent": "$BODY"}},
			method: "POST", url: "http://host/$BODY", headers: map[string]string{"User-Agent": "$BODY"},
		},
		{
			name:   "GET sends no body",
			spec:   Spec{Method: "GET", URL: "http://host/", Body: "ignored $NAME"},
			method: "GET", url: "http://host/",
		},
		{
			name:   "headers: latin-1 kept, other characters as character references",
			spec:   Spec{URL: "http://host/", Headers: map[string]string{"X-Foo": "bār ½", "X-Message": "$NAME is $STATUS"}},
			mutate: func(m *notify.Message) { m.Check.Name = "Zürich ☃" },
			method: "GET", url: "http://host/",
			headers: map[string]string{"X-Foo": "b&#257;r \xbd", "X-Message": "Z\xfcrich &#9731; is down"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := message("down")
			if c.mutate != nil {
				c.mutate(m)
			}
			method, url, headers, body := Render(c.spec, m)
			if method != c.method || url != c.url || string(body) != c.body {
				t.Errorf("Render =\n %s %s\n body %q\nwant\n %s %s\n body %q", method, url, body, c.method, c.url, c.body)
			}
			if len(headers) != len(c.headers) {
				t.Errorf("headers = %q, want %q", headers, c.headers)
			}
			for k, v := range c.headers {
				if headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, headers[k], v)
				}
			}
		})
	}
}

// TestRenderJSONPlaceholders: $NAME_JSON and $BODY_JSON are json.dumps of
// the text, as upstream writes them (printed by CPython 3.11); U+007F is
// escaped like every character outside " " to "~".
func TestRenderJSONPlaceholders(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"plain", "ok", `"plain"|"ok"`},
		{"q\"b\\", "tab\tnl\n", `"q\"b\\"|"tab\tnl\n"`},
		{"\x01\x7f", "\x7f", `"\u0001\u007f"|"\u007f"`},
		{"ü☃😀", "</script>", `"\u00fc\u2603\ud83d\ude00"|"</script>"`},
		{"", "a\xffb", `""|"a\ufffdb"`}, // the body is decoded as Python decodes it first
	} {
		m := message("down")
		m.Check.Name = tc.name
		m.LastPing.Body = []byte(tc.body)
		_, _, _, body := Render(Spec{Method: "POST", URL: "http://host/", Body: "$NAME_JSON|$BODY_JSON"}, m)
		if string(body) != tc.want {
			t.Errorf("name %q body %q: %s, want %s", tc.name, tc.body, body, tc.want)
		}
		// Each half is valid JSON that decodes back to the text.
		name, _, _ := strings.Cut(string(body), "|")
		var back string
		if err := json.Unmarshal([]byte(name), &back); err != nil || back != tc.name {
			t.Errorf("%s does not decode to %q: %q, %v", name, tc.name, back, err)
		}
	}
}

type captured struct {
	method, uri, body string
	header            http.Header
}

func server(t *testing.T, status int) (*httptest.Server, chan captured) {
	t.Helper()
	got := make(chan captured, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{r.Method, r.RequestURI, string(b), r.Header.Clone()}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func channelValue(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The webhook goes over a real socket; the receiving end sees exactly the
// request upstream would send.
func TestSendDownAndUp(t *testing.T) {
	srv, got := server(t, http.StatusOK)
	tr := &Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true})}
	value := channelValue(t, map[string]any{
		"method_down": "POST", "url_down": srv.URL + "/down/$CODE?name=$NAME", "body_down": `{"check": $NAME_JSON, "body": $BODY_JSON}`,
		"headers_down": map[string]string{"Content-Type": "application/json", "X-Check": "$NAME"},
		"method_up":    "GET", "url_up": srv.URL + "/up/$SLUG", "body_up": "not sent", "headers_up": map[string]string{},
	})
	m := message("down")
	m.Channel = model.Channel{Kind: "webhook", Value: value}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c := <-got
	if c.method != "POST" || c.uri != "/down/"+code+"?name=Backup%20%22db%22%20%26%20%C3%BCn%C3%AFcode" {
		t.Errorf("down request %s %s", c.method, c.uri)
	}
	if c.body != `{"check": "Backup \"db\" & \u00fcn\u00efcode", "body": "Body Line 1\nBody Line 2"}` {
		t.Errorf("down body %s", c.body)
	}
	if c.header.Get("Content-Type") != "application/json" || c.header.Get("X-Check") != "Backup \"db\" & \xfcn\xefcode" || c.header.Get("User-Agent") != "healthchecks.io" {
		t.Errorf("down headers %q", c.header)
	}
	m = message("up")
	m.Channel = model.Channel{Kind: "webhook", Value: value}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c = <-got
	if c.method != "GET" || c.uri != "/up/backup-db" || c.body != "" {
		t.Errorf("up request %s %s body %q", c.method, c.uri, c.body)
	}
}

func TestSendFailures(t *testing.T) {
	srv, _ := server(t, http.StatusInternalServerError)
	client := notify.NewClient(notify.ClientOptions{AllowPrivate: true})
	m := message("down")
	m.Channel = model.Channel{Kind: "webhook", Value: channelValue(t, map[string]any{"url_down": srv.URL, "method_down": "GET"})}
	err := (&Transport{Client: client}).Send(context.Background(), m)
	if notify.ErrorText(err) != "Received status code 500" || notify.IsPermanent(err) {
		t.Errorf("500: %v", err)
	}
	off, _ := Integration().Transport(notify.Deps{Client: client, Getenv: func(string) (string, bool) { return "False", true }})
	err = off.Send(context.Background(), m)
	if notify.ErrorText(err) != "Webhook notifications are not enabled." {
		t.Errorf("disabled: %v", err)
	}
	m.Channel.Value = "{not json"
	err = (&Transport{Client: client}).Send(context.Background(), m)
	if notify.ErrorText(err) != "Invalid webhook configuration" || !notify.IsPermanent(err) {
		t.Errorf("bad config: %v", err)
	}
	m.Channel.Value = `{"url_down": ""}`
	if err := (&Transport{Client: client}).Send(context.Background(), m); notify.ErrorText(err) != "Empty webhook URL" {
		t.Errorf("empty URL: %v", err)
	}
	// The default client refuses loopback: the SSRF guard applies to webhooks.
	m.Channel.Value = channelValue(t, map[string]any{"url_down": srv.URL})
	err = (&Transport{Client: notify.NewClient(notify.ClientOptions{})}).Send(context.Background(), m)
	if notify.ErrorText(err) != "Connections to private IP addresses are not allowed" {
		t.Errorf("loopback without INTEGRATIONS_ALLOW_PRIVATE_IPS: %v", err)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("http://host/$NAME/$TAG1", "$BODY $JSON $$", "Backup $TAGS", "a b")
	f.Add("$", "$$$", "", "")
	f.Fuzz(func(t *testing.T, url, body, name, tags string) {
		m := message("down")
		m.Check.Name, m.Check.Tags = name, tags
		_, gotURL, headers, gotBody := Render(Spec{Method: "POST", URL: url, Body: body, Headers: map[string]string{"X": body}}, m)
		if !strings.Contains(url, "$") && gotURL != url {
			t.Errorf("a URL without placeholders changed: %q → %q", url, gotURL)
		}
		if body != "" && !strings.Contains(body, "$") && string(gotBody) != body {
			t.Errorf("a body without placeholders changed: %q → %q", body, gotBody)
		}
		for _, r := range headers["X"] {
			if r > 0xff && r != 0xfffd {
				t.Errorf("header value holds %U, beyond latin-1", r)
			}
		}
	})
}
