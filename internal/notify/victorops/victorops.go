// Package victorops is the Splunk On-Call (formerly VictorOps) channel
// kind: a JSON alert POSTed to the REST endpoint URL of a Splunk On-Call
// "REST" integration, CRITICAL on "down" and RECOVERY on "up" of the same
// entity, as upstream sends it.
package victorops

import (
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Integration is the Splunk On-Call kind for the registry. Its stored
// value is the REST endpoint URL, routing key included.
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "victorops", Name: "Splunk On-Call", Switch: "VICTOROPS_ENABLED",
		Label:   "REST endpoint URL",
		Help:    "the URL of a Splunk On-Call REST integration, with the routing key at its end",
		Render:  func(m *notify.Message) any { return Render(m) },
		Refuse:  refuse,
		Example: "https://alert.victorops.com/integrations/generic/20131114/alert/0d4c0b9e-0000-4000-8000-000000000000/ops",
	}.Integration()
}

// Payload is Splunk On-Call's REST alert.
type Payload struct {
	// EntityID ties a RECOVERY to its CRITICAL: the check's UniqueKey.
	EntityID          string `json:"entity_id"`
	MessageType       string `json:"message_type"`
	EntityDisplayName string `json:"entity_display_name"`
	StateMessage      string `json:"state_message"`
	MonitoringTool    string `json:"monitoring_tool"`
}

// Render is the alert for m. Splunk On-Call shows every field as plain
// text, so nothing is escaped.
func Render(m *notify.Message) Payload {
	mtype := "CRITICAL"
	if m.Status == model.StatusUp {
		mtype = "RECOVERY"
	}
	return Payload{
		EntityID:          m.Check.UniqueKey(),
		MessageType:       mtype,
		EntityDisplayName: m.Check.NameThenCode(),
		StateMessage:      notify.Summary(m),
		MonitoringTool:    m.SiteName,
	}
}

// refuse: a 404 means the endpoint (or its routing key) is gone and
// will not come back, so upstream disables the channel; anything else is
// retried.
func refuse(r *notify.Response) error {
	if r.StatusCode == 404 {
		return notify.FailPermanent(notify.StatusText(r.StatusCode))
	}
	return notify.Fail(notify.StatusText(r.StatusCode))
}
