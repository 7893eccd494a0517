package ntfy

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

var now = time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)

func message(status, name string) *notify.Message {
	return &notify.Message{
		Status:      status,
		Check:       model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: name, Tags: "prod db", Kind: model.KindSimple, Timeout: time.Hour},
		Flip:        model.Flip{Reason: "timeout", NewStatus: status},
		LastPing:    &model.Ping{N: 42, Created: now.Add(-90 * time.Minute), Body: []byte("ok")},
		ProjectName: "Ops",
		CheckURL:    "https://hc.example.org/cloaked/abc/",
		Downtime:    2 * time.Hour,
		Now:         now,
	}
}

func TestRenderGolden(t *testing.T) {
	c := Config{Priority: 5, PriorityUp: 2, Topic: "t", URL: "https://ntfy.sh"}
	cases := map[string]*notify.Message{
		"down.json":    message("down", "Backups"),
		"up.json":      message("up", "Backups"),
		"hostile.json": message("down", `<b>x</b> [click](http://evil) @everyone **bold** `+"`code`"),
	}
	h := cases["hostile.json"]
	h.ProjectName, h.Check.Tags = "[p](javascript:x) <img>", "*a* _b_"
	cron := message("down", "")
	cron.Check.Kind, cron.Check.Schedule, cron.Check.TZ, cron.LastPing = model.KindCron, "*/5 * * `x`", "Europe/Riga", nil
	cases["cron-never.json"] = cron
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(Render(c, m, "Overdue"))
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, name, b)
		})
	}
}

// The request is ntfy's publish-as-JSON: a POST of the rendered message
// to the server's root URL, the token as a bearer token.
func TestSend(t *testing.T) {
	srv := notifytest.NewServer(t)
	m := message("down", "Backups")
	m.Channel.Value = notifytest.JSON(t, Config{Priority: 5, Topic: "t", URL: srv.URL + "/", Token: "tk_1"})
	tr := &Transport{Client: notifytest.Client(time.Second), SiteName: "Overdue"}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(Render(Config{Priority: 5, Topic: "t"}, message("down", "Backups"), "Overdue"))
	if r := srv.Requests()[0]; r.Method != "POST" || r.URI != "/" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Authorization") != "Bearer tk_1" || string(r.Body) != string(want) {
		t.Errorf("request %s %s %v\n%s\nwant body %s", r.Method, r.URI, r.Header, r.Body, want)
	}
	// The provider's answers, read as every HTTP kind reads them.
	notifytest.CheckAnswers(t, notifytest.CommonAnswers(), func(srv *notifytest.Server, c *notify.Client) error {
		m := message("down", "Backups")
		m.Channel.Value = notifytest.JSON(t, Config{Priority: 5, Topic: "t", URL: srv.URL + "/"})
		return (&Transport{Client: c, SiteName: "Overdue"}).Send(context.Background(), m)
	})
}
func TestShToken(t *testing.T) {
	// ntfy.sh itself is not reachable from tests: check the header choice on a request the client refuses.
	m := message("down", "x")
	m.Channel.Value = `{"priority": 3, "priority_up": 3, "token": "", "topic": "t", "url": "http://127.0.0.1:1/"}`
	m.Test = true
	tr := &Transport{Client: notify.NewClient(notify.ClientOptions{}), ShToken: "sh"}
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "Connections to private IP addresses are not allowed" {
		t.Errorf("err = %v", err)
	}
}

func TestFromForm(t *testing.T) {
	ok := url.Values{"topic": {"backups"}, "url": {"ntfy.example.org"}, "priority": {"5"}, "priority_up": {"0"}}
	v, err := fromForm(ok)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"priority":5,"priority_up":0,"token":"","topic":"backups","url":"https://ntfy.example.org"}`; v != want {
		t.Errorf("value %s, want %s", v, want)
	}
	if up, down := Events(v); up || !down {
		t.Errorf("Events = %v %v", up, down)
	}
	bad := []struct {
		field, key, val string
	}{
		{"topic", "topic", ""},
		{"topic", "topic", strings.Repeat("x", 65)},
		{"topic", "topic", "a\nb"},
		{"url", "url", "javascript:alert(1)"},
		{"url", "url", "https://" + strings.Repeat("a", 1000)},
		{"token", "token", strings.Repeat("t", 101)},
		{"priority", "priority", "6"},
		{"priority", "priority", "x"},
		{"priority_up", "priority_up", "-1"},
	}
	for _, b := range bad {
		f := url.Values{}
		for k, v := range ok {
			f[k] = v
		}
		f.Set(b.key, b.val)
		_, err := fromForm(f)
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("%s=%q: err %v, want a FieldError on %s", b.key, b.val, err, b.field)
		}
	}
}

func TestEventsUpstreamValues(t *testing.T) {
	for v, want := range map[string][2]bool{
		`{"priority": 0, "priority_up": 3, "topic": "a", "url": "https://ntfy.sh"}`: {true, false},
		`{"topic": "a", "url": "https://ntfy.sh"}`:                                  {true, true},
		`nonsense`: {true, true},
	} {
		if up, down := Events(v); up != want[0] || down != want[1] {
			t.Errorf("Events(%s) = %v %v, want %v", v, up, down, want)
		}
	}
}

func FuzzFromForm(f *testing.F) {
	f.Add("backups", "https://ntfy.sh", "3", "tok")
	f.Fuzz(func(t *testing.T, topic, u, prio, tok string) {
		v, err := fromForm(url.Values{"topic": {topic}, "url": {u}, "priority": {prio}, "token": {tok}})
		if err == nil {
			if _, err := parse(v); err != nil {
				t.Fatalf("FromForm made %s, which Validate refuses: %v", v, err)
			}
		}
	})
}
