package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/importer/importertest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

var now = time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)

// importFrom reads the upstream database at dsn and imports it into st.
func importFrom(t *testing.T, st *store.Store, dsn string, dryRun bool) *Summary {
	t.Helper()
	ctx := context.Background()
	src, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ds, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, st, ds, dryRun, now)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func summaryText(s *Summary) string {
	var b strings.Builder
	s.Write(&b)
	return b.String()
}

const firstImport = `Imported:
  users:               2 created, 0 updated, 0 skipped
  projects:            3 created, 0 updated, 0 skipped
  members:             3 created, 0 updated, 0 skipped
  checks:              4 created, 0 updated, 0 skipped
  channels:            3 created, 0 updated, 0 skipped
  channel assignments: 4 created, 0 updated, 0 skipped
  pings:               6 created, 0 updated, 0 skipped
  flips:               3 created, 0 updated, 0 skipped
Note: 1 ping bodies are in upstream's object storage (S3) and were not copied; those pings are imported without a body.
Note: 1 projects have hashed API keys (hcw_…/hcr_…): they keep working only with upstream's SECRET_KEY set as Overdue's SECRET_KEY, which badge URLs need too.
`

func TestImportFixture(t *testing.T) {
	engines := storetest.Engines()
	for _, e := range engines {
		if e == "mysql" {
			engines = append(engines, "mariadb-uuid")
		}
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			dsn, up := importertest.Upstream(t, engine, true)
			if engine == "mariadb-uuid" {
				engine = "mysql"
			}
			st := storetest.Open(t, engine)
			ctx := context.Background()

			dry := summaryText(importFrom(t, st, dsn, true))
			if want := strings.Replace(firstImport, "Imported:", "Dry run, nothing written. Would import:", 1); dry != want {
				t.Errorf("dry run summary:\n%s\nwant:\n%s", dry, want)
			}
			assertEmpty(t, st)

			if got := summaryText(importFrom(t, st, dsn, false)); got != firstImport {
				t.Errorf("summary:\n%s\nwant:\n%s", got, firstImport)
			}
			checkImported(t, st, true)

			// A second run changes nothing, and never moves a log-in made
			// in Overdue since back to upstream's (bob: never).
			bob, err := st.UserByEmail(ctx, "bob@example.org")
			if err != nil {
				t.Fatal(err)
			}
			bobLogin := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
			if err := st.SetLastLogin(ctx, bob.ID, bobLogin); err != nil {
				t.Fatal(err)
			}
			again := importFrom(t, st, dsn, false)
			for _, tbl := range Tables {
				if c := again.Counts[tbl]; c.Created != 0 || c.Updated != 0 {
					t.Errorf("second run, %s: %+v", tbl, *c)
				}
			}
			if at, err := st.LastLogin(ctx, bob.ID); err != nil || at == nil || !at.Equal(bobLogin) {
				t.Errorf("bob's Overdue log-in after a re-run: %v, %v", at, err)
			}
			// Upstream moves on: a renamed check and a new ping update
			// exactly those.
			if _, err := up.Exec("UPDATE api_check SET name = 'DB backup 2', n_pings = 4 WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			ts := "'2026-12-07 06:30:00'"
			if engine == "postgres" {
				ts = "'2026-12-07 06:30:00+00'"
			}
			if _, err := up.Exec("INSERT INTO api_ping (id, created, method, ua, scheme, owner_id, n) VALUES (8, " + ts + ", 'GET', '', 'http', 1, 4)"); err != nil {
				t.Fatal(err)
			}
			third := importFrom(t, st, dsn, false)
			if c := third.Counts["checks"]; c.Updated != 1 || c.Created != 0 || c.Skipped != 3 {
				t.Errorf("third run, checks: %+v", *c)
			}
			if c := third.Counts["pings"]; c.Created != 1 || c.Skipped != 6 {
				t.Errorf("third run, pings: %+v", *c)
			}
			if c, err := st.CheckByCode(ctx, "c0000001-0000-4000-8000-000000000001"); err != nil || c.Name != "DB backup 2" || c.NPings != 4 {
				t.Errorf("check after the third run: %+v %v", c, err)
			}
		})
	}
}

// assertEmpty fails when the store holds any account.
func assertEmpty(t *testing.T, st *store.Store) {
	t.Helper()
	for _, email := range []string{"alice@example.org", "bob@example.org"} {
		if _, err := st.UserByEmail(context.Background(), email); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s exists after a dry run or failed import (%v)", email, err)
		}
	}
	for _, code := range []string{"1a1a1a1a-0000-4000-8000-000000000001", "2b2b2b2b-0000-4000-8000-000000000002"} {
		if _, err := st.ProjectByCode(context.Background(), code); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("project %s exists after a dry run or failed import (%v)", code, err)
		}
	}
	if _, err := st.CheckByCode(context.Background(), "c0000001-0000-4000-8000-000000000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a check exists after a dry run or failed import (%v)", err)
	}
}

// checkImported compares the store with the fixture, field by field.
func checkImported(t *testing.T, st *store.Store, head bool) {
	t.Helper()
	ctx := context.Background()
	alice, err := st.UserByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !alice.IsSuperuser || alice.PingLogLimit != 100 || alice.CheckLimit != 500 || alice.NagPeriod != time.Hour ||
		alice.NextNagDate == nil || !alice.NextNagDate.Equal(time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)) ||
		!alice.Created.Equal(time.Date(2025, 2, 3, 10, 11, 12, 345678000, time.UTC)) ||
		alice.Reports != "monthly" || alice.TZ != "Europe/Riga" || alice.NextReportDate == nil || !alice.NextReportDate.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("alice: %+v", alice)
	}
	if !auth.CheckPassword(alice.Password, "alice-pass") {
		t.Errorf("alice's pbkdf2 hash %q does not verify", alice.Password)
	}
	// last_login and the Django user name (report unsubscribe links sign it).
	if at, err := st.LastLogin(ctx, alice.ID); err != nil || at == nil || !at.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("alice's last log-in: %v, %v", at, err)
	}
	if id, err := st.UserByUpstreamUsername(ctx, "alice"); err != nil || id != alice.ID {
		t.Errorf("user named alice upstream: %d, %v; want %d", id, err, alice.ID)
	}
	bob, err := st.UserByEmail(ctx, "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if bob.IsSuperuser || bob.PingLogLimit != 2 || bob.CheckLimit != 20 || bob.NagPeriod != 0 || !auth.CheckPassword(bob.Password, "bob-pass") ||
		bob.Reports != "off" || bob.NextReportDate != nil || bob.TZ != "UTC" {
		t.Errorf("bob: %+v", bob)
	}
	// The profile's monthly counters come along (bob's were never used).
	smsAt, callAt := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		user  model.User
		kind  model.LimitKind
		limit int
		sent  int
		last  *time.Time
	}{{alice, model.LimitSMS, 5, 3, &smsAt}, {alice, model.LimitCall, 7, 1, &callAt}, {bob, model.LimitSMS, 5, 0, nil}, {bob, model.LimitCall, 0, 0, nil}} {
		got, err := st.SendQuota(ctx, q.user.ID, q.kind)
		if err != nil || got.Limit != q.limit || got.Sent != q.sent || (got.Last == nil) != (q.last == nil) || q.last != nil && !got.Last.Equal(*q.last) {
			t.Errorf("%s's %s quota: %+v %v, want %d sent of %d, last %v", q.user.Email, q.kind, got, err, q.sent, q.limit, q.last)
		}
	}

	p1, err := st.ProjectByCode(ctx, "1a1a1a1a-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if p1.Name != "Alice's servers" || p1.OwnerID != alice.ID || p1.PingKey != "u2hzbhc3bnlqzgf4ywh1bw" || !p1.ShowSlugs || p1.BadgeKey != "alice" ||
		p1.APIKey != auth.HashAPIKey("Xk4pPq9zW2mN7bR5tY8uE3oJ6aS1dF0g") || p1.APIKeyReadonly != auth.HashAPIKey("Rd0nLy5kEyQw3eRt6yUi9oPa2sDf4gHj") {
		t.Errorf("project 1: %+v", p1)
	}
	p2, err := st.ProjectByCode(ctx, "2b2b2b2b-0000-4000-8000-000000000002")
	if err != nil {
		t.Fatal(err)
	}
	if p2.APIKey != auth.UpstreamAPIKeyHash("hcw_q2Vb7kR1nX4mT8pLs9dF3gH6jK0a", "upstream-secret") ||
		p2.APIKeyReadonly != auth.UpstreamAPIKeyHash("hcr_w3Er5tY7uI9oP1aS2dF4gH6jK8lZ", "upstream-secret") {
		t.Errorf("project 2 keys: %q %q", p2.APIKey, p2.APIKeyReadonly)
	}
	p3, err := st.ProjectByCode(ctx, "3c3c3c3c-0000-4000-8000-000000000003")
	if err != nil {
		t.Fatal(err)
	}
	if p3.OwnerID != bob.ID || p3.APIKey != "" || p3.PingKey != "" {
		t.Errorf("project 3: %+v", p3)
	}

	for _, m := range []struct {
		p    model.Project
		user int64
		role model.Role
	}{{p1, bob.ID, model.RoleMember}, {p2, bob.ID, model.RoleReadOnly}, {p3, alice.ID, model.RoleManager}} {
		_, role, err := st.ProjectAccess(ctx, m.p.Code, m.user)
		if err != nil || role != m.role {
			t.Errorf("role of %d in %s: %q %v, want %q", m.user, m.p.Name, role, err, m.role)
		}
	}

	c1, err := st.CheckByCode(ctx, "c0000001-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	lastPing := time.Date(2026, 12, 7, 6, 0, 0, 123456000, time.UTC)
	wantBadge := "b0000001-0000-4000-8000-000000000001"
	if !head {
		wantBadge = c1.BadgeKey // derived; TestImportV2 checks it
	}
	if c1.ProjectID != p1.ID || c1.Name != "DB backup" || c1.Slug != "db-backup" || c1.Tags != "prod db" || c1.Desc != "Nightly pg_dump" ||
		c1.Kind != model.KindSimple || c1.Timeout != 24*time.Hour || c1.Grace != time.Hour || c1.Status != model.StatusUp || c1.NPings != 3 ||
		c1.LastPing == nil || !c1.LastPing.Equal(lastPing) || c1.LastDuration == nil || *c1.LastDuration != 42*time.Second ||
		c1.BadgeKey != wantBadge || c1.AlertAfter == nil || !c1.AlertAfter.Equal(lastPing.Add(25*time.Hour)) ||
		!c1.Created.Equal(time.Date(2025, 2, 3, 10, 20, 0, 0, time.UTC)) {
		t.Errorf("check 1: %+v", c1)
	}
	c2, err := st.CheckByCode(ctx, "c0000002-0000-4000-8000-000000000002")
	if err != nil {
		t.Fatal(err)
	}
	want2 := model.Check{Kind: model.KindCron, Schedule: "0 3 * * *", TZ: "Europe/Riga", Status: model.StatusDown, Methods: "POST", ManualResume: true,
		HasConfirmationLink: true, FilterSubject: true, SuccessKw: "OK", FailureKw: "FAIL"}
	if head {
		want2.FilterBody, want2.FilterHTTPBody, want2.FilterDefaultFail, want2.StartKw, want2.LastStartRID = true, true, true, "START", "7e57a000-0000-4000-8000-0000000000aa"
	}
	got2 := model.Check{Kind: c2.Kind, Schedule: c2.Schedule, TZ: c2.TZ, Status: c2.Status, Methods: c2.Methods, ManualResume: c2.ManualResume,
		HasConfirmationLink: c2.HasConfirmationLink, FilterSubject: c2.FilterSubject, FilterBody: c2.FilterBody, FilterHTTPBody: c2.FilterHTTPBody,
		FilterDefaultFail: c2.FilterDefaultFail, StartKw: c2.StartKw, SuccessKw: c2.SuccessKw, FailureKw: c2.FailureKw, LastStartRID: c2.LastStartRID}
	if got2 != want2 || c2.Grace != 30*time.Minute || c2.LastStart == nil || c2.AlertAfter != nil {
		t.Errorf("check 2:\n%+v\nwant\n%+v (grace %v, last start %v, alert after %v)", got2, want2, c2.Grace, c2.LastStart, c2.AlertAfter)
	}
	c3, err := st.CheckByCode(ctx, "c0000003-0000-4000-8000-000000000003")
	if err != nil || c3.ProjectID != p2.ID || c3.Kind != model.KindOnCalendar || c3.Schedule != "Mon *-*-* 04:00:00" || c3.TZ != "Europe/Berlin" || c3.Status != model.StatusNew {
		t.Errorf("check 3: %+v %v", c3, err)
	}
	c4, err := st.CheckByCode(ctx, "c0000004-0000-4000-8000-000000000004")
	if err != nil || c4.ProjectID != p3.ID || c4.Status != model.StatusPaused || c4.AlertAfter != nil {
		t.Errorf("check 4: %+v %v", c4, err)
	}

	chans, err := st.ListChannels(ctx, p1.ID)
	if err != nil || len(chans) != 2 {
		t.Fatalf("channels of project 1: %+v %v", chans, err)
	}
	email, hook := chans[0], chans[1]
	if email.Code != "e0000001-0000-4000-8000-000000000001" || email.Kind != "email" || !email.EmailVerified || email.Name != "Alice" ||
		email.Value != `{"value": "alice@example.org", "up": true, "down": true}` || email.LastNotify == nil {
		t.Errorf("email channel: %+v", email)
	}
	if hook.Kind != "webhook" || hook.EmailVerified || hook.LastError != "Received status code 500" || !strings.Contains(hook.Value, `"url_down": "https://hooks.example.org/down"`) {
		t.Errorf("webhook channel: %+v", hook)
	}
	if head && (hook.LastNotifyDuration == nil || *hook.LastNotifyDuration != 30*time.Second) {
		t.Errorf("webhook last notify duration: %v", hook.LastNotifyDuration)
	}
	chans3, _ := st.ListChannels(ctx, p3.ID)
	if len(chans3) != 1 || !chans3[0].Disabled || chans3[0].EmailVerified {
		t.Errorf("channels of project 3: %+v", chans3)
	}
	for code, want := range map[*model.Check][]string{
		&c1: {"e0000001-0000-4000-8000-000000000001"},
		&c2: {"e0000001-0000-4000-8000-000000000001", "e0000002-0000-4000-8000-000000000002"},
		&c3: nil,
		&c4: {"e0000003-0000-4000-8000-000000000003"},
	} {
		got, err := st.CheckChannelCodes(ctx, code.ID)
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("channels of check %s: %v %v, want %v", code.Code, got, err, want)
		}
	}

	pings1, _ := st.ListPings(ctx, c1.ID, 0)
	if len(pings1) != 3 || pings1[0].N != 3 || string(pings1[0].Body) != "backup done" || pings1[0].RemoteAddr != "2001:db8::1" ||
		pings1[0].ExitStatus == nil || *pings1[0].ExitStatus != 0 || pings1[1].Kind != model.PingStart || pings1[0].Kind != model.PingSuccess ||
		pings1[0].Scheme != "https" || pings1[0].UA != "curl/8.5.0" || !pings1[0].Created.Equal(lastPing) {
		t.Errorf("pings of check 1: %+v", pings1)
	}
	pings2, _ := st.ListPings(ctx, c2.ID, 0)
	wantRID := "7e57a000-0000-4000-8000-0000000000aa"
	if !head {
		wantRID = ""
	}
	if len(pings2) != 1 || pings2[0].Kind != model.PingFail || string(pings2[0].Body) != "error: disk full" || pings2[0].RID != wantRID ||
		pings2[0].ExitStatus == nil || *pings2[0].ExitStatus != 1 {
		t.Errorf("pings of check 2: %+v", pings2)
	}
	// Bob keeps 2 pings per check: the oldest of check 4's three is left out.
	pings4, _ := st.ListPings(ctx, c4.ID, 0)
	if len(pings4) != 2 || pings4[0].N != 3 || pings4[1].N != 2 || pings4[1].Kind != model.PingLog || pings4[1].Body != nil {
		t.Errorf("pings of check 4: %+v", pings4)
	}

	flips1, _ := st.ListFlips(ctx, c1.ID)
	if len(flips1) != 2 {
		t.Fatalf("flips of check 1: %+v", flips1)
	}
	for _, f := range flips1 {
		if f.Processed == nil {
			t.Errorf("flip %+v imported unprocessed: the outbox could send it again", f)
		}
	}
	flips2, _ := st.ListFlips(ctx, c2.ID)
	wantReason := "fail"
	if !head {
		wantReason = ""
	}
	if len(flips2) != 1 || flips2[0].OldStatus != "up" || flips2[0].NewStatus != "down" || flips2[0].Reason != wantReason {
		t.Errorf("flips of check 2: %+v", flips2)
	}
}

func TestImportV2(t *testing.T) {
	dsn, _ := importertest.Upstream(t, "sqlite", false)
	st := storetest.Open(t, "sqlite")
	sum := importFrom(t, st, dsn, false)
	if c := sum.Counts["checks"]; c.Created != 4 {
		t.Fatalf("checks: %+v", *c)
	}
	checkImported(t, st, false)
	ctx := context.Background()
	c1, _ := st.CheckByCode(ctx, "c0000001-0000-4000-8000-000000000001")
	c2, _ := st.CheckByCode(ctx, "c0000002-0000-4000-8000-000000000002")
	if c1.BadgeKey == "" || c1.BadgeKey == c2.BadgeKey || c1.BadgeKey == c1.Code {
		t.Errorf("derived badge keys: %q %q", c1.BadgeKey, c2.BadgeKey)
	}
	// Derived keys are stable, so a second run skips the checks.
	if c := importFrom(t, st, dsn, false).Counts["checks"]; c.Skipped != 4 {
		t.Errorf("second run, checks: %+v", *c)
	}
}

func TestImportConflictWritesNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dsn, _ := importertest.Upstream(t, engine, true)
			st := storetest.Open(t, engine)
			ctx := context.Background()
			// bob signed up in Overdue before the import.
			if err := st.CreateUser(ctx, &model.User{Email: "Bob@example.org", Password: "x"}); err != nil {
				t.Fatal(err)
			}
			src, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ds, err := src.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(ctx, st, ds, false, now)
			if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), `"bob@example.org" already exists`) {
				t.Fatalf("err = %v, want a conflict about bob", err)
			}
			if _, err := st.UserByEmail(ctx, "alice@example.org"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("alice, imported before the conflict, was kept (%v)", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.sqlite")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	version := func(name, api string) string {
		dsn, db := importertest.Upstream(t, "sqlite", true)
		if _, err := db.Exec("UPDATE django_migrations SET name = ? WHERE name = '0123_alter_channel_kind'", api); err != nil {
			t.Fatal(err)
		}
		return dsn
	}
	for _, tc := range []struct {
		name, dsn string
		is        error
		msg       string
	}{
		{"missing file", filepath.Join(dir, "nope.sqlite"), os.ErrNotExist, "no such file"},
		{"directory", dir, nil, "is a directory"},
		{"empty SQLite file", empty, ErrNotUpstream, "has no table django_migrations"},
		{"other scheme", "redis://localhost/0", nil, `unsupported DSN scheme in "redis://…"`},
		{"mysql without a database", "mysql://root@127.0.0.1:3306/", nil, "names no database"},
		{"too old", version("old", "0084_previous"), ErrUnsupportedSchema, "api migration 0084, older than Healthchecks v2.0"},
		{"too new", version("new", "0124_future"), ErrUnsupportedSchema, "api migration 0124, newer than this Overdue reads"},
	} {
		_, err := Open(context.Background(), tc.dsn)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.msg)
		}
	}
	// The empty file was not turned into a database.
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was written to: %v %v", fi, err)
	}
}

func TestStoredAPIKey(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                 "",
		"Xk4pPq9zW2mN7bR5tY8uE3oJ6aS1dF0g": auth.HashAPIKey("Xk4pPq9zW2mN7bR5tY8uE3oJ6aS1dF0g"),
		"q2Vb7kR1.15ed4339c194f03a3cc5a6da7ff413deb0592dcbbccd8af5f6cc108116e40f7b": "q2Vb7kR1.15ed4339c194f03a3cc5a6da7ff413deb0592dcbbccd8af5f6cc108116e40f7b",
	} {
		if got, _ := storedAPIKey(raw); got != want {
			t.Errorf("storedAPIKey(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestMalformedUpstreamRows: a row Overdue cannot take stops the import
// with a message naming it, before anything is written.
func TestMalformedUpstreamRows(t *testing.T) {
	for _, tc := range []struct {
		name, sql, msg string
	}{
		{"bad check code", "UPDATE api_check SET code = 'not-a-uuid' WHERE id = 3", `check 3: code: not a UUID: "not-a-uuid"`},
		{"unknown role", "UPDATE accounts_member SET role = 'x' WHERE id = 2", `member 2 of project 2 has an unknown role "x"`},
		{"duplicate email", "UPDATE auth_user SET email = 'ALICE@example.org' WHERE id = 2", `users 1 and 2 share the email "ALICE@example.org"`},
		{"no email", "UPDATE auth_user SET email = '' WHERE id = 2", `user 2 has no valid email address ("")`},
		{"bad datetime", "UPDATE api_check SET last_ping = 'yesterday' WHERE id = 1", `check c0000001-0000-4000-8000-000000000001: last_ping: unreadable datetime "yesterday"`},
		{"bad rid", "UPDATE api_ping SET rid = 'zz' WHERE id = 4", `ping 1 of check c0000002-0000-4000-8000-000000000002: rid: not a UUID: "zz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn, up := importertest.Upstream(t, "sqlite", true)
			if _, err := up.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			src, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			_, err = src.Read(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %q", err, tc.msg)
			}
		})
	}
}

// TestInactiveUser: Django refuses inactive accounts at log-in; imported,
// such an account keeps its hash behind Django's unusable-password mark.
func TestInactiveUser(t *testing.T) {
	dsn, up := importertest.Upstream(t, "sqlite", true)
	if _, err := up.Exec("UPDATE auth_user SET is_active = 0 WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, "sqlite")
	importFrom(t, st, dsn, false)
	bob, err := st.UserByEmail(context.Background(), "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(bob.Password, "!argon2$") || auth.CheckPassword(bob.Password, importertest.BobPassword) {
		t.Errorf("inactive bob can log in: %q", bob.Password)
	}
}

func FuzzTimeOf(f *testing.F) {
	for _, s := range []string{"2026-12-07 06:00:00.123456", "2026-12-07 06:00:00", "2026-12-07T06:00:00+02:00", "", "yesterday", "2026-13-40 99:99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := timeOf(s)
		if err == nil && (tm == nil || tm.Location() != time.UTC) {
			t.Fatalf("timeOf(%q) = %v without an error", s, tm)
		}
	})
}

func FuzzCanonicalUUID(f *testing.F) {
	for _, s := range []string{"c000000100004000800000000000000a", "C0000001-0000-4000-8000-00000000000A", "{c0000001-0000-4000-8000-00000000000a}", "", "zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := canonicalUUID(s)
		if err != nil {
			return
		}
		if again, err := canonicalUUID(u); err != nil || again != u || u != strings.ToLower(u) || len(u) != 36 {
			t.Fatalf("canonicalUUID(%q) = %q, not canonical", s, u)
		}
	})
}

// TestNULIntoPostgres: text with U+0000 (possible in SQLite and MySQL) is
// refused by name before PostgreSQL would refuse the insert.
func TestNULIntoPostgres(t *testing.T) {
	if !slices.Contains(storetest.Engines(), "postgres") {
		t.Skip("PostgreSQL not configured")
	}
	dsn, up := importertest.Upstream(t, "sqlite", true)
	if _, err := up.Exec("UPDATE api_check SET name = 'a' || char(0) || 'b' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, "postgres")
	ctx := context.Background()
	src, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ds, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, st, ds, false, now)
	if err == nil || !strings.Contains(err.Error(), "check c0000002-0000-4000-8000-000000000002 holds a NUL character") {
		t.Fatalf("err = %v", err)
	}
	assertEmpty(t, st)
}
