package gotify

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func message(status, name string) *notify.Message {
	return &notify.Message{
		Status:   status,
		Check:    model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: name},
		Flip:     model.Flip{Reason: "timeout", NewStatus: status},
		CheckURL: "https://hc.example.org/cloaked/abc/",
		Downtime: 3 * time.Hour,
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
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
			b, err := json.MarshalIndent(Render(c, m), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, append(b, '\n'))
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

func TestSend(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		hang      bool
		wantErr   string
		wantCalls int
	}{
		{name: "200", status: 200, wantCalls: 1},
		{name: "401", status: 401, wantErr: "Received status code 401", wantCalls: 3},
		{name: "429", status: 429, wantErr: "Received status code 429", wantCalls: 3},
		{name: "500", status: 500, wantErr: "Received status code 500", wantCalls: 3},
		{name: "hang", hang: true, wantErr: "Connection timed out", wantCalls: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			release := make(chan struct{})
			c := Config{Priority: ip(5), PriorityUp: ip(5), Token: "tok"}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.Method != "POST" || r.URL.Path != "/g/message" || r.URL.RawQuery != "token=tok" || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("request %s %s %v", r.Method, r.URL, r.Header)
				}
				b, _ := io.ReadAll(r.Body)
				want, _ := json.Marshal(Render(c, message("down", "Backups")))
				if string(b) != string(want) {
					t.Errorf("body %s\nwant %s", b, want)
				}
				if tc.hang {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			defer close(release)
			c.URL = srv.URL + "/g"
			v, _ := json.Marshal(c)
			m := message("down", "Backups")
			m.Channel.Value = string(v)
			tr := &Transport{Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 200 * time.Millisecond})}
			err := tr.Send(context.Background(), m)
			if got := notify.ErrorText(err); got != tc.wantErr {
				t.Errorf("err = %q, want %q", got, tc.wantErr)
			}
			if int(calls.Load()) != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
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
