// Package zulip is the Zulip channel kind: a message posted by a bot
// through Zulip's /api/v1/messages (form-encoded, HTTP basic auth with the
// bot's email and API key) to a stream and topic, or privately to a user,
// as upstream sends it.
package zulip

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Limits of upstream's AddZulipForm, in characters.
const (
	maxEmail = 100
	maxKey   = 50
	maxSite  = 100
	maxTo    = 100
	maxTopic = 100
)

var targets = [][2]string{{"stream", "Stream"}, {"private", "Private"}}

// Integration is the Zulip kind for the registry. Its stored value is
// upstream's json.dumps(cleaned_data, sort_keys=True): {"api_key",
// "bot_email", "mtype", "site", "to", "topic"}.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "zulip",
		Name: "Zulip",
		Settings: []notify.Setting{
			{Name: "ZULIP_ENABLED", Default: "True", Help: "False hides Zulip and stops its sends"},
		},
		Enabled: func(env notify.Env) bool { return env("ZULIP_ENABLED") == "True" },
		Fields: []notify.Field{
			{Name: "bot_email", Label: "Bot email", Type: notify.FieldEmail, Required: true, MaxLen: maxEmail,
				Help: "the email= line of the bot's zuliprc (an incoming webhook or generic bot)"},
			{Name: "api_key", Label: "API key", Type: notify.FieldPassword, Required: true, MaxLen: maxKey, Help: "the key= line of the zuliprc"},
			{Name: "site", Label: "Zulip site", Type: notify.FieldURL, Required: true, MaxLen: maxSite, Help: "the site= line of the zuliprc, such as https://example.zulipchat.com"},
			{Name: "mtype", Label: "Post to", Type: notify.FieldSelect, Options: targets, Default: "stream"},
			{Name: "to", Label: "Stream name or user", Type: notify.FieldText, Required: true, MaxLen: maxTo,
				Help: "a stream's name; for a private message, the user's email address or numeric id"},
			{Name: "topic", Label: "Topic", Type: notify.FieldText, MaxLen: maxTopic, Help: "empty: a topic per check and status, such as \"Backup is DOWN\""},
		},
		FromForm: fromForm,
		Validate: func(value string) error { _, err := Parse(value); return err },
		Events:   notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: `{"api_key": "abcdefghijklmnopqrstuvwxyz012345", "bot_email": "alerts-bot@example.zulipchat.com", "mtype": "stream", "site": "https://example.zulipchat.com", "to": "ops", "topic": ""}`,
	}
}

// Config is the stored value, in upstream's sorted key order.
type Config struct {
	APIKey   string `json:"api_key"`
	BotEmail string `json:"bot_email"`
	MType    string `json:"mtype"`
	Site     string `json:"site"`
	To       string `json:"to"`
	Topic    string `json:"topic"`
}

// Parse reads a stored value as upstream's ZulipConf: bot_email, api_key,
// mtype and to are required; a missing site is https://<the bot email's
// domain>, as before upstream stored one.
func Parse(value string) (Config, error) {
	var c struct {
		APIKey   *string `json:"api_key"`
		BotEmail *string `json:"bot_email"`
		MType    *string `json:"mtype"`
		Site     string  `json:"site"`
		To       *string `json:"to"`
		Topic    string  `json:"topic"`
	}
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return Config{}, fmt.Errorf("zulip configuration is not valid JSON: %w", err)
	}
	for name, p := range map[string]*string{"api_key": c.APIKey, "bot_email": c.BotEmail, "mtype": c.MType, "to": c.To} {
		if p == nil {
			return Config{}, &notify.FieldError{Field: name, Msg: "is missing"}
		}
	}
	cfg := Config{APIKey: *c.APIKey, BotEmail: *c.BotEmail, MType: *c.MType, Site: c.Site, To: *c.To, Topic: c.Topic}
	if cfg.Site == "" {
		_, domain, _ := strings.Cut(cfg.BotEmail, "@")
		cfg.Site = "https://" + domain
	}
	return cfg, check(cfg)
}

// oneLine: at most n characters, no control characters.
func oneLine(s string, n int) bool {
	return utf8.RuneCountInString(s) <= n && !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}

func check(c Config) error {
	switch {
	case !model.ValidEmail(c.BotEmail) || utf8.RuneCountInString(c.BotEmail) > maxEmail:
		return &notify.FieldError{Field: "bot_email", Msg: "must be an email address of at most 100 characters"}
	case c.APIKey == "" || len(c.APIKey) > maxKey || strings.ContainsFunc(c.APIKey, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		return &notify.FieldError{Field: "api_key", Msg: "must be 1 to 50 characters without spaces"}
	case !notify.ValidURL(c.Site) || utf8.RuneCountInString(c.Site) > maxSite:
		return &notify.FieldError{Field: "site", Msg: "must be an http:// or https:// URL of at most 100 characters"}
	case c.MType != "stream" && c.MType != "private":
		return &notify.FieldError{Field: "mtype", Msg: "must be stream or private"}
	case strings.TrimSpace(c.To) == "" || !oneLine(c.To, maxTo):
		return &notify.FieldError{Field: "to", Msg: "must be one line of 1 to 100 characters"}
	case !oneLine(c.Topic, maxTopic):
		return &notify.FieldError{Field: "topic", Msg: "must be one line of at most 100 characters"}
	}
	return nil
}

func fromForm(form url.Values) (string, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	c := Config{APIKey: get("api_key"), BotEmail: get("bot_email"), MType: form.Get("mtype"), To: get("to"), Topic: get("topic")}
	for _, k := range []string{"bot_email", "api_key", "site", "to"} {
		if get(k) == "" {
			return "", &notify.FieldError{Field: k, Msg: "is required"}
		}
	}
	if c.MType == "" {
		c.MType = "stream"
	}
	site, err := notify.URLField(form.Get("site")) // LaxURLField(assume_scheme="https")
	if err != nil {
		return "", &notify.FieldError{Field: "site", Msg: "must be an http:// or https:// URL of at most 100 characters"}
	}
	c.Site = site
	if err := check(c); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode zulip configuration: %w", err)
	}
	return string(b), nil
}

// formattedTo is upstream's formatted_to: a private message to a numeric user id
// goes to the JSON list "[id]", as Zulip's API wants.
func (c Config) formattedTo() string {
	if c.MType == "private" && c.To != "" && strings.Trim(c.To, "0123456789") == "" {
		return "[" + c.To + "]"
	}
	return c.To
}

// markdown backslash-escapes what starts markup in Zulip's Markdown
// (Python-Markdown's escapable characters): emphasis, code, links,
// headings, quotes, and the "**" of @**all** and other mentions.
var markdown = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "{", `\{`, "}", `\}`,
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, ">", `\>`, "#", `\#`, "!", `\!`)

// Render is the message's form: the topic (the channel's, or "<name> is
// DOWN" when it has none; a topic is plain text) and the Markdown
// content, with every text of the check's escaped.
func Render(c Config, m *notify.Message) url.Values {
	topic := c.Topic
	if topic == "" {
		topic = m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status)
	}
	var b strings.Builder
	b.WriteString("[" + markdown.Replace(m.Check.NameThenCode()) + "](" + m.CheckURL + ") is **" + strings.ToUpper(m.Status) + "**")
	if r := notify.ReasonLong(m.Flip.Reason); r != "" {
		b.WriteString(" (" + r + ")")
	}
	b.WriteString(".")
	if d := notify.DowntimeText(m); d != "" {
		b.WriteString("\nThe downtime lasted " + d + ".")
	}
	if m.Check.Desc != "" {
		b.WriteString("\n\n---\n**Description:**\n" + markdown.Replace(m.Check.Desc))
	}
	return url.Values{"type": {c.MType}, "to": {c.formattedTo()}, "topic": {topic}, "content": {b.String()}}
}

// Transport sends Zulip messages.
type Transport struct {
	Client *notify.Client
}

// Send delivers m. Zulip's "msg" is added to the error, as upstream does;
// no answer disables the channel.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Zulip configuration")
	}
	auth := base64.StdEncoding.EncodeToString([]byte(c.BotEmail + ":" + c.APIKey))
	_, err = t.Client.SendForm(ctx, notify.FormRequest{
		URL:    strings.TrimSuffix(c.Site, "/") + "/api/v1/messages",
		Header: map[string]string{"Authorization": "Basic " + auth},
		Form:   Render(c, m),
		Refuse: notify.RefuseWithMessage("msg"),
	})
	return err
}
