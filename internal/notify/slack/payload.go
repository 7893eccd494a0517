// Package slack is the Slack integration, and the Slack-compatible
// incoming-webhook message (upstream's Slackalike) that Mattermost and
// Discord send too: an attachment with a coloured bar, a linked title and
// the check's details as fields.
package slack

import (
	"context"
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Style is how one Slack-compatible target keeps user text (check names,
// project names, tags, descriptions, ping bodies) from being read as
// markup or mentions.
type Style struct {
	// Text escapes text shown as is or as markup.
	Text func(string) string
	// Code escapes the last ping's body, shown inside a ``` block.
	Code func(string) string
	// Asterisks keeps the "*" of a cron expression from starting bold
	// text, after Text.
	Asterisks func(string) string
}

// Payload is the incoming-webhook document.
type Payload struct {
	Username    string       `json:"username"`
	IconURL     string       `json:"icon_url"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a Slack "secondary attachment".
type Attachment struct {
	Color     string   `json:"color"`
	Fallback  string   `json:"fallback"`
	MrkdwnIn  []string `json:"mrkdwn_in"`
	Title     string   `json:"title"`
	TitleLink string   `json:"title_link"`
	// Text is null without a reason or a downtime, as upstream sends it.
	Text   *string `json:"text"`
	Fields []Field `json:"fields"`
}

// Field is one of an attachment's fields.
type Field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short,omitempty"`
}

// maxBody is how much of the last ping's body upstream shows, in characters.
const maxBody = 1000

// LogoURL is the icon upstream sends: the site's logo under SITE_ROOT.
func LogoURL(m *notify.Message) string { return m.SiteRoot + "/static/img/logo.png" }

// Render builds upstream's Slack-compatible message for m, with the
// details upstream shows: description, project, tags, the period or the
// schedule and time zone, total pings, the last ping and (when it has no
// ``` of its own) the last ping's body.
func Render(m *notify.Message, st Style) Payload {
	c := &m.Check
	name := st.Text(c.NameThenCode())
	status := strings.ToUpper(m.Status)
	color := "danger"
	if m.Status == model.StatusUp {
		color = "good"
	}
	a := Attachment{
		Color:     color,
		Fallback:  `The check "` + name + `" is ` + status + ".",
		MrkdwnIn:  []string{"fields"},
		Title:     "“" + name + "” is " + status + ".",
		TitleLink: m.CheckURL,
		Fields:    []Field{},
	}
	if r := notify.ReasonLong(m.Flip.Reason); r != "" {
		s := "Reason: " + r + "."
		a.Text = &s
	} else if d := notify.DowntimeText(m); d != "" {
		s := "The downtime lasted " + d + "."
		a.Text = &s
	}
	add := func(title, value string, short bool) { a.Fields = append(a.Fields, Field{title, value, short}) }
	if c.Desc != "" {
		add("Description", st.Text(c.Desc), false)
	}
	if m.ProjectName != "" {
		add("Project", st.Text(m.ProjectName), true)
	}
	if tags := c.TagsList(); len(tags) > 0 {
		quoted := make([]string, len(tags))
		for i, t := range tags {
			// Inside a code span only a backtick would break out.
			quoted[i] = "`" + st.Code(strings.ReplaceAll(t, "`", "'")) + "`"
		}
		add("Tags", strings.Join(quoted, " "), true)
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		add("Schedule", st.Asterisks(st.Text(c.Schedule)), true)
		add("Time Zone", st.Text(c.TZ), true)
	default:
		add("Period", humanize.Duration(c.Timeout), true)
	}
	add("Total Pings", notify.TotalPings(m), true)
	add("Last Ping", notify.LastPingText(m), true)
	if body := notify.PingBody(m, maxBody); body != "" && !strings.Contains(body, "```") {
		add("Last Ping Body", "```\n"+st.Code(body)+"\n```", false)
	}
	return Payload{Username: m.SiteName, IconURL: LogoURL(m), Attachments: []Attachment{a}}
}

// slackEscaper is Slack's own escaping: "&", "<" and ">" are the three
// characters its message formatting reads as control characters (<!channel>,
// <@U123>, <url|text>), and it shows the entities as the characters.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape is Slack's escaping of user text.
func Escape(s string) string { return slackEscaper.Replace(s) }

// SlackStyle is Slack's: every text escaped (code blocks too, which Slack
// parses for the same control sequences), "*" with a combining grapheme
// joiner before it, as upstream does.
var SlackStyle = Style{
	Text:      Escape,
	Code:      Escape,
	Asterisks: func(s string) string { return strings.ReplaceAll(s, "*", "\u034f*") },
}

// Target is one Slack-compatible kind: where its value says to post, its
// style, and how it reads a refusal.
type Target struct {
	Style Style
	// URL reads the webhook URL from a channel's stored value.
	URL func(value string) (string, error)
	// Refuse reads a non-2xx answer (nil: "Received status code N").
	Refuse func(r *notify.Response) error
}

// Transport posts the Slack-compatible message of target through client.
func (t Target) Transport(client *notify.Client) notify.Transport {
	return notify.TransportFunc(func(ctx context.Context, m *notify.Message) error {
		u, err := t.URL(m.Channel.Value)
		if err != nil {
			return notify.FailFinal("Invalid webhook URL")
		}
		_, err = client.SendJSON(ctx, notify.JSONRequest{URL: u, Body: Render(m, t.Style), Refuse: t.Refuse})
		return err
	})
}

// Refuse is upstream's reading of Slack's answers: 404 (the webhook was
// removed: "this endpoint is unlikely to ever work again") and 400 with
// the body "invalid_token" (a deactivated user's token) disable the
// channel; everything else is retried.
func Refuse(r *notify.Response) error {
	msg := notify.StatusText(r.StatusCode)
	if r.StatusCode == 404 || (r.StatusCode == 400 && string(r.Body) == "invalid_token") {
		return notify.FailPermanent(msg)
	}
	return notify.Fail(msg)
}

// markdownEscaper backslash-escapes the characters that start inline
// Markdown (emphasis, code, strike-through, links, tables) and a literal
// backslash, for targets that render CommonMark-like Markdown.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`, "|", `\|`)

// EscapeMarkdown backslash-escapes inline Markdown.
func EscapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

var markdownAllEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`, "|", `\|`, "<", `\<`, ">", `\>`, "#", `\#`)

// EscapeMarkdownAll is EscapeMarkdown that also escapes "<", ">" and "#",
// for targets without HTML entities (Discord, Rocket.Chat), where "<"
// starts a mention (<@id>) and "#" a heading or a channel link.
func EscapeMarkdownAll(s string) string { return markdownAllEscaper.Replace(s) }

// NoMentions puts a zero-width space after every "@", so that "@channel",
// "@all", "@here", "@everyone" and "@user" show as typed but mention no
// one (the usual defence for Mattermost, Discord and Rocket.Chat), and
// after every "<", so that no Slack-compatible <!channel>, <@U123> or
// <url|text> is read.
var mentionBreaker = strings.NewReplacer("@", "@\u200b", "<", "<\u200b")

// NoMentions neutralises mentions and Slack-style <...> sequences.
func NoMentions(s string) string { return mentionBreaker.Replace(s) }

// MarkdownStyle is for Mattermost: Slack's entity escaping (Mattermost
// reads <!channel> and <url|text> as Slack does, and its Markdown shows
// the entities as the characters), inline Markdown escaped, mentions
// neutralised; a code block only has its mentions neutralised.
var MarkdownStyle = Style{
	Text:      func(s string) string { return NoMentions(Escape(EscapeMarkdown(s))) },
	Code:      NoMentions,
	Asterisks: func(s string) string { return s }, // Text has escaped them
}
