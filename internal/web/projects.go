package web

// projectRoutes are the pages that manage projects and their teams:
// create, rename, remove, members and roles, API keys and the ping key.
func (w *Web) projectRoutes(m *routeMux) {}
