package gotify

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

func message(status, name string) *notify.Message {
	return &notify.Message{
		Status:   status,
		Check:    model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: name},
		Flip:     model.Flip{Reason: "timeout", NewStatus: status},
		CheckURL: "https://hc.example.org/cloaked/abc/",
		Downtime: 3 * time.Hour,
	}
}

func ip(n int) *int { return &n }

func TestRenderGolden(t *testing.T) {
	c := Config{Priority: ip(9), PriorityUp: ip(2), Token: "t", URL: "https://g.example"}
	cases := map[string]*notify.Message{
		"down.json":    message("down", "Backups"),
		"up.json":      message("up", "Backups"),
		"hostile.json": message("down", `<b>x</b> [click](http://evil) @everyone **bold** `+"`c`"),
		"noname.json":  message("up", ""),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(Render(c, m))
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, name, b)
		})
	}
	// A value from before upstream had priorities sends none.
	if p := Render(Config{URL: "https://g", Token: "t"}, message("down", "x")); p.Priority != nil {
		t.Errorf("priority %v, want none", *p.Priority)
	}
}

func TestEndpoint(t *testing.T) {
	for base, want := range map[string]string{
		"https://g.example":          "https://g.example/message?token=a%26b",
		"https://g.example/gotify":   "https://g.example/gotify/message?token=a%26b",
		"https://g.example/gotify/":  "https://g.example/gotify/message?token=a%26b",
		"http://home:8080/?x=1#frag": "http://home:8080/message?token=a%26b",
	} {
		if got, err := Endpoint(Config{URL: base, Token: "a&b"}); err != nil || got != want {
			t.Errorf("Endpoint(%s) = %s, %v; want %s", base, got, err, want)
		}
	}
}

// The request is Gotify's: a POST of the rendered message to the
// server's /message, the application token in the query string.
func TestSend(t *testing.T) {
	srv := notifytest.NewServer(t)
	c := Config{Priority: ip(5), PriorityUp: ip(5), Token: "tok", URL: srv.URL + "/g"}
	m := message("down", "Backups")
	m.Channel.Value = notifytest.JSON(t, c)
	if err := (&Transport{Client: notifytest.Client(time.Second)}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(Render(c, message("down", "Backups")))
	if r := srv.Requests()[0]; r.Method != "POST" || r.URI != "/g/message?token=tok" || r.Header.Get("Content-Type") != "application/json" ||
		string(r.Body) != string(want) {
		t.Errorf("request %s %s %v\n%s\nwant body %s", r.Method, r.URI, r.Header, r.Body, want)
	}
	// The provider's answers, read as every HTTP kind reads them.
	notifytest.CheckAnswers(t, notifytest.CommonAnswers(), func(srv *notifytest.Server, cl *notify.Client) error {
		m := message("down", "Backups")
		c.URL = srv.URL + "/g"
		m.Channel.Value = notifytest.JSON(t, c)
		return (&Transport{Client: cl}).Send(context.Background(), m)
	})
}
func TestFromForm(t *testing.T) {
	ok := url.Values{"url": {"gotify.example.org"}, "token": {"AbC"}, "priority": {"0"}, "priority_up": {"9"}}
	v, err := fromForm(ok)
	if want := `{"priority":0,"priority_up":9,"token":"AbC","url":"https://gotify.example.org"}`; err != nil || v != want {
		t.Fatalf("%s, %v; want %s", v, err, want)
	}
	if up, down := Events(v); !up || down {
		t.Errorf("Events = %v %v", up, down)
	}
	for _, b := range []struct{ key, val, field string }{
		{"url", "", "url"},
		{"url", "ftp://x", "url"},
		{"url", "https://" + strings.Repeat("a", 1000), "url"},
		{"token", "", "token"},
		{"token", strings.Repeat("t", 51), "token"},
		{"token", "a b", "token"},
		{"priority", "3", "priority"},
		{"priority_up", "high", "priority_up"},
	} {
		f := url.Values{}
		for k, v := range ok {
			f[k] = v
		}
		f.Set(b.key, b.val)
		_, err := fromForm(f)
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("%s=%q: %v, want a FieldError on %s", b.key, b.val, err, b.field)
		}
	}
}

func FuzzFromForm(f *testing.F) {
	f.Add("https://g.example", "tok", "5")
	f.Fuzz(func(t *testing.T, u, tok, prio string) {
		v, err := fromForm(url.Values{"url": {u}, "token": {tok}, "priority": {prio}})
		if err == nil {
			if _, err := parse(v); err != nil {
				t.Fatalf("FromForm made %s, which Validate refuses: %v", v, err)
			}
		}
	})
}
