package web

import (
	"net/http"

	"github.com/overdue/overdue/internal/store"
)

// adminLimit bounds the admin page's lists; an install with more users
// than this needs the CLI or the database for the rest.
const adminLimit = 1000

type adminData struct {
	Users    []store.AdminUser
	Projects []store.AdminProject
	// Capped: a list was cut at adminLimit.
	Capped bool
}

// admin is the operator's overview (upstream has Django's admin at
// /admin/): every user and project with their sizes, for superusers only.
// Anyone else gets the same 404 as a page that does not exist.
func (w *Web) admin(rw http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if u == nil || !u.IsSuperuser {
		w.notFound(rw)
		return
	}
	users, projects, err := w.d.Store.AdminOverview(r.Context(), adminLimit)
	if err != nil {
		w.unavailable(rw, r, "admin overview", err)
		return
	}
	w.render(rw, r, http.StatusOK, "admin.html", "Administration",
		adminData{Users: users, Projects: projects, Capped: len(users) == adminLimit || len(projects) == adminLimit})
}
