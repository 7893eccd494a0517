package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/notify"
)

// maxName is the length of a chat's name the form takes, in characters.
const maxName = 100

// chatTypes are the Bot API's chat types, as upstream's bot stores them.
var chatTypes = [][2]string{{"private", "Private chat"}, {"group", "Group"}, {"supergroup", "Supergroup"}, {"channel", "Channel"}}

// Integration is the Telegram kind for the registry. Its stored value is
// upstream's {"id": chat id, "type": chat type, "name": chat name,
// "thread_id": forum topic or null}. The bot fills it in when a user
// sends /start (bot.go, and the web UI's telegram.go); the form takes the
// chat id by hand.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "telegram",
		Name: "Telegram",
		Settings: []notify.Setting{
			{Name: "TELEGRAM_TOKEN", Secret: true, Help: "the bot's token from @BotFather; enables Telegram"},
			{Name: "TELEGRAM_BOT_NAME", Default: "ExampleBot", Help: "the bot's user name, shown in the set-up instructions"},
		},
		Enabled: func(env notify.Env) bool { return env("TELEGRAM_TOKEN") != "" },
		Fields: []notify.Field{
			{Name: "id", Label: "Chat ID", Type: notify.FieldText, Required: true,
				Help: "the chat's numeric id (groups and channels have negative ids)"},
			{Name: "type", Label: "Chat type", Type: notify.FieldSelect, Options: chatTypes, Default: "private"},
			{Name: "name", Label: "Chat name", Type: notify.FieldText, MaxLen: maxName},
			{Name: "thread_id", Label: "Topic ID", Type: notify.FieldText, Help: "for a forum supergroup: the topic's id; empty for none"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: validate,
		Events:   func(string) (up, down bool) { return true, true },
		New:      newTransport,
		Example:  `{"id": -1001234567890, "type": "supergroup", "name": "Ops", "thread_id": 42}`,
	}
}

// Config is the stored value.
type Config struct {
	ID       int64   `json:"id"`
	Type     *string `json:"type"`
	Name     *string `json:"name"`
	ThreadID *int64  `json:"thread_id"`
}

// ParseConfig reads a stored value as upstream's TelegramConf: an integer
// id is required.
func ParseConfig(value string) (Config, error) {
	var c struct {
		Config
		ID *int64 `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("telegram configuration is not valid JSON: %w", err)
	}
	if c.ID == nil {
		return Config{}, &notify.FieldError{Field: "id", Msg: "is missing"}
	}
	c.Config.ID = *c.ID
	return c.Config, nil
}

// parseInt reads a chat or topic id: an integer of at most 64 bits.
func parseInt(field, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, &notify.FieldError{Field: field, Msg: "must be a whole number such as -1001234567890"}
	}
	return n, nil
}

func fromForm(form url.Values) (string, error) {
	if strings.TrimSpace(form.Get("id")) == "" {
		return "", &notify.FieldError{Field: "id", Msg: "is required"}
	}
	id, err := parseInt("id", form.Get("id"))
	if err != nil {
		return "", err
	}
	if id == 0 {
		return "", &notify.FieldError{Field: "id", Msg: "must not be 0"}
	}
	doc := map[string]any{"id": id, "type": nil, "name": nil, "thread_id": nil}
	if t := form.Get("type"); t != "" {
		ok := false
		for _, o := range chatTypes {
			ok = ok || o[0] == t
		}
		if !ok {
			return "", &notify.FieldError{Field: "type", Msg: "must be private, group, supergroup or channel"}
		}
		doc["type"] = t
	}
	if name := strings.TrimSpace(form.Get("name")); name != "" {
		if utf8.RuneCountInString(name) > maxName || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
			return "", &notify.FieldError{Field: "name", Msg: "must be one line of at most 100 characters"}
		}
		doc["name"] = name
	}
	if th := strings.TrimSpace(form.Get("thread_id")); th != "" {
		n, err := parseInt("thread_id", th)
		if err != nil {
			return "", err
		}
		if n <= 0 {
			return "", &notify.FieldError{Field: "thread_id", Msg: "must be a positive whole number"}
		}
		doc["thread_id"] = n
	}
	v, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode telegram configuration: %w", err)
	}
	return string(v), nil
}

func toForm(value string) url.Values {
	c, err := ParseConfig(value)
	if err != nil {
		return url.Values{}
	}
	form := url.Values{"id": {strconv.FormatInt(c.ID, 10)}}
	if c.Type != nil {
		form.Set("type", *c.Type)
	}
	if c.Name != nil {
		form.Set("name", *c.Name)
	}
	if c.ThreadID != nil {
		form.Set("thread_id", strconv.FormatInt(*c.ThreadID, 10))
	}
	return form
}

// validate checks a stored value: upstream's model (an integer id), and
// a chat id other than 0. Names and types from upstream's bot are kept as
// they are.
func validate(value string) error {
	c, err := ParseConfig(value)
	if err != nil {
		return err
	}
	if c.ID == 0 {
		return &notify.FieldError{Field: "id", Msg: "must not be 0"}
	}
	return nil
}
