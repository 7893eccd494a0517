// Package spike is the Spike.sh channel kind: a JSON event POSTed to the
// webhook URL of a Spike.sh "Healthchecks" integration, which opens an
// incident on "down" and resolves it on "up", as upstream sends it.
package spike

import (
	"github.com/overdue/overdue/internal/notify"
)

// Integration is the Spike.sh kind for the registry. Its stored value is
// the integration's webhook URL. Upstream's error when the kind is off
// names it "Spike".
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "spike", Name: "Spike.sh", Switch: "SPIKE_ENABLED",
		Disabled: "Spike notifications are not enabled.",
		Label:    "Webhook URL",
		Help:     "the webhook URL of a Spike.sh integration of type Healthchecks",
		Render:   func(m *notify.Message) any { return Render(m) },
		Example:  "https://hooks.spike.sh/abcdef/push-events",
	}.Integration()
}

// Payload is Spike.sh's event.
type Payload struct {
	// CheckID ties the resolving event to the incident: the check's UniqueKey.
	CheckID string `json:"check_id"`
	Title   string `json:"title"`
	Message string `json:"message"`
	// Status is "down" or "up".
	Status string `json:"status"`
}

// Render is the event for m; Spike.sh shows its texts as typed.
func Render(m *notify.Message) Payload {
	return Payload{CheckID: m.Check.UniqueKey(), Title: notify.Headline(m), Message: notify.Summary(m), Status: m.Status}
}
