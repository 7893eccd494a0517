// Package rocketchat is the Rocket.Chat integration: an incoming-webhook
// message with a Markdown line linking the check and its details as
// attachment fields, as upstream sends it.
package rocketchat

import (
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/slack"
)

// Integration is the Rocket.Chat kind for the registry. Its stored value
// is the incoming-webhook URL.
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "rocketchat", Name: "Rocket.Chat", Switch: "ROCKETCHAT_ENABLED",
		Label: "Webhook URL", Help: "https://chat.example.org/hooks/...",
		Render:  func(m *notify.Message) any { return Render(m) },
		Example: "https://chat.example.org/hooks/abc/def",
	}.Integration()
}

// Payload is Rocket.Chat's incoming-webhook document.
type Payload struct {
	Alias       string       `json:"alias"`
	Avatar      string       `json:"avatar"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is one message attachment.
type Attachment struct {
	Color  string        `json:"color"`
	Fields []slack.Field `json:"fields"`
}

// text escapes user text for Rocket.Chat's Markdown and neutralises
// @all, @here and @user mentions.
func text(s string) string { return slack.NoMentions(slack.EscapeMarkdownAll(s)) }

// Render is upstream's Rocket.Chat message: "[name](link) is DOWN
// (reason)." (or UP, with the downtime on a second line), and fields for
// the description, project, tags, period or schedule and time zone,
// total pings, last ping, and the body's size with a link to it.
func Render(m *notify.Message) Payload {
	c := &m.Check
	line := "[" + text(c.NameThenCode()) + "](" + m.CheckURL + ") is " + strings.ToUpper(m.Status)
	if r := notify.ReasonLong(m.Flip.Reason); r != "" {
		line += " (" + r + ")"
	}
	line += "."
	if d := notify.DowntimeText(m); d != "" {
		line += "\nThe downtime lasted " + d + "."
	}
	color := "#d9534f"
	if m.Status == model.StatusUp {
		color = "#5cb85c"
	}
	fields := []slack.Field{}
	add := func(title, value string, short bool) {
		fields = append(fields, slack.Field{Title: title, Value: value, Short: short})
	}
	if c.Desc != "" {
		add("Description", text(c.Desc), false)
	}
	if m.ProjectName != "" {
		add("Project", text(m.ProjectName), true)
	}
	if tags := c.TagsList(); len(tags) > 0 {
		quoted := make([]string, len(tags))
		for i, t := range tags {
			quoted[i] = "`" + slack.NoMentions(strings.ReplaceAll(t, "`", "'")) + "`"
		}
		add("Tags", strings.Join(quoted, " "), true)
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		add("Schedule", text(c.Schedule), true) // "*" escaped with a backslash, as upstream
		add("Time Zone", text(c.TZ), true)
	default:
		add("Period", humanize.Duration(c.Timeout), true)
	}
	add("Total Pings", notify.TotalPings(m), true)
	add("Last Ping", notify.LastPingText(m), true)
	if p := m.LastPing; p != nil && len(p.Body) > 0 {
		unit := "bytes"
		if len(p.Body) == 1 {
			unit = "byte"
		}
		add("Last Ping Body", strconv.Itoa(len(p.Body))+" "+unit+", [show body]("+m.CheckURL+"#ping-"+strconv.FormatInt(p.N, 10)+")", true)
	}
	return Payload{
		Alias:       m.SiteName,
		Avatar:      slack.LogoURL(m),
		Text:        line,
		Attachments: []Attachment{{Color: color, Fields: fields}},
	}
}
