package kinds

import (
	"encoding/json"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
)

// pending are upstream kinds this build cannot send yet whose channels do
// not take both events: a database imported from upstream holds them, and
// their flips must queue exactly what upstream would queue (a send then
// fails with "not supported by this server"). A kind that gets its own
// package replaces its line here with one in All. Kinds found in neither
// list (slack, telegram, ...) take both events, as upstream's do.
func pending() []notify.Integration {
	return []notify.Integration{
		// These keep upstream's {"value": ..., "up": bool, "down": bool},
		// the email kind's shape.
		{Kind: "sms", Name: "SMS", Events: email.Events},
		{Kind: "whatsapp", Name: "WhatsApp", Events: email.Events},
		{Kind: "signal", Name: "Signal", Events: email.Events},
		{Kind: "shell", Name: "Shell Command", Events: shellEvents},
		// Upstream only ever sends "down" to these.
		{Kind: "call", Name: "Phone Call", Events: downOnly},
		{Kind: "trello", Name: "Trello", Events: downOnly},
		{Kind: "github", Name: "GitHub", Events: downOnly},
	}
}

// shellEvents: an empty command is a no-op event; a value that is not JSON
// takes neither.
func shellEvents(value string) (up, down bool) {
	var v struct {
		CmdDown string `json:"cmd_down"`
		CmdUp   string `json:"cmd_up"`
	}
	if json.Unmarshal([]byte(value), &v) != nil {
		return false, false
	}
	return v.CmdUp != "", v.CmdDown != ""
}

func downOnly(string) (up, down bool) { return false, true }
