package telegram

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/ratelimit"
)

const token = "123456:ABC-secret"

const value = `{"id": -1001234567890, "type": "supergroup", "name": "Ops", "thread_id": 42}`

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(string) string { return value },
		Transport: func(base string, c *notify.Client) notify.Transport {
			return &Transport{Client: c, Token: token, API: base}
		},
		Env:    map[string]string{"TELEGRAM_TOKEN": token},
		Method: "POST", URI: "/bot" + token + "/sendMessage",
		// HTML parse mode: nothing of the user's may open a tag.
		ForbiddenAnywhere: []string{"<b>x", "<!channel>", "<@U123>", "</pre><script>", "<t>"},
		Answers: []notifytest.Answer{
			{Name: "chat not found", Reply: notifytest.Reply{Status: 400, Body: `{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}`},
				Err: `Received status code 400 with a message: "Bad Request: chat not found"`, Permanent: true, Tries: 1},
			{Name: "blocked", Reply: notifytest.Reply{Status: 403, Body: `{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}`},
				Err: `Received status code 403 with a message: "Forbidden: bot was blocked by the user"`, Permanent: true, Tries: 1},
			{Name: "other description", Reply: notifytest.Reply{Status: 400, Body: `{"ok": false, "description": "Bad Request: can't parse entities"}`},
				Err: `Received status code 400 with a message: "Bad Request: can't parse entities"`, Tries: 3},
			{Name: "429 with retry_after", Reply: notifytest.Reply{Status: 429, Body: `{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 5", "parameters": {"retry_after": 5}}`},
				Err: "Received status code 429", Tries: 1},
		},
		Disable: map[string]string{},
	}.Run(t)
}

func send(t *testing.T, tr *Transport, m *notify.Message) error {
	t.Helper()
	m.Channel = model.Channel{Kind: "telegram", Value: value}
	return tr.Send(context.Background(), m)
}

// A group that became a supergroup: the message goes to the new chat id.
func TestMigration(t *testing.T) {
	srv := notifytest.NewServer(t,
		notifytest.Reply{Status: 400, Body: `{"ok": false, "error_code": 400, "description": "Bad Request: group chat was upgraded to a supergroup chat", "parameters": {"migrate_to_chat_id": -1009876543210}}`},
		notifytest.Reply{Status: 200, Body: `{"ok": true}`})
	tr := &Transport{Client: notifytest.Client(0), Token: token, API: srv.URL}
	if err := send(t, tr, notifytest.Message("down")); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !strings.Contains(string(reqs[0].Body), `"chat_id":-1001234567890`) || !strings.Contains(string(reqs[1].Body), `"chat_id":-1009876543210`) {
		t.Errorf("requests %q", reqs)
	}
}

func TestRateLimit(t *testing.T) {
	srv := notifytest.NewServer(t)
	now := notifytest.Now
	tr := &Transport{Client: notifytest.Client(0), Token: token, API: srv.URL, Limit: ratelimit.PerMinute(perMinute, func() time.Time { return now })}
	for i := range 6 {
		if err := send(t, tr, notifytest.Message("down")); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	if err := send(t, tr, notifytest.Message("down")); notify.ErrorText(err) != "Rate limit exceeded" || notify.IsFinal(err) {
		t.Errorf("7th message: %v", err)
	}
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("%d requests", n)
	}
}

func TestNoThread(t *testing.T) {
	srv := notifytest.NewServer(t)
	tr := &Transport{Client: notifytest.Client(0), Token: token, API: srv.URL}
	m := notifytest.Message("up")
	m.Channel = model.Channel{Kind: "telegram", Value: `{"id": 5}`}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if b := string(srv.Requests()[0].Body); !strings.HasPrefix(b, `{"chat_id":5,"message_thread_id":null,"parse_mode":"html","text":"🟢 The check <a href=\"https://hc.example.org/cloaked/`) {
		t.Errorf("body %s", b)
	}
}

func TestFromForm(t *testing.T) {
	cases := []struct {
		form  url.Values
		value string
		err   string
	}{
		{url.Values{"id": {" -1001234567890 "}, "type": {"supergroup"}, "name": {"Ops"}, "thread_id": {"42"}}, `{"id":-1001234567890,"name":"Ops","thread_id":42,"type":"supergroup"}`, ""},
		{url.Values{"id": {"12345"}}, `{"id":12345,"name":null,"thread_id":null,"type":null}`, ""},
		{url.Values{}, "", "id: is required"},
		{url.Values{"id": {"0"}}, "", "id: must not be 0"},
		{url.Values{"id": {"@channel"}}, "", "id: must be a whole number"},
		{url.Values{"id": {"99999999999999999999"}}, "", "id: must be a whole number"},
		{url.Values{"id": {"1.5"}}, "", "id: must be a whole number"},
		{url.Values{"id": {"1"}, "type": {"bot"}}, "", "type: must be private, group, supergroup or channel"},
		{url.Values{"id": {"1"}, "name": {strings.Repeat("é", 101)}}, "", "name: must be one line"},
		{url.Values{"id": {"1"}, "name": {"a\nb"}}, "", "name: must be one line"},
		{url.Values{"id": {"1"}, "thread_id": {"-3"}}, "", "thread_id: must be a positive whole number"},
		{url.Values{"id": {"1"}, "thread_id": {"x"}}, "", "thread_id: must be a whole number"},
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
		{value, ""},
		{`{"id": 123, "type": "private", "name": "alice", "thread_id": null}`, ""},
		{`{"id": "123"}`, "telegram configuration is not valid JSON"},
		{`{"id": 1.5}`, "telegram configuration is not valid JSON"},
		{`{"type": "private"}`, "id: is missing"},
		{`{"id": 0}`, "id: must not be 0"},
	} {
		err := validate(c.value)
		if (c.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}
