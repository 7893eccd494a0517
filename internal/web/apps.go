package web

// appRoutes are the install round-trips of the providers that set a channel
// up through their own app (Slack, Discord, GitHub, Trello) when the operator
// configures the app's client id and secret; the plain webhook/token forms
// work without them.
func (w *Web) appRoutes(m *routeMux) {}
