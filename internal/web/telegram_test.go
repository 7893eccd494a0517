package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/telegram"
	"github.com/overdue/overdue/internal/store/storetest"
	"github.com/overdue/overdue/internal/web"
)

// botAPI stands in for Telegram's Bot API: it records sendMessage calls.
type botAPI struct {
	mu   sync.Mutex
	sent []map[string]any
}

func (b *botAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc map[string]any
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &doc)
	doc["path"] = r.URL.Path
	b.mu.Lock()
	b.sent = append(b.sent, doc)
	b.mu.Unlock()
	_, _ = io.WriteString(w, `{"ok": true}`)
}

func (b *botAPI) messages() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.sent...)
}

// TestTelegramBotSetUp: /start to the bot gets a signed link back in the
// chat; the link, opened logged in, adds the chat to a project the user
// may write to. Tampered, expired and foreign-project attempts add nothing.
func TestTelegramBotSetUp(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			api := &botAPI{}
			bot := httptest.NewServer(api)
			defer bot.Close()
			now := time.Now()
			clock := func() time.Time { return now }
			e := newEnv(t, engine, func(d *web.Deps) {
				d.Kinds, d.SecretKey, d.Now = kinds.New(), "test secret", func() time.Time { return clock() }
				d.Getenv = func(name string) (string, bool) {
					return map[string]string{"TELEGRAM_TOKEN": "123:tok", "TELEGRAM_BOT_NAME": "OverdueBot"}[name], name == "TELEGRAM_TOKEN" || name == "TELEGRAM_BOT_NAME"
				}
				d.Tester = &alerts.Tester{Store: d.Store, Transports: notify.Registry{"telegram": &telegram.Transport{
					Client: notify.NewClient(notify.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second}), Token: "123:tok", API: bot.URL}}}
			})
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			bob := e.user("bob@example.org", "battery staple")
			mine := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Ops", OwnerID: alice.ID}
			theirs := model.Project{Code: "bbbbbbbb-0000-4000-8000-000000000002", Name: "Bob's", OwnerID: bob.ID}
			for _, p := range []*model.Project{&mine, &theirs} {
				if err := e.st.CreateProject(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			hook := e.base + "/integrations/telegram/bot/"
			update := `{"message": {"chat": {"id": -1001, "type": "supergroup", "title": "Ops <b>room</b>"}, "text": "/start", "message_thread_id": 5}}`
			anon := e.client()
			for _, tc := range []struct {
				body string
				want int
			}{
				{`{"message": `, 400},
				{`{"message": {"chat": {"id": 1, "type": "private"}, "text": "hi"}}`, 200},
				{`"just a string"`, 200},
				{strings.Repeat(" ", 70<<10) + "{}", 413},
			} {
				req, _ := http.NewRequest("POST", hook, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				if resp, _ := do(t, anon, req); resp.StatusCode != tc.want {
					t.Errorf("update %.40q: %d, want %d", tc.body, resp.StatusCode, tc.want)
				}
			}
			if n := len(api.messages()); n != 0 {
				t.Fatalf("updates other than /start made the bot send %d messages", n)
			}
			req, _ := http.NewRequest("POST", hook, strings.NewReader(update))
			req.Header.Set("Content-Type", "application/json")
			if resp, _ := do(t, anon, req); resp.StatusCode != 200 {
				t.Fatalf("/start: %d", resp.StatusCode)
			}
			sent := api.messages()
			if len(sent) != 1 || sent[0]["path"] != "/bot123:tok/sendMessage" || sent[0]["chat_id"] != -1001.0 || sent[0]["message_thread_id"] != 5.0 || sent[0]["parse_mode"] != "html" {
				t.Fatalf("the bot sent %v", sent)
			}
			m := regexp.MustCompile(`href="([^"]+)"`).FindStringSubmatch(sent[0]["text"].(string))
			if m == nil {
				t.Fatalf("no link in %q", sent[0]["text"])
			}
			link, _ := url.Parse(html.UnescapeString(m[1]))
			if link.Path != "/hc/integrations/add_telegram/" {
				t.Fatalf("the link goes to %s", link)
			}
			invite := e.base + "/integrations/add_telegram/?" + link.RawQuery

			if resp, _ := get(t, anon, invite); resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "/accounts/login/?next=") {
				t.Errorf("anonymous invite: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			owner := e.login("alice@example.org", "correct horse")
			resp, body := get(t, owner, invite)
			if resp.StatusCode != 200 || !strings.Contains(body, "“Ops &lt;b&gt;room&lt;/b&gt;”") || !strings.Contains(body, mine.Code) || strings.Contains(body, theirs.Code) {
				t.Fatalf("invite page: %d\n%s", resp.StatusCode, body)
			}
			if resp, _ := get(t, owner, e.base+"/integrations/add_telegram/?x"+link.RawQuery); resp.StatusCode != 400 {
				t.Errorf("tampered link: %d, want 400", resp.StatusCode)
			}
			if resp, _ := post(t, owner, invite, url.Values{"project": {theirs.Code}}); resp.StatusCode != 400 {
				t.Errorf("someone else's project: %d, want 400", resp.StatusCode)
			}
			if resp, _ := post(t, owner, invite, url.Values{"project": {mine.Code}}, "Origin", "https://evil.example"); resp.StatusCode != 403 {
				t.Errorf("cross-origin add: %d, want 403", resp.StatusCode)
			}
			if chs, _ := e.st.ListChannels(ctx, mine.ID); len(chs) != 0 {
				t.Fatalf("refused attempts added %d channels", len(chs))
			}
			resp, _ = post(t, owner, invite, url.Values{"project": {mine.Code}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add: %d", resp.StatusCode)
			}
			chs, _ := e.st.ListChannels(ctx, mine.ID)
			if len(chs) != 1 || chs[0].Kind != "telegram" {
				t.Fatalf("after adding: %+v", chs)
			}
			c, err := telegram.ParseConfig(chs[0].Value)
			if err != nil || c.ID != -1001 || c.ThreadID == nil || *c.ThreadID != 5 || c.Name == nil || *c.Name != "Ops <b>room</b>" {
				t.Errorf("stored chat %s: %v", chs[0].Value, err)
			}
			// Ten minutes later the link is dead.
			now = now.Add(11 * time.Minute)
			if resp, _ := get(t, owner, invite); resp.StatusCode != 400 {
				t.Errorf("expired link: %d, want 400", resp.StatusCode)
			}
			if _, body := get(t, owner, e.base+"/integrations/telegram/"); !strings.Contains(body, "@OverdueBot") {
				t.Error("the help page does not name the bot")
			}
		})
	}
}

// TestTelegramBotOff: without TELEGRAM_TOKEN the bot's URLs do not exist.
func TestTelegramBotOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", func(d *web.Deps) { d.SecretKey = "test secret" })
	req, _ := http.NewRequest("POST", e.base+"/integrations/telegram/bot/", strings.NewReader(`{}`))
	if resp, _ := do(t, e.client(), req); resp.StatusCode != 404 {
		t.Errorf("bot without a token: %d, want 404", resp.StatusCode)
	}
}
