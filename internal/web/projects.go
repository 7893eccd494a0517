package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// projectRoutes are the pages that manage projects and their teams:
// create, rename, remove, members and roles, API keys and the ping key.
// The URLs and form fields are upstream's: one settings page whose POST
// says what it does by which field it carries (create_key, revoke_key,
// invite_team_member, remove_team_member, set_project_name,
// transfer_project, cancel_transfer, accept_transfer, reject_transfer),
// plus leave_project and set_team_member_role, which upstream keeps on the
// profile page or lacks. Who may do what is accounts' rule.
func (w *Web) projectRoutes(m *routeMux) {
	m.HandleFunc("POST /projects/add/{$}", w.addProject)
	m.HandleFunc("GET /projects/add/{$}", methodNotAllowed("POST"))
	m.HandleFunc("GET /projects/{code}/settings/{$}", w.projectSettings)
	m.HandleFunc("POST /projects/{code}/settings/{$}", w.projectSettingsPost)
	m.HandleFunc("POST /projects/{code}/remove/{$}", w.removeProject)
	m.HandleFunc("GET /projects/{code}/remove/{$}", methodNotAllowed("POST"))
}

// methodNotAllowed answers 405, as upstream's require_POST views do, for
// a URL that only takes a form.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Allow", allow)
		http.Error(rw, "Method Not Allowed", http.StatusMethodNotAllowed)
	}
}

type indexPage struct {
	Projects []indexProject // projectsummary.go
	// Name and Error are the "create project" form after a refusal.
	Name, Error string
}

func (w *Web) index(rw http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return
	}
	w.renderIndex(rw, r, http.StatusOK, indexPage{})
}

func (w *Web) renderIndex(rw http.ResponseWriter, r *http.Request, status int, d indexPage) {
	projects, err := w.d.Store.ProjectsForUser(r.Context(), userFrom(r.Context()).ID)
	if err != nil {
		w.unavailable(rw, r, "list projects", err)
		return
	}
	if d.Projects, err = w.summarizeProjects(r.Context(), userFrom(r.Context()).ID, projects); err != nil {
		w.unavailable(rw, r, "summarize projects", err)
		return
	}
	w.render(rw, r, status, "index.html", "Projects", d)
}

// addProject is POST /projects/add/: a new empty project owned by the
// user, then its (empty) dashboard.
func (w *Web) addProject(rw http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return
	}
	if !w.readForm(rw, r) {
		return
	}
	name := r.PostForm.Get("name")
	p, err := w.d.Accounts.AddProject(r.Context(), u.ID, name)
	if errors.Is(err, accounts.ErrProjectFormName) || errors.Is(err, accounts.ErrNUL) {
		w.renderIndex(rw, r, http.StatusBadRequest, indexPage{Name: truncate(name, 200), Error: capitalize(err)})
		return
	}
	if err != nil {
		w.unavailable(rw, r, "add project", err)
		return
	}
	http.Redirect(rw, r, w.base+"/projects/"+p.Code+"/checks/", http.StatusFound)
}

// removeProject is POST /projects/<uuid>/remove/: the owner deletes the
// project with its checks, pings and integrations. For anyone else the
// project does not exist (404), as upstream looks it up by owner.
func (w *Web) removeProject(rw http.ResponseWriter, r *http.Request) {
	who, ok := w.actor(rw, r)
	if !ok {
		return
	}
	if who.Role != model.RoleOwner {
		w.notFound(rw)
		return
	}
	if err := w.d.Accounts.RemoveProject(r.Context(), who); err != nil && !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "remove project", err)
		return
	}
	http.Redirect(rw, r, w.base+"/", http.StatusFound)
}

// actor is the request's project as the user sees it (projectFor's log-in
// redirect, 404 and 503 included), for the accounts rules.
func (w *Web) actor(rw http.ResponseWriter, r *http.Request) (accounts.Actor, bool) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return accounts.Actor{}, false
	}
	return accounts.Actor{Project: p, UserID: userFrom(r.Context()).ID, Role: role}, true
}

type memberRow struct {
	Email           string
	Role            model.Role
	Self            bool
	TransferPending bool
}

type roleOption struct {
	Value model.Role
	Label string
	Hint  string
}

// teamRoles are the roles an invitation can give, upstream's choices.
var teamRoles = []roleOption{
	{model.RoleMember, "Member", "sees and changes checks and integrations, renames the project, manages its keys"},
	{model.RoleReadOnly, "Read-only", "sees checks and integrations, changes nothing, cannot see the keys"},
	{model.RoleManager, "Manager", "a member who also invites and removes team members"},
}

// settingsPage is /projects/<uuid>/settings/.
type settingsPage struct {
	Project    model.Project
	Role       model.Role
	IsOwner    bool
	CanWrite   bool
	CanManage  bool
	OwnerEmail string
	Members    []memberRow
	Suggest    []string
	Roles      []roleOption
	// Transfer is the member the project is offered to; ToMe when that is
	// the viewer, who may then accept (CanAccept) or reject.
	Transfer  *memberRow
	ToMe      bool
	CanAccept bool
	// NewKey is a key just created, shown this once; NewKeyKind its field.
	NewKey     string
	NewKeyKind accounts.KeyKind
	// Flash is the outcome of the form just sent; FlashKind ok, info or error.
	Flash, FlashKind string
	// The invite and rename forms after a refusal.
	InviteEmail string
	InviteRole  model.Role
	InviteErr   string
	Name        string
	NameErr     string
	TransferErr string
}

func (w *Web) projectSettings(rw http.ResponseWriter, r *http.Request) {
	who, ok := w.actor(rw, r)
	if !ok {
		return
	}
	w.renderSettings(rw, r, http.StatusOK, who, settingsPage{})
}

// renderSettings fills in the page's team and transfer state for who and
// shows it with the outcome already in d.
func (w *Web) renderSettings(rw http.ResponseWriter, r *http.Request, status int, who accounts.Actor, d settingsPage) {
	ctx := r.Context()
	p := who.Project
	d.Project, d.Role = p, who.Role
	d.IsOwner, d.CanWrite, d.CanManage = who.Role == model.RoleOwner, who.Role.CanWrite(), who.Role.CanManage()
	d.Roles = teamRoles
	if d.Name == "" {
		d.Name = p.Name
	}
	if d.InviteRole == "" {
		d.InviteRole = model.RoleMember
	}
	owner, err := w.d.Store.UserByID(ctx, p.OwnerID)
	if err != nil {
		w.unavailable(rw, r, "read project owner", err)
		return
	}
	d.OwnerEmail = owner.Email
	members, err := w.d.Store.ListMembers(ctx, p.ID)
	if err != nil {
		w.unavailable(rw, r, "list members", err)
		return
	}
	for _, m := range members {
		row := memberRow{Email: m.Email, Role: m.Role, Self: m.UserID == who.UserID, TransferPending: m.TransferRequest != nil}
		d.Members = append(d.Members, row)
		if row.TransferPending {
			tr := row
			d.Transfer, d.ToMe = &tr, row.Self
		}
	}
	if d.ToMe {
		if d.CanAccept, err = w.d.Accounts.CanAccept(ctx, p, who.UserID); err != nil {
			w.unavailable(rw, r, "check limit", err)
			return
		}
	}
	if d.CanManage {
		if d.Suggest, err = w.d.Store.InviteSuggestions(ctx, p.ID, p.OwnerID); err != nil {
			w.unavailable(rw, r, "invite suggestions", err)
			return
		}
	}
	w.render(rw, r, status, "settings.html", "Settings · "+projectTitle(p), d)
}

// projectSettingsPost runs one of the settings page's forms. Each one
// answers with the page itself, as upstream's view does, so that a new key
// is shown exactly once and never travels in a URL.
func (w *Web) projectSettingsPost(rw http.ResponseWriter, r *http.Request) {
	who, ok := w.actor(rw, r)
	if !ok {
		return
	}
	if !w.readForm(rw, r) {
		return
	}
	ctx := r.Context()
	f := r.PostForm
	var d settingsPage
	var err error
	switch {
	case f.Has("create_key"):
		if !who.Role.CanWrite() {
			w.refuse(rw, r, accounts.ErrForbidden)
			return
		}
		if !w.requireSudo(rw, r) {
			return
		}
		d.NewKeyKind = accounts.KeyKind(f.Get("create_key"))
		var p model.Project
		if d.NewKey, p, err = w.d.Accounts.CreateKey(ctx, who, d.NewKeyKind); err == nil {
			who.Project = p
		}
		d.Flash, d.FlashKind = "The new key is shown below this once: copy it now.", "ok"
	case f.Has("revoke_key"):
		var p model.Project
		if p, err = w.d.Accounts.RevokeKey(ctx, who, accounts.KeyKind(f.Get("revoke_key"))); err == nil {
			who.Project = p
		}
		d.Flash, d.FlashKind = "The key has been revoked.", "info"
	case f.Has("set_project_name"):
		d.Name = f.Get("name")
		var p model.Project
		p, err = w.d.Accounts.RenameProject(ctx, who, d.Name)
		d.Flash, d.FlashKind = "The project has been renamed.", "ok"
		if err == nil {
			who.Project, d.Name = p, ""
		} else if isFormError(err) {
			d.Name, d.NameErr = truncate(d.Name, 200), capitalize(err)
		}
	case f.Has("invite_team_member"):
		role := model.Role(f.Get("role"))
		var inv accounts.Invited
		inv, err = w.d.Accounts.Invite(ctx, who, f.Get("email"), role)
		switch {
		case err == nil:
			d.Flash, d.FlashKind = "Invited "+inv.Email+".", "ok"
			if inv.Err != nil {
				w.d.Log.Warn("web: invitation email", "err", inv.Err)
				d.Flash, d.FlashKind = "Added "+inv.Email+" to the team, but the invitation email could not be sent.", "error"
			}
		case errors.Is(err, accounts.ErrAlreadyMember):
			// Upstream answers this with the page and a note, not an error.
			d.Flash, d.FlashKind, err = err.Error()+".", "info", nil
		case isFormError(err):
			d.InviteEmail, d.InviteRole, d.InviteErr = truncate(f.Get("email"), 254), role, capitalize(err)
		}
	case f.Has("set_team_member_role"):
		err = w.d.Accounts.SetRole(ctx, who, f.Get("email"), model.Role(f.Get("role")))
		d.Flash, d.FlashKind = "The role of "+f.Get("email")+" has been changed.", "ok"
	case f.Has("remove_team_member"):
		err = w.d.Accounts.RemoveMember(ctx, who, f.Get("email"))
		d.Flash, d.FlashKind = "Removed "+f.Get("email")+" from the team.", "info"
	case f.Has("leave_project"):
		if err = w.d.Accounts.Leave(ctx, who); err == nil {
			http.Redirect(rw, r, w.base+"/", http.StatusSeeOther)
			return
		}
	case f.Has("transfer_project"):
		var m accounts.Mailed
		m, err = w.d.Accounts.RequestTransfer(ctx, who, f.Get("email"))
		d.Flash, d.FlashKind = "Transfer initiated! "+f.Get("email")+" can now accept or reject it.", "ok"
		if err == nil && m.Err != nil {
			w.d.Log.Warn("web: transfer request email", "err", m.Err)
			d.Flash += " The email telling them could not be sent."
		}
	case f.Has("cancel_transfer"):
		err = w.d.Accounts.CancelTransfer(ctx, who)
		d.Flash, d.FlashKind = "Transfer cancelled!", "info"
	case f.Has("accept_transfer"):
		if err = w.d.Accounts.AcceptTransfer(ctx, who); err == nil {
			who.Project.OwnerID, who.Role = who.UserID, model.RoleOwner
		}
		d.Flash, d.FlashKind = "You are now the owner of this project!", "ok"
	case f.Has("reject_transfer"):
		err = w.d.Accounts.RejectTransfer(ctx, who)
		d.Flash, d.FlashKind = "You have declined the transfer.", "info"
	case f.Has("show_api_keys"):
		// Upstream's button that reveals the keys; here they are hashed and
		// the page always shows which exist.
	default:
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", "The form did not say what to do.")
		return
	}
	if err != nil {
		status := w.settingsStatus(err)
		if status == 0 {
			w.unavailable(rw, r, "project settings", err)
			return
		}
		if status == http.StatusForbidden || status == http.StatusNotFound || status == http.StatusTooManyRequests {
			w.refuse(rw, r, err)
			return
		}
		d.NewKey, d.Flash, d.FlashKind = "", capitalize(err)+".", "error"
		if d.InviteErr != "" || d.NameErr != "" {
			d.Flash = ""
		}
		w.renderSettings(rw, r, status, who, d)
		return
	}
	w.renderSettings(rw, r, http.StatusOK, who, d)
}

// settingsStatus is the answer to a refused settings form, upstream's:
// 403 for what the role does not allow (or a transfer that is not yours),
// 400 for input that cannot be used; 0 for a database failure.
func (w *Web) settingsStatus(err error) int {
	switch {
	case errors.Is(err, accounts.ErrForbidden), errors.Is(err, accounts.ErrNoTransfer):
		return http.StatusForbidden
	case errors.Is(err, accounts.ErrInviteLimit):
		return http.StatusTooManyRequests
	case isFormError(err), errors.Is(err, accounts.ErrNotMember), errors.Is(err, accounts.ErrRemoveSelf),
		errors.Is(err, accounts.ErrOwnerCannotLeave), errors.Is(err, accounts.ErrCheckLimit), errors.Is(err, accounts.ErrKeyKind):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		// The project or member went away meanwhile.
		return http.StatusNotFound
	}
	return 0
}

// isFormError is a value a form field cannot take.
func isFormError(err error) bool {
	return errors.Is(err, accounts.ErrProjectFormName) || errors.Is(err, accounts.ErrInvalidEmail) ||
		errors.Is(err, accounts.ErrInvalidRole) || errors.Is(err, accounts.ErrNUL)
}

// refuse answers a refusal with a short page of its own.
func (w *Web) refuse(rw http.ResponseWriter, r *http.Request, err error) {
	switch w.settingsStatus(err) {
	case http.StatusForbidden:
		w.render(rw, r, http.StatusForbidden, "message.html", "Not allowed", capitalize(err)+".")
	case http.StatusTooManyRequests:
		w.render(rw, r, http.StatusTooManyRequests, "message.html", "Too Many Requests", capitalize(err)+".")
	default:
		w.notFound(rw)
	}
}

// capitalize makes an error a sentence, unless it starts with the value it
// is about (an email address keeps its case).
func capitalize(err error) string {
	s := err.Error()
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.ContainsAny(first, "@\"") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// truncate keeps at most n bytes of s, cut at a rune boundary, for echoing
// a refused value back into its field.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
