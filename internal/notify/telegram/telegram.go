// Package telegram is the Telegram integration: the Bot API's sendMessage
// in HTML parse mode, to a chat (and forum thread) the bot was added to.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ratelimit"
)

// API is the Bot API's address.
const API = "https://api.telegram.org"

// Upstream's limits: 6 messages a minute to one chat, 1,000 characters of
// a ping body.
const (
	perMinute = 6
	maxBody   = 1000
)

// permanentErrors are the Bot API descriptions upstream takes to mean the
// chat is gone for good: the channel is disabled.
var permanentErrors = map[string]bool{
	"Forbidden: the group chat was deleted":              true,
	"Forbidden: bot was blocked by the user":             true,
	"Forbidden: user is deactivated":                     true,
	"Forbidden: bot was kicked from the group chat":      true,
	"Forbidden: bot was kicked from the supergroup chat": true,
	"Bad Request: chat not found":                        true,
}

// Transport sends Telegram messages.
type Transport struct {
	Client *notify.Client
	// Token is TELEGRAM_TOKEN; it is part of every request's URL, which
	// is why no error text ever includes the URL.
	Token string
	// API is the Bot API's address (API when "").
	API   string
	Limit *ratelimit.Limiter
	Log   *slog.Logger
}

// migrateError is the Bot API's answer when a group became a supergroup:
// the chat has a new id.
type migrateError struct {
	err    *notify.Error
	chatID int64
}

func (e *migrateError) Error() string { return e.err.Msg }
func (e *migrateError) Unwrap() error { return e.err }

// Send delivers m. When Telegram says the group moved to a new chat id,
// the message is sent again there, as upstream does; the stored value
// keeps the old id (upstream rewrites it), so each later message makes
// the same detour until the channel is set up again.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	cfg, err := ParseConfig(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Telegram configuration")
	}
	if t.Limit != nil {
		if ok, _ := t.Limit.Allow(strconv.FormatInt(cfg.ID, 10)); !ok {
			return notify.Fail("Rate limit exceeded")
		}
	}
	text := Render(m)
	err = t.SendText(ctx, cfg.ID, cfg.ThreadID, text)
	var mig *migrateError
	if errors.As(err, &mig) {
		if t.Log != nil {
			t.Log.Warn("telegram chat migrated; set the channel up again to store the new chat id", "channel", m.Channel.Code, "chat_id", mig.chatID)
		}
		return t.SendText(ctx, mig.chatID, cfg.ThreadID, text)
	}
	return err
}

// SendText sends one HTML message (also the bot's invite replies).
func (t *Transport) SendText(ctx context.Context, chatID int64, threadID *int64, html string) error {
	api := t.API
	if api == "" {
		api = API
	}
	_, err := t.Client.SendJSON(ctx, notify.JSONRequest{
		URL:    api + "/bot" + t.Token + "/sendMessage",
		Body:   map[string]any{"chat_id": chatID, "message_thread_id": threadID, "text": html, "parse_mode": "html"},
		Refuse: refuse,
	})
	return err
}

// refuse reads the Bot API's error document as upstream does: a
// migrate_to_chat_id is a migration; otherwise the description is added
// to the text, and the descriptions of a chat that is gone disable the
// channel. An answer that is not such a document (and, as upstream's
// model, one whose parameters lack migrate_to_chat_id, such as a 429's
// retry_after) is just "Received status code N".
func refuse(r *notify.Response) error {
	msg := notify.StatusText(r.StatusCode)
	var doc struct {
		Description *string `json:"description"`
		Parameters  *struct {
			MigrateToChatID *int64 `json:"migrate_to_chat_id"`
		} `json:"parameters"`
	}
	if json.Unmarshal(r.Body, &doc) != nil || doc.Description == nil {
		return notify.Fail(msg)
	}
	if doc.Parameters != nil {
		if doc.Parameters.MigrateToChatID == nil {
			return notify.Fail(msg)
		}
		return &migrateError{err: &notify.Error{Msg: *doc.Description, Permanent: true}, chatID: *doc.Parameters.MigrateToChatID}
	}
	msg += ` with a message: "` + *doc.Description + `"`
	if permanentErrors[*doc.Description] {
		return notify.FailPermanent(msg)
	}
	return notify.Fail(msg)
}

// htmlEscaper escapes what Telegram's HTML mode requires ("<", ">", "&",
// and '"' inside attributes), and "'" as Django does.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

func esc(s string) string { return htmlEscaper.Replace(s) }

// Render is upstream's telegram_message: the linked check and its status,
// the downtime, project, tags, period or schedule and time zone, total
// pings, the last ping and its body.
func Render(m *notify.Message) string {
	c := &m.Check
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	link := `<a href="` + esc(m.CheckURL) + `">` + esc(c.NameThenCode()) + `</a>`
	if m.Status == model.StatusDown {
		l := "🔴 The check " + link + " is <b>DOWN</b>"
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			l += " (" + r + ")"
		}
		add(l + ".")
	} else {
		add("🟢 The check " + link + " is now <b>" + strings.ToUpper(m.Status) + "</b>.")
		if d := notify.DowntimeText(m); d != "" {
			add("The downtime lasted " + d + ".")
		}
	}
	add("")
	if m.ProjectName != "" {
		add("<b>Project:</b> " + esc(m.ProjectName))
	}
	if tags := c.TagsList(); len(tags) > 0 {
		add("<b>Tags:</b> " + esc(strings.Join(tags, ", ")))
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		add("<b>Schedule:</b> <code>"+esc(c.Schedule)+"</code>", "<b>Time Zone:</b> "+esc(c.TZ))
	default:
		add("<b>Period:</b> " + humanize.Duration(c.Timeout))
	}
	add("<b>Total Pings:</b> "+notify.TotalPings(m), "<b>Last Ping:</b> "+esc(notify.LastPingText(m)))
	if body := notify.PingBody(m, maxBody); body != "" {
		add("<b>Last Ping Body:</b>", "<pre>"+esc(body)+"</pre>")
	}
	return strings.Join(lines, "\n")
}

// newTransport is the transport for TELEGRAM_TOKEN, with upstream's rate limit.
func newTransport(d notify.Deps) (notify.Transport, error) {
	if d.Client == nil {
		return nil, errors.New("no HTTP client")
	}
	return &Transport{Client: d.Client, Token: d.Env("TELEGRAM_TOKEN"), Limit: ratelimit.PerMinute(perMinute, time.Now), Log: d.Log}, nil
}
