package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// The suite runs unchanged on every engine storetest finds.
func forEachEngine(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.Open(t, e))
		})
	}
}

// t0 has sub-microsecond digits and a non-UTC zone on purpose: the store
// must hand back the same instant, in UTC, truncated to the microsecond.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 5*3600+1800))

func t0us() time.Time { return t0.UTC().Truncate(time.Microsecond) }

type fixture struct {
	user    model.User
	project model.Project
}

func newFixture(t testing.TB, st *store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	u := model.User{Email: "Alice@Example.org", Password: "argon2id$x", PingLogLimit: 100, CheckLimit: 20, Created: t0}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	p := model.Project{Code: uuid.NewString(), Name: "Default", OwnerID: u.ID, APIKey: "rw-hash", APIKeyReadonly: "ro-hash",
		PingKey: "pingkey" + uuid.NewString()[:8], BadgeKey: uuid.NewString(), Created: t0}
	if err := st.CreateProject(ctx, &p); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return fixture{u, p}
}

func TestUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		if f.user.ID == 0 {
			t.Fatal("CreateUser did not set ID")
		}
		got, err := st.UserByEmail(ctx, "alice@EXAMPLE.org")
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		if got != f.user {
			t.Errorf("UserByEmail = %+v, want %+v", got, f.user)
		}
		if !got.Created.Equal(t0us()) || got.Created.Location() != time.UTC {
			t.Errorf("Created = %v, want %v in UTC", got.Created, t0us())
		}
		dup := model.User{Email: "ALICE@example.org"}
		if err := st.CreateUser(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateUser with a taken email (other case): err = %v, want ErrDuplicate", err)
		}
		if _, err := st.UserByEmail(ctx, "bob@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByEmail(unknown): err = %v, want ErrNotFound", err)
		}
		if _, err := st.UserByID(ctx, f.user.ID+1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByID(unknown): err = %v, want ErrNotFound", err)
		}
		u := f.user
		u.Password, u.IsSuperuser, u.CheckLimit = "new", true, 7
		if err := st.UpdateUser(ctx, &u); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		// Writing identical values must not look like a missing row (MySQL).
		if err := st.UpdateUser(ctx, &u); err != nil {
			t.Fatalf("UpdateUser without changes: %v", err)
		}
		if got, err := st.UserByID(ctx, u.ID); err != nil || got != u {
			t.Errorf("UserByID after update = %+v, %v; want %+v", got, err, u)
		}
		ghost := model.User{ID: u.ID + 1000, Email: "ghost@example.org"}
		if err := st.UpdateUser(ctx, &ghost); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUser(unknown): err = %v, want ErrNotFound", err)
		}
	})
}

func TestProjects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		p := f.project

		byCode, err := st.ProjectByCode(ctx, strings.ToUpper(p.Code))
		if err != nil || byCode != p {
			t.Errorf("ProjectByCode = %+v, %v; want %+v", byCode, err, p)
		}
		byKey, err := st.ProjectByPingKey(ctx, p.PingKey)
		if err != nil || byKey != p {
			t.Errorf("ProjectByPingKey = %+v, %v; want %+v", byKey, err, p)
		}
		// Ping keys are case-sensitive (binary collation on MySQL).
		if _, err := st.ProjectByPingKey(ctx, strings.ToUpper(p.PingKey)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ProjectByPingKey(upper case): err = %v, want ErrNotFound", err)
		}

		keyTests := []struct {
			key      string
			readOnly bool
			err      error
		}{
			{"rw-hash", false, nil},
			{"ro-hash", true, nil},
			{"other", false, store.ErrNotFound},
			{"", false, store.ErrNotFound},
		}
		for _, tt := range keyTests {
			got, ro, err := st.ProjectByAPIKey(ctx, tt.key)
			if !errors.Is(err, tt.err) {
				t.Errorf("ProjectByAPIKey(%q): err = %v, want %v", tt.key, err, tt.err)
				continue
			}
			if err == nil && (got.ID != p.ID || ro != tt.readOnly) {
				t.Errorf("ProjectByAPIKey(%q) = project %d, readOnly %v; want %d, %v", tt.key, got.ID, ro, p.ID, tt.readOnly)
			}
		}

		// A second project without keys must not be found by an empty key,
		// and must not collide with the first on the empty ping key.
		bare := model.Project{Code: uuid.NewString(), OwnerID: f.user.ID}
		if err := st.CreateProject(ctx, &bare); err != nil {
			t.Fatalf("CreateProject without keys: %v", err)
		}
		bare2 := model.Project{Code: uuid.NewString(), OwnerID: f.user.ID}
		if err := st.CreateProject(ctx, &bare2); err != nil {
			t.Fatalf("second CreateProject without keys: %v", err)
		}
		if _, err := st.ProjectByPingKey(ctx, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ProjectByPingKey(\"\"): err = %v, want ErrNotFound", err)
		}

		dupTests := []struct {
			name string
			p    model.Project
		}{
			{"code", model.Project{Code: p.Code, OwnerID: f.user.ID}},
			{"ping key", model.Project{Code: uuid.NewString(), OwnerID: f.user.ID, PingKey: p.PingKey}},
			{"badge key", model.Project{Code: uuid.NewString(), OwnerID: f.user.ID, BadgeKey: p.BadgeKey}},
		}
		for _, tt := range dupTests {
			if err := st.CreateProject(ctx, &tt.p); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("CreateProject with a taken %s: err = %v, want ErrDuplicate", tt.name, err)
			}
		}
		if _, err := st.ProjectByCode(ctx, uuid.NewString()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ProjectByCode(unknown): err = %v, want ErrNotFound", err)
		}
		list, err := st.ListProjectsOwnedBy(ctx, f.user.ID)
		if err != nil || len(list) != 3 {
			t.Errorf("ListProjectsOwnedBy = %d projects, %v; want 3", len(list), err)
		}
	})
}

// fullCheck sets every field to a non-default value, so a round trip that
// drops or swaps a column shows.
func fullCheck(projectID int64) model.Check {
	c := model.NewCheck(projectID, t0)
	last := t0.Add(time.Hour)
	start := t0.Add(30 * time.Minute)
	dur := 1500*time.Millisecond + 7*time.Microsecond
	alert := t0.Add(25 * time.Hour)
	c.Name, c.Slug, c.Tags, c.Desc = "Backups ✓", "backups", "prod db", "Nightly\n\"dump\" — ünïcode"
	c.Kind, c.Timeout, c.Grace, c.Schedule, c.TZ = model.KindCron, 2*time.Hour, 90*time.Second, "0 3 * * *", "Europe/Riga"
	c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail = true, true, true, true
	c.StartKw, c.SuccessKw, c.FailureKw, c.Methods, c.ManualResume = "go", "ok", "fail", "POST", true
	c.Status, c.NPings, c.LastPing, c.LastStart = model.StatusUp, 42, &last, &start
	c.LastStartRID, c.LastDuration, c.HasConfirmationLink, c.AlertAfter = uuid.NewString(), &dur, true, &alert
	return c
}

// normCheck is what a check looks like after a round trip.
func normCheck(c model.Check) model.Check {
	c.Created = c.Created.UTC().Truncate(time.Microsecond)
	for _, p := range []**time.Time{&c.LastPing, &c.LastStart, &c.AlertAfter} {
		if *p != nil {
			v := (*p).UTC().Truncate(time.Microsecond)
			*p = &v
		}
	}
	return c
}

func checkDiff(got, want model.Check) string {
	g, w := fmt.Sprintf("%+v", derefCheck(got)), fmt.Sprintf("%+v", derefCheck(normCheck(want)))
	if g != w {
		return fmt.Sprintf("\n got %s\nwant %s", g, w)
	}
	return ""
}

// derefCheck prints pointer fields by value, so two equal checks print alike.
func derefCheck(c model.Check) string {
	s := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.Format(time.RFC3339Nano) + t.Location().String()
	}
	d := "nil"
	if c.LastDuration != nil {
		d = c.LastDuration.String()
	}
	c2 := c
	c2.LastPing, c2.LastStart, c2.AlertAfter, c2.LastDuration = nil, nil, nil, nil
	return fmt.Sprintf("%+v last_ping=%s last_start=%s alert_after=%s dur=%s created=%s",
		c2, s(c.LastPing), s(c.LastStart), s(c.AlertAfter), d, c.Created.Location())
}

func TestChecks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)

		ch1 := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Kind: "email", Value: `{"value":"a@example.org"}`}
		ch2 := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Kind: "webhook", Value: "{}"}
		for _, ch := range []*model.Channel{&ch1, &ch2} {
			if err := st.CreateChannel(ctx, ch); err != nil {
				t.Fatalf("CreateChannel: %v", err)
			}
		}

		c := fullCheck(f.project.ID)
		if err := st.CreateCheck(ctx, &c, true); err != nil {
			t.Fatalf("CreateCheck: %v", err)
		}
		got, err := st.CheckByCode(ctx, strings.ToUpper(c.Code))
		if err != nil {
			t.Fatalf("CheckByCode: %v", err)
		}
		if d := checkDiff(got, c); d != "" {
			t.Errorf("CheckByCode round trip:%s", d)
		}
		if got, err := st.CheckByID(ctx, c.ID); err != nil || checkDiff(got, c) != "" {
			t.Errorf("CheckByID = %v%s", err, checkDiff(got, c))
		}
		chans, err := st.ChannelsForCheck(ctx, c.ID)
		if err != nil || len(chans) != 2 || chans[0].ID != ch1.ID || chans[1].ID != ch2.ID {
			t.Errorf("ChannelsForCheck after assignAllChannels = %+v, %v; want channels %d, %d", chans, err, ch1.ID, ch2.ID)
		}

		plain := model.NewCheck(f.project.ID, t0)
		plain.Slug = "backups"
		if err := st.CreateCheck(ctx, &plain, false); err != nil {
			t.Fatalf("CreateCheck: %v", err)
		}
		if chans, err := st.ChannelsForCheck(ctx, plain.ID); err != nil || len(chans) != 0 {
			t.Errorf("ChannelsForCheck without assign = %d channels, %v; want none", len(chans), err)
		}
		if got, err := st.CheckByID(ctx, plain.ID); err != nil || checkDiff(got, plain) != "" {
			t.Errorf("CheckByID (defaults, nil pointers) = %v%s", err, checkDiff(got, plain))
		}

		bySlug, err := st.ChecksBySlug(ctx, f.project.ID, "backups")
		if err != nil || len(bySlug) != 2 || bySlug[0].ID != c.ID || bySlug[1].ID != plain.ID {
			t.Errorf("ChecksBySlug = %d checks, %v; want [%d %d]", len(bySlug), err, c.ID, plain.ID)
		}
		if none, err := st.ChecksBySlug(ctx, f.project.ID, "BACKUPS"); err != nil || len(none) != 0 {
			t.Errorf("ChecksBySlug(upper case) = %d checks, %v; want none (slugs are case-sensitive)", len(none), err)
		}
		list, err := st.ListChecks(ctx, f.project.ID)
		if err != nil || len(list) != 2 {
			t.Errorf("ListChecks = %d checks, %v; want 2", len(list), err)
		}
		// The poll's narrow read agrees with the full one on every field it
		// promises, including the full check's set pointers.
		states, err := st.ListCheckStates(ctx, f.project.ID)
		if err != nil || len(states) != len(list) {
			t.Fatalf("ListCheckStates = %d checks, %v; want %d", len(states), err, len(list))
		}
		for i, full := range list {
			want := model.Check{ID: full.ID, ProjectID: full.ProjectID, Code: full.Code, Kind: full.Kind, Timeout: full.Timeout, Grace: full.Grace,
				Schedule: full.Schedule, TZ: full.TZ, Status: full.Status, LastPing: full.LastPing, LastStart: full.LastStart, LastDuration: full.LastDuration}
			if d := checkDiff(states[i], want); d != "" {
				t.Errorf("ListCheckStates[%d]:%s", i, d)
			}
		}
		if n, err := st.CountChecksOwnedBy(ctx, f.user.ID); err != nil || n != 2 {
			t.Errorf("CountChecksOwnedBy = %d, %v; want 2", n, err)
		}

		dup := model.NewCheck(f.project.ID, t0)
		dup.Code = c.Code
		if err := st.CreateCheck(ctx, &dup, true); !errors.Is(err, store.ErrDuplicate) || dup.ID != 0 {
			t.Errorf("CreateCheck with a taken code: err = %v, ID %d; want ErrDuplicate, 0", err, dup.ID)
		}

		// Update every column of the plain check to the full check's values.
		upd := fullCheck(f.project.ID)
		upd.ID, upd.Code, upd.Created, upd.BadgeKey = plain.ID, plain.Code, plain.Created, plain.BadgeKey
		if err := st.UpdateCheck(ctx, &upd); err != nil {
			t.Fatalf("UpdateCheck: %v", err)
		}
		if got, err := st.CheckByID(ctx, plain.ID); err != nil || checkDiff(got, upd) != "" {
			t.Errorf("CheckByID after UpdateCheck = %v%s", err, checkDiff(got, upd))
		}
		upd.LastPing, upd.LastStart, upd.LastDuration, upd.AlertAfter, upd.LastStartRID = nil, nil, nil, nil, ""
		if err := st.UpdateCheck(ctx, &upd); err != nil {
			t.Fatalf("UpdateCheck to NULLs: %v", err)
		}
		if got, err := st.CheckByID(ctx, plain.ID); err != nil || checkDiff(got, upd) != "" {
			t.Errorf("CheckByID after clearing = %v%s", err, checkDiff(got, upd))
		}

		missing := []struct {
			name string
			err  error
		}{
			{"CheckByCode", func() error { _, err := st.CheckByCode(ctx, uuid.NewString()); return err }()},
			{"CheckByID", func() error { _, err := st.CheckByID(ctx, 999999); return err }()},
			{"UpdateCheck", func() error { x := upd; x.ID = 999999; return st.UpdateCheck(ctx, &x) }()},
			{"DeleteCheck", st.DeleteCheck(ctx, 999999)},
		}
		for _, tt := range missing {
			if !errors.Is(tt.err, store.ErrNotFound) {
				t.Errorf("%s(unknown): err = %v, want ErrNotFound", tt.name, tt.err)
			}
		}
	})
}

func TestDeleteCheckCascades(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		ch := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Kind: "email"}
		if err := st.CreateChannel(ctx, &ch); err != nil {
			t.Fatalf("CreateChannel: %v", err)
		}
		keep, gone := model.NewCheck(f.project.ID, t0), model.NewCheck(f.project.ID, t0)
		for _, c := range []*model.Check{&keep, &gone} {
			if err := st.CreateCheck(ctx, c, true); err != nil {
				t.Fatalf("CreateCheck: %v", err)
			}
			recordPings(t, st, c.ID, 3, true)
		}
		err := st.WithTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO notifications (code, check_id, channel_id, flip_id, check_status, created, next_try, error) "+
				"SELECT ?, check_id, ?, id, 'down', created, created, '' FROM flips WHERE check_id = ?", uuid.NewString(), ch.ID, gone.ID)
			return err
		})
		if err != nil {
			t.Fatalf("insert notification: %v", err)
		}

		if err := st.DeleteCheck(ctx, gone.ID); err != nil {
			t.Fatalf("DeleteCheck: %v", err)
		}
		if _, err := st.CheckByID(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CheckByID after delete: err = %v, want ErrNotFound", err)
		}
		counts := map[string]int{}
		for _, table := range []string{"pings", "flips", "notifications", "channel_checks"} {
			err := st.WithTx(ctx, func(tx *store.Tx) error {
				var n int
				err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE check_id = ?", gone.ID).Scan(&n)
				counts[table] = n
				return err
			})
			if err != nil {
				t.Fatalf("count %s: %v", table, err)
			}
		}
		for table, n := range counts {
			if n != 0 {
				t.Errorf("%d rows left in %s after DeleteCheck", n, table)
			}
		}
		// The other check keeps everything.
		if pings, err := st.ListPings(ctx, keep.ID, 0); err != nil || len(pings) != 3 {
			t.Errorf("ListPings(other check) = %d, %v; want 3", len(pings), err)
		}
		if chans, err := st.ChannelsForCheck(ctx, keep.ID); err != nil || len(chans) != 1 {
			t.Errorf("ChannelsForCheck(other check) = %d, %v; want 1", len(chans), err)
		}
	})
}

// recordPings applies n success pings to one check in one batch, with a flip
// on the first when flip is set, the way the ping writer would.
func recordPings(t *testing.T, st *store.Store, checkID int64, n int, flip bool) {
	t.Helper()
	err := st.ApplyPings(context.Background(), []int64{checkID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		c := m[checkID]
		var pings []model.Ping
		var flips []model.Flip
		for i := 0; i < n; i++ {
			c.NPings++
			now := t0.Add(time.Duration(c.NPings) * time.Second)
			if flip && i == 0 {
				flips = append(flips, model.Flip{CheckID: checkID, Created: now, OldStatus: c.Status, NewStatus: model.StatusUp})
			}
			c.Status, c.LastPing = model.StatusUp, &now
			pings = append(pings, model.Ping{CheckID: checkID, N: c.NPings, Created: now, Scheme: "http", Method: "GET"})
		}
		return pings, flips, nil
	})
	if err != nil {
		t.Fatalf("ApplyPings: %v", err)
	}
}

func TestApplyPings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		a, b := model.NewCheck(f.project.ID, t0), model.NewCheck(f.project.ID, t0)
		for _, c := range []*model.Check{&a, &b} {
			if err := st.CreateCheck(ctx, c, false); err != nil {
				t.Fatalf("CreateCheck: %v", err)
			}
		}
		exit := 3
		dur := 2*time.Minute + 5*time.Microsecond
		bodies := [][]byte{
			[]byte("plain OK"),
			[]byte("ünïcode ✓ 日本語 🚀"),
			{0x00, 0xff, 0xfe, 0x80, 0x00, '\'', '"', '\\', 0x1a},
			nil,
		}
		var seen map[int64]*model.Check
		err := st.ApplyPings(ctx, []int64{b.ID, a.ID, 999999, a.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			seen = m
			var pings []model.Ping
			ca, cb := m[a.ID], m[b.ID]
			// Four pings to a in one batch; each sees the previous one's n.
			for i, body := range bodies {
				ca.NPings++
				at := t0.Add(time.Duration(i) * time.Microsecond)
				p := model.Ping{CheckID: a.ID, N: ca.NPings, Created: at, Kind: model.PingLog, Scheme: "https",
					RemoteAddr: "2001:db8::1", Method: "POST", UA: "curl/8 ✓", Body: body}
				if i == 2 {
					p.Kind, p.ExitStatus, p.RID = model.PingFail, &exit, uuid.NewString()
				}
				pings = append(pings, p)
			}
			last := t0.Add(3 * time.Microsecond)
			ca.Status, ca.LastPing, ca.LastDuration, ca.LastStartRID, ca.HasConfirmationLink = model.StatusDown, &last, &dur, uuid.NewString(), true
			ca.AlertAfter = nil
			cb.NPings++
			cb.Status, cb.LastStart, cb.AlertAfter = model.StatusUp, &last, &last
			pings = append(pings, model.Ping{CheckID: b.ID, N: cb.NPings, Created: last, Kind: model.PingStart})
			flips := []model.Flip{{CheckID: a.ID, Created: last, OldStatus: model.StatusNew, NewStatus: model.StatusDown, Reason: "fail"}}
			return pings, flips, nil
		})
		if err != nil {
			t.Fatalf("ApplyPings: %v", err)
		}
		if len(seen) != 2 || seen[a.ID] == nil || seen[b.ID] == nil {
			t.Fatalf("fn got checks %v, want exactly %d and %d", seen, a.ID, b.ID)
		}
		for _, want := range []*model.Check{seen[a.ID], seen[b.ID]} {
			if got, err := st.CheckByID(ctx, want.ID); err != nil || checkDiff(pingColumns(got), *want) != "" {
				t.Errorf("check %d after ApplyPings = %v%s", want.ID, err, checkDiff(pingColumns(got), *want))
			}
		}

		pings, err := st.ListPings(ctx, a.ID, 10)
		if err != nil || len(pings) != len(bodies) {
			t.Fatalf("ListPings = %d pings, %v; want %d", len(pings), err, len(bodies))
		}
		for i, p := range pings {
			n := int64(len(bodies) - i) // newest first
			if p.N != n || p.CheckID != a.ID || p.ID == 0 {
				t.Errorf("ping %d: n=%d check=%d id=%d; want n=%d check=%d", i, p.N, p.CheckID, p.ID, n, a.ID)
			}
			if !bytes.Equal(p.Body, bodies[n-1]) {
				t.Errorf("ping n=%d body = %q, want %q", n, p.Body, bodies[n-1])
			}
			wantAt := t0us().Add(time.Duration(n-1) * time.Microsecond)
			if !p.Created.Equal(wantAt) || p.Created.Location() != time.UTC {
				t.Errorf("ping n=%d created = %v, want %v UTC", n, p.Created, wantAt)
			}
			if p.UA != "curl/8 ✓" || p.RemoteAddr != "2001:db8::1" || p.Scheme != "https" || p.Method != "POST" {
				t.Errorf("ping n=%d fields = %+v", n, p)
			}
			if n == 3 {
				if p.Kind != model.PingFail || p.ExitStatus == nil || *p.ExitStatus != 3 || p.RID == "" {
					t.Errorf("ping n=3 = kind %q exit %v rid %q; want fail, 3, a rid", p.Kind, p.ExitStatus, p.RID)
				}
			} else if p.Kind != model.PingLog || p.ExitStatus != nil || p.RID != "" {
				t.Errorf("ping n=%d = kind %q exit %v rid %q; want log, nil, empty", n, p.Kind, p.ExitStatus, p.RID)
			}
		}
		if two, err := st.ListPings(ctx, a.ID, 2); err != nil || len(two) != 2 || two[0].N != 4 {
			t.Errorf("ListPings limit 2 = %d pings, %v", len(two), err)
		}
		flips, err := st.ListFlips(ctx, a.ID)
		if err != nil || len(flips) != 1 {
			t.Fatalf("ListFlips = %d, %v; want 1", len(flips), err)
		}
		if fl := flips[0]; fl.NewStatus != model.StatusDown || fl.OldStatus != model.StatusNew || fl.Reason != "fail" ||
			!fl.Created.Equal(t0us().Add(3*time.Microsecond)) || fl.ID == 0 ||
			// Processed means "its notifications are in the outbox", done in the same transaction.
			fl.Processed == nil || !fl.Processed.Equal(fl.Created) {
			t.Errorf("flip = %+v", fl)
		}

		// An error from fn rolls everything back and comes back unchanged.
		boom := errors.New("boom")
		err = st.ApplyPings(ctx, []int64{a.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			m[a.ID].NPings = 1000
			return nil, nil, boom
		})
		if err != boom {
			t.Errorf("ApplyPings with a failing fn: err = %v, want boom", err)
		}
		if got, _ := st.CheckByID(ctx, a.ID); got.NPings != 4 {
			t.Errorf("n_pings after a failed batch = %d, want 4", got.NPings)
		}
		// A ping for a check that wasn't loaded is refused.
		err = st.ApplyPings(ctx, []int64{999999}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
			return []model.Ping{{CheckID: 999999, N: 1, Created: t0}}, nil, nil
		})
		if err == nil {
			t.Error("ApplyPings with a ping for a missing check succeeded")
		}
	})
}

func TestApplyPingsConcurrent(t *testing.T) {
	const workers, batches, perBatch = 8, 15, 5
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		ids := make([]int64, 3)
		for i := range ids {
			c := model.NewCheck(f.project.ID, t0)
			if err := st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatalf("CreateCheck: %v", err)
			}
			ids[i] = c.ID
		}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Workers list the shared checks in different orders, which
				// would deadlock without ordered locking.
				order := []int64{ids[w%3], ids[(w+1)%3], ids[(w+2)%3]}
				for i := 0; i < batches; i++ {
					err := st.ApplyPings(ctx, order, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
						var pings []model.Ping
						for j := 0; j < perBatch; j++ {
							c := m[order[j%len(order)]]
							c.NPings++
							pings = append(pings, model.Ping{CheckID: c.ID, N: c.NPings, Created: t0, Body: []byte("x")})
						}
						return pings, nil, nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent ApplyPings: %v", err)
		}
		var total int64
		for _, id := range ids {
			c, err := st.CheckByID(ctx, id)
			if err != nil {
				t.Fatalf("CheckByID: %v", err)
			}
			pings, err := st.ListPings(ctx, id, 0)
			if err != nil {
				t.Fatalf("ListPings: %v", err)
			}
			if int64(len(pings)) != c.NPings {
				t.Errorf("check %d: n_pings %d but %d ping rows", id, c.NPings, len(pings))
			}
			for i, p := range pings {
				if want := c.NPings - int64(i); p.N != want {
					t.Errorf("check %d: ping %d has n=%d, want %d (lost or duplicated increment)", id, i, p.N, want)
					break
				}
			}
			total += c.NPings
		}
		if want := int64(workers * batches * perBatch); total != want {
			t.Errorf("total n_pings = %d, want %d", total, want)
		}
	})
}

func TestPrunePings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			t.Fatalf("CreateCheck: %v", err)
		}
		recordPings(t, st, c.ID, 10, false)
		tests := []struct {
			keep  int
			wantN []int64
		}{
			{20, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{4, []int64{10, 9, 8, 7}},
			{4, []int64{10, 9, 8, 7}},
			{1, []int64{10}},
			{0, nil},
		}
		for _, tt := range tests {
			if err := st.PrunePings(ctx, c.ID, tt.keep); err != nil {
				t.Fatalf("PrunePings(keep %d): %v", tt.keep, err)
			}
			pings, err := st.ListPings(ctx, c.ID, 0)
			if err != nil {
				t.Fatalf("ListPings: %v", err)
			}
			var got []int64
			for _, p := range pings {
				got = append(got, p.N)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantN) {
				t.Errorf("after PrunePings(keep %d): n = %v, want %v", tt.keep, got, tt.wantN)
			}
		}
		if err := st.PrunePings(ctx, 999999, 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PrunePings(unknown check): err = %v, want ErrNotFound", err)
		}
		if err := st.PrunePings(ctx, c.ID, -1); err == nil {
			t.Error("PrunePings(keep -1) succeeded")
		}
	})
}

func TestChannels(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		other := model.Project{Code: uuid.NewString(), OwnerID: f.user.ID}
		if err := st.CreateProject(ctx, &other); err != nil {
			t.Fatalf("CreateProject: %v", err)
		}
		notified := t0.Add(time.Minute)
		took := 1234 * time.Microsecond
		ch := model.Channel{Code: uuid.NewString(), ProjectID: f.project.ID, Name: "Ops ✓", Kind: "webhook", Value: `{"url":"https://example.org"}`,
			Created: t0, EmailVerified: true, Disabled: true, LastError: "HTTP 500", LastNotify: &notified, LastNotifyDuration: &took}
		foreign := model.Channel{Code: uuid.NewString(), ProjectID: other.ID, Kind: "email"}
		for _, c := range []*model.Channel{&ch, &foreign} {
			if err := st.CreateChannel(ctx, c); err != nil {
				t.Fatalf("CreateChannel: %v", err)
			}
		}
		dup := model.Channel{Code: ch.Code, ProjectID: f.project.ID, Kind: "email"}
		if err := st.CreateChannel(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateChannel with a taken code: err = %v, want ErrDuplicate", err)
		}
		list, err := st.ListChannels(ctx, f.project.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListChannels = %d, %v; want 1", len(list), err)
		}
		got := list[0]
		if got.ID != ch.ID || got.Name != ch.Name || got.Value != ch.Value || !got.EmailVerified || !got.Disabled || got.LastError != "HTTP 500" ||
			got.LastNotify == nil || !got.LastNotify.Equal(notified.Truncate(time.Microsecond)) ||
			got.LastNotifyDuration == nil || *got.LastNotifyDuration != took || !got.Created.Equal(t0us()) {
			t.Errorf("ListChannels round trip = %+v, want %+v", got, ch)
		}

		c := model.NewCheck(f.project.ID, t0)
		if err := st.CreateCheck(ctx, &c, true); err != nil {
			t.Fatalf("CreateCheck: %v", err)
		}
		// Channels of another project are never linked.
		if err := st.SetCheckChannels(ctx, c.ID, []int64{foreign.ID, ch.ID, ch.ID}); err != nil {
			t.Fatalf("SetCheckChannels: %v", err)
		}
		if chans, err := st.ChannelsForCheck(ctx, c.ID); err != nil || len(chans) != 1 || chans[0].ID != ch.ID {
			t.Errorf("ChannelsForCheck = %+v, %v; want only channel %d", chans, err, ch.ID)
		}
		if err := st.SetCheckChannels(ctx, c.ID, nil); err != nil {
			t.Fatalf("SetCheckChannels(none): %v", err)
		}
		if chans, err := st.ChannelsForCheck(ctx, c.ID); err != nil || len(chans) != 0 {
			t.Errorf("ChannelsForCheck after clearing = %d, %v; want 0", len(chans), err)
		}
	})
}

func TestMigrateIdempotent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if ok, err := st.SchemaCurrent(ctx); err != nil || !ok {
			t.Errorf("SchemaCurrent = %v, %v; want true", ok, err)
		}
		if _, err := st.UserByID(ctx, f.user.ID); err != nil {
			t.Errorf("data lost after second Migrate: %v", err)
		}
	})
}

// Two instances starting at once against one server database must not both
// run the migrations.
func TestMigrateConcurrent(t *testing.T) {
	for _, e := range storetest.Engines() {
		if e == "sqlite" {
			continue // one process owns a SQLite file
		}
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			cfg := storetest.NewDatabase(t, e)
			ctx := context.Background()
			stores := make([]*store.Store, 2)
			for i := range stores {
				st, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				t.Cleanup(func() { st.Close() })
				stores[i] = st
			}
			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			for i, st := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = st.Migrate(ctx)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Migrate on store %d: %v", i, err)
				}
			}
			newFixture(t, stores[1])
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tests := []struct {
		name string
		cfg  store.Config
		want []string // substrings of the error
	}{
		{"unknown engine", store.Config{Engine: "oracle"}, []string{"oracle"}},
		{"sqlite without a file", store.Config{Engine: "sqlite"}, []string{"sqlite"}},
		{"sqlite in memory", store.Config{Engine: "sqlite", Path: ":memory:"}, []string{"sqlite", ":memory:"}},
		{"sqlite in a missing directory", store.Config{Engine: "sqlite", Path: t.TempDir() + "/no/such/dir/db.sqlite"}, []string{"sqlite", "no/such/dir"}},
		{"postgres refused", store.Config{Engine: "postgres", Host: "127.0.0.1", Port: "1", Name: "hc", User: "u", Password: "secret", SSLMode: "disable"},
			[]string{"postgres", "127.0.0.1:1"}},
		{"mysql refused", store.Config{Engine: "mysql", Host: "127.0.0.1", Port: "1", Name: "hc", User: "u", Password: "secret"},
			[]string{"mysql", "127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(ctx, tt.cfg)
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestDueChecks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		if next, err := st.NextAlertAfter(ctx); err != nil || next != nil {
			t.Errorf("NextAlertAfter on no checks = %v, %v; want nil", next, err)
		}
		at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
		specs := []struct {
			name   string
			status string
			after  *time.Time
		}{
			{"due-late", model.StatusUp, at(-time.Second)},
			{"due-exact", model.StatusUp, at(0)},
			{"due-early", model.StatusNew, at(-time.Hour)},
			{"future", model.StatusUp, at(time.Microsecond)},
			{"already-down", model.StatusDown, at(-2 * time.Hour)},
			{"never", model.StatusPaused, nil},
		}
		for _, sp := range specs {
			c := model.NewCheck(f.project.ID, t0)
			c.Name, c.Status, c.AlertAfter = sp.name, sp.status, sp.after
			if err := st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatalf("CreateCheck: %v", err)
			}
		}
		due, err := st.DueChecks(ctx, t0, 10)
		if err != nil {
			t.Fatalf("DueChecks: %v", err)
		}
		var names []string
		for _, c := range due {
			names = append(names, c.Name)
		}
		if got, want := strings.Join(names, ","), "due-early,due-late,due-exact"; got != want {
			t.Errorf("DueChecks = %s, want %s", got, want)
		}
		if two, err := st.DueChecks(ctx, t0, 2); err != nil || len(two) != 2 {
			t.Errorf("DueChecks limit 2 = %d, %v", len(two), err)
		}
		if _, err := st.DueChecks(ctx, t0, 0); err == nil {
			t.Error("DueChecks with limit 0 succeeded")
		}
		next, err := st.NextAlertAfter(ctx)
		if err != nil || next == nil || !next.Equal(t0us().Add(-time.Hour)) {
			t.Errorf("NextAlertAfter = %v, %v; want %v", next, err, t0us().Add(-time.Hour))
		}
	})
}
