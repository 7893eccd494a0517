package po

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var now = time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)

const key = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"

func message(status, name, value string) *notify.Message {
	return &notify.Message{
		Status:      status,
		Check:       model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: name, Tags: "prod db", Kind: model.KindSimple, Timeout: time.Hour},
		Channel:     model.Channel{Value: value},
		Flip:        model.Flip{Reason: "fail", NewStatus: status},
		LastPing:    &model.Ping{N: 7, Kind: model.PingFail, Created: now.Add(-5 * time.Minute)},
		ProjectName: "Ops",
		CheckURL:    "https://hc.example.org/cloaked/abc/",
		Downtime:    90 * time.Minute,
		Now:         now,
	}
}

func transport(base string) *Transport {
	return &Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 200 * time.Millisecond}),
		Token: "apptoken", SiteName: "Overdue", Retry: 300, Expire: 86400,
		MessagesURL: base + "/1/messages.json", CancelURL: base + "/1/receipts/cancel_by_tag/%s.json"}
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

// The golden files hold the decoded form, one field a line, so that the
// HTML is readable; TestSend checks the encoded body byte for byte.
func TestRenderGolden(t *testing.T) {
	hostile := message("down", `<b>x</b> & <a href="http://evil">@everyone</a>`, key+"|2|0")
	hostile.ProjectName, hostile.Check.Tags = "<script>p</script>", "<i>t</i>"
	cron := message("up", "", key+"|0|-1")
	cron.Check.Kind, cron.Check.Schedule, cron.Check.TZ, cron.LastPing = model.KindOnCalendar, "Mon *-*-* 00:00 <x>", "UTC", nil
	cases := map[string]*notify.Message{
		"down.txt":      message("down", "Backups", key+"|1|0"),
		"up.txt":        message("up", "Backups", key+"|1|0"),
		"emergency.txt": message("down", "Backups", key+"|2"),
		"hostile.txt":   hostile,
		"cron-up.txt":   cron,
	}
	tr := transport("http://unused")
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(m.Channel.Value)
			if err != nil {
				t.Fatal(err)
			}
			form, err := url.ParseQuery(tr.Render(c, m))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, k := range []string{"token", "user", "title", "html", "priority", "tags", "url", "url_title", "retry", "expire", "message"} {
				if v, ok := form[k]; ok {
					b.WriteString(k + ": " + v[0] + "\n")
				}
			}
			golden(t, name, b.String())
		})
	}
}

type call struct{ method, path, ctype, body string }

func TestSend(t *testing.T) {
	cases := []struct {
		name      string
		status    string
		value     string
		respBody  string
		hang      bool
		wantErr   string
		wantPaths []string
		permanent bool
	}{
		{name: "down 200", status: "down", value: key + "|0|0", wantPaths: []string{"/1/messages.json"}},
		{name: "up after emergency cancels first", status: "up", value: key + "|2|0",
			wantPaths: []string{"/1/receipts/cancel_by_tag/" + (&model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e"}).UniqueKey() + ".json", "/1/messages.json"}},
		{name: "400 invalid user is permanent", status: "down", value: key + "|0|0", respBody: `{"user":"invalid","errors":["user identifier is invalid"],"status":0}`,
			wantErr: "Received status code 400 (invalid user)", permanent: true, wantPaths: []string{"/1/messages.json"}},
		{name: "400 other", status: "down", value: key + "|0|0", respBody: `{"errors":["message cannot be blank"]}`,
			wantErr: "Received status code 400", wantPaths: []string{"/1/messages.json", "/1/messages.json", "/1/messages.json"}},
		{name: "429", status: "down", value: key + "|0|0", respBody: "429",
			wantErr: "Received status code 429", wantPaths: []string{"/1/messages.json", "/1/messages.json", "/1/messages.json"}},
		{name: "500", status: "down", value: key + "|0|0", respBody: "500",
			wantErr: "Received status code 500", wantPaths: []string{"/1/messages.json", "/1/messages.json", "/1/messages.json"}},
		{name: "hang", status: "down", value: key + "|0|0", hang: true,
			wantErr: "Connection timed out", wantPaths: []string{"/1/messages.json", "/1/messages.json", "/1/messages.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []call
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				calls = append(calls, call{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)})
				mu.Unlock()
				switch {
				case tc.hang:
					select {
					case <-release:
					case <-r.Context().Done():
					}
				case tc.respBody == "429":
					w.WriteHeader(429)
				case tc.respBody == "500":
					w.WriteHeader(500)
				case tc.respBody != "":
					w.WriteHeader(400)
					_, _ = w.Write([]byte(tc.respBody))
				default:
					_, _ = w.Write([]byte(`{"status":1}`))
				}
			}))
			defer srv.Close()
			defer close(release)
			tr := transport(srv.URL)
			m := message(tc.status, "Backups", tc.value)
			err := tr.Send(context.Background(), m)
			if notify.ErrorText(err) != tc.wantErr || notify.IsPermanent(err) != tc.permanent {
				t.Errorf("err = %v (permanent %v), want %q (permanent %v)", err, notify.IsPermanent(err), tc.wantErr, tc.permanent)
			}
			c, _ := Parse(tc.value)
			wantMsg := tr.Render(c, m)
			var paths []string
			mu.Lock()
			defer mu.Unlock()
			for _, cl := range calls {
				paths = append(paths, cl.path)
				if cl.method != "POST" || cl.ctype != "application/x-www-form-urlencoded" {
					t.Errorf("%s %s with %q", cl.method, cl.path, cl.ctype)
				}
				want := wantMsg
				if strings.Contains(cl.path, "cancel") {
					want = "token=apptoken"
				}
				if cl.body != want {
					t.Errorf("%s body\n%s\nwant\n%s", cl.path, cl.body, want)
				}
			}
			if strings.Join(paths, " ") != strings.Join(tc.wantPaths, " ") {
				t.Errorf("paths %v, want %v", paths, tc.wantPaths)
			}
		})
	}
}

func TestRenderExactBody(t *testing.T) {
	tr := transport("x")
	m := message("down", "a&b", key+"|2|0")
	m.LastPing, m.ProjectName, m.Check.Tags, m.Flip.Reason = nil, "", "", ""
	c, _ := Parse(m.Channel.Value)
	want := "token=apptoken&user=" + key + "&message=%0A%3Cb%3EPeriod%3A%3C%2Fb%3E+1+hour%0A%3Cb%3ETotal+Pings%3A%3C%2Fb%3E+0%0A%3Cb%3ELast+Ping%3A%3C%2Fb%3E+Never" +
		"&title=%F0%9F%94%B4+a%26b+is+DOWN&html=1&priority=2&tags=" + m.Check.UniqueKey() +
		"&url=https%3A%2F%2Fhc.example.org%2Fcloaked%2Fabc%2F&url_title=View+on+Overdue&retry=300&expire=86400"
	if got := tr.Render(c, m); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

func TestNotEnabled(t *testing.T) {
	in := Integration()
	tr, err := in.Transport(notify.Deps{Client: notify.NewClient(notify.ClientOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), message("down", "x", key+"|0|0"))
	if notify.ErrorText(err) != "Pushover notifications are not enabled." || notify.IsPermanent(err) {
		t.Errorf("err = %v", err)
	}
	bad := map[string]string{"PUSHOVER_API_TOKEN": "t", "PUSHOVER_EMERGENCY_RETRY_DELAY": "5m"}
	_, err = in.Transport(notify.Deps{Client: notify.NewClient(notify.ClientOptions{}), Getenv: func(k string) (string, bool) { v, ok := bad[k]; return v, ok }})
	if err == nil || !strings.Contains(err.Error(), "PUSHOVER_EMERGENCY_RETRY_DELAY") {
		t.Errorf("bad retry delay: %v", err)
	}
}

func TestFromForm(t *testing.T) {
	v, err := fromForm(url.Values{"pushover_user_key": {" " + key + " "}, "prio": {"2"}, "prio_up": {"-3"}})
	if err != nil || v != key+"|2|-3" {
		t.Fatalf("%q, %v", v, err)
	}
	if up, down := Events(v); up || !down {
		t.Errorf("Events = %v %v", up, down)
	}
	for _, tc := range []struct{ k, p, pu, field string }{
		{"", "0", "0", "pushover_user_key"},
		{"a|b", "0", "0", "pushover_user_key"},
		{"<script>", "0", "0", "pushover_user_key"},
		{strings.Repeat("a", 51), "0", "0", "pushover_user_key"},
		{key, "3", "0", "prio"},
		{key, "x", "0", "prio"},
		{key, "0", "-4", "prio_up"},
	} {
		_, err := fromForm(url.Values{"pushover_user_key": {tc.k}, "prio": {tc.p}, "prio_up": {tc.pu}})
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: %v, want a FieldError on %s", tc, err, tc.field)
		}
	}
}

func TestLegacyValue(t *testing.T) {
	c, err := Parse(key + "|-3")
	if err != nil || c.Prio != -3 || c.PrioUp != -3 {
		t.Errorf("%+v %v", c, err)
	}
	if up, down := Events(key + "|-3"); up || down {
		t.Error("legacy -3 must turn both off")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(key + "|2|0")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := Parse(v)
		if err == nil {
			if again, err := fromForm(toForm(v)); err != nil || again != c.UserKey+"|"+toForm(v).Get("prio")+"|"+toForm(v).Get("prio_up") {
				t.Fatalf("%q: round trip %q %v", v, again, err)
			}
		}
	})
}
