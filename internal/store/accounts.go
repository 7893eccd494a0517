package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

const userCols = "id, email, password, is_superuser, created, ping_log_limit, check_limit, nag_period_us, next_nag_date, reports, next_report_date, tz, theme"

func userDest(u *model.User) []any {
	return []any{&u.ID, &u.Email, &u.Password, &u.IsSuperuser, timeScan{&u.Created}, &u.PingLogLimit, &u.CheckLimit,
		durScan{&u.NagPeriod}, nullTimeScan{&u.NextNagDate}, &u.Reports, nullTimeScan{&u.NextReportDate}, &u.TZ, &u.Theme}
}

func scanUser(sc interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	err := sc.Scan(userDest(&u)...)
	return u, err
}

// prefixCols qualifies each column of a column list ("id, name") with a
// table alias ("u.id, u.name"), for joins.
func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = alias + parts[i]
	}
	return strings.Join(parts, ", ")
}

// CreateUser inserts u and sets its ID (and Created, when zero). Emails are
// unique case-insensitively: a taken one gives ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, u *model.User) error {
	return s.createUser(ctx, s.w, u)
}

func (s *Store) createUser(ctx context.Context, q queryer, u *model.User) error {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	u.Created = u.Created.UTC().Truncate(time.Microsecond)
	reportDefaults(u)
	u.Theme = themeOrDefault(u.Theme)
	id, err := s.insert(ctx, q, "INSERT INTO users (email, email_key, password, is_superuser, created, ping_log_limit, check_limit, nag_period_us, next_nag_date, reports, next_report_date, tz, theme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.Email, emailKey(u.Email), u.Password, u.IsSuperuser, s.ts(u.Created), u.PingLogLimit, u.CheckLimit, us(u.NagPeriod), s.tsPtr(u.NextNagDate),
		u.Reports, s.tsPtr(u.NextReportDate), u.TZ, u.Theme)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("create user %q: %w", u.Email, ErrDuplicate)
		}
		return fmt.Errorf("create user %q: %w", u.Email, err)
	}
	u.ID = id
	return nil
}

// UpdateUser writes every field of u except ID and Created.
func (s *Store) UpdateUser(ctx context.Context, u *model.User) error {
	reportDefaults(u)
	u.Theme = themeOrDefault(u.Theme)
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET email = ?, email_key = ?, password = ?, is_superuser = ?, ping_log_limit = ?, check_limit = ?, nag_period_us = ?, next_nag_date = ?, reports = ?, next_report_date = ?, tz = ?, theme = ? WHERE id = ?"),
		u.Email, emailKey(u.Email), u.Password, u.IsSuperuser, u.PingLogLimit, u.CheckLimit, us(u.NagPeriod), s.tsPtr(u.NextNagDate),
		u.Reports, s.tsPtr(u.NextReportDate), u.TZ, u.Theme, u.ID)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("update user %d: email %q: %w", u.ID, u.Email, ErrDuplicate)
		}
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("update user %d", u.ID))
}

// UserByEmail finds a user by email, ignoring case.
func (s *Store) UserByEmail(ctx context.Context, email string) (model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+userCols+" FROM users WHERE email_key = ?"), emailKey(email)))
	if err != nil {
		return u, notFound(err, fmt.Sprintf("user %q", email))
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+userCols+" FROM users WHERE id = ?"), id))
	if err != nil {
		return u, notFound(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// emailKey is the form emails are compared in. strings.ToLower (full Unicode)
// rather than SQL lower(), whose behaviour differs between engines.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

const projectCols = "id, code, name, owner_id, api_key, api_key_readonly, ping_key, show_slugs, badge_key, created"

func projectDest(p *model.Project) []any {
	return []any{&p.ID, &p.Code, &p.Name, &p.OwnerID, &p.APIKey, &p.APIKeyReadonly,
		nullStrScan{&p.PingKey}, &p.ShowSlugs, nullStrScan{&p.BadgeKey}, timeScan{&p.Created}}
}

func scanProject(sc interface{ Scan(...any) error }) (model.Project, error) {
	var p model.Project
	err := sc.Scan(projectDest(&p)...)
	return p, err
}

// CreateProject inserts p and sets its ID (and Created, when zero). A taken
// code, ping key or badge key gives ErrDuplicate.
func (s *Store) CreateProject(ctx context.Context, p *model.Project) error {
	return s.createProject(ctx, s.w, p)
}

// CreateAccount inserts u, unless it has an ID already (an existing user),
// and then p owned by u, in one transaction: a new user never stays behind
// without the project it was created for. Errors are CreateUser's and
// CreateProject's.
func (s *Store) CreateAccount(ctx context.Context, u *model.User, p *model.Project) error {
	newUser := u.ID == 0
	err := s.WithTx(ctx, func(tx *Tx) error {
		if newUser {
			if err := s.createUser(ctx, tx.tx, u); err != nil {
				return err
			}
		}
		p.OwnerID = u.ID
		return s.createProject(ctx, tx.tx, p)
	})
	if err != nil && newUser {
		u.ID = 0 // rolled back
	}
	if err != nil {
		p.ID = 0
	}
	return err
}

func (s *Store) createProject(ctx context.Context, q queryer, p *model.Project) error {
	if p.Created.IsZero() {
		p.Created = time.Now()
	}
	p.Created = p.Created.UTC().Truncate(time.Microsecond)
	p.Code = strings.ToLower(p.Code)
	id, err := s.insert(ctx, q, "INSERT INTO projects (code, name, owner_id, api_key, api_key_readonly, ping_key, show_slugs, badge_key, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.Code, p.Name, p.OwnerID, p.APIKey, p.APIKeyReadonly, nullIfEmpty(p.PingKey), p.ShowSlugs, nullIfEmpty(p.BadgeKey), s.ts(p.Created))
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("create project %q: %w", p.Name, ErrDuplicate)
		}
		return fmt.Errorf("create project %q: %w", p.Name, err)
	}
	p.ID = id
	return nil
}

// UpdateProject writes every field of p except ID, Code, OwnerID and Created.
func (s *Store) UpdateProject(ctx context.Context, p *model.Project) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE projects SET name = ?, api_key = ?, api_key_readonly = ?, ping_key = ?, show_slugs = ?, badge_key = ? WHERE id = ?"),
		p.Name, p.APIKey, p.APIKeyReadonly, nullIfEmpty(p.PingKey), p.ShowSlugs, nullIfEmpty(p.BadgeKey), p.ID)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("update project %d: %w", p.ID, ErrDuplicate)
		}
		return fmt.Errorf("update project %d: %w", p.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("update project %d", p.ID))
}

func (s *Store) projectWhere(ctx context.Context, what, cond string, arg any) (model.Project, error) {
	p, err := scanProject(s.r.QueryRowContext(ctx, s.d.rebind("SELECT "+projectCols+" FROM projects WHERE "+cond), arg))
	if err != nil {
		return p, notFound(err, what)
	}
	return p, nil
}

// ProjectByID finds a project by id.
func (s *Store) ProjectByID(ctx context.Context, id int64) (model.Project, error) {
	return s.projectWhere(ctx, fmt.Sprintf("project %d", id), "id = ?", id)
}

// ProjectByCode finds a project by its UUID.
func (s *Store) ProjectByCode(ctx context.Context, code string) (model.Project, error) {
	return s.projectWhere(ctx, fmt.Sprintf("project %q", code), "code = ?", strings.ToLower(code))
}

// ProjectByPingKey finds the project whose slug URLs use key.
func (s *Store) ProjectByPingKey(ctx context.Context, key string) (model.Project, error) {
	if key == "" {
		return model.Project{}, fmt.Errorf("project with an empty ping key: %w", ErrNotFound)
	}
	return s.projectWhere(ctx, "project by ping key", "ping_key = ?", key)
}

// ProjectByAPIKey finds the project holding the API key with this hash, and
// whether it is the read-only key.
func (s *Store) ProjectByAPIKey(ctx context.Context, keyHash string) (model.Project, bool, error) {
	if keyHash == "" {
		// Projects without a key store "": never let an empty key match them.
		return model.Project{}, false, fmt.Errorf("project with an empty API key: %w", ErrNotFound)
	}
	p, err := s.projectWhere(ctx, "project by API key", "api_key = ?", keyHash)
	if err == nil {
		return p, false, nil
	}
	p, err2 := s.projectWhere(ctx, "project by API key", "api_key_readonly = ?", keyHash)
	if err2 == nil {
		return p, true, nil
	}
	return model.Project{}, false, err2
}

// ListProjectsOwnedBy returns the projects a user owns, oldest first.
func (s *Store) ListProjectsOwnedBy(ctx context.Context, userID int64) ([]model.Project, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT "+projectCols+" FROM projects WHERE owner_id = ? ORDER BY id"), userID)
	if err != nil {
		return nil, fmt.Errorf("list projects of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []model.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("list projects of user %d: %w", userID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list projects of user %d: %w", userID, err)
	}
	return out, nil
}

// mustAffect turns "no row matched" into ErrNotFound. (MySQL connections use
// CLIENT_FOUND_ROWS, so an update that changes nothing still counts.)
func mustAffect(res interface{ RowsAffected() (int64, error) }, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// ReplacePasswordHash sets a user's password hash to newHash if it is still
// oldHash, and reports whether it did: log-in rehashes an imported hash
// without overwriting a password changed meanwhile, and without rewriting
// the user's other fields.
func (s *Store) ReplacePasswordHash(ctx context.Context, userID int64, oldHash, newHash string) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE users SET password = ? WHERE id = ? AND password = ?"), newHash, userID, oldHash)
	if err != nil {
		return false, fmt.Errorf("replace password hash of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("replace password hash of user %d: %w", userID, err)
	}
	return n == 1, nil
}
