// Package matrix is the Matrix integration: an m.room.message event (a
// plain body and an HTML formatted_body) sent with the operator's bot
// account to a room it has joined, through the client-server API.
package matrix

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/pycompat"
)

// maxRoom is the max_length of upstream's room field, in characters.
const maxRoom = 100

// maxBody is how much of the last ping's body upstream shows, in characters.
const maxBody = 1000

// Integration is the Matrix kind for the registry. Its stored value is the
// room ID, as upstream stores it. Upstream's form takes an alias
// (#room:server) or an ID and joins the room through the homeserver; here
// the form takes the ID (Room settings → Advanced) of a room the bot has
// been invited to and has joined: joining on the form is not implemented.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "matrix",
		Name: "Matrix",
		Settings: []notify.Setting{
			{Name: "MATRIX_HOMESERVER", Help: "the bot's homeserver, https://matrix.org"},
			{Name: "MATRIX_USER_ID", Help: "the bot's user ID, @alice:matrix.org, shown in the set-up instructions"},
			{Name: "MATRIX_ACCESS_TOKEN", Secret: true, Help: "the bot's access token; with MATRIX_HOMESERVER it enables Matrix"},
		},
		// Upstream shows the card when MATRIX_ACCESS_TOKEN is set; without
		// a homeserver no send could work.
		Enabled: func(env notify.Env) bool {
			return env("MATRIX_ACCESS_TOKEN") != "" && env("MATRIX_HOMESERVER") != ""
		},
		Fields: []notify.Field{{Name: "alias", Label: "Room ID", Type: notify.FieldText, Required: true, MaxLen: maxRoom,
			Help: "the room's internal ID, !abc123:matrix.org; invite the bot to the room first"}},
		FromForm: func(form url.Values) (string, error) {
			room := strings.TrimSpace(form.Get("alias"))
			return room, validate(room)
		},
		Validate: validate,
		Events:   func(string) (up, down bool) { return true, true },
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client, Homeserver: d.Env("MATRIX_HOMESERVER"), Token: d.Env("MATRIX_ACCESS_TOKEN")}, nil
		},
		Example: "!OGEhHVWSdvArJzumhm:matrix.org",
	}
}

func validate(room string) error {
	switch {
	case room == "":
		return &notify.FieldError{Field: "alias", Msg: "is required"}
	case strings.HasPrefix(room, "#"):
		return &notify.FieldError{Field: "alias", Msg: "must be the room's ID (!...), not its alias: joining a room by its alias is not supported yet"}
	case !strings.HasPrefix(room, "!") || len(room) < 2 || utf8.RuneCountInString(room) > maxRoom ||
		strings.ContainsFunc(room, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return &notify.FieldError{Field: "alias", Msg: "must be a room ID such as !abc123:matrix.org, of at most 100 characters"}
	}
	return nil
}

// Transport sends Matrix messages.
type Transport struct {
	Client     *notify.Client
	Homeserver string
	// Token is MATRIX_ACCESS_TOKEN, sent as a bearer token.
	Token string
}

// Send puts the event into the channel's room. The transaction id is the
// notification's UUID, so that a retry of the same notification is the
// same event to the homeserver, which drops the duplicate (upstream uses
// a fresh UUID per attempt).
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	txn := m.Code
	if txn == "" {
		txn = uuid.NewString()
	}
	u := strings.TrimRight(t.Homeserver, "/") + "/_matrix/client/v3/rooms/" + pycompat.Quote(m.Channel.Value, "/") +
		"/send/m.room.message/" + pycompat.Quote(txn, "")
	plain, html := Render(m)
	_, err := t.Client.SendJSON(ctx, notify.JSONRequest{
		Method: "PUT",
		URL:    u,
		Header: map[string]string{"Authorization": "Bearer " + t.Token},
		Body: map[string]any{
			"msgtype": "m.text", "body": plain, "format": "org.matrix.custom.html", "formatted_body": html,
			// An empty m.mentions says the event mentions no one, so that
			// "@room" or a member's name in a check's name does not notify
			// the room (clients skip the legacy body-matching push rules).
			"m.mentions": map[string]any{},
		},
	})
	return err
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

func esc(s string) string { return htmlEscaper.Replace(s) }

// Render is upstream's pair of templates: one plain status line, and the
// HTML message with the linked check, its details and the last ping's
// body.
func Render(m *notify.Message) (plain, html string) {
	c := &m.Check
	name := c.NameThenCode()
	link := `<a href="` + esc(m.CheckURL) + `">` + esc(name) + `</a>`
	var h strings.Builder
	if m.Status == model.StatusDown {
		reason := ""
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			reason = " (" + r + ")"
		}
		plain = name + " is DOWN" + reason + "."
		h.WriteString("🔴 The check " + link + " is <b>DOWN</b>" + reason + ".")
	} else {
		status := strings.ToUpper(m.Status)
		plain = name + " is now " + status + "."
		h.WriteString("🟢 The check " + link + " is <b>" + status + "</b>.")
		if d := notify.DowntimeText(m); d != "" {
			plain += " The downtime lasted " + d + "."
			h.WriteString("<br>\nThe downtime lasted " + d + ".")
		}
	}
	h.WriteString("<br>\n<br>\n")
	line := func(label, value string) { h.WriteString("<b>" + label + ":</b> " + value + "<br>\n") }
	if m.ProjectName != "" {
		line("Project", esc(m.ProjectName))
	}
	if tags := c.TagsList(); len(tags) > 0 {
		var b strings.Builder
		for _, t := range tags {
			b.WriteString("<code>" + esc(t) + "</code> ")
		}
		line("Tags", strings.TrimSpace(b.String()))
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		line("Schedule", "<code>"+esc(c.Schedule)+"</code>")
		line("Time Zone", esc(c.TZ))
	default:
		line("Period", humanize.Duration(c.Timeout))
	}
	line("Total Pings", notify.TotalPings(m))
	line("Last Ping", esc(notify.LastPingText(m)))
	if body := notify.PingBody(m, maxBody); body != "" {
		h.WriteString("<b>Last Ping Body:</b><br>\n<pre>" + esc(body) + "</pre>")
	}
	return plain, strings.TrimSpace(h.String())
}
