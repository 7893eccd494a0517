package web

import "net/http"

// routeMux is where every page registers: it records the patterns, so that
// the security tests can walk every route (CSRF, roles, isolation) and a new
// route is covered without anyone listing it.
type routeMux struct {
	mux      *http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.mux.Handle(pattern, h)
	m.patterns = append(m.patterns, pattern)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the patterns of every page, as registered
// ("POST /checks/{code}/pause/{$}"), the catch-all "/" last.
func (w *Web) Routes() []string { return append([]string(nil), w.patterns...) }
