// Package msteamsw is the Microsoft Teams integration (upstream's
// "msteamsw"): an Adaptive Card 1.2 posted to a Teams Workflows webhook,
// with the check's details as facts, the last ping's body in a code block
// and a "View in SITE_NAME" action.
package msteamsw

import (
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/slack"
)

// Integration is the Teams kind for the registry. Its stored value is the
// Workflows webhook URL.
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "msteamsw", Name: "Microsoft Teams", Switch: "MSTEAMS_ENABLED",
		Label:   "Workflows webhook URL",
		Help:    "the URL of a Teams workflow \"Post to a channel when a webhook request is received\"",
		Render:  func(m *notify.Message) any { return Render(m) },
		Example: "https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01",
	}.Integration()
}

// Fact is one line of the card's FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// maxBody is how much of the last ping's body upstream shows, in characters.
const maxBody = 1000

// htmlEscaper is Django's escape, which upstream applies to the fallback text.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

// text keeps Teams' Markdown subset from reading user text as markup:
// the characters that start emphasis and links are backslash-escaped.
func text(s string) string { return slack.EscapeMarkdown(s) }

// Render is upstream's card.
func Render(m *notify.Message) map[string]any {
	c := &m.Check
	name := c.NameThenCode()
	status := strings.ToUpper(m.Status)
	heading := "🔴 “" + text(name) + "” is DOWN"
	if m.Status == model.StatusUp {
		heading = "🟢 “" + text(name) + "” is " + status + "."
	} else {
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			heading += " (" + r + ")"
		}
		heading += "."
	}
	facts := []Fact{}
	add := func(title, value string) { facts = append(facts, Fact{title, value}) }
	if c.Desc != "" {
		// A single newline is no line break in Teams' Markdown.
		add("Description:", strings.ReplaceAll(text(c.Desc), "\n", "\n\n"))
	}
	if m.ProjectName != "" {
		add("Project:", text(m.ProjectName))
	}
	if tags := c.TagsList(); len(tags) > 0 {
		add("Tags:", text(strings.Join(tags, " ")))
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		add("Schedule:", text(c.Schedule))
		add("Time Zone:", text(c.TZ))
	default:
		add("Period:", humanize.Duration(c.Timeout))
	}
	add("Total Pings:", notify.TotalPings(m))
	add("Last Ping:", notify.LastPingText(m))
	blocks := []any{
		map[string]any{"type": "TextBlock", "text": heading, "weight": "bolder", "size": "medium", "wrap": true, "style": "heading"},
		map[string]any{"type": "FactSet", "facts": facts},
	}
	if body := notify.PingBody(m, maxBody); body != "" {
		blocks = append(blocks,
			map[string]any{"type": "TextBlock", "text": "Last Ping Body:", "weight": "bolder"},
			map[string]any{"type": "CodeBlock", "codeSnippet": body, "language": "PlainText"})
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content": map[string]any{
				"$schema":      "http://adaptivecards.io/schemas/adaptive-card.json",
				"type":         "AdaptiveCard",
				"fallbackText": "“" + htmlEscaper.Replace(name) + "” is " + status + ".",
				"version":      "1.2",
				"body":         blocks,
				"actions": []any{map[string]any{
					"type": "Action.OpenUrl", "title": "View in " + m.SiteName, "url": m.CheckURL,
				}},
			},
		}},
	}
}
