// Package ntfy is the ntfy channel kind: a JSON publish to the ntfy
// server's root URL with the topic in the body, as upstream sends it.
package ntfy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Limits of upstream's NtfyForm, in characters.
const (
	maxTopic = 64
	maxURL   = 1000
	maxToken = 100
)

// Config is the stored value: upstream's json.dumps(cleaned_data, sort_keys=True).
type Config struct {
	Priority   int    `json:"priority"`
	PriorityUp int    `json:"priority_up"`
	Token      string `json:"token"`
	Topic      string `json:"topic"`
	URL        string `json:"url"`
}

var priorities = [][2]string{
	{"5", "Max priority"}, {"4", "High priority"}, {"3", "Default priority"},
	{"2", "Low priority"}, {"1", "Min priority"}, {"0", "Disabled: will not notify"},
}

// Integration is the ntfy kind for the registry. Upstream has no switch
// for it: it is always enabled.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "ntfy",
		Name: "ntfy",
		Settings: []notify.Setting{{Name: "NTFY_SH_TOKEN", Secret: true,
			Help: "access token sent to https://ntfy.sh for channels that have no token of their own"}},
		Fields: []notify.Field{
			{Name: "topic", Label: "Topic", Type: notify.FieldText, Required: true, MaxLen: maxTopic},
			{Name: "url", Label: "Server URL", Type: notify.FieldURL, Required: true, MaxLen: maxURL, Default: "https://ntfy.sh"},
			{Name: "token", Label: "Access token", Type: notify.FieldPassword, MaxLen: maxToken, Help: "optional"},
			{Name: "priority", Label: "Priority for \"down\"", Type: notify.FieldSelect, Options: priorities, Default: "3"},
			{Name: "priority_up", Label: "Priority for \"up\"", Type: notify.FieldSelect, Options: priorities, Default: "3"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: func(value string) error { _, err := parse(value); return err },
		Events:   Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client, SiteName: d.SiteName, ShToken: d.Env("NTFY_SH_TOKEN")}, nil
		},
		Example: `{"priority": 5, "priority_up": 3, "token": "", "topic": "backups", "url": "https://ntfy.sh"}`,
	}
}

// Events: priority 0 turns an event off; a value that is not JSON takes
// both, as upstream's default.
func Events(value string) (up, down bool) {
	var v struct {
		Priority   *int `json:"priority"`
		PriorityUp *int `json:"priority_up"`
	}
	if json.Unmarshal([]byte(value), &v) != nil {
		return true, true
	}
	return v.PriorityUp == nil || *v.PriorityUp != 0, v.Priority == nil || *v.Priority != 0
}

func check(c Config) error {
	switch {
	case c.Topic == "" || utf8.RuneCountInString(c.Topic) > maxTopic || strings.ContainsAny(c.Topic, "\r\n"):
		return &notify.FieldError{Field: "topic", Msg: "must be 1 to 64 characters on one line"}
	case !notify.ValidURL(c.URL):
		return &notify.FieldError{Field: "url", Msg: "must be an http:// or https:// URL of at most 1,000 characters"}
	case utf8.RuneCountInString(c.Token) > maxToken || strings.ContainsAny(c.Token, "\r\n"):
		return &notify.FieldError{Field: "token", Msg: "must be at most 100 characters on one line"}
	case c.Priority < 0 || c.Priority > 5:
		return &notify.FieldError{Field: "priority", Msg: "must be a number from 0 to 5"}
	case c.PriorityUp < 0 || c.PriorityUp > 5:
		return &notify.FieldError{Field: "priority_up", Msg: "must be a number from 0 to 5"}
	}
	return nil
}

func parse(value string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("ntfy value is not the expected JSON: %w", err)
	}
	return c, check(c)
}

func fromForm(form url.Values) (string, error) {
	c := Config{Topic: strings.TrimSpace(form.Get("topic")), URL: notify.LaxURL(form.Get("url")), Token: strings.TrimSpace(form.Get("token"))}
	var err error
	if c.Priority, c.PriorityUp, err = notify.FormPriorities(form, 3, "must be a number from 0 to 5"); err != nil {
		return "", err
	}
	if err := check(c); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode ntfy configuration: %w", err)
	}
	return string(b), nil
}

func toForm(value string) url.Values {
	var c Config
	if json.Unmarshal([]byte(value), &c) != nil {
		return url.Values{}
	}
	return url.Values{"topic": {c.Topic}, "url": {c.URL}, "token": {c.Token},
		"priority": {strconv.Itoa(c.Priority)}, "priority_up": {strconv.Itoa(c.PriorityUp)}}
}

// Transport sends ntfy messages.
type Transport struct {
	Client   *notify.Client
	SiteName string
	// ShToken is NTFY_SH_TOKEN, used for https://ntfy.sh when the channel has no token.
	ShToken string
}

// Payload is the JSON body ntfy's publish-as-JSON API takes.
type Payload struct {
	Topic    string   `json:"topic"`
	Priority int      `json:"priority"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Markdown bool     `json:"markdown"`
	Tags     []string `json:"tags"`
	Actions  []Action `json:"actions"`
}

// Action is a ntfy action button.
type Action struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	URL    string `json:"url"`
}

// Render is the request body for m.
func Render(c Config, m *notify.Message, siteName string) Payload {
	prio, tag := c.Priority, "red_circle"
	if m.Status == model.StatusUp {
		prio, tag = c.PriorityUp, "green_circle"
	}
	return Payload{
		Topic:    c.Topic,
		Priority: prio,
		Title:    m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status),
		Message:  body(m),
		Markdown: true,
		Tags:     []string{tag},
		Actions:  []Action{{Action: "view", Label: "View on " + siteName, URL: m.CheckURL}},
	}
}

func body(m *notify.Message) string {
	var lines []string
	if m.Status == model.StatusDown && m.Flip.Reason != "" {
		lines = append(lines, "Reason: "+notify.ReasonLong(m.Flip.Reason)+".", "")
	} else if m.Status == model.StatusUp && m.Downtime > 0 {
		lines = append(lines, "The downtime lasted "+humanize.DurationForSentence(m.Downtime)+".", "")
	}
	ch := &m.Check
	if m.ProjectName != "" {
		lines = append(lines, "**Project:** "+escape(m.ProjectName))
	}
	if tags := ch.TagsList(); len(tags) > 0 {
		for i, t := range tags {
			tags[i] = escape(t)
		}
		lines = append(lines, "**Tags:** "+strings.Join(tags, ", "))
	}
	switch ch.Kind {
	case model.KindCron, model.KindOnCalendar:
		lines = append(lines, "**Schedule:** "+code(ch.Schedule), "**Time Zone:** "+escape(ch.TZ))
	default:
		lines = append(lines, "**Period:** "+humanize.Duration(ch.Timeout))
	}
	if p := m.LastPing; p == nil {
		lines = append(lines, "**Total Pings:** 0", "**Last Ping:** Never")
	} else {
		lines = append(lines, "**Total Pings:** "+strconv.FormatInt(p.N, 10),
			"**Last Ping:** "+notify.LastPingText(m))
	}
	return strings.Join(lines, "\n")
}

// escape backslash-escapes Markdown's punctuation so that a check's name or
// tags cannot add links, emphasis or HTML to the message.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()#+-.!|<>~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// code is s as a Markdown code span that its own backticks cannot close.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + strings.ReplaceAll(s, "\n", " ") + " " + fence
}

// Send publishes m.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := parse(m.Channel.Value)
	if err != nil {
		return notify.FailPermanent("Invalid ntfy configuration")
	}
	header := map[string]string{}
	switch {
	case c.Token != "":
		header["Authorization"] = "Bearer " + c.Token
	case c.URL == "https://ntfy.sh" && t.ShToken != "":
		header["Authorization"] = "Bearer " + t.ShToken
	}
	_, err = t.Client.SendJSON(ctx, notify.JSONRequest{URL: c.URL, Header: header, Body: Render(c, m, t.SiteName), Attempts: notify.Tries(m)})
	return err
}
