package telegram

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
)

// The bot's side of setting Telegram up, as upstream's: a user sends
// /start to the bot (in a private chat, a group or a channel); Telegram
// posts the update to the bot's webhook, /integrations/telegram/bot/; the
// bot answers in that chat with a signed link to
// /integrations/add_telegram/?<signed chat>, where the user picks the
// project. The link carries the chat, so nobody types a chat id.

// InviteAge is how long an invite link works (upstream's 10 minutes).
const InviteAge = 10 * time.Minute

// inviteSalt keeps these signatures apart from every other use of
// SECRET_KEY.
const inviteSalt = "overdue.telegram.invite"

// ErrBadInvite is a tampered, malformed or expired invite link.
var ErrBadInvite = errors.New("the Telegram link is not valid or has expired")

// update is the part of a Bot API Update the bot reads. A channel post
// has the same shape under "channel_post".
type update struct {
	Message     *botMessage `json:"message"`
	ChannelPost *botMessage `json:"channel_post"`
}

type botMessage struct {
	Chat *struct {
		ID       *int64  `json:"id"`
		Type     *string `json:"type"`
		Title    *string `json:"title"`
		Username *string `json:"username"`
	} `json:"chat"`
	Text     *string `json:"text"`
	ThreadID *int64  `json:"message_thread_id"`
}

// ParseStart reads a webhook update. It returns the chat to invite when
// the update is a /start message, ok false for any other update (which
// the bot acknowledges and ignores, so that Telegram does not retry it),
// and an error only for a body that is not JSON at all (upstream's 400).
func ParseStart(body []byte) (c Config, ok bool, err error) {
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Config{}, false, nil // JSON, but not an update's shape
		}
		return Config{}, false, fmt.Errorf("telegram update: %w", err)
	}
	m := u.Message
	if u.ChannelPost != nil {
		m = u.ChannelPost
	}
	if m == nil || m.Chat == nil || m.Chat.ID == nil || m.Chat.Type == nil || m.Text == nil {
		return Config{}, false, nil
	}
	switch *m.Chat.Type {
	case "private", "group", "supergroup", "channel":
	default:
		return Config{}, false, nil
	}
	if !strings.Contains(*m.Text, "/start") {
		return Config{}, false, nil
	}
	c = Config{ID: *m.Chat.ID, Type: m.Chat.Type, ThreadID: m.ThreadID}
	if m.Chat.Title != nil {
		c.Name = m.Chat.Title
	} else if m.Chat.Username != nil {
		c.Name = m.Chat.Username
	}
	return c, true, nil
}

// SignInvite is the query string of an invite link for c.
func SignInvite(secret string, c Config, now time.Time) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("telegram invite: %w", err)
	}
	// Base64, so that the whole link is URL-safe as it stands.
	return auth.TimestampSign(secret, inviteSalt, base64.RawURLEncoding.EncodeToString(b), now), nil
}

// ReadInvite checks an invite link's query string and returns its chat.
func ReadInvite(secret, signed string, now time.Time) (Config, error) {
	v, at, err := auth.TimestampUnsign(secret, inviteSalt, signed)
	if err != nil || now.Sub(at) > InviteAge || at.After(now.Add(time.Minute)) {
		return Config{}, ErrBadInvite
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return Config{}, ErrBadInvite
	}
	c, err := ParseConfig(string(b))
	if err != nil {
		return Config{}, ErrBadInvite
	}
	return c, nil
}

// Value is c as a channel stores it.
func (c Config) Value() string {
	b, _ := json.Marshal(c) // four plain fields: cannot fail
	return string(b)
}

// InviteText is the bot's reply to /start: HTML with the link.
func InviteText(siteName, link string) string {
	return "Hello! To get " + html.EscapeString(siteName) + " notifications in this chat, open this link and choose a project " +
		"(it works for 10 minutes): <a href=\"" + html.EscapeString(link) + "\">add this chat</a>."
}
