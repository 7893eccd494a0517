package web

import (
	"time"

	"github.com/overdue/overdue/internal/ratelimit"
)

// appRoutes are the install round-trips of the providers that set a channel
// up through their own app (Slack, Discord, GitHub, Trello) when the operator
// configures the app's client id and secret; the plain webhook/token forms
// work without them. Slack's and Discord's are plain notify.OAuth code
// exchanges (oauth.go); GitHub's and Trello's end with a choice on a page
// of ours, served here.
func (w *Web) appRoutes(m *routeMux) {
	// One token per seal, given back only once the seal has expired.
	w.spent = ratelimit.Every(1, stateAge+time.Minute, w.d.Now)
}
