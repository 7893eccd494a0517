// Package twiliotest is the test the Twilio kinds (sms, whatsapp, call)
// share: every sample message sent to a server standing in for Twilio,
// the request checked against Twilio's documented form (method, path,
// basic auth, content type) and its fields against golden files, and
// upstream's reading of Twilio's answers.
package twiliotest

import (
	"context"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
	"github.com/overdue/overdue/internal/notify/twilio"
)

// Test account.
const (
	SID  = "ACabc123"
	Auth = "s3cret"
	From = "+15555550199"
)

// Account is the test account sending to base.
func Account(base string, c *notify.Client) twilio.Account {
	return twilio.Account{Client: c, SID: SID, Auth: Auth, From: From, Base: base}
}

// Suite is one Twilio kind's test.
type Suite struct {
	// Transport sends through the account.
	Transport func(a twilio.Account) notify.Transport
	// Value is the stored channel value.
	Value string
	// Resource is "Messages" or "Calls".
	Resource string
	// Cases are the messages rendered into golden files (notifytest's
	// chat cases when nil).
	Cases []notifytest.Case
}

// FormText is a request body one field a line, sorted, for golden files.
func FormText(t *testing.T, body []byte) []byte {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range form[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	return []byte(b.String())
}

// Run runs the suite.
func (s Suite) Run(t *testing.T) {
	cases := s.Cases
	if cases == nil {
		cases = notifytest.Cases()
	}
	t.Run("golden", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				srv := notifytest.NewServer(t, notifytest.Reply{Status: 201, Body: `{"sid": "SM1"}`})
				c.Msg.Channel = model.Channel{Value: s.Value}
				if err := s.Transport(Account(srv.URL, notifytest.Client(0))).Send(context.Background(), c.Msg); err != nil {
					t.Fatal(err)
				}
				reqs := srv.Requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				r := reqs[0]
				wantURI := "/2010-04-01/Accounts/" + SID + "/" + s.Resource + ".json"
				wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(SID+":"+Auth))
				if r.Method != "POST" || r.URI != wantURI || r.Header.Get("Authorization") != wantAuth ||
					r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
					t.Errorf("request %s %s, Authorization %q, Content-Type %q; want POST %s, %q, a form",
						r.Method, r.URI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), wantURI, wantAuth)
				}
				notifytest.Golden(t, c.Name+".txt", FormText(t, r.Body))
			})
		}
	})
	t.Run("answers", func(t *testing.T) {
		answers := append(notifytest.CommonAnswers(),
			notifytest.Answer{Name: "21211", Reply: notifytest.Reply{Status: 400, Body: `{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}`},
				Err: twilio.ErrInvalidPhone, Permanent: true, Tries: 1},
			notifytest.Answer{Name: "other 400", Reply: notifytest.Reply{Status: 400, Body: `{"code": 21610, "status": 400}`},
				Err: "Received status code 400", Tries: 3},
			notifytest.Answer{Name: "21211 as text", Reply: notifytest.Reply{Status: 400, Body: `{"code": "21211"}`},
				Err: "Received status code 400", Tries: 3},
			notifytest.Answer{Name: "401", Reply: notifytest.Reply{Status: 401, Body: `{"code": 20003}`},
				Err: "Received status code 401", Tries: 3},
		)
		notifytest.CheckAnswers(t, answers, func(srv *notifytest.Server, c *notify.Client) error {
			m := notifytest.Message(model.StatusDown)
			m.Channel = model.Channel{Value: s.Value}
			return s.Transport(Account(srv.URL, c)).Send(context.Background(), m)
		})
	})
	// A test notification has no notification row for Twilio to report to.
	t.Run("test notification has no callback", func(t *testing.T) {
		srv := notifytest.NewServer(t)
		m := notifytest.Message(model.StatusDown)
		m.Channel, m.Test, m.Code = model.Channel{Value: s.Value}, true, ""
		if err := s.Transport(Account(srv.URL, notifytest.Client(0))).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		form, err := url.ParseQuery(string(srv.Requests()[0].Body))
		if err != nil || form.Has("StatusCallback") || !form.Has("To") {
			t.Errorf("form %v (%v): want To and no StatusCallback", form, err)
		}
	})
	t.Run("test notification is tried once", func(t *testing.T) {
		srv := notifytest.NewServer(t, notifytest.Reply{Status: 500})
		m := notifytest.Message(model.StatusDown)
		m.Channel, m.Test = model.Channel{Value: s.Value}, true
		if err := s.Transport(Account(srv.URL, notifytest.Client(0))).Send(context.Background(), m); err == nil || len(srv.Requests()) != 1 {
			t.Errorf("err %v after %d requests, want one failed request", err, len(srv.Requests()))
		}
	})
}
