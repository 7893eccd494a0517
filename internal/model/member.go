package model

import "time"

// Role is what a user may do in a project. The stored letters are
// upstream's Member.role values, so that imported teams keep their roles;
// RoleOwner is never stored: the owner is the project's OwnerID.
type Role string

const (
	RoleOwner    Role = "owner"
	RoleManager  Role = "m" // manages the team and the API keys
	RoleMember   Role = "w" // reads and writes checks and integrations
	RoleReadOnly Role = "r" // reads everything, changes nothing
)

// ParseRole accepts the three roles a member can be given.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleManager, RoleMember, RoleReadOnly:
		return r, true
	}
	return "", false
}

// CanWrite reports whether the role may change checks and integrations.
func (r Role) CanWrite() bool { return r == RoleOwner || r == RoleManager || r == RoleMember }

// CanManage reports whether the role may change the team, the project's
// name and its API keys.
func (r Role) CanManage() bool { return r == RoleOwner || r == RoleManager }

// Label is the role's name as the team page shows it.
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Owner"
	case RoleManager:
		return "Manager"
	case RoleMember:
		return "Member"
	case RoleReadOnly:
		return "Read-only"
	}
	return string(r)
}

// Member is a user's access to a project they do not own.
type Member struct {
	ProjectID int64
	UserID    int64
	Email     string // the user's, for listing the team
	Role      Role
	Created   time.Time
	// TransferRequest is when the owner offered this member the project;
	// nil when no transfer is pending.
	TransferRequest *time.Time
}
