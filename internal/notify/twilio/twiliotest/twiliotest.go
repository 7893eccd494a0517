// Package twiliotest is the test the Twilio kinds (sms, whatsapp, call)
// share: every sample message sent to a server standing in for Twilio,
// the request checked against Twilio's documented form (method, path,
// basic auth, content type) and its fields against golden files, and
// upstream's reading of Twilio's answers.
package twiliotest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"

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
	// Limited sends through the account under the monthly quota l, whose
	// refusal is Refusal.
	Limited func(a twilio.Account, l twilio.Limit) notify.Transport
	Refusal twilio.Refusal
	// Subject is the notice's when the quota is used up.
	Subject string
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
	t.Run("monthly limit", s.runLimit)
	t.Run("test notification is tried once", func(t *testing.T) {
		srv := notifytest.NewServer(t, notifytest.Reply{Status: 500})
		m := notifytest.Message(model.StatusDown)
		m.Channel, m.Test = model.Channel{Value: s.Value}, true
		if err := s.Transport(Account(srv.URL, notifytest.Client(0))).Send(context.Background(), m); err == nil || len(srv.Requests()) != 1 {
			t.Errorf("err %v after %d requests, want one failed request", err, len(srv.Requests()))
		}
	})
}

// quota is one account's counter, kept by the store's rule.
type quota struct {
	mu    sync.Mutex
	q     model.SendQuota
	kinds []model.LimitKind
	fail  error
}

func (q *quota) take(_ context.Context, projectID int64, kind model.LimitKind, now time.Time) (model.SendGrant, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.kinds = append(q.kinds, kind)
	if q.fail != nil || projectID != 7 {
		return model.SendGrant{}, errors.Join(q.fail, fmt.Errorf("project %d", projectID))
	}
	next, ok := q.q.Authorize(now)
	q.q = next
	g := model.SendGrant{Allowed: ok, Limit: q.q.Limit, OwnerEmail: "owner@example.org"}
	if !ok {
		g.Team = []string{"owner@example.org", "member@example.org"}
	}
	return g, nil
}

// mails records what a Limit sends.
type mails struct {
	mu   sync.Mutex
	sent []*mailer.Message
}

func (m *mails) Send(_ context.Context, msg *mailer.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (s Suite) runLimit(t *testing.T) {
	if s.Limited == nil {
		t.Fatal("the suite needs Limited")
	}
	q := &quota{q: model.SendQuota{Limit: 2}}
	box := &mails{}
	srv := notifytest.NewServer(t)
	tr := s.Limited(Account(srv.URL, notifytest.Client(0)), twilio.Limit{Quota: q.take, Mailer: box, SiteName: "Overdue"})
	send := func() error {
		m := notifytest.Message(model.StatusDown)
		m.Channel = model.Channel{Value: s.Value, ProjectID: 7, Code: "ch-1"}
		return tr.Send(context.Background(), m)
	}
	for i := range 2 {
		if err := send(); err != nil {
			t.Fatalf("send %d of 2: %v", i+1, err)
		}
	}
	err := send()
	if notify.ErrorText(err) != s.Refusal.Err || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("third send: %v, want %q, final, not permanent", err, s.Refusal.Err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("Twilio got %d requests, want the 2 allowed", n)
	}
	if q.q.Sent != 2 || !slices.Equal(q.kinds, []model.LimitKind{s.Refusal.Kind, s.Refusal.Kind, s.Refusal.Kind}) {
		t.Errorf("quota %+v asked for %v", q.q, q.kinds)
	}
	if len(box.sent) != 1 {
		t.Fatalf("%d notices, want 1", len(box.sent))
	}
	n := box.sent[0]
	if !slices.Equal(n.To, []string{"owner@example.org", "member@example.org"}) || n.Subject != s.Subject ||
		!strings.Contains(n.Text, "+155******100") || strings.Contains(n.Text, "+15555550100") ||
		!strings.Contains(n.Text, "owner@example.org") || !strings.Contains(n.Text, "limit of 2 ") || !strings.Contains(n.Text, `"Daily Backup"`) {
		t.Errorf("notice to %v, %q:\n%s", n.To, n.Subject, n.Text)
	}
	// A quota that cannot be read sends nothing and is tried again later.
	q.fail = errors.New("database is down")
	if err := send(); err == nil || notify.IsFinal(err) || len(srv.Requests()) != 2 {
		t.Errorf("unreadable quota: %v after %d requests", err, len(srv.Requests()))
	}
}
