package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// The rules of upstream's project settings page (hc/accounts/views.py
// project, add_project, remove_project and the profile's leave_project):
// who may rename a project, manage its keys and team, and hand it over.
// Every function takes the Actor, the project as its caller may see it,
// and refuses with ErrForbidden what the caller's role does not allow, so
// that no page has to repeat a role rule.

// MaxProjectFormNameLen is upstream's ProjectNameForm limit, in characters:
// names typed in the web UI are shorter than the 200 bytes the model (and
// the CLI) allow.
const MaxProjectFormNameLen = 60

// InvitesPerDay is how many invitations a user may send a day to people
// who are not already in one of the owner's projects (upstream's
// TokenBucket.authorize_invite).
const InvitesPerDay = 20

// Refusals of the project rules. The web UI maps them to status codes.
var (
	ErrForbidden        = errors.New("your role in this project does not allow this")
	ErrProjectFormName  = errors.New("a project name is required and must be at most 60 characters")
	ErrInvalidRole      = errors.New("the role must be one of m (manager), w (member) or r (read-only)")
	ErrAlreadyMember    = errors.New("is already a member")
	ErrNotMember        = errors.New("is not a member of this project")
	ErrRemoveSelf       = errors.New("you cannot remove yourself; leave the project instead")
	ErrOwnerCannotLeave = errors.New("the owner cannot leave a project; transfer it first")
	ErrNoTransfer       = errors.New("there is no transfer request for you")
	ErrCheckLimit       = errors.New("accepting this project would exceed your check limit")
	ErrInviteLimit      = errors.New("too many invitations today; please try again later")
	ErrKeyKind          = errors.New("the key must be api_key, api_key_readonly or ping_key")
)

// Actor is a user acting on a project, with the role store.ProjectAccess
// gave them.
type Actor struct {
	Project model.Project
	UserID  int64
	Role    model.Role
}

func (a Actor) require(ok func(model.Role) bool) error {
	if !ok(a.Role) {
		return ErrForbidden
	}
	return nil
}

func isOwner(r model.Role) bool { return r == model.RoleOwner }

// CleanProjectFormName trims a name typed into a form and checks it as
// upstream's ProjectNameForm does (required, at most 60 characters).
func CleanProjectFormName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxProjectFormNameLen || !utf8.ValidString(name) {
		return "", ErrProjectFormName
	}
	return name, nil
}

// AddProject creates an empty project owned by userID, as upstream's "Add
// project" form: no API keys and no ping key until someone creates them on
// the settings page, and the badge key is the project's UUID.
func (a *Accounts) AddProject(ctx context.Context, userID int64, name string) (model.Project, error) {
	name, err := CleanProjectFormName(name)
	if err != nil {
		return model.Project{}, err
	}
	if err := a.checkText("the project name", name); err != nil {
		return model.Project{}, err
	}
	code, err := uuid.NewRandomFromReader(a.o.Rand)
	if err != nil {
		return model.Project{}, fmt.Errorf("generate the project's UUID: %w", err)
	}
	p := model.Project{Code: code.String(), Name: name, OwnerID: userID, BadgeKey: code.String(), Created: a.o.Clock().UTC()}
	if err := a.o.Store.CreateProject(ctx, &p); err != nil {
		return model.Project{}, fmt.Errorf("add project: %w", err)
	}
	return p, nil
}

// RenameProject sets the project's name (any role that may write).
func (a *Accounts) RenameProject(ctx context.Context, who Actor, name string) (model.Project, error) {
	if err := who.require(model.Role.CanWrite); err != nil {
		return model.Project{}, err
	}
	name, err := CleanProjectFormName(name)
	if err != nil {
		return model.Project{}, err
	}
	if err := a.checkText("the project name", name); err != nil {
		return model.Project{}, err
	}
	p := who.Project
	p.Name = name
	if err := a.o.Store.RenameProject(ctx, p.ID, name); err != nil {
		return model.Project{}, fmt.Errorf("rename project: %w", err)
	}
	return p, nil
}

// RemoveProject deletes the project and everything in it (owner only).
func (a *Accounts) RemoveProject(ctx context.Context, who Actor) error {
	if err := who.require(isOwner); err != nil {
		return err
	}
	return a.o.Store.DeleteProject(ctx, who.Project.ID)
}

// KeyKind names one of a project's keys, as upstream's create_key and
// revoke_key form values do (they are also the columns' names).
type KeyKind = store.ProjectKey

const (
	KeyAPI         = store.KeyAPI
	KeyAPIReadonly = store.KeyAPIReadonly
	KeyPing        = store.KeyPing
)

// CreateKey draws a new key of the kind, replacing the old one, and
// returns it with the project as now stored: the only time an API key is
// seen, since the database keeps its SHA-256 digest (as `overdue project
// create` does). The ping key is stored as is, because slug ping URLs
// carry it. Only the key's column is written.
func (a *Accounts) CreateKey(ctx context.Context, who Actor, kind KeyKind) (string, model.Project, error) {
	if err := who.require(model.Role.CanWrite); err != nil {
		return "", model.Project{}, err
	}
	p := who.Project
	for try := 0; ; try++ {
		var key, stored string
		var err error
		switch kind {
		case KeyAPI:
			key, err = auth.APIKeyFrom(a.o.Rand, "hcw_")
			stored, p.APIKey = auth.HashAPIKey(key), auth.HashAPIKey(key)
		case KeyAPIReadonly:
			key, err = auth.APIKeyFrom(a.o.Rand, "hcr_")
			stored, p.APIKeyReadonly = auth.HashAPIKey(key), auth.HashAPIKey(key)
		case KeyPing:
			key, err = auth.PingKeyFrom(a.o.Rand)
			stored, p.PingKey = key, key
		default:
			return "", model.Project{}, ErrKeyKind
		}
		if err != nil {
			return "", model.Project{}, fmt.Errorf("generate the %s: %w", kind, err)
		}
		err = a.o.Store.SetProjectKey(ctx, p.ID, kind, stored)
		// A ping key is unique across projects: draw again on the
		// (astronomically unlikely) collision.
		if errors.Is(err, store.ErrDuplicate) && try < 2 {
			continue
		}
		if err != nil {
			return "", model.Project{}, fmt.Errorf("save the %s: %w", kind, err)
		}
		return key, p, nil
	}
}

// RevokeKey clears one of the project's keys.
func (a *Accounts) RevokeKey(ctx context.Context, who Actor, kind KeyKind) (model.Project, error) {
	if err := who.require(model.Role.CanWrite); err != nil {
		return model.Project{}, err
	}
	p := who.Project
	switch kind {
	case KeyAPI:
		p.APIKey = ""
	case KeyAPIReadonly:
		p.APIKeyReadonly = ""
	case KeyPing:
		p.PingKey = ""
	default:
		return model.Project{}, ErrKeyKind
	}
	if err := a.o.Store.SetProjectKey(ctx, p.ID, kind, ""); err != nil {
		return model.Project{}, fmt.Errorf("revoke the %s: %w", kind, err)
	}
	return p, nil
}

// passwordlessUser is a new user row for address that cannot log in with
// a password until one is set: how accounts made for others (a project's
// owner from the CLI, an invited team member) start.
func (a *Accounts) passwordlessUser(address string) (model.User, error) {
	pw, err := auth.UnusablePasswordFrom(a.o.Rand)
	if err != nil {
		return model.User{}, err
	}
	return model.User{Email: address, Password: pw, CheckLimit: DefaultCheckLimit, PingLogLimit: a.o.PingLogLimit, Created: a.o.Clock()}, nil
}

// Mailed tells whether a team email went out: Sent is false without a
// mailer (as upstream without EMAIL_HOST) or when sending failed, then
// with Err. The change it announces is made either way.
type Mailed struct {
	Sent bool
	Err  error
}

// Invited is the outcome of Invite.
type Invited struct {
	Email string
	Mailed
}

// Invite adds the user with this email to the team with role (managers
// and the owner only), creating the user, without a project, when there
// is none, and emails them a login link to the project's checks. Someone
// already in the team, or the owner, is ErrAlreadyMember. Invitations to
// people outside the owner's other teams count against InvitesPerDay.
func (a *Accounts) Invite(ctx context.Context, who Actor, address string, role model.Role) (Invited, error) {
	if err := who.require(model.Role.CanManage); err != nil {
		return Invited{}, err
	}
	address = strings.ToLower(strings.TrimSpace(address))
	if err := CheckEmail(address); err != nil {
		return Invited{}, err
	}
	if _, ok := model.ParseRole(string(role)); !ok {
		return Invited{}, ErrInvalidRole
	}
	p := who.Project
	members, err := a.o.Store.ListMembers(ctx, p.ID)
	if err != nil {
		return Invited{}, err
	}
	for _, m := range members {
		if strings.EqualFold(m.Email, address) {
			return Invited{}, fmt.Errorf("%s %w", address, ErrAlreadyMember)
		}
	}
	owner, err := a.o.Store.UserByID(ctx, p.OwnerID)
	if err != nil {
		return Invited{}, err
	}
	if strings.EqualFold(owner.Email, address) {
		return Invited{}, fmt.Errorf("%s %w", address, ErrAlreadyMember)
	}
	known, err := a.o.Store.InviteSuggestions(ctx, p.ID, p.OwnerID)
	if err != nil {
		return Invited{}, err
	}
	if !containsFold(known, address) {
		if ok, _ := a.invites.Allow(fmt.Sprintf("invite-%d", who.UserID)); !ok {
			return Invited{}, ErrInviteLimit
		}
	}
	u, err := a.o.Store.UserByEmail(ctx, address)
	if errors.Is(err, store.ErrNotFound) {
		if u, err = a.passwordlessUser(address); err == nil {
			err = a.o.Store.CreateUser(ctx, &u)
		}
		// Created meanwhile by someone else: use theirs.
		if errors.Is(err, store.ErrDuplicate) {
			u, err = a.o.Store.UserByEmail(ctx, address)
		}
	}
	if err != nil {
		return Invited{}, fmt.Errorf("find or create the invited user: %w", err)
	}
	if err := a.o.Store.AddMember(ctx, p.ID, u.ID, role, a.o.Clock()); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Invited{}, fmt.Errorf("%s %w", address, ErrAlreadyMember)
		}
		return Invited{}, err
	}
	out := Invited{Email: u.Email}
	out.Sent, out.Err = a.sendTeamEmail(ctx, u, "/projects/"+p.Code+"/checks/", inviteSubject(p, a.o.SiteName), teamMail{
		Project: projectLabel(p), Owner: owner.Email, ReadOnly: role == model.RoleReadOnly, Invite: true})
	return out, nil
}

// SetRole changes a member's role (managers and the owner; not their own).
func (a *Accounts) SetRole(ctx context.Context, who Actor, address string, role model.Role) error {
	if err := who.require(model.Role.CanManage); err != nil {
		return err
	}
	if _, ok := model.ParseRole(string(role)); !ok {
		return ErrInvalidRole
	}
	m, err := a.member(ctx, who.Project, address)
	if err != nil {
		return err
	}
	if m.UserID == who.UserID {
		return fmt.Errorf("you cannot change your own role: %w", ErrForbidden)
	}
	return a.o.Store.SetMemberRole(ctx, who.Project.ID, m.UserID, role)
}

// RemoveMember takes someone out of the team (managers and the owner; a
// manager cannot remove themselves, as upstream).
func (a *Accounts) RemoveMember(ctx context.Context, who Actor, address string) error {
	if err := who.require(model.Role.CanManage); err != nil {
		return err
	}
	m, err := a.member(ctx, who.Project, address)
	if err != nil {
		return err
	}
	if m.UserID == who.UserID {
		return ErrRemoveSelf
	}
	return a.o.Store.RemoveMember(ctx, who.Project.ID, m.UserID)
}

// Leave takes the actor out of the project's team; the owner cannot leave.
func (a *Accounts) Leave(ctx context.Context, who Actor) error {
	if who.Role == model.RoleOwner {
		return ErrOwnerCannotLeave
	}
	err := a.o.Store.RemoveMember(ctx, who.Project.ID, who.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("you %w", ErrNotMember)
	}
	return err
}

// member finds a team member by email; the owner and strangers are
// ErrNotMember.
func (a *Accounts) member(ctx context.Context, p model.Project, address string) (model.Member, error) {
	address = strings.TrimSpace(address)
	if err := CheckEmail(address); err != nil {
		return model.Member{}, err
	}
	members, err := a.o.Store.ListMembers(ctx, p.ID)
	if err != nil {
		return model.Member{}, err
	}
	for _, m := range members {
		if strings.EqualFold(m.Email, address) {
			return m, nil
		}
	}
	return model.Member{}, fmt.Errorf("%s %w", address, ErrNotMember)
}

// TransferRequest is the member the project is offered to, if any.
func (a *Accounts) TransferRequest(ctx context.Context, p model.Project) (model.Member, bool, error) {
	members, err := a.o.Store.ListMembers(ctx, p.ID)
	if err != nil {
		return model.Member{}, false, err
	}
	for _, m := range members {
		if m.TransferRequest != nil {
			return m, true, nil
		}
	}
	return model.Member{}, false, nil
}

// CanAccept reports whether the user's check limit leaves room for the
// project's checks (upstream's Profile.can_accept).
func (a *Accounts) CanAccept(ctx context.Context, p model.Project, userID int64) (bool, error) {
	u, err := a.o.Store.UserByID(ctx, userID)
	if err != nil {
		return false, err
	}
	used, err := a.o.Store.CountChecksOwnedBy(ctx, userID)
	if err != nil {
		return false, err
	}
	n, err := a.o.Store.CountProjectChecks(ctx, p.ID)
	if err != nil {
		return false, err
	}
	return n <= u.CheckLimit-used, nil
}

// RequestTransfer offers the project to a member (owner only) and emails
// them a login link to the settings page, where they accept or reject.
func (a *Accounts) RequestTransfer(ctx context.Context, who Actor, address string) (Mailed, error) {
	if err := who.require(isOwner); err != nil {
		return Mailed{}, err
	}
	m, err := a.member(ctx, who.Project, address)
	if err != nil {
		return Mailed{}, err
	}
	if err := a.o.Store.RequestTransfer(ctx, who.Project.ID, m.UserID, a.o.Clock()); err != nil {
		return Mailed{}, err
	}
	owner, err := a.o.Store.UserByID(ctx, who.Project.OwnerID)
	if err != nil {
		return Mailed{}, err
	}
	var out Mailed
	out.Sent, out.Err = a.sendTeamEmail(ctx, model.User{ID: m.UserID, Email: m.Email}, "/projects/"+who.Project.Code+"/settings/",
		"Ownership Transfer Request", teamMail{Project: projectLabel(who.Project), Owner: owner.Email})
	return out, nil
}

// CancelTransfer withdraws the owner's offer.
func (a *Accounts) CancelTransfer(ctx context.Context, who Actor) error {
	if err := who.require(isOwner); err != nil {
		return err
	}
	return a.o.Store.CancelTransfer(ctx, who.Project.ID)
}

// AcceptTransfer makes the actor, who holds the offer, the owner; the old
// owner stays as a member with the regular role. Someone without the offer
// is ErrNoTransfer, a check limit too small ErrCheckLimit.
func (a *Accounts) AcceptTransfer(ctx context.Context, who Actor) error {
	tr, ok, err := a.TransferRequest(ctx, who.Project)
	if err != nil {
		return err
	}
	if !ok || tr.UserID != who.UserID {
		return ErrNoTransfer
	}
	can, err := a.CanAccept(ctx, who.Project, who.UserID)
	if err != nil {
		return err
	}
	if !can {
		return ErrCheckLimit
	}
	err = a.o.Store.AcceptTransfer(ctx, who.Project.ID, who.Project.OwnerID, who.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoTransfer // cancelled or accepted meanwhile
	}
	return err
}

// RejectTransfer turns the offer down.
func (a *Accounts) RejectTransfer(ctx context.Context, who Actor) error {
	err := a.o.Store.RejectTransfer(ctx, who.Project.ID, who.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoTransfer
	}
	return err
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func projectLabel(p model.Project) string {
	if p.Name == "" {
		return "Unnamed project"
	}
	return p.Name
}

func inviteSubject(p model.Project, siteName string) string {
	return "You have been invited to join " + projectLabel(p) + " on " + siteName
}

// teamMail is what the invitation and transfer emails say.
type teamMail struct {
	SiteName, Project, Owner, Link string
	ReadOnly, Invite               bool
}

var teamText = template.Must(template.New("team").Parse(`Hello,
{{if .Invite}}
{{.Owner}} has added you to the team of the project "{{.Project}}" on {{.SiteName}}.
{{if .ReadOnly}}Your role is read-only: you will see its checks and integrations, but not change them.
{{else}}You will be able to see and change its checks and integrations, and add new ones.
{{end}}{{else}}
{{.Owner}} would like to make you the owner of the project "{{.Project}}" on {{.SiteName}}.
Open its settings page to accept or decline.
{{end}}
This link logs you in; it works once, within an hour:

{{.Link}}

-- 
{{.SiteName}}
`))

var teamHTML = htmltemplate.Must(htmltemplate.New("team").Parse(`<p>Hello,</p>
{{if .Invite}}<p>{{.Owner}} has added you to the team of the project <strong>{{.Project}}</strong> on {{.SiteName}}.</p>
<p>{{if .ReadOnly}}Your role is read-only: you will see its checks and integrations, but not change them.{{else}}You will be able to see and change its checks and integrations, and add new ones.{{end}}</p>
{{else}}<p>{{.Owner}} would like to make you the owner of the project <strong>{{.Project}}</strong> on {{.SiteName}}. Open its settings page to accept or decline.</p>
{{end}}<p><a href="{{.Link}}">{{if .Invite}}Log in{{else}}Project settings{{end}}</a> (the link works once, within an hour)</p>
<p>{{.SiteName}}</p>
`))

// sendTeamEmail emails u a login link that lands on next. Without a
// mailer, or one without EMAIL_HOST, nothing is sent and that is no
// error, as upstream skips these emails without MAILERS.
func (a *Accounts) sendTeamEmail(ctx context.Context, u model.User, next, subject string, d teamMail) (bool, error) {
	if a.o.Mailer == nil {
		return false, nil
	}
	link, err := a.LoginLink(ctx, u.ID, next)
	if err != nil {
		return false, err
	}
	d.SiteName, d.Link = a.o.SiteName, link
	var tb, hb bytes.Buffer
	if err := teamText.Execute(&tb, d); err != nil {
		return false, err
	}
	if err := teamHTML.Execute(&hb, d); err != nil {
		return false, err
	}
	err = a.o.Mailer.Send(ctx, &mailer.Message{To: []string{u.Email}, Subject: subject, Text: tb.String(), HTML: hb.String()})
	if errors.Is(err, mailer.ErrNotConfigured) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("send the email to %s: %w", u.Email, err)
	}
	return true, nil
}
