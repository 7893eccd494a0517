// Package notifytest holds what the integration packages' tests share: a
// recording HTTP server standing in for a provider, golden files with an
// -update flag, and the messages every kind is rendered for (down, up,
// hostile names).
package notifytest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Request is one request the server received.
type Request struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

// Server records requests and answers each with the next reply.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []Request
	replies []Reply
}

// Reply is one answer: a status and a body ("" for none). Hang makes the
// handler wait until the client gives up.
type Reply struct {
	Status int
	Body   string
	Hang   bool
}

// NewServer starts a server that answers with replies in turn, the last
// one for every request after it (200 when none are given).
func NewServer(t *testing.T, replies ...Reply) *Server {
	t.Helper()
	if len(replies) == 0 {
		replies = []Reply{{Status: http.StatusOK}}
	}
	s := &Server{replies: replies}
	done := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{r.Method, r.RequestURI, r.Header.Clone(), b})
		rep := s.replies[min(len(s.reqs), len(s.replies))-1]
		s.mu.Unlock()
		if rep.Hang {
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		w.WriteHeader(rep.Status)
		_, _ = io.WriteString(w, rep.Body)
	}))
	t.Cleanup(func() { close(done); s.Close() })
	return s
}

// Requests returns what the server has received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Client is a notify.Client that may reach the test server, with timeout.
func Client(timeout time.Duration) *notify.Client {
	return notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: timeout})
}

// Golden compares got with testdata/<name>, rewriting the file under
// -update. A JSON document is compared in indented form (its tokens byte
// for byte), so that the files read well and a diff shows the field.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var b bytes.Buffer
		if err := json.Indent(&b, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		b.WriteByte('\n')
		got = b.Bytes()
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Now is the send time of the sample messages.
var Now = time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)

// Message is a sample message with status "down" or "up": a named,
// tagged check with a description, in a named project, whose last ping
// (number 112233, ten minutes before Now) has a two-line body. The stored
// status is "paused" so that a transport that reads it instead of the
// message's status shows up in the golden files.
func Message(status string) *notify.Message {
	m := &notify.Message{
		Code:   "9c2b0a5e-3f4d-4e6a-8b7c-1d2e3f4a5b6c",
		Status: status,
		Check: model.Check{
			Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: "Daily Backup", Tags: "prod db",
			Desc: "Nightly pg_dump of the main database.", Kind: model.KindSimple, Timeout: 24 * time.Hour,
			Schedule: model.DefaultSchedule, TZ: model.DefaultTZ, Status: model.StatusPaused,
		},
		Flip:        model.Flip{Created: Now, OldStatus: model.StatusUp, NewStatus: status},
		LastPing:    &model.Ping{N: 112233, Created: Now.Add(-10 * time.Minute), Body: []byte("Body Line 1\nBody Line 2")},
		ProjectName: "Alice's Project",
		CheckURL:    "https://hc.example.org/cloaked/3f786850e387550fdab836ed7e6dc881de23001b/",
		SiteRoot:    "https://hc.example.org",
		SiteName:    "Overdue",
		Now:         Now,
	}
	if status == model.StatusDown {
		m.Flip.OldStatus, m.Flip.Reason = model.StatusUp, "timeout"
	} else {
		m.Flip.OldStatus = model.StatusDown
		m.Downtime = 90 * time.Minute
	}
	return m
}

// Case is one message every kind renders into a golden file.
type Case struct {
	Name string
	Msg  *notify.Message
}

// Hostile is a name (and project, tags, description, body) that tries
// every injection the chat kinds must neutralise: HTML, Markdown, Slack's
// <!channel> and links, Discord's and Mattermost's @mentions.
const Hostile = `<b>x</b> & <!channel> <@U123> @everyone @here *bold* _it_ [link](https://evil.example/) ` + "`code`"

// Cases are the messages every chat kind's golden files cover: down, up,
// a failure signal with an exit status, a cron check, a check never
// pinged without name or project, and hostile text in every field.
func Cases() []Case {
	fail := Message(model.StatusDown)
	fail.Flip.Reason = "fail"
	exit := 3
	fail.LastPing.Kind, fail.LastPing.ExitStatus = model.PingFail, &exit

	cron := Message(model.StatusDown)
	cron.Check.Kind, cron.Check.Schedule, cron.Check.TZ = model.KindCron, "*/5 * * * *", "Europe/Riga"

	never := Message(model.StatusDown)
	never.Check.Name, never.ProjectName, never.Check.Tags, never.Check.Desc, never.LastPing = "", "", "", "", nil

	hostile := Message(model.StatusDown)
	hostile.Check.Name, hostile.ProjectName = Hostile, Hostile
	hostile.Check.Tags = "<t> @all *x*"
	hostile.Check.Desc = Hostile
	hostile.LastPing.Body = []byte(Hostile + "\n</pre><script>x</script>\xff")

	long := Message(model.StatusUp)
	long.LastPing.Body = bytes.Repeat([]byte("é"), 1001)

	return []Case{
		{"down", Message(model.StatusDown)},
		{"up", Message(model.StatusUp)},
		{"fail", fail},
		{"cron", cron},
		{"never", never},
		{"hostile", hostile},
		{"long-body", long},
	}
}

// Answer is how a transport must handle one provider answer: the error
// text it records ("" for success), whether that disables the channel,
// and how many requests it makes.
type Answer struct {
	Name      string
	Reply     Reply
	Err       string
	Permanent bool
	Tries     int
}

// CommonAnswers are the answers every HTTP kind handles alike, as
// upstream's curl wrapper does: 2xx accepted at once, 5xx and 4xx tried
// three times, 429 once (the outbox retries later), a server that never
// answers timed out, three times.
func CommonAnswers() []Answer {
	return []Answer{
		{Name: "200", Reply: Reply{Status: 200}, Tries: 1},
		{Name: "204", Reply: Reply{Status: 204}, Tries: 1},
		{Name: "400", Reply: Reply{Status: 400, Body: "bad"}, Err: "Received status code 400", Tries: 3},
		{Name: "429", Reply: Reply{Status: 429}, Err: "Received status code 429", Tries: 1},
		{Name: "500", Reply: Reply{Status: 500}, Err: "Received status code 500", Tries: 3},
		{Name: "hang", Reply: Reply{Hang: true}, Err: "Connection timed out", Tries: 3},
	}
}

// CheckAnswers runs send against a server giving each answer and checks
// the outcome. send gets the server and a client with a short timeout.
func CheckAnswers(t *testing.T, answers []Answer, send func(srv *Server, c *notify.Client) error) {
	t.Helper()
	for _, a := range answers {
		t.Run(a.Name, func(t *testing.T) {
			srv := NewServer(t, a.Reply)
			err := send(srv, Client(300*time.Millisecond))
			if notify.ErrorText(err) != a.Err || notify.IsPermanent(err) != a.Permanent {
				t.Errorf("error %q (permanent %v), want %q (permanent %v)", notify.ErrorText(err), notify.IsPermanent(err), a.Err, a.Permanent)
			}
			if n := len(srv.Requests()); n != a.Tries {
				t.Errorf("%d requests, want %d", n, a.Tries)
			}
		})
	}
}

// Suite is the test every HTTP chat kind shares: each of Cases sent to a
// recording server (method, URI, headers and the golden body checked),
// the hostile case's body free of Forbidden strings, every answer of
// CommonAnswers plus Answers, and the kind switched off by Disable.
type Suite struct {
	Integration notify.Integration
	// Value is the stored value that sends to the server at base.
	Value func(base string) string
	// Method, URI and Header are what every request must have
	// (Content-Type: application/json always).
	Method, URI string
	Header      map[string]string
	// Env is the operator's environment for every send.
	Env map[string]string
	// Forbidden must not appear in the hostile message sent without a
	// ping body, ForbiddenAnywhere not even with it.
	Forbidden, ForbiddenAnywhere []string
	Answers                      []Answer
	// Transport, when set, builds the transport for a kind whose
	// provider's address is not in the stored value (Telegram's Bot API):
	// it is used instead of the Integration's whenever that is enabled.
	Transport func(base string, c *notify.Client) notify.Transport
	// Disable is the environment that switches the kind off (none: the
	// kind cannot be switched off).
	Disable map[string]string
}

func (s Suite) send(t *testing.T, c *notify.Client, env map[string]string, base string, m *notify.Message) error {
	t.Helper()
	getenv := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tr, err := s.Integration.Transport(notify.Deps{Client: c, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if s.Transport != nil && (s.Integration.Enabled == nil || s.Integration.Enabled(s.Integration.EnvFrom(getenv))) {
		tr = s.Transport(base, c)
	}
	m.Channel = model.Channel{Kind: string(s.Integration.Kind), Value: s.Value(base)}
	return tr.Send(context.Background(), m)
}

// Run runs the suite.
func (s Suite) Run(t *testing.T) {
	t.Run("golden", func(t *testing.T) {
		for _, c := range Cases() {
			t.Run(c.Name, func(t *testing.T) {
				srv := NewServer(t)
				if err := s.send(t, Client(0), s.Env, srv.URL, c.Msg); err != nil {
					t.Fatal(err)
				}
				reqs := srv.Requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				r := reqs[0]
				if r.Method != s.Method || r.URI != s.URI || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("request %s %s (Content-Type %q), want %s %s", r.Method, r.URI, r.Header.Get("Content-Type"), s.Method, s.URI)
				}
				for k, v := range s.Header {
					if r.Header.Get(k) != v {
						t.Errorf("header %s: %q, want %q", k, r.Header.Get(k), v)
					}
				}
				Golden(t, c.Name+".json", r.Body)
				if c.Name != "hostile" {
					return
				}
				for _, bad := range s.ForbiddenAnywhere {
					if bytes.Contains(r.Body, []byte(bad)) {
						t.Errorf("%q reaches %s as is", bad, s.Integration.Name)
					}
				}
				// The ping body may be shown verbatim in a code block: the
				// rest of the message must escape it all.
				c.Msg.LastPing.Body = nil
				if err := s.send(t, Client(0), s.Env, srv.URL, c.Msg); err != nil {
					t.Fatal(err)
				}
				body := srv.Requests()[1].Body
				for _, bad := range s.Forbidden {
					if bytes.Contains(body, []byte(bad)) {
						t.Errorf("%q reaches %s as markup", bad, s.Integration.Name)
					}
				}
			})
		}
	})
	t.Run("answers", func(t *testing.T) {
		CheckAnswers(t, append(CommonAnswers(), s.Answers...), func(srv *Server, c *notify.Client) error {
			return s.send(t, c, s.Env, srv.URL, Message(model.StatusDown))
		})
	})
	if s.Disable != nil {
		t.Run("disabled", func(t *testing.T) {
			srv := NewServer(t)
			err := s.send(t, Client(0), s.Disable, srv.URL, Message(model.StatusDown))
			want := s.Integration.Name + " notifications are not enabled."
			if notify.ErrorText(err) != want || !notify.IsFinal(err) || notify.IsPermanent(err) || len(srv.Requests()) != 0 {
				t.Errorf("disabled: %v, want %q", err, want)
			}
		})
	}
}

// JSON is v as a stored channel value.
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
