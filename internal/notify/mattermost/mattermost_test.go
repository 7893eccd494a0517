package mattermost

import (
	"context"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func send(t *testing.T, c *notify.Client, getenv func(string) (string, bool), value string, m *notify.Message) error {
	t.Helper()
	tr, err := Integration().Transport(notify.Deps{Client: c, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	m.Channel = model.Channel{Kind: "mattermost", Value: value}
	return tr.Send(context.Background(), m)
}

func TestSendGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t)
			if err := send(t, notifytest.Client(0), nil, srv.URL+"/hooks/abc", c.Msg); err != nil {
				t.Fatal(err)
			}
			r := srv.Requests()[0]
			if r.Method != "POST" || r.URI != "/hooks/abc" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s %q", r.Method, r.URI, r.Header)
			}
			notifytest.Golden(t, c.Name+".json", r.Body)
			if c.Name == "hostile" {
				body := string(r.Body)
				for _, bad := range []string{"<!channel>", "@everyone", "@here", "@all", "<@U123>"} {
					if strings.Contains(body, bad) {
						t.Errorf("%q reaches Mattermost as is", bad)
					}
				}
				// Outside code, Markdown is escaped too.
				_, outside, _ := strings.Cut(body, `"title":`)
				outside, _, _ = strings.Cut(outside, "Last Ping Body")
				for _, bad := range []string{"*bold*", "[link]", "_it_"} {
					if strings.Contains(outside, bad) {
						t.Errorf("%q reaches Mattermost as Markdown", bad)
					}
				}
			}
		})
	}
}

// Upstream disables no Mattermost channel: a 404 is retried like a 500.
func TestAnswers(t *testing.T) {
	answers := append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "404", Reply: notifytest.Reply{Status: 404}, Err: "Received status code 404", Tries: 3})
	notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
		return send(t, c, nil, srv.URL+"/hooks/abc", notifytest.Message("down"))
	})
}

func TestDisabled(t *testing.T) {
	getenv := func(name string) (string, bool) { return "", name == "MATTERMOST_ENABLED" }
	err := send(t, notifytest.Client(0), getenv, "https://mm.example.org/hooks/x", notifytest.Message("down"))
	if notify.ErrorText(err) != "Mattermost notifications are not enabled." || !notify.IsFinal(err) {
		t.Errorf("disabled: %v", err)
	}
}
