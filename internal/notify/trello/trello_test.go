package trello

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const value = `{"board_name":"Ops","list_id":"5f0c3d2e1b4a6978c0d1e2f3","list_name":"Incidents","token":"tok&en=1"}`

func transport(base string, c *notify.Client) *Transport {
	return &Transport{Client: c, Key: "app-key", SiteName: "Overdue", URL: base + "/1/cards"}
}

// queryText is the query one field a line, in the order sent.
func queryText(t *testing.T, rawQuery string) []byte {
	var b strings.Builder
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		dv, err := url.QueryUnescape(v)
		if err != nil {
			t.Fatalf("%s: %v", kv, err)
		}
		b.WriteString(k + ": " + dv + "\n")
	}
	return []byte(b.String())
}

func TestGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t)
			c.Msg.Channel.Value = value
			if err := transport(srv.URL, notifytest.Client(0)).Send(context.Background(), c.Msg); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if c.Msg.Status == model.StatusUp {
				if len(reqs) != 0 {
					t.Fatalf("up sent %d requests; upstream's Trello is down only", len(reqs))
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			path, query, _ := strings.Cut(r.URI, "?")
			if r.Method != "POST" || path != "/1/cards" || len(r.Body) != 0 || r.Header.Get("Content-Type") != "" {
				t.Errorf("%s %s, Content-Type %q, body %q; want a bare POST /1/cards", r.Method, path, r.Header.Get("Content-Type"), r.Body)
			}
			if !strings.HasPrefix(query, "idList=5f0c3d2e1b4a6978c0d1e2f3&name=") || !strings.HasSuffix(query, "&key=app-key&token=tok%26en%3D1") {
				t.Errorf("query %s", query)
			}
			notifytest.Golden(t, c.Name+".txt", queryText(t, query))
		})
	}
}

func TestAnswers(t *testing.T) {
	notifytest.CheckAnswers(t, append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "401", Reply: notifytest.Reply{Status: 401, Body: "invalid token"}, Err: "Received status code 401", Tries: 3},
	), func(srv *notifytest.Server, c *notify.Client) error {
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = value
		return transport(srv.URL, c).Send(context.Background(), m)
	})
}

func TestForm(t *testing.T) {
	in := Integration()
	ok := url.Values{"token": {" ATTAtoken "}, "board_name": {"Ops <b>"}, "list_name": {"Incidents"}, "list_id": {"5f0c3d2e1b4a6978c0d1e2f3"}}
	v, err := in.FromForm(ok)
	if err != nil || v != `{"board_name":"Ops \u003cb\u003e","list_id":"5f0c3d2e1b4a6978c0d1e2f3","list_name":"Incidents","token":"ATTAtoken"}` {
		t.Fatalf("%s %v", v, err)
	}
	if err := in.Validate(v); err != nil {
		t.Error(err)
	}
	for _, c := range []struct{ field, val, msg string }{
		{"token", "", "is required"},
		{"token", strings.Repeat("t", 1001), "must be at most 1000 characters"},
		{"board_name", strings.Repeat("é", 101), "must be at most 100 characters"},
		{"list_name", "a\nb", "must not contain control characters"},
		{"list_id", "fake-list-id", "must be 16 to 32 hexadecimal digits"},
		{"list_id", strings.Repeat("a", 33), "must be at most 32 characters"},
		{"list_id", "5f0c3d2e1b4a6978&x=1", "must be 16 to 32 hexadecimal digits"},
		{"list_id", "5f0c3d2e1b4a6978c0d1e2fz", "must be 16 to 32 hexadecimal digits"},
	} {
		form := url.Values{}
		for k, v := range ok {
			form[k] = v
		}
		form.Set(c.field, c.val)
		_, err := in.FromForm(form)
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Msg != c.msg {
			t.Errorf("%s=%q: %v, want %q", c.field, c.val, err, c.msg)
		}
	}
	// Upstream's own tests store a list id that its form would refuse.
	if err := in.Validate(`{"token": "fake-token", "board_name": "My Board", "list_name": "My List", "list_id": "fake-list-id"}`); err != nil {
		t.Errorf("upstream value: %v", err)
	}
	for _, bad := range []string{"{", "[]", `{"token": 5}`, `{"token": "t", "board_name": "b", "list_name": "l"}`} {
		if in.Validate(bad) == nil {
			t.Errorf("Validate(%s) accepted", bad)
		}
	}
}

func TestDisabled(t *testing.T) {
	tr, err := Integration().Transport(notify.Deps{Client: notifytest.Client(0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), notifytest.Message(model.StatusDown)); notify.ErrorText(err) != "Trello notifications are not enabled." || !notify.IsFinal(err) {
		t.Errorf("%v", err)
	}
}
