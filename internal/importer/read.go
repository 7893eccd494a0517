package importer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
)

// Dataset is what was read from upstream, keyed by upstream's row ids.
type Dataset struct {
	Users    []User
	Projects []Project
	Members  []Member
	Checks   []Check
	Channels []Channel
	// Links are the check-channel assignments.
	Links []Link
	// Pings and Flips are per upstream check id; pings newest first, at
	// most the owner's ping log limit of them.
	Pings map[int64][]model.Ping
	Flips map[int64][]model.Flip
	// Notes are things the operator should know (see Summary.Notes).
	Notes []string
}

// User is an upstream account with the profile fields Overdue keeps.
type User struct {
	UpstreamID int64
	User       model.User
	// SMS and Call are the profile's monthly send counters (sms_limit,
	// sms_sent, last_sms_date and the call_* trio); nil without a
	// profile row, which leaves Overdue's defaults.
	SMS, Call *model.SendQuota
	// Username is auth_user.username, which upstream's report unsubscribe
	// links sign; LastLogin is auth_user.last_login (nil: never).
	Username  string
	LastLogin *time.Time
}

// Project is an upstream project.
type Project struct {
	UpstreamID, OwnerUpstreamID int64
	Project                     model.Project
	// HashedKeys: its API keys are upstream's HMAC hashes (v3.11+), which
	// verify only under upstream's SECRET_KEY.
	HashedKeys bool
}

// Member is a team membership.
type Member struct {
	ProjectUpstreamID, UserUpstreamID int64
	Role                              model.Role
}

// Check is an upstream check.
type Check struct {
	UpstreamID, ProjectUpstreamID int64
	Check                         model.Check
}

// Channel is an upstream integration.
type Channel struct {
	UpstreamID, ProjectUpstreamID int64
	Channel                       model.Channel
}

// Link assigns a channel to a check.
type Link struct{ ChannelUpstreamID, CheckUpstreamID int64 }

// Read loads everything the import copies.
func (s *Source) Read(ctx context.Context) (*Dataset, error) {
	ds := &Dataset{Pings: map[int64][]model.Ping{}, Flips: map[int64][]model.Flip{}}
	steps := []struct {
		what string
		fn   func(context.Context, *Dataset) error
	}{
		{"users", s.readUsers}, {"projects", s.readProjects}, {"members", s.readMembers},
		{"checks", s.readChecks}, {"channels", s.readChannels}, {"channel assignments", s.readLinks},
		{"pings", s.readPings}, {"flips", s.readFlips},
	}
	for _, st := range steps {
		if err := st.fn(ctx, ds); err != nil {
			return nil, fmt.Errorf("read %s from %s: %w", st.what, s.where, err)
		}
	}
	return ds, nil
}

// each runs a query and calls fn for every row.
func (s *Source) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Defaults of upstream's Profile for users without a profile row.
const (
	defaultPingLogLimit = 100
	defaultCheckLimit   = 20
)

func (s *Source) readUsers(ctx context.Context, ds *Dataset) error {
	q := fmt.Sprintf("SELECT u.id, u.username, u.last_login, u.email, u.password, u.is_superuser, u.is_active, u.date_joined, p.ping_log_limit, p.check_limit, %s, p.next_nag_date, %s, %s, %s, "+
		"p.sms_limit, p.sms_sent, p.last_sms_date, p.call_limit, p.calls_sent, p.last_call_date "+
		"FROM auth_user u LEFT JOIN accounts_profile p ON p.user_id = u.id ORDER BY u.id", s.durAs("p.nag_period"),
		s.col("accounts_profile", "reports", "NULL"), s.col("accounts_profile", "tz", "NULL"), s.col("accounts_profile", "next_report_date", "NULL"))
	seen := map[string]int64{}
	return s.each(ctx, q, nil, func(rows *sql.Rows) error {
		var (
			u                  User
			super, active      sql.NullBool
			joined, nextNag    any
			logLimit, checkLim sql.NullInt64
			nag                sql.NullInt64
			email, password    string
			reports, tz        sql.NullString
			nextReport         any
			smsLimit, smsSent  sql.NullInt64
			callLimit, calls   sql.NullInt64
			lastSMS, lastCall  any
			lastLogin          any
		)
		if err := rows.Scan(&u.UpstreamID, &u.Username, &lastLogin, &email, &password, &super, &active, &joined, &logLimit, &checkLim, &nag, &nextNag, &reports, &tz, &nextReport,
			&smsLimit, &smsSent, &lastSMS, &callLimit, &calls, &lastCall); err != nil {
			return err
		}
		email = strings.TrimSpace(email)
		if !model.ValidEmail(email) {
			return fmt.Errorf("user %d has no valid email address (%q): fix it upstream first", u.UpstreamID, email)
		}
		key := strings.ToLower(email)
		if other, dup := seen[key]; dup {
			return fmt.Errorf("users %d and %d share the email %q (Overdue keeps emails unique regardless of case): merge them upstream first", other, u.UpstreamID, email)
		}
		seen[key] = u.UpstreamID
		created, err := timeOf(joined)
		if err != nil || created == nil {
			return fmt.Errorf("user %d: date_joined: %v", u.UpstreamID, err)
		}
		next, err := timeOf(nextNag)
		if err != nil {
			return fmt.Errorf("user %d: next_nag_date: %w", u.UpstreamID, err)
		}
		if u.LastLogin, err = timeOf(lastLogin); err != nil {
			return fmt.Errorf("user %d: last_login: %w", u.UpstreamID, err)
		}
		if active.Valid && !active.Bool && !strings.HasPrefix(password, "!") {
			// Django refuses inactive users at log-in; Overdue has no such
			// flag, so the hash is made unusable the way Django marks one.
			password = "!" + password
		}
		u.User = model.User{Email: email, Password: password, IsSuperuser: super.Bool, Created: *created,
			PingLogLimit: defaultPingLogLimit, CheckLimit: defaultCheckLimit, NextNagDate: next}
		if logLimit.Valid {
			u.User.PingLogLimit, u.User.CheckLimit = int(logLimit.Int64), int(checkLim.Int64)
			u.User.NagPeriod = time.Duration(nag.Int64) * time.Microsecond
			// This month's counts come along, so that nobody gets a
			// second month's worth of messages by moving.
			for _, c := range []struct {
				into        **model.SendQuota
				limit, sent sql.NullInt64
				last        any
				what        string
			}{{&u.SMS, smsLimit, smsSent, lastSMS, "last_sms_date"}, {&u.Call, callLimit, calls, lastCall, "last_call_date"}} {
				last, err := timeOf(c.last)
				if err != nil {
					return fmt.Errorf("user %d: %s: %w", u.UpstreamID, c.what, err)
				}
				*c.into = &model.SendQuota{Limit: max(0, int(c.limit.Int64)), Sent: max(0, int(c.sent.Int64)), Last: last}
			}
		}
		// The report settings go with the user, so nobody who turned
		// reports off upstream starts getting them here. A value this
		// version does not know leaves upstream's defaults (monthly, UTC).
		if reports.Valid && model.ValidReports(reports.String) {
			u.User.Reports = reports.String
			if u.User.NextReportDate, err = timeOf(nextReport); err != nil {
				return fmt.Errorf("user %d: next_report_date: %w", u.UpstreamID, err)
			}
		}
		if name, err := schedule.NormalizeTZ(tz.String); tz.Valid && err == nil {
			u.User.TZ = name
		}
		ds.Users = append(ds.Users, u)
		return nil
	})
}

// durAs reads a qualified duration column as microseconds.
func (s *Source) durAs(qualified string) string {
	if s.engine == "postgres" {
		return "CAST(EXTRACT(EPOCH FROM " + qualified + ") * 1000000 AS BIGINT)"
	}
	return qualified
}

func (s *Source) readProjects(ctx context.Context, ds *Dataset) error {
	joined := map[int64]time.Time{}
	for _, u := range ds.Users {
		joined[u.UpstreamID] = u.User.Created
	}
	q := fmt.Sprintf("SELECT id, %s, name, owner_id, api_key, api_key_readonly, ping_key, show_slugs, badge_key FROM accounts_project ORDER BY id",
		s.text("accounts_project", "code", "''"))
	return s.each(ctx, q, nil, func(rows *sql.Rows) error {
		var (
			p       Project
			code    string
			pingKey sql.NullString
			slugs   sql.NullBool
			rw, ro  string
		)
		pr := &p.Project
		if err := rows.Scan(&p.UpstreamID, &code, &pr.Name, &p.OwnerUpstreamID, &rw, &ro, &pingKey, &slugs, &pr.BadgeKey); err != nil {
			return err
		}
		var err error
		if pr.Code, err = canonicalUUID(code); err != nil {
			return fmt.Errorf("project %d: code: %w", p.UpstreamID, err)
		}
		pr.PingKey, pr.ShowSlugs, pr.Created = pingKey.String, slugs.Bool, joined[p.OwnerUpstreamID]
		var hashed1, hashed2 bool
		pr.APIKey, hashed1 = storedAPIKey(rw)
		pr.APIKeyReadonly, hashed2 = storedAPIKey(ro)
		p.HashedKeys = hashed1 || hashed2
		ds.Projects = append(ds.Projects, p)
		return nil
	})
}

func (s *Source) readMembers(ctx context.Context, ds *Dataset) error {
	// Before roles there was only "rw" (v1.x); every supported version has role.
	return s.each(ctx, "SELECT project_id, user_id, role FROM accounts_member ORDER BY id", nil, func(rows *sql.Rows) error {
		var (
			m    Member
			role string
		)
		if err := rows.Scan(&m.ProjectUpstreamID, &m.UserUpstreamID, &role); err != nil {
			return err
		}
		r, ok := model.ParseRole(role)
		if !ok {
			return fmt.Errorf("member %d of project %d has an unknown role %q", m.UserUpstreamID, m.ProjectUpstreamID, role)
		}
		m.Role = r
		ds.Members = append(ds.Members, m)
		return nil
	})
}

// badgeNamespace derives badge keys for checks of versions before
// per-check badges (v3.3): the same check gets the same key on every run,
// and the key does not reveal the ping UUID.
var badgeNamespace = uuid.MustParse("7a0b8d34-5c1e-4f6b-9e2d-3c4b5a697887")

func (s *Source) readChecks(ctx context.Context, ds *Dataset) error {
	const t = "api_check"
	// v2.0 kept the subject filters in subject/subject_fail; upstream's
	// migration 0088 moved them into success_kw/failure_kw and turned
	// filter_subject on where either was set. The same is done here.
	success, failure := s.col(t, "success_kw", "''"), s.col(t, "failure_kw", "''")
	filterSubject := s.col(t, "filter_subject", "NULL")
	if !s.has(t, "success_kw") && s.has(t, "subject") {
		success, failure = s.ident("subject"), s.ident("subject_fail")
		filterSubject = "CASE WHEN " + success + " <> '' OR " + failure + " <> '' THEN 1 ELSE 0 END"
		if s.engine == "postgres" {
			filterSubject = "(" + success + " <> '' OR " + failure + " <> '')"
		}
	}
	q := "SELECT id, project_id, " + strings.Join([]string{
		s.text(t, "code", "''"), s.ident("name"), s.ident("slug"), s.ident("tags"), s.ident("desc"), s.ident("created"),
		s.ident("kind"), s.dur(t, "timeout", "0"), s.dur(t, "grace", "0"), s.ident("schedule"), s.ident("tz"),
		filterSubject, s.col(t, "filter_body", "NULL"), s.col(t, "filter_http_body", "NULL"), s.col(t, "filter_default_fail", "NULL"),
		s.col(t, "start_kw", "''"), success, failure, s.ident("methods"), s.ident("manual_resume"), s.text(t, "badge_key", "NULL"),
		s.ident("status"), s.ident("n_pings"), s.ident("last_ping"), s.ident("last_start"), s.text(t, "last_start_rid", "NULL"),
		s.dur(t, "last_duration", "NULL"), s.ident("has_confirmation_link"),
	}, ", ") + " FROM api_check ORDER BY id"
	return s.each(ctx, q, nil, func(rows *sql.Rows) error {
		var (
			ch                            Check
			code                          string
			created, lastPing, lastStart  any
			timeout, grace                int64
			fs, fb, fh, fd, manual, confl sql.NullBool
			badge, rid                    sql.NullString
			lastDur                       sql.NullInt64
		)
		c := &ch.Check
		err := rows.Scan(&ch.UpstreamID, &ch.ProjectUpstreamID, &code, &c.Name, &c.Slug, &c.Tags, &c.Desc, &created,
			&c.Kind, &timeout, &grace, &c.Schedule, &c.TZ, &fs, &fb, &fh, &fd, &c.StartKw, &c.SuccessKw, &c.FailureKw,
			&c.Methods, &manual, &badge, &c.Status, &c.NPings, &lastPing, &lastStart, &rid, &lastDur, &confl)
		if err != nil {
			return err
		}
		if c.Code, err = canonicalUUID(code); err != nil {
			return fmt.Errorf("check %d: code: %w", ch.UpstreamID, err)
		}
		where := func(field string, err error) error { return fmt.Errorf("check %s: %s: %w", c.Code, field, err) }
		cr, err := timeOf(created)
		if err != nil || cr == nil {
			return where("created", fmt.Errorf("missing or unreadable: %v", err))
		}
		c.Created = *cr
		if c.LastPing, err = timeOf(lastPing); err != nil {
			return where("last_ping", err)
		}
		if c.LastStart, err = timeOf(lastStart); err != nil {
			return where("last_start", err)
		}
		c.Timeout, c.Grace = time.Duration(timeout)*time.Microsecond, time.Duration(grace)*time.Microsecond
		c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail = fs.Bool, fb.Bool, fh.Bool, fd.Bool
		c.ManualResume, c.HasConfirmationLink = manual.Bool, confl.Bool
		if lastDur.Valid {
			d := time.Duration(lastDur.Int64) * time.Microsecond
			c.LastDuration = &d
		}
		if rid.Valid && rid.String != "" {
			if c.LastStartRID, err = canonicalUUID(rid.String); err != nil {
				return where("last_start_rid", err)
			}
		}
		if badge.Valid && badge.String != "" {
			if c.BadgeKey, err = canonicalUUID(badge.String); err != nil {
				return where("badge_key", err)
			}
		} else {
			c.BadgeKey = uuid.NewSHA1(badgeNamespace, []byte(c.Code)).String()
		}
		ds.Checks = append(ds.Checks, ch)
		return nil
	})
}

func (s *Source) readChannels(ctx context.Context, ds *Dataset) error {
	const t = "api_channel"
	q := fmt.Sprintf("SELECT id, project_id, %s, name, kind, %s, created, email_verified, disabled, last_error, last_notify, %s FROM api_channel ORDER BY id",
		s.text(t, "code", "''"), s.ident("value"), s.dur(t, "last_notify_duration", "NULL"))
	return s.each(ctx, q, nil, func(rows *sql.Rows) error {
		var (
			ch                  Channel
			code                string
			created, lastNotify any
			verified, disabled  sql.NullBool
			dur                 sql.NullInt64
		)
		c := &ch.Channel
		if err := rows.Scan(&ch.UpstreamID, &ch.ProjectUpstreamID, &code, &c.Name, &c.Kind, &c.Value, &created, &verified, &disabled,
			&c.LastError, &lastNotify, &dur); err != nil {
			return err
		}
		var err error
		if c.Code, err = canonicalUUID(code); err != nil {
			return fmt.Errorf("channel %d: code: %w", ch.UpstreamID, err)
		}
		cr, err := timeOf(created)
		if err != nil || cr == nil {
			return fmt.Errorf("channel %s: created: missing or unreadable: %v", c.Code, err)
		}
		c.Created = *cr
		if c.LastNotify, err = timeOf(lastNotify); err != nil {
			return fmt.Errorf("channel %s: last_notify: %w", c.Code, err)
		}
		c.EmailVerified, c.Disabled = verified.Bool, disabled.Bool
		if dur.Valid {
			d := time.Duration(dur.Int64) * time.Microsecond
			c.LastNotifyDuration = &d
		}
		ds.Channels = append(ds.Channels, ch)
		return nil
	})
}

func (s *Source) readLinks(ctx context.Context, ds *Dataset) error {
	return s.each(ctx, "SELECT channel_id, check_id FROM api_channel_checks ORDER BY id", nil, func(rows *sql.Rows) error {
		var l Link
		if err := rows.Scan(&l.ChannelUpstreamID, &l.CheckUpstreamID); err != nil {
			return err
		}
		ds.Links = append(ds.Links, l)
		return nil
	})
}

// readPings reads, per check, the newest pings its owner's ping log limit
// keeps (upstream shows no more than that either).
func (s *Source) readPings(ctx context.Context, ds *Dataset) error {
	const t = "api_ping"
	limit := map[int64]int{}
	for _, u := range ds.Users {
		limit[u.UpstreamID] = u.User.PingLogLimit
	}
	owner := map[int64]int64{}
	for _, p := range ds.Projects {
		owner[p.UpstreamID] = p.OwnerUpstreamID
	}
	body := s.col(t, "body_raw", "NULL")
	if s.has(t, "body") { // v2.x-v3.x before migration 0109: text bodies beside body_raw
		body = "COALESCE(" + body + ", " + s.castBlob(s.ident("body")) + ")"
	}
	q := "SELECT n, created, kind, scheme, " + s.text(t, "remote_addr", "NULL") + ", method, ua, " + body + ", " +
		s.col(t, "object_size", "NULL") + ", exitstatus, " + s.text(t, "rid", "NULL") +
		" FROM api_ping WHERE owner_id = " + s.param(1) + " ORDER BY id DESC LIMIT " + s.param(2)
	var offloaded, unnumbered int
	for _, c := range ds.Checks {
		n := limit[owner[c.ProjectUpstreamID]]
		if n <= 0 {
			continue
		}
		err := s.each(ctx, q, []any{c.UpstreamID, n}, func(rows *sql.Rows) error {
			var (
				p                      model.Ping
				num, size, exit        sql.NullInt64
				created                any
				kind, addr, rid, schem sql.NullString
				b                      []byte
			)
			if err := rows.Scan(&num, &created, &kind, &schem, &addr, &p.Method, &p.UA, &b, &size, &exit, &rid); err != nil {
				return err
			}
			if !num.Valid {
				unnumbered++
				return nil
			}
			cr, err := timeOf(created)
			if err != nil || cr == nil {
				return fmt.Errorf("ping %d of check %s: created: %v", num.Int64, c.Check.Code, err)
			}
			p.N, p.Created, p.Kind, p.Scheme, p.RemoteAddr, p.Body = num.Int64, *cr, kind.String, schem.String, addr.String, b
			if b == nil && size.Valid && size.Int64 > 0 {
				offloaded++ // the body is in upstream's S3 bucket
			}
			if exit.Valid {
				v := int(exit.Int64)
				p.ExitStatus = &v
			}
			if rid.Valid && rid.String != "" {
				if p.RID, err = canonicalUUID(rid.String); err != nil {
					return fmt.Errorf("ping %d of check %s: rid: %w", p.N, c.Check.Code, err)
				}
			}
			ds.Pings[c.UpstreamID] = append(ds.Pings[c.UpstreamID], p)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if offloaded > 0 {
		ds.Notes = append(ds.Notes, fmt.Sprintf("%d ping bodies are in upstream's object storage (S3) and were not copied; those pings are imported without a body", offloaded))
	}
	if unnumbered > 0 {
		ds.Notes = append(ds.Notes, fmt.Sprintf("%d pings without a number (from before upstream numbered pings) were left out", unnumbered))
	}
	return nil
}

// castBlob reads a text column as bytes on PostgreSQL (elsewhere the
// driver hands text to a []byte as it is).
func (s *Source) castBlob(e string) string {
	if s.engine == "postgres" {
		return "convert_to(" + e + ", 'UTF8')"
	}
	return e
}

func (s *Source) readFlips(ctx context.Context, ds *Dataset) error {
	known := map[int64]bool{}
	for _, c := range ds.Checks {
		known[c.UpstreamID] = true
	}
	q := "SELECT owner_id, created, processed, old_status, new_status, " + s.col("api_flip", "reason", "''") + " FROM api_flip ORDER BY id"
	return s.each(ctx, q, nil, func(rows *sql.Rows) error {
		var (
			f                  model.Flip
			owner              int64
			created, processed any
		)
		if err := rows.Scan(&owner, &created, &processed, &f.OldStatus, &f.NewStatus, &f.Reason); err != nil {
			return err
		}
		cr, err := timeOf(created)
		if err != nil || cr == nil {
			return fmt.Errorf("flip of check %d: created: %v", owner, err)
		}
		f.Created = *cr
		if f.Processed, err = timeOf(processed); err != nil {
			return fmt.Errorf("flip of check %d: processed: %w", owner, err)
		}
		if f.Processed == nil {
			// Upstream had not notified it yet. Overdue's outbox enqueues a
			// flip's notifications when it writes the flip, so an imported
			// one is history only and is marked processed: no alert about
			// an old change goes out twice or late.
			f.Processed = cr
		}
		if known[owner] {
			ds.Flips[owner] = append(ds.Flips[owner], f)
		}
		return nil
	})
}

// timeOf reads a datetime column as the drivers hand it over: time.Time
// (PostgreSQL, MySQL with parseTime, SQLite when the driver parsed it) or
// Django's SQLite text "YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]" in UTC.
func timeOf(v any) (*time.Time, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t := x.UTC()
		return &t, nil
	case []byte:
		return timeOf(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				t = t.UTC()
				return &t, nil
			}
		}
		return nil, fmt.Errorf("unreadable datetime %q", x)
	}
	return nil, fmt.Errorf("unreadable datetime of type %T", v)
}

// canonicalUUID accepts a UUID with or without hyphens (Django stores
// char(32) hex on SQLite and MySQL) and returns the lowercase hyphenated form.
func canonicalUUID(s string) (string, error) {
	u, err := uuid.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("not a UUID: %q", s)
	}
	return u.String(), nil
}
