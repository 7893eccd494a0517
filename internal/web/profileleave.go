package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// profilePost is POST /accounts/profile/: upstream's profile page takes
// its "Leave" buttons there, a form with leave_project and the project's
// code. Who may leave is accounts.Leave's rule (the owner may not), the
// same one the settings page's button uses.
func (w *Web) profilePost(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil || !w.readForm(rw, r) {
		return
	}
	bad := func(msg string) {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", msg)
	}
	if !r.PostForm.Has("leave_project") {
		bad("This form is not one the account page takes.")
		return
	}
	// Upstream answers 400 when the code names no project the user is a
	// member of; a stranger's project and a missing one look the same.
	const notYours = "That is not a project you are a member of."
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if !ping.IsCanonicalUUID(code) {
		bad(notYours)
		return
	}
	ctx := r.Context()
	p, role, err := w.d.Store.ProjectAccess(ctx, code, u.ID)
	if err == nil {
		err = w.d.Accounts.Leave(ctx, accounts.Actor{Project: p, UserID: u.ID, Role: role})
	}
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, accounts.ErrNotMember):
		bad(notYours)
		return
	case errors.Is(err, accounts.ErrOwnerCannotLeave):
		bad(capitalize(err) + ".")
		return
	case err != nil:
		w.unavailable(rw, r, "leave project", err)
		return
	}
	http.Redirect(rw, r, w.base+"/accounts/profile/?changed=left", http.StatusSeeOther)
}
