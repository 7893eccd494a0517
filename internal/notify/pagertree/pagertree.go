// Package pagertree is the PagerTree channel kind: a JSON trigger on
// "down" and resolve on "up" of the same incident, POSTed to the webhook
// URL of a PagerTree "Healthchecks" integration, as upstream sends it.
package pagertree

import (
	"strings"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Integration is the PagerTree kind for the registry. Its stored value is
// the integration's webhook URL.
func Integration() notify.Integration {
	return notify.WebhookKind{
		Kind: "pagertree", Name: "PagerTree", Switch: "PAGERTREE_ENABLED",
		Label:   "Webhook URL",
		Help:    "the endpoint URL of a PagerTree integration of type Healthchecks",
		Render:  func(m *notify.Message) any { return Render(m) },
		Example: "https://api.pagertree.com/integration/int_xxxxxxxxxx",
	}.Integration()
}

// Payload is PagerTree's incident event.
type Payload struct {
	// IncidentKey ties a resolve to its trigger: the check's UniqueKey.
	IncidentKey string `json:"incident_key"`
	EventType   string `json:"event_type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Client      string `json:"client"`
	ClientURL   string `json:"client_url"`
	Tags        string `json:"tags"`
}

// Render is the event for m. PagerTree shows the description as HTML, so
// it is escaped there (as upstream's template does); the title is text.
func Render(m *notify.Message) Payload {
	event := "trigger"
	if m.Status == model.StatusUp {
		event = "resolve"
	}
	return Payload{
		IncidentKey: m.Check.UniqueKey(),
		EventType:   event,
		Title:       notify.Headline(m),
		Description: notify.EscapeHTML(notify.Summary(m)),
		Client:      m.SiteName,
		ClientURL:   m.SiteRoot,
		Tags:        strings.Join(m.Check.TagsList(), " "),
	}
}
