package notify

import (
	"encoding/json"
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
)

// This file holds the plain-text lines of the incident kinds (PagerDuty,
// Opsgenie, Splunk On-Call, PagerTree, Spike.sh), which open an incident
// on "down" and resolve it on "up", keyed by the check's UniqueKey.

// Headline is "<name> is DOWN (<reason>)" or "<name> is UP": the check's
// name (its UUID when it has none), the event, and why the check flipped
// when that is known. It is plain text: a kind that renders markup
// escapes it itself.
func Headline(m *Message) string {
	s := m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status)
	if r := ReasonLong(m.Flip.Reason); r != "" {
		s += " (" + r + ")"
	}
	return s
}

// Summary is the Headline as a sentence and, for a "down" message, when
// the last ping came: "Backup is DOWN (...).\n\nLast ping: Success, 10
// minutes ago." (nothing more when the check was never pinged).
func Summary(m *Message) string {
	s := Headline(m) + "."
	if m.Status == model.StatusDown && m.LastPing != nil {
		s += "\n\nLast ping: " + LastPingText(m) + "."
	}
	return s
}

// Details are the facts about the check that PagerDuty and Opsgenie
// attach to an incident as its "details", under upstream's keys and in
// its order. Empty optional facts are left out.
type Details struct {
	Project     string `json:"Project"`
	TotalPings  int64  `json:"Total pings"`
	LastPing    string `json:"Last ping"`
	Description string `json:"Description,omitempty"`
	Tags        string `json:"Tags,omitempty"`
	Period      string `json:"Period,omitempty"`
	Schedule    string `json:"Schedule,omitempty"`
	TimeZone    string `json:"Time zone,omitempty"`
	FullDetails string `json:"Full details,omitempty"`
}

// IncidentDetails are m's details: the project, the pings, the
// description and tags, and the period, or the schedule and time zone.
func IncidentDetails(m *Message) Details {
	c := &m.Check
	d := Details{Project: m.ProjectName, LastPing: LastPingText(m), Description: c.Desc, Tags: strings.Join(c.TagsList(), ", ")}
	if m.LastPing != nil {
		d.TotalPings = m.LastPing.N
	}
	switch c.Kind {
	case model.KindCron, model.KindOnCalendar:
		d.Schedule, d.TimeZone = c.Schedule, c.TZ
	default:
		d.Period = humanize.Duration(c.Timeout)
	}
	return d
}

// RefuseWithMessage reads a refusal as upstream's Opsgenie and Zulip
// transports do: "Received status code N", plus ` with a message: "..."`
// when the answer is a JSON object whose key is a string. It is never
// permanent.
func RefuseWithMessage(key string) func(r *Response) error {
	return func(r *Response) error {
		msg := StatusText(r.StatusCode)
		var doc map[string]any
		if json.Unmarshal(r.Body, &doc) == nil {
			if s, ok := doc[key].(string); ok {
				msg += ` with a message: "` + s + `"`
			}
		}
		return Fail(msg)
	}
}
