// Package googlechat is the Google Chat integration: a Cards v2 message
// posted to a space's incoming webhook, as upstream sends it.
package googlechat

import (
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Integration is the Google Chat kind for the registry. Its stored value
// is the space's webhook URL. Upstream always offers it.
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "googlechat", Name: "Google Chat",
		Label: "Webhook URL", Help: "https://chat.googleapis.com/v1/spaces/.../messages?key=...&token=...",
		Render:  func(m *notify.Message) any { return Render(m) },
		Example: "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t",
	}.Integration()
}

// escape: Google Chat reads a card's text as HTML (<b>, <a>, <font>) and
// "<users/all>" as a mention of everyone; entities show as the characters.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

func escape(s string) string { return escaper.Replace(s) }

func decorated(label, text string) map[string]any {
	return map[string]any{"decoratedText": map[string]any{"topLabel": label, "text": text}}
}

// Render is upstream's card: a status paragraph, the project, tags,
// period or schedule and time zone, total pings and the last ping, and a
// "View in SITE_NAME" button.
func Render(m *notify.Message) map[string]any {
	c := &m.Check
	name := "<b>" + escape(c.NameThenCode()) + "</b>"
	var head string
	if m.Status == model.StatusDown {
		head = "🔴 The check " + name + " is <b>DOWN</b>."
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			head += "\nReason: " + r + "."
		}
	} else {
		head = "🟢 The check " + name + " is now <b>" + strings.ToUpper(m.Status) + "</b>."
		if d := notify.DowntimeText(m); d != "" {
			head += "\nThe downtime lasted " + d + "."
		}
	}
	widgets := []any{map[string]any{"textParagraph": map[string]any{"text": head}}}
	if m.ProjectName != "" {
		widgets = append(widgets, decorated("Project", escape(m.ProjectName)))
	}
	if tags := c.TagsList(); len(tags) > 0 {
		widgets = append(widgets, decorated("Tags", escape(strings.Join(tags, ", "))))
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		widgets = append(widgets, decorated("Schedule", escape(c.Schedule)), decorated("Time Zone", escape(c.TZ)))
	default:
		widgets = append(widgets, decorated("Period", humanize.Duration(c.Timeout)))
	}
	widgets = append(widgets,
		decorated("Total Pings", notify.TotalPings(m)),
		decorated("Last Ping", notify.LastPingText(m)),
		map[string]any{"buttonList": map[string]any{"buttons": []any{map[string]any{
			"text": "View in " + m.SiteName, "type": "FILLED",
			"onClick": map[string]any{"openLink": map[string]any{"url": m.CheckURL}},
		}}}},
	)
	return map[string]any{"cardsV2": []any{map[string]any{"card": map[string]any{
		"sections": map[string]any{"collapsible": true, "uncollapsibleWidgetsCount": 1, "widgets": widgets},
	}}}}
}
