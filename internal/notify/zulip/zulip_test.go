package zulip

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func value(site, mtype, to, topic string) string {
	b, _ := json.Marshal(Config{APIKey: "fake-key", BotEmail: "bot@example.org", MType: mtype, Site: site, To: to, Topic: topic})
	return string(b)
}

func send(t *testing.T, c *notify.Client, v string, m *notify.Message) error {
	t.Helper()
	m.Channel = model.Channel{Kind: "zulip", Value: v}
	return (&Transport{Client: c}).Send(t.Context(), m)
}

// Every message: a form POST to <site>/api/v1/messages with the bot's
// basic auth; the golden files hold the decoded fields, one a line.
func TestSend(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t, notifytest.Reply{Status: 200, Body: `{"id":42,"msg":"","result":"success"}`})
			if err := send(t, notifytest.Client(0), value(srv.URL+"/", "stream", "ops", ""), c.Msg); err != nil {
				t.Fatal(err)
			}
			r := srv.Requests()[0]
			if r.Method != "POST" || r.URI != "/api/v1/messages" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
				r.Header.Get("Authorization") != "Basic Ym90QGV4YW1wbGUub3JnOmZha2Uta2V5" || r.Header.Get("User-Agent") != "healthchecks.io" {
				t.Errorf("%s %s %v", r.Method, r.URI, r.Header)
			}
			form, err := url.ParseQuery(string(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			if len(form) != 4 {
				t.Errorf("fields %v", form)
			}
			var b strings.Builder
			for _, k := range []string{"type", "to", "topic", "content"} {
				b.WriteString(k + ": " + form.Get(k) + "\n")
			}
			notifytest.Golden(t, c.Name+".txt", []byte(b.String()))
			// The check's UUID is never sent when it has a name (the link is cloaked).
			if c.Msg.Check.Name != "" && strings.Contains(string(r.Body), c.Msg.Check.Code) {
				t.Error("the check's UUID is in the message")
			}
		})
	}
}

// Zulip's Markdown: nothing in the check's texts may become emphasis, a
// link, code, a heading or a @**all** mention.
func TestHostile(t *testing.T) {
	m := notifytest.Cases()[5].Msg
	content := Render(Config{MType: "stream", To: "ops"}, m).Get("content")
	for _, bad := range []string{"<b>x</b>", " *bold*", " _it_", "[link](", " `code`", "@**"} {
		if strings.Contains(content, bad) {
			t.Errorf("%q in %q", bad, content)
		}
	}
	m.Check.Name = "@**all** #**ops** **x**"
	content = Render(Config{MType: "stream", To: "ops"}, m).Get("content")
	if !strings.HasPrefix(content, `[@\*\*all\*\* \#\*\*ops\*\* \*\*x\*\*](`) {
		t.Errorf("content %q", content)
	}
	// A topic is plain text in Zulip: the name goes as it is.
	if topic := Render(Config{}, m).Get("topic"); topic != "@**all** #**ops** **x** is DOWN" {
		t.Errorf("topic %q", topic)
	}
}

func TestTargets(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	for _, c := range []struct{ mtype, to, topic, wantTo, wantTopic string }{
		{"stream", "general", "foo", "general", "foo"},
		{"stream", "1234", "", "1234", "Daily Backup is DOWN"},
		{"private", "1234", "", "[1234]", "Daily Backup is DOWN"},
		{"private", "alice@example.org", "", "alice@example.org", "Daily Backup is DOWN"},
	} {
		f := Render(Config{MType: c.mtype, To: c.to, Topic: c.topic}, m)
		if f.Get("type") != c.mtype || f.Get("to") != c.wantTo || f.Get("topic") != c.wantTopic {
			t.Errorf("%+v: %v", c, f)
		}
	}
}

// A value from before upstream stored the site posts to the bot email's domain.
func TestSiteFromEmail(t *testing.T) {
	c, err := Parse(`{"bot_email": "bot@chat.example.org", "api_key": "k", "mtype": "stream", "to": "general"}`)
	if err != nil || c.Site != "https://chat.example.org" || c.Topic != "" {
		t.Errorf("%+v %v", c, err)
	}
}

func TestAnswers(t *testing.T) {
	answers := append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "400 with a msg", Reply: notifytest.Reply{Status: 400, Body: `{"code":"STREAM_DOES_NOT_EXIST","msg":"Stream 'ops' does not exist","result":"error"}`},
			Err: `Received status code 400 with a message: "Stream 'ops' does not exist"`, Tries: 3},
		notifytest.Answer{Name: "401 not JSON", Reply: notifytest.Reply{Status: 401, Body: `<html>`}, Err: "Received status code 401", Tries: 3},
		notifytest.Answer{Name: "429 with a msg", Reply: notifytest.Reply{Status: 429, Body: `{"code":"RATE_LIMIT_HIT","msg":"API usage exceeded rate limit","result":"error","retry-after":28.7}`},
			Err: `Received status code 429 with a message: "API usage exceeded rate limit"`, Tries: 1},
	)
	notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
		return send(t, c, value(srv.URL, "stream", "ops", ""), notifytest.Message(model.StatusDown))
	})
}

func TestDisabled(t *testing.T) {
	srv := notifytest.NewServer(t)
	tr, err := Integration().Transport(notify.Deps{Client: notifytest.Client(0), Getenv: func(k string) (string, bool) { return "False", k == "ZULIP_ENABLED" }})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = value(srv.URL, "stream", "ops", "")
	if err := tr.Send(t.Context(), m); notify.ErrorText(err) != "Zulip notifications are not enabled." || notify.IsPermanent(err) || len(srv.Requests()) != 0 {
		t.Errorf("disabled: %v", err)
	}
}

func TestForm(t *testing.T) {
	ok := url.Values{"bot_email": {" foo@example.org "}, "api_key": {"fake-key"}, "site": {"example.org"}, "mtype": {"stream"}, "to": {"general"}, "topic": {"foo"}}
	v, err := fromForm(ok)
	if want := `{"api_key":"fake-key","bot_email":"foo@example.org","mtype":"stream","site":"https://example.org","to":"general","topic":"foo"}`; err != nil || v != want {
		t.Fatalf("%s, %v; want %s", v, err, want)
	}
	if err := Integration().Validate(v); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, c := range []struct{ key, val, err string }{
		{"bot_email", "", "bot_email: is required"},
		{"bot_email", "not@an@email", "bot_email: must be an email address"},
		{"bot_email", strings.Repeat("a", 90) + "@example.org", "bot_email: must be an email address"},
		{"api_key", "", "api_key: is required"},
		{"api_key", "a b", "api_key: must be 1 to 50 characters"},
		{"api_key", strings.Repeat("k", 51), "api_key: must be 1 to 50 characters"},
		{"site", "", "site: is required"},
		{"site", "not an url", "site: must be an http:// or https:// URL"},
		{"site", "ftp://example.org", "site: must be an http:// or https:// URL"},
		{"site", "https://" + strings.Repeat("a", 100) + ".org", "site: must be an http:// or https:// URL"},
		{"mtype", "this-should-not-work", "mtype: must be stream or private"},
		{"to", "", "to: is required"},
		{"to", "a\nb", "to: must be one line"},
		{"to", strings.Repeat("é", 101), "to: must be one line"},
		{"topic", "a\rb", "topic: must be one line"},
		{"topic", strings.Repeat("t", 101), "topic: must be one line"},
	} {
		f := url.Values{}
		for k, v := range ok {
			f[k] = v
		}
		f.Set(c.key, c.val)
		_, err := fromForm(f)
		var fe *notify.FieldError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%s=%q: %v, want %q", c.key, c.val, err, c.err)
		}
	}
	// Without a topic, and to a user.
	f := url.Values{"bot_email": {"foo@example.org"}, "api_key": {"k"}, "site": {"https://example.org"}, "mtype": {"private"}, "to": {"1234"}}
	if v, err := fromForm(f); err != nil || !strings.Contains(v, `"mtype":"private"`) || !strings.Contains(v, `"topic":""`) {
		t.Errorf("%s %v", v, err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ value, err string }{
		{`{"bot_email": "bot@example.org", "api_key": "k", "mtype": "stream", "to": "general"}`, ""},
		{`{"api_key": "k", "mtype": "stream", "to": "general"}`, "bot_email: is missing"},
		{`{"bot_email": "bot@example.org", "mtype": "stream", "to": "general"}`, "api_key: is missing"},
		{`{"bot_email": "bot@example.org", "api_key": "k", "to": "general"}`, "mtype: is missing"},
		{`{"bot_email": "bot@example.org", "api_key": "k", "mtype": "stream"}`, "to: is missing"},
		{`{"bot_email": "bot@example.org", "api_key": "k", "mtype": "group", "to": "general"}`, "mtype: must be stream or private"},
		{`{"bot_email": "bot@example.org", "api_key": 5, "mtype": "stream", "to": "general"}`, "zulip configuration is not valid JSON"},
		{`{"bot_email": "bot@", "api_key": "k", "mtype": "stream", "to": "general"}`, "bot_email: must be"},
		{`[]`, "zulip configuration is not valid JSON"},
	} {
		err := Integration().Validate(c.value)
		if (c.err == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("Validate(%s) = %v, want %q", c.value, err, c.err)
		}
	}
}
