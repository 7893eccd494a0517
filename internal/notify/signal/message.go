package signal

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Text is a message with signal-cli text styles ("start:length:STYLE").
type Text struct {
	Body   string
	Styles []string
}

// builder writes plain text and records styled spans. Offsets count UTF-16
// code units, as Signal's body ranges do (upstream counts code points,
// which misplaces styles after an emoji or any character beyond U+FFFF).
type builder struct {
	b      strings.Builder
	n      int
	styles []string
}

func (w *builder) plain(s string) {
	w.b.WriteString(s)
	w.n += len(utf16.Encode([]rune(s)))
}

func (w *builder) styled(style, s string) {
	start := w.n
	w.plain(s)
	w.styles = append(w.styles, strconv.Itoa(start)+":"+strconv.Itoa(w.n-start)+":"+style)
}

func (w *builder) bold(s string) { w.styled("BOLD", s) }

// field writes "Label: value" with the label in bold, on a line of its own.
func (w *builder) field(label, value string) {
	w.bold(label + ":")
	w.plain(" " + value + "\n")
}

// Render is the message upstream's signal_message template sends: the
// status line, then project, tags, period or schedule and time zone,
// total pings and the last ping. Signal shows plain text, so nothing in a
// check's name needs escaping: styles are ranges, not markup.
func Render(m *notify.Message) Text {
	c := &m.Check
	var w builder
	w.plain("The check ")
	w.bold(c.NameThenCode())
	if m.Status == model.StatusDown {
		w.plain(" is ")
		w.bold("DOWN")
		if r := notify.ReasonLong(m.Flip.Reason); r != "" {
			w.plain(" (" + r + ")")
		}
		w.plain(".")
	} else {
		w.plain(" is now ")
		w.bold(strings.ToUpper(m.Status))
		w.plain(".")
		if d := notify.DowntimeText(m); d != "" {
			w.plain(" The downtime lasted " + d + ".")
		}
	}
	w.plain("\n\n")
	if m.ProjectName != "" {
		w.field("Project", m.ProjectName)
	}
	if tags := c.TagsList(); len(tags) > 0 {
		w.field("Tags", strings.Join(tags, ", "))
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		w.bold("Schedule:")
		w.plain(" ")
		w.styled("MONOSPACE", c.Schedule)
		w.plain("\n")
		w.field("Time Zone", c.TZ)
	default:
		w.field("Period", humanize.Duration(c.Timeout))
	}
	w.field("Total Pings", notify.TotalPings(m))
	w.field("Last Ping", notify.LastPingText(m))
	return Text{Body: strings.TrimRight(w.b.String(), "\n"), Styles: w.styles}
}
