package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// CreateSession stores a web session under the hash of its cookie token.
// A session starts at a log-in, so its user authenticated at created
// (last_auth, for sudo mode).
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, created, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO sessions (token_hash, user_id, created, expires, last_auth) VALUES (?, ?, ?, ?, ?)"),
		tokenHash, userID, s.ts(created.UTC().Truncate(time.Microsecond)), s.ts(expires.UTC().Truncate(time.Microsecond)), s.ts(created))
	if err != nil {
		return fmt.Errorf("create session for user %d: %w", userID, err)
	}
	return nil
}

// SessionUser returns the user of the session with this token hash, if the
// session has not expired at now, and when it expires.
func (s *Store) SessionUser(ctx context.Context, tokenHash string, now time.Time) (model.User, time.Time, error) {
	var expires time.Time
	var u model.User
	row := s.r.QueryRowContext(ctx, s.d.rebind("SELECT s.expires, "+prefixCols("u.", userCols)+
		" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires > ?"),
		tokenHash, s.ts(now.UTC()))
	if err := row.Scan(append([]any{timeScan{&expires}}, userDest(&u)...)...); err != nil {
		return model.User{}, time.Time{}, notFound(err, "session")
	}
	return u, expires, nil
}

// ExtendSession moves a session's expiry (sliding sessions).
func (s *Store) ExtendSession(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE sessions SET expires = ? WHERE token_hash = ?"),
		s.ts(expires.UTC().Truncate(time.Microsecond)), tokenHash)
	if err != nil {
		return fmt.Errorf("extend session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (log out). Ending a session that does not
// exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM sessions WHERE token_hash = ?"), tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user but the one with
// keepHash (after a password change, the other devices are logged out).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keepHash string) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?"), userID, keepHash); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// PruneSessions deletes the sessions that expired before now.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM sessions WHERE expires <= ?"), s.ts(now.UTC()))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ProjectAccess returns the project with this code and the user's role in
// it: RoleOwner for its owner, the member's role for a member. A project the
// user cannot see is ErrNotFound, exactly as a project that does not exist,
// so that the UI never tells one from the other. A superuser who is neither
// gets every project with RoleManager, as upstream's _get_project_for_user
// gives them read-write and manager rights (but not the owner's: no
// transfer, no removal).
func (s *Store) ProjectAccess(ctx context.Context, code string, userID int64) (model.Project, model.Role, error) {
	p, err := s.ProjectByCode(ctx, code)
	if err != nil {
		return model.Project{}, "", err
	}
	if p.OwnerID == userID {
		return p, model.RoleOwner, nil
	}
	role, err := s.memberRole(ctx, p.ID, userID)
	if errors.Is(err, ErrNotFound) {
		var super bool
		qerr := s.r.QueryRowContext(ctx, s.d.rebind("SELECT is_superuser FROM users WHERE id = ?"), userID).Scan(&super)
		if qerr != nil && !errors.Is(qerr, sql.ErrNoRows) {
			return model.Project{}, "", fmt.Errorf("project %d for user %d: %w", p.ID, userID, qerr)
		}
		if super {
			return p, model.RoleManager, nil
		}
	}
	if err != nil {
		return model.Project{}, "", err
	}
	return p, role, nil
}

func (s *Store) memberRole(ctx context.Context, projectID, userID int64) (model.Role, error) {
	var role string
	err := s.r.QueryRowContext(ctx, s.d.rebind("SELECT role FROM members WHERE project_id = ? AND user_id = ?"), projectID, userID).Scan(&role)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("project %d for user %d", projectID, userID))
	}
	return model.Role(role), nil
}

// ProjectRole is a project as one user sees it.
type ProjectRole struct {
	Project model.Project
	Role    model.Role
}

// ProjectsForUser lists the projects a user owns or is a member of, owned
// ones first, each group oldest first.
func (s *Store) ProjectsForUser(ctx context.Context, userID int64) ([]ProjectRole, error) {
	owned, err := s.ListProjectsOwnedBy(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectRole, 0, len(owned))
	for _, p := range owned {
		out = append(out, ProjectRole{p, model.RoleOwner})
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT m.role, "+prefixCols("p.", projectCols)+
		" FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = ? ORDER BY p.id"), userID)
	if err != nil {
		return nil, fmt.Errorf("list projects of member %d: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		var p model.Project
		if err := rows.Scan(append([]any{&role}, projectDest(&p)...)...); err != nil {
			return nil, fmt.Errorf("list projects of member %d: %w", userID, err)
		}
		out = append(out, ProjectRole{p, model.Role(role)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list projects of member %d: %w", userID, err)
	}
	return out, nil
}

// AddMember gives a user a role in a project; a user who is already a
// member (or the owner) gives ErrDuplicate.
func (s *Store) AddMember(ctx context.Context, projectID, userID int64, role model.Role, now time.Time) error {
	if _, ok := model.ParseRole(string(role)); !ok {
		return fmt.Errorf("add member: invalid role %q", role)
	}
	p, err := s.ProjectByID(ctx, projectID)
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	if p.OwnerID == userID {
		return fmt.Errorf("add member: user %d owns project %d: %w", userID, projectID, ErrDuplicate)
	}
	_, err = s.w.ExecContext(ctx, s.d.rebind("INSERT INTO members (project_id, user_id, role, created) VALUES (?, ?, ?, ?)"),
		projectID, userID, string(role), s.ts(now.UTC().Truncate(time.Microsecond)))
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("add member %d to project %d: %w", userID, projectID, ErrDuplicate)
		}
		return fmt.Errorf("add member %d to project %d: %w", userID, projectID, err)
	}
	return nil
}

// SetMemberRole changes a member's role.
func (s *Store) SetMemberRole(ctx context.Context, projectID, userID int64, role model.Role) error {
	if _, ok := model.ParseRole(string(role)); !ok {
		return fmt.Errorf("set member role: invalid role %q", role)
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE members SET role = ? WHERE project_id = ? AND user_id = ?"), string(role), projectID, userID)
	if err != nil {
		return fmt.Errorf("set role of member %d in project %d: %w", userID, projectID, err)
	}
	return mustAffect(res, fmt.Sprintf("set role of member %d in project %d", userID, projectID))
}

// RemoveMember takes a user out of a project's team.
func (s *Store) RemoveMember(ctx context.Context, projectID, userID int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM members WHERE project_id = ? AND user_id = ?"), projectID, userID)
	if err != nil {
		return fmt.Errorf("remove member %d from project %d: %w", userID, projectID, err)
	}
	return mustAffect(res, fmt.Sprintf("remove member %d from project %d", userID, projectID))
}

// ListMembers lists a project's team (not its owner), in the order they
// joined.
func (s *Store) ListMembers(ctx context.Context, projectID int64) ([]model.Member, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT m.user_id, u.email, m.role, m.created, m.transfer_request FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY m.id"), projectID)
	if err != nil {
		return nil, fmt.Errorf("list members of project %d: %w", projectID, err)
	}
	defer rows.Close()
	var out []model.Member
	for rows.Next() {
		m := model.Member{ProjectID: projectID}
		var role string
		if err := rows.Scan(&m.UserID, &m.Email, &role, timeScan{&m.Created}, nullTimeScan{&m.TransferRequest}); err != nil {
			return nil, fmt.Errorf("list members of project %d: %w", projectID, err)
		}
		m.Role = model.Role(role)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members of project %d: %w", projectID, err)
	}
	return out, nil
}

// CreateLoginToken stores a one-time login link's token hash.
func (s *Store) CreateLoginToken(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind("INSERT INTO login_tokens (token_hash, user_id, expires) VALUES (?, ?, ?)"),
		tokenHash, userID, s.ts(expires.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return fmt.Errorf("create login token for user %d: %w", userID, err)
	}
	return nil
}

// UseLoginToken consumes a login token: it returns the user id when the
// token exists and has not expired at now, and deletes it either way, so a
// link works once even when two requests race (only one delete affects a
// row).
func (s *Store) UseLoginToken(ctx context.Context, tokenHash string, now time.Time) (int64, error) {
	var userID int64
	var expires time.Time
	err := s.w.QueryRowContext(ctx, s.d.rebind("SELECT user_id, expires FROM login_tokens WHERE token_hash = ?"), tokenHash).
		Scan(&userID, timeScan{&expires})
	if err != nil {
		return 0, notFound(err, "login token")
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM login_tokens WHERE token_hash = ?"), tokenHash)
	if err != nil {
		return 0, fmt.Errorf("use login token: %w", err)
	}
	if err := mustAffect(res, "use login token"); err != nil {
		return 0, err
	}
	if !expires.After(now) {
		return 0, fmt.Errorf("login token expired: %w", ErrNotFound)
	}
	return userID, nil
}
