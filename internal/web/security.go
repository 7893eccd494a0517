package web

import "net/http"

// securityRoutes are the second-factor pages (TOTP, security keys) and the
// re-authentication ("sudo mode") form.
func (w *Web) securityRoutes(m *routeMux) {}

// requireSudo reports whether the request's user has re-authenticated
// recently enough for a sensitive action (changing email or password,
// second factors, deleting the account, creating API keys). When not, it
// has already answered (a redirect to the re-authentication form) and the
// handler must return. Until sudo mode exists every logged-in user passes.
func (w *Web) requireSudo(rw http.ResponseWriter, r *http.Request) bool {
	return userFrom(r.Context()) != nil
}
