package web

// accountRoutes are the pages of a user's own account: sign-up, login
// links, password and email changes, the profile.
func (w *Web) accountRoutes(m *routeMux) {}
