package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// ErrConflict is returned by an import step when the row it would write
// belongs to something else in Overdue (an account that was not imported, a
// check of another project).
var ErrConflict = errors.New("conflict")

// ImportAction says what an import step did with one row.
type ImportAction string

// The three outcomes of an import step.
const (
	ImportCreated ImportAction = "created"
	ImportUpdated ImportAction = "updated"
	ImportSkipped ImportAction = "skipped" // already there and equal
)

// ImportTx is the one write transaction of an import (`overdue import`).
// Every Put is an upsert by the row's natural key (a user's email, a
// project's, check's or channel's UUID), so a second run updates or skips
// instead of duplicating.
type ImportTx struct {
	s   *Store
	tx  *sql.Tx
	now time.Time
}

// Import runs fn in one write transaction: committed when fn returns nil,
// rolled back when it fails, so an import is never half-written. With dryRun
// the transaction is rolled back even when fn succeeds: the steps report
// exactly what they would do, and nothing is written.
func (s *Store) Import(ctx context.Context, now time.Time, dryRun bool, fn func(it *ImportTx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin import on %s: %w", s.where, err)
	}
	if err := fn(&ImportTx{s: s, tx: tx, now: now.UTC().Truncate(time.Microsecond)}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if dryRun {
		if err := tx.Rollback(); err != nil {
			return fmt.Errorf("roll back dry run on %s: %w", s.where, err)
		}
		return nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit import on %s: %w", s.where, err)
	}
	return nil
}

func (it *ImportTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return it.tx.ExecContext(ctx, it.s.d.rebind(q), args...)
}

func (it *ImportTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return it.tx.QueryRowContext(ctx, it.s.d.rebind(q), args...)
}

// same compares two rows by the values they are stored as, so that times
// and durations compare at the database's precision.
func same(a, b []any) bool { return reflect.DeepEqual(a, b) }

// PutUser creates the user u, or updates the imported user with the same
// email (case-insensitively), and sets u.ID. A user with that email who
// was not created by an import is an ErrConflict: the import never takes
// over an account someone made in Overdue.
func (it *ImportTx) PutUser(ctx context.Context, u *model.User) (ImportAction, error) {
	old, err := scanUser(it.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE email_key = ?", emailKey(u.Email)))
	if errors.Is(err, sql.ErrNoRows) {
		if err := it.s.createUser(ctx, it.tx, u); err != nil {
			return "", err
		}
		if _, err := it.exec(ctx, "INSERT INTO imported_users (user_id, imported) VALUES (?, ?)", u.ID, it.s.ts(it.now)); err != nil {
			return "", fmt.Errorf("mark user %q imported: %w", u.Email, err)
		}
		return ImportCreated, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up user %q: %w", u.Email, err)
	}
	var n int
	if err := it.queryRow(ctx, "SELECT COUNT(*) FROM imported_users WHERE user_id = ?", old.ID).Scan(&n); err != nil {
		return "", fmt.Errorf("look up user %q: %w", u.Email, err)
	}
	if n == 0 {
		return "", fmt.Errorf("an Overdue account with the email %q already exists and was not created by an import: %w", u.Email, ErrConflict)
	}
	u.ID, u.Created = old.ID, old.Created
	args := func(u *model.User) []any {
		reportDefaults(u)
		return []any{u.Email, emailKey(u.Email), u.Password, u.IsSuperuser, u.PingLogLimit, u.CheckLimit, us(u.NagPeriod), it.s.tsPtr(u.NextNagDate),
			u.Reports, it.s.tsPtr(u.NextReportDate), u.TZ}
	}
	if same(args(&old), args(u)) {
		return ImportSkipped, nil
	}
	_, err = it.exec(ctx, "UPDATE users SET email = ?, email_key = ?, password = ?, is_superuser = ?, ping_log_limit = ?, check_limit = ?, nag_period_us = ?, next_nag_date = ?, reports = ?, next_report_date = ?, tz = ? WHERE id = ?",
		append(args(u), u.ID)...)
	if err != nil {
		return "", fmt.Errorf("update user %q: %w", u.Email, err)
	}
	return ImportUpdated, nil
}

// duplicateConflict turns a unique-key violation into an ErrConflict that
// names what was being written.
func duplicateConflict(err error, what string) error {
	if isDuplicate(err) || errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("%s: another row in Overdue already holds one of its unique keys: %w", what, ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// PutProject creates p, or updates the project with its code, and sets
// p.ID. A project with that code but another owner, or a ping key or badge
// key held by another project, is an ErrConflict.
func (it *ImportTx) PutProject(ctx context.Context, p *model.Project) (ImportAction, error) {
	p.Code = strings.ToLower(p.Code)
	old, err := scanProject(it.queryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE code = ?", p.Code))
	if errors.Is(err, sql.ErrNoRows) {
		if err := it.s.createProject(ctx, it.tx, p); err != nil {
			return "", duplicateConflict(err, fmt.Sprintf("create project %s", p.Code))
		}
		return ImportCreated, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up project %s: %w", p.Code, err)
	}
	if old.OwnerID != p.OwnerID {
		return "", fmt.Errorf("project %s already exists in Overdue with another owner: %w", p.Code, ErrConflict)
	}
	p.ID, p.Created = old.ID, old.Created
	args := func(p *model.Project) []any {
		return []any{p.Name, p.APIKey, p.APIKeyReadonly, nullIfEmpty(p.PingKey), p.ShowSlugs, nullIfEmpty(p.BadgeKey)}
	}
	if same(args(&old), args(p)) {
		return ImportSkipped, nil
	}
	if _, err := it.exec(ctx, "UPDATE projects SET name = ?, api_key = ?, api_key_readonly = ?, ping_key = ?, show_slugs = ?, badge_key = ? WHERE id = ?",
		append(args(p), p.ID)...); err != nil {
		return "", duplicateConflict(err, fmt.Sprintf("update project %s", p.Code))
	}
	return ImportUpdated, nil
}

// PutMember gives the user the role in the project, or changes the role of
// an existing member. The owner is never a member: that is skipped.
func (it *ImportTx) PutMember(ctx context.Context, projectID, userID int64, role model.Role) (ImportAction, error) {
	if _, ok := model.ParseRole(string(role)); !ok {
		return "", fmt.Errorf("member %d of project %d: invalid role %q", userID, projectID, role)
	}
	var owner int64
	if err := it.queryRow(ctx, "SELECT owner_id FROM projects WHERE id = ?", projectID).Scan(&owner); err != nil {
		return "", notFound(err, fmt.Sprintf("project %d of member %d", projectID, userID))
	}
	if owner == userID {
		return ImportSkipped, nil
	}
	var old string
	err := it.queryRow(ctx, "SELECT role FROM members WHERE project_id = ? AND user_id = ?", projectID, userID).Scan(&old)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := it.exec(ctx, "INSERT INTO members (project_id, user_id, role, created) VALUES (?, ?, ?, ?)",
			projectID, userID, string(role), it.s.ts(it.now)); err != nil {
			return "", fmt.Errorf("add member %d to project %d: %w", userID, projectID, err)
		}
		return ImportCreated, nil
	case err != nil:
		return "", fmt.Errorf("look up member %d of project %d: %w", userID, projectID, err)
	case old == string(role):
		return ImportSkipped, nil
	}
	if _, err := it.exec(ctx, "UPDATE members SET role = ? WHERE project_id = ? AND user_id = ?", string(role), projectID, userID); err != nil {
		return "", fmt.Errorf("set role of member %d of project %d: %w", userID, projectID, err)
	}
	return ImportUpdated, nil
}

// PutCheck creates c, or updates the check with its code (configuration
// and state), and sets c.ID. A check with that code in another project is
// an ErrConflict.
func (it *ImportTx) PutCheck(ctx context.Context, c *model.Check) (ImportAction, error) {
	c.Code = strings.ToLower(c.Code)
	c.Created = c.Created.UTC().Truncate(time.Microsecond)
	old, err := scanCheck(it.queryRow(ctx, "SELECT "+checkCols+" FROM checks WHERE code = ?", c.Code))
	if errors.Is(err, sql.ErrNoRows) {
		id, err := it.s.insert(ctx, it.tx, "INSERT INTO checks ("+checkCols[len("id, "):]+") VALUES (?"+strings.Repeat(", ?", 29)+")",
			it.s.checkArgs(c)...)
		if err != nil {
			return "", duplicateConflict(err, fmt.Sprintf("create check %s", c.Code))
		}
		c.ID = id
		return ImportCreated, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up check %s: %w", c.Code, err)
	}
	if old.ProjectID != c.ProjectID {
		return "", fmt.Errorf("check %s already exists in Overdue in another project: %w", c.Code, ErrConflict)
	}
	c.ID, c.Created = old.ID, old.Created
	if same(it.s.checkArgs(&old), it.s.checkArgs(c)) {
		return ImportSkipped, nil
	}
	args := it.s.checkArgs(c)[2:] // from name on, as UpdateCheck
	args = append(args[:4], args[5:]...)
	if _, err := it.exec(ctx, updateCheckSQL, append(args, c.ID)...); err != nil {
		return "", duplicateConflict(err, fmt.Sprintf("update check %s", c.Code))
	}
	return ImportUpdated, nil
}

// PutChannel creates ch, or updates the channel with its code, and sets
// ch.ID. A channel with that code in another project is an ErrConflict.
func (it *ImportTx) PutChannel(ctx context.Context, ch *model.Channel) (ImportAction, error) {
	ch.Code = strings.ToLower(ch.Code)
	var old model.Channel
	err := it.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE code = ?", ch.Code).Scan(&old.ID, &old.Code, &old.ProjectID,
		&old.Name, &old.Kind, &old.Value, timeScan{&old.Created}, &old.EmailVerified, &old.Disabled, &old.LastError,
		nullTimeScan{&old.LastNotify}, nullDurScan{&old.LastNotifyDuration})
	if errors.Is(err, sql.ErrNoRows) {
		if err := it.s.createChannel(ctx, it.tx, ch); err != nil {
			return "", duplicateConflict(err, fmt.Sprintf("create channel %s", ch.Code))
		}
		return ImportCreated, nil
	}
	if err != nil {
		return "", fmt.Errorf("look up channel %s: %w", ch.Code, err)
	}
	if old.ProjectID != ch.ProjectID {
		return "", fmt.Errorf("channel %s already exists in Overdue in another project: %w", ch.Code, ErrConflict)
	}
	ch.ID, ch.Created = old.ID, old.Created
	args := func(ch *model.Channel) []any {
		return []any{ch.Name, ch.Kind, ch.Value, ch.EmailVerified, ch.Disabled, ch.LastError, it.s.tsPtr(ch.LastNotify), usPtr(ch.LastNotifyDuration)}
	}
	if same(args(&old), args(ch)) {
		return ImportSkipped, nil
	}
	if _, err := it.exec(ctx, "UPDATE channels SET name = ?, kind = ?, value = ?, email_verified = ?, disabled = ?, last_error = ?, last_notify = ?, last_notify_duration_us = ? WHERE id = ?",
		append(args(ch), ch.ID)...); err != nil {
		return "", fmt.Errorf("update channel %s: %w", ch.Code, err)
	}
	return ImportUpdated, nil
}

// LinkChannel assigns the channel to the check (both of one project);
// an existing link is skipped.
func (it *ImportTx) LinkChannel(ctx context.Context, channelID, checkID int64) (ImportAction, error) {
	var n int
	if err := it.queryRow(ctx, "SELECT COUNT(*) FROM channel_checks WHERE channel_id = ? AND check_id = ?", channelID, checkID).Scan(&n); err != nil {
		return "", fmt.Errorf("look up link of channel %d and check %d: %w", channelID, checkID, err)
	}
	if n > 0 {
		return ImportSkipped, nil
	}
	res, err := it.exec(ctx, "INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ? AND c.id = ?",
		channelID, checkID)
	if err != nil {
		return "", fmt.Errorf("link channel %d to check %d: %w", channelID, checkID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", fmt.Errorf("link channel %d to check %d: not of one project: %w", channelID, checkID, ErrConflict)
	}
	return ImportCreated, nil
}

// AddPings inserts the check's pings that it does not hold yet (by ping
// number n) and returns how many were created and skipped.
func (it *ImportTx) AddPings(ctx context.Context, checkID int64, pings []model.Ping) (created, skipped int, err error) {
	have, err := it.existing(ctx, "SELECT n FROM pings WHERE check_id = ?", checkID, func(rows *sql.Rows) (string, error) {
		var n int64
		err := rows.Scan(&n)
		return fmt.Sprint(n), err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("pings of check %d: %w", checkID, err)
	}
	var add []model.Ping
	for _, p := range pings {
		if have[fmt.Sprint(p.N)] {
			skipped++
			continue
		}
		have[fmt.Sprint(p.N)] = true
		p.CheckID = checkID
		add = append(add, p)
	}
	if err := it.s.insertPings(ctx, it.tx, nil, add); err != nil {
		return 0, 0, fmt.Errorf("pings of check %d: %w", checkID, err)
	}
	return len(add), skipped, nil
}

// AddFlips inserts the check's flips that it does not hold yet (the same
// instant and the same change) and returns how many were created and skipped.
func (it *ImportTx) AddFlips(ctx context.Context, checkID int64, flips []model.Flip) (created, skipped int, err error) {
	key := func(t time.Time, old, new string) string {
		return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano) + " " + old + " " + new
	}
	have, err := it.existing(ctx, "SELECT created, old_status, new_status FROM flips WHERE check_id = ?", checkID, func(rows *sql.Rows) (string, error) {
		var (
			t        time.Time
			old, new string
		)
		err := rows.Scan(timeScan{&t}, &old, &new)
		return key(t, old, new), err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("flips of check %d: %w", checkID, err)
	}
	var add []model.Flip
	for _, f := range flips {
		k := key(f.Created, f.OldStatus, f.NewStatus)
		if have[k] {
			skipped++
			continue
		}
		have[k] = true
		f.CheckID = checkID
		add = append(add, f)
	}
	if err := it.s.insertFlips(ctx, it.tx, add); err != nil {
		return 0, 0, fmt.Errorf("flips of check %d: %w", checkID, err)
	}
	return len(add), skipped, nil
}

// existing collects the keys of the rows a query returns.
func (it *ImportTx) existing(ctx context.Context, q string, arg any, key func(*sql.Rows) (string, error)) (map[string]bool, error) {
	rows, err := it.tx.QueryContext(ctx, it.s.d.rebind(q), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		k, err := key(rows)
		if err != nil {
			return nil, err
		}
		have[k] = true
	}
	return have, rows.Err()
}
