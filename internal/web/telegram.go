package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/telegram"
)

// Telegram's bot set-up at upstream's URLs (the pure parts are in
// notify/telegram/bot.go): the bot's webhook, its help page, and the page
// its invite links open, where the user picks the project.

func (w *Web) telegramRoutes(m *routeMux) {
	m.HandleFunc("POST /integrations/telegram/bot/{$}", w.telegramBot)
	m.HandleFunc("GET /integrations/telegram/{$}", w.telegramAdd)
	m.HandleFunc("GET /integrations/add_telegram/{$}", w.telegramAdd)
	m.HandleFunc("POST /integrations/add_telegram/{$}", w.telegramAdd)
}

// textSender is what the bot needs of the Telegram transport.
type textSender interface {
	SendText(ctx context.Context, chatID int64, threadID *int64, html string) error
}

// telegramOn reports whether the operator enabled Telegram (TELEGRAM_TOKEN)
// and the invites can be signed.
func (w *Web) telegramOn() bool {
	_, ok := w.kindFor("telegram")
	return ok && w.d.SecretKey != ""
}

// telegramBot is the webhook Telegram posts updates to. Like upstream's it
// answers 200 to every update it does not act on, and even when the reply
// fails, so that Telegram does not retry; only a body that is not JSON is
// 400.
func (w *Web) telegramBot(rw http.ResponseWriter, r *http.Request) {
	if !w.telegramOn() {
		w.notFound(rw)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, 64<<10))
	if err != nil {
		http.Error(rw, "The update is too large.", http.StatusRequestEntityTooLarge)
		return
	}
	chat, ok, err := telegram.ParseStart(body)
	if err != nil {
		http.Error(rw, "The update is not JSON.", http.StatusBadRequest)
		return
	}
	if !ok {
		return
	}
	signed, err := telegram.SignInvite(w.d.SecretKey, chat, w.d.Now())
	if err != nil {
		w.d.Log.Error("web: telegram invite", "err", err)
		return
	}
	link := strings.TrimSuffix(w.d.SiteRoot, "/") + "/integrations/add_telegram/?" + signed
	tr, err := w.d.Tester.Transports.Lookup("telegram")
	sender, can := tr.(textSender)
	if err != nil || !can {
		w.d.Log.Warn("web: telegram bot: no Telegram transport to answer with")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := sender.SendText(ctx, chat.ID, chat.ThreadID, telegram.InviteText(w.d.SiteName, link)); err != nil {
		w.d.Log.Warn("web: telegram bot: the invite could not be sent", "chat_id", chat.ID, "err", err)
	}
}

type telegramData struct {
	BotName string
	// Chat is the invited chat (nil on the help page).
	Chat     *telegram.Config
	ChatName string
	Projects []model.Project
	Error    string
}

// telegramAdd is the help page (no query) and the invite page (the
// signed chat in the query): the user picks one of the projects they may
// add integrations to.
func (w *Web) telegramAdd(rw http.ResponseWriter, r *http.Request) {
	if !w.telegramOn() {
		w.notFound(rw)
		return
	}
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	in, _ := w.kindFor("telegram")
	d := telegramData{BotName: in.EnvFrom(w.d.Getenv)("TELEGRAM_BOT_NAME")}
	if r.URL.RawQuery == "" || r.URL.Path == w.base+"/integrations/telegram/" {
		w.render(rw, r, http.StatusOK, "telegram.html", "Telegram", d)
		return
	}
	chat, err := telegram.ReadInvite(w.d.SecretKey, r.URL.RawQuery, w.d.Now())
	if err != nil {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad link",
			"This link is not valid or has expired (links work for 10 minutes). Send /start to the bot again for a new one.")
		return
	}
	d.Chat = &chat
	if chat.Name != nil {
		d.ChatName = *chat.Name
	}
	if d.Projects, err = w.writableProjects(r, 0); err != nil {
		w.unavailable(rw, r, "list projects", err)
		return
	}
	if r.Method != http.MethodPost {
		w.render(rw, r, http.StatusOK, "telegram.html", "Add Telegram", d)
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	target := pickProject(d.Projects, strings.TrimSpace(form.Get("project")))
	if target == nil {
		d.Error = "Choose one of the projects listed."
		w.render(rw, r, http.StatusBadRequest, "telegram.html", "Add Telegram", d)
		return
	}
	_, err = w.d.Accounts.AddChannel(r.Context(), accounts.NewChannel{Project: target.Code, Kind: notify.Kind("telegram"), Form: in.ToForm(chat.Value())})
	if err != nil {
		if isInputError(err) {
			d.Error = "This chat cannot be added: " + err.Error()
			w.render(rw, r, http.StatusBadRequest, "telegram.html", "Add Telegram", d)
			return
		}
		w.unavailable(rw, r, "add telegram channel", err)
		return
	}
	w.toIntegrations(rw, r, *target, "")
}
