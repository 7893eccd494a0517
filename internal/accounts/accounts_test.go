package accounts_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/mailer/smtptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

type world struct {
	st   *store.Store
	smtp *smtptest.Server
	acc  *accounts.Accounts
}

// forEachEngine runs f on a fresh database of every engine, with an SMTP
// server for verification emails.
func forEachEngine(t *testing.T, tweak func(*accounts.Options), f func(t *testing.T, w world)) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := world{st: storetest.Open(t, engine), smtp: smtptest.Start(t, smtptest.Options{})}
			w.acc = newAccounts(t, w, tweak)
			f(t, w)
		})
	}
}

func newAccounts(t *testing.T, w world, tweak func(*accounts.Options)) *accounts.Accounts {
	t.Helper()
	o := accounts.Options{
		Store: w.st, Kinds: kinds.New(),
		Mailer:   mailer.New(mailer.Config{Host: w.smtp.Host, Port: w.smtp.Port, From: "overdue@example.org"}),
		Clock:    func() time.Time { return t0 },
		SiteRoot: "https://overdue.example", SiteName: "Overdue", SecretKey: "secret",
		EmailUseVerification: true, PingLogLimit: 100,
	}
	if tweak != nil {
		tweak(&o)
	}
	a, err := accounts.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// failingReader hands out good bytes, then fails.
type failingReader struct{ good io.Reader }

func (r failingReader) Read(p []byte) (int, error) {
	n, err := r.good.Read(p)
	if err == io.EOF {
		return n, errors.New("entropy ran out")
	}
	return n, err
}

// randThen is n bytes of crypto/rand (unique UUIDs), then zero bytes
// (which make keys without "-" or "_", so no key is drawn twice), up to
// total bytes in all, then a failure.
func randThen(n, total int) io.Reader {
	return failingReader{io.MultiReader(io.LimitReader(rand.Reader, int64(n)), io.LimitReader(zeros{}, int64(total-n)))}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func noUser(t *testing.T, st *store.Store, address string) {
	t.Helper()
	if u, err := st.UserByEmail(context.Background(), address); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user %s: %+v, %v; want none", address, u, err)
	}
}

func TestNewRequiresStoreAndKinds(t *testing.T) {
	if _, err := accounts.New(accounts.Options{}); err == nil || err.Error() != "accounts: Store and Kinds are required" {
		t.Errorf("New(no store) = %v", err)
	}
}

func TestCreateSuperuser(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		u, np, err := w.acc.CreateSuperuser(ctx, "admin@example.org", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.st.UserByEmail(ctx, "ADMIN@example.org")
		if err != nil || got.ID != u.ID || !got.IsSuperuser || got.CheckLimit != accounts.DefaultCheckLimit || got.PingLogLimit != 100 ||
			!got.Created.Equal(t0) || !auth.CheckPassword(got.Password, "correct horse") {
			t.Errorf("stored user %+v, %v", got, err)
		}
		projects, err := w.st.ListProjectsOwnedBy(ctx, u.ID)
		if err != nil || len(projects) != 1 || projects[0].Name != accounts.FirstProjectName || projects[0].Code != np.Project.Code {
			t.Fatalf("projects %+v, %v; want one %q", projects, err, accounts.FirstProjectName)
		}
		checkKeys(t, w.st, np)

		// The same address in another case is the same user.
		_, _, err = w.acc.CreateSuperuser(ctx, "Admin@Example.org", "another password")
		if !errors.Is(err, accounts.ErrUserExists) || err.Error() != "Admin@Example.org: "+accounts.ErrUserExists.Error() {
			t.Errorf("duplicate: %v", err)
		}
		if projects, _ := w.st.ListProjectsOwnedBy(ctx, u.ID); len(projects) != 1 {
			t.Errorf("a refused duplicate left %d projects, want 1", len(projects))
		}

		for _, c := range []struct{ address, password string }{
			{"", "long enough"}, {"no-at-sign", "long enough"}, {"a@", "long enough"}, {"@b", "long enough"},
			{"a b@example.org", "long enough"}, {"a@b@example.org", "long enough"}, {"a\x00@example.org", "long enough"},
			{"a\n@example.org", "long enough"}, {strings.Repeat("a", 243) + "@example.org", "long enough"},
		} {
			_, _, err := w.acc.CreateSuperuser(ctx, c.address, c.password)
			if !errors.Is(err, accounts.ErrInvalidEmail) || err.Error() != fmt.Sprintf("%q: %v", c.address, accounts.ErrInvalidEmail) {
				t.Errorf("CreateSuperuser(%.40q) = %v, want ErrInvalidEmail naming the address", c.address, err)
			}
			if !strings.ContainsRune(c.address, 0) { // PostgreSQL cannot even look one up
				noUser(t, w.st, c.address)
			}
		}
		for _, pw := range []string{"", "1234567", "ééé"} { // "ééé" is 6 bytes
			_, _, err := w.acc.CreateSuperuser(ctx, "short@example.org", pw)
			if !errors.Is(err, accounts.ErrPasswordTooShort) {
				t.Errorf("password %q: %v", pw, err)
			}
		}
		noUser(t, w.st, "short@example.org")
	})
}

// checkKeys: the secrets handed out are the ones the database knows, by
// hash for the API keys.
func checkKeys(t *testing.T, st *store.Store, np accounts.NewProject) {
	t.Helper()
	ctx := context.Background()
	if !strings.HasPrefix(np.APIKey, "hcw_") || len(np.APIKey) != 32 || !strings.HasPrefix(np.APIKeyReadonly, "hcr_") || len(np.APIKeyReadonly) != 32 ||
		len(np.PingKey) != 22 || strings.ToLower(np.PingKey) != np.PingKey {
		t.Errorf("keys %q %q %q: want upstream's shapes", np.APIKey, np.APIKeyReadonly, np.PingKey)
	}
	p, err := st.ProjectByCode(ctx, np.Project.Code)
	if err != nil || p.APIKey != auth.HashAPIKey(np.APIKey) || p.APIKeyReadonly != auth.HashAPIKey(np.APIKeyReadonly) ||
		p.PingKey != np.PingKey || p.BadgeKey == "" || !p.Created.Equal(t0) {
		t.Errorf("stored project %+v, %v", p, err)
	}
	if pp, err := st.ProjectByPingKey(ctx, np.PingKey); err != nil || pp.ID != p.ID {
		t.Errorf("by ping key: %+v, %v", pp, err)
	}
}

func TestCreateProject(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		np, err := w.acc.CreateProject(ctx, "owner@example.org", "Backups")
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, w.st, np)
		owner, err := w.st.UserByEmail(ctx, "owner@example.org")
		if err != nil || owner.IsSuperuser || !strings.HasPrefix(owner.Password, "!") || auth.CheckPassword(owner.Password, "") ||
			owner.CheckLimit != accounts.DefaultCheckLimit || np.Project.OwnerID != owner.ID {
			t.Errorf("new owner %+v, %v: want a user without a usable password", owner, err)
		}
		// An existing owner (any case) gets a second project, not a second user.
		np2, err := w.acc.CreateProject(ctx, "OWNER@example.org", strings.Repeat("é", 100)) // 200 bytes
		if err != nil || np2.Project.OwnerID != owner.ID {
			t.Fatalf("second project: %+v, %v", np2.Project, err)
		}
		if projects, _ := w.st.ListProjectsOwnedBy(ctx, owner.ID); len(projects) != 2 {
			t.Errorf("%d projects, want 2", len(projects))
		}

		for _, name := range []string{"", "   ", "\t\n", strings.Repeat("x", 201), strings.Repeat("é", 100) + "x"} {
			_, err := w.acc.CreateProject(ctx, "other@example.org", name)
			if !errors.Is(err, accounts.ErrProjectName) {
				t.Errorf("name %.20q: %v, want ErrProjectName", name, err)
			}
		}
		if _, err := w.acc.CreateProject(ctx, "not an address", "P"); !errors.Is(err, accounts.ErrInvalidEmail) {
			t.Errorf("bad owner: %v", err)
		}
		noUser(t, w.st, "other@example.org")

		// PostgreSQL cannot store U+0000: refused up front, not a driver error.
		_, err = w.acc.CreateProject(ctx, "nul@example.org", "a\x00b")
		if w.st.TextHoldsNUL() {
			if err != nil {
				t.Errorf("NUL on %s: %v", w.st.Engine(), err)
			}
		} else {
			if !errors.Is(err, accounts.ErrNUL) || err.Error() != "the project name: "+accounts.ErrNUL.Error() {
				t.Errorf("NUL on %s: %v, want ErrNUL", w.st.Engine(), err)
			}
			noUser(t, w.st, "nul@example.org")
		}
	})
}

// A random source that fails, at any of the draws a project needs, leaves
// no row at all: neither the project nor the owner it would have created.
func TestCreateProjectRandomFailure(t *testing.T) {
	for _, c := range []struct {
		name        string
		good, total int
		want        string
	}{
		{"no randomness", 0, 0, "generate the project's UUID: "},
		{"UUID only", 16, 16, "generate the project's badge key: "},
		{"no API key", 32, 32, "generate the API key: "},
		{"no read-only key", 32, 53, "generate the read-only API key: "},
		{"no ping key", 32, 74, "generate the ping key: "},
		{"no owner password", 32, 90, "cannot find or create the owner: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachEngine(t, func(o *accounts.Options) { o.Rand = randThen(c.good, c.total) }, func(t *testing.T, w world) {
				_, err := w.acc.CreateProject(context.Background(), "owner@example.org", "P")
				if err == nil || !strings.HasPrefix(err.Error(), c.want) || !strings.Contains(err.Error(), "entropy ran out") {
					t.Errorf("error %v, want %q...entropy ran out", err, c.want)
				}
				noUser(t, w.st, "owner@example.org")
			})
		})
	}
	// A superuser whose first project cannot get its keys is not created.
	forEachEngine(t, func(o *accounts.Options) { o.Rand = randThen(32, 40) }, func(t *testing.T, w world) {
		if _, _, err := w.acc.CreateSuperuser(context.Background(), "admin@example.org", "long enough"); err == nil {
			t.Error("superuser created without keys")
		}
		noUser(t, w.st, "admin@example.org")
	})
}

// A project insert that fails (a ping key already taken, which random keys
// never make but the database still refuses) rolls back the new owner too.
func TestCreateAccountIsOneTransaction(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		first, err := w.acc.CreateProject(ctx, "first@example.org", "P")
		if err != nil {
			t.Fatal(err)
		}
		u := model.User{Email: "second@example.org", Password: "!", CheckLimit: 1}
		p := model.Project{Code: "6c0b0e5e-9a55-4e08-8c43-4e4f8a0e3b11", Name: "Q", PingKey: first.PingKey}
		err = w.st.CreateAccount(ctx, &u, &p)
		if !errors.Is(err, store.ErrDuplicate) || u.ID != 0 || p.ID != 0 {
			t.Errorf("CreateAccount with a taken ping key: %v (user id %d, project id %d)", err, u.ID, p.ID)
		}
		noUser(t, w.st, "second@example.org")
	})
}

func webhookForm() url.Values {
	return url.Values{"url_down": {"https://hooks.example/down"}, "method_down": {"POST"}, "body_down": {"$NAME"}}
}

func TestAddChannel(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		np, err := w.acc.CreateProject(ctx, "owner@example.org", "P")
		if err != nil {
			t.Fatal(err)
		}
		var checks []model.Check
		for range 2 {
			c := model.NewCheck(np.Project.ID, t0)
			if err := w.st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
			checks = append(checks, c)
		}
		add := func(kind, name string, form url.Values) (accounts.AddedChannel, error) {
			return w.acc.AddChannel(ctx, accounts.NewChannel{Project: np.Project.Code, Kind: notify.Kind(kind), Name: name, Form: form})
		}

		// A new address gets a link and stays unverified until it is opened.
		team, err := add("email", "Team", url.Values{"value": {"team@example.org"}, "down": {"on"}})
		if err != nil || !team.VerificationSent || team.Channel.EmailVerified {
			t.Fatalf("team: %+v, %v", team, err)
		}
		m := <-w.smtp.Received()
		if m.To[0] != "team@example.org" || !strings.Contains(strings.ReplaceAll(string(m.Data), "=\r\n", ""), "https://overdue.example/integrations/"+team.Channel.Code+"/verify/") {
			t.Errorf("verification mail to %v:\n%s", m.To, m.Data)
		}
		// The owner's own address, in any case, needs no link.
		own, err := add("email", "", url.Values{"value": {"Owner@Example.org"}, "up": {"on"}})
		if err != nil || own.VerificationSent || !own.Channel.EmailVerified {
			t.Errorf("own address: %+v, %v", own, err)
		}
		hook, err := add("webhook", strings.Repeat("é", 100), webhookForm())
		if err != nil || hook.VerificationSent {
			t.Fatalf("webhook: %+v, %v", hook, err)
		}
		stored, err := w.st.ChannelByCode(ctx, hook.Channel.Code)
		if err != nil || stored.Kind != "webhook" || stored.Name != strings.Repeat("é", 100) || !stored.Created.Equal(t0) ||
			stored.Value != `{"body_down":"$NAME","body_up":"","headers_down":{},"headers_up":{},"method_down":"POST","method_up":"GET","url_down":"https://hooks.example/down","url_up":""}` {
			t.Errorf("stored webhook %+v, %v", stored, err)
		}
		// Linked to every check of the project.
		for _, c := range checks {
			chs, err := w.st.ChannelsForCheck(ctx, c.ID)
			if err != nil || len(chs) != 3 {
				t.Errorf("check %d has %d channels (%v), want 3", c.ID, len(chs), err)
			}
		}

		// Refusals, each precise, none leaving a row.
		var fe *notify.FieldError
		for _, c := range []struct {
			name    string
			nc      accounts.NewChannel
			is      error
			asField string
		}{
			{"bad project UUID", accounts.NewChannel{Project: "nope", Kind: "webhook", Form: webhookForm()}, accounts.ErrProjectCode, ""},
			{"upper-case UUID", accounts.NewChannel{Project: strings.ToUpper(np.Project.Code), Kind: "webhook", Form: webhookForm()}, accounts.ErrProjectCode, ""},
			{"unknown project", accounts.NewChannel{Project: "6c0b0e5e-9a55-4e08-8c43-4e4f8a0e3b11", Kind: "webhook", Form: webhookForm()}, accounts.ErrNoSuchProject, ""},
			{"101-character name", accounts.NewChannel{Project: np.Project.Code, Kind: "webhook", Name: strings.Repeat("é", 101), Form: webhookForm()}, accounts.ErrChannelName, ""},
			// Kinds upstream removed: no build ever adds them.
			{"unknown kind", accounts.NewChannel{Project: np.Project.Code, Kind: "linenotify", Form: url.Values{}}, nil, "kind"},
			{"removed kind", accounts.NewChannel{Project: np.Project.Code, Kind: "msteams", Form: url.Values{}}, nil, "kind"},
			{"bad address", accounts.NewChannel{Project: np.Project.Code, Kind: "email", Form: url.Values{"value": {"x"}, "up": {"on"}}}, nil, "value"},
			{"bad URL", accounts.NewChannel{Project: np.Project.Code, Kind: "webhook", Form: url.Values{"url_up": {"javascript:alert(1)"}}}, nil, "url_up"},
		} {
			_, err := w.acc.AddChannel(ctx, c.nc)
			switch {
			case c.is != nil && !errors.Is(err, c.is):
				t.Errorf("%s: %v, want %v", c.name, err, c.is)
			case c.is == nil && (!errors.As(err, &fe) || fe.Field != c.asField):
				t.Errorf("%s: %v, want a *notify.FieldError on %q", c.name, err, c.asField)
			}
		}
		if chs, _ := w.st.ListChannels(ctx, np.Project.ID); len(chs) != 3 {
			t.Errorf("%d channels after the refusals, want 3", len(chs))
		}
		if n := len(w.smtp.Mails()); n != 1 {
			t.Errorf("%d emails, want the one verification", n)
		}

		_, err = add("webhook", "a\x00b", webhookForm())
		if !w.st.TextHoldsNUL() && !errors.Is(err, accounts.ErrNUL) {
			t.Errorf("NUL name on %s: %v", w.st.Engine(), err)
		}
	})
}

func TestAddChannelWithoutVerification(t *testing.T) {
	forEachEngine(t, func(o *accounts.Options) { o.EmailUseVerification = false }, func(t *testing.T, w world) {
		ctx := context.Background()
		np, err := w.acc.CreateProject(ctx, "owner@example.org", "P")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := w.acc.AddChannel(ctx, accounts.NewChannel{Project: np.Project.Code, Kind: "email", Form: url.Values{"value": {"team@example.org"}, "down": {"on"}}})
		if err != nil || ch.VerificationSent || !ch.Channel.EmailVerified {
			t.Errorf("%+v, %v", ch, err)
		}
		if n := len(w.smtp.Mails()); n != 0 {
			t.Errorf("%d emails with EMAIL_USE_VERIFICATION=False", n)
		}
	})
}

// A verification email the relay refuses: the channel stays (it can be
// verified later), and the error says so and carries the relay's reason.
func TestAddChannelVerificationFails(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := world{st: storetest.Open(t, engine), smtp: smtptest.Start(t, smtptest.Options{RejectRcpt: true})}
			w.acc = newAccounts(t, w, nil)
			ctx := context.Background()
			np, err := w.acc.CreateProject(ctx, "owner@example.org", "P")
			if err != nil {
				t.Fatal(err)
			}
			added, err := w.acc.AddChannel(ctx, accounts.NewChannel{Project: np.Project.Code, Kind: "email", Form: url.Values{"value": {"team@example.org"}, "down": {"on"}}})
			var ve *accounts.VerificationError
			if !errors.As(err, &ve) || ve.Address != "team@example.org" || added.Channel.ID == 0 || added.VerificationSent ||
				!strings.HasPrefix(err.Error(), "the integration was added, but the verification email could not be sent: ") {
				t.Fatalf("%+v, %v", added, err)
			}
			if _, err := w.st.ChannelByCode(ctx, added.Channel.Code); err != nil {
				t.Errorf("channel not kept: %v", err)
			}
		})
	}
}

func TestAddChannelRandomFailure(t *testing.T) {
	forEachEngine(t, nil, func(t *testing.T, w world) {
		ctx := context.Background()
		np, err := w.acc.CreateProject(ctx, "owner@example.org", "P")
		if err != nil {
			t.Fatal(err)
		}
		broken := newAccounts(t, w, func(o *accounts.Options) { o.Rand = randThen(0, 0) })
		_, err = broken.AddChannel(ctx, accounts.NewChannel{Project: np.Project.Code, Kind: "webhook", Form: webhookForm()})
		if err == nil || !strings.HasPrefix(err.Error(), "generate the integration's UUID: ") {
			t.Errorf("error %v", err)
		}
		if chs, _ := w.st.ListChannels(ctx, np.Project.ID); len(chs) != 0 {
			t.Errorf("%d channels, want none", len(chs))
		}
	})
}

// The pure checks the CLI runs before it opens the database.
func TestChecks(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{accounts.CheckEmail("x"), `"x": ` + accounts.ErrInvalidEmail.Error()},
		{accounts.CheckEmail("a@example.org"), ""},
		{accounts.CheckPassword("12345678"), ""},
		{accounts.CheckPassword("1234567"), accounts.ErrPasswordTooShort.Error()},
		{accounts.CheckProjectName("P"), ""},
		{accounts.CheckProjectName(" "), `" ": ` + accounts.ErrProjectName.Error()},
	} {
		got := ""
		if c.err != nil {
			got = c.err.Error()
		}
		if got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	v, err := accounts.CheckChannel(kinds.New(), accounts.NewChannel{Project: "6c0b0e5e-9a55-4e08-8c43-4e4f8a0e3b11", Kind: "email",
		Form: url.Values{"value": {"a@example.org"}, "up": {"on"}, "down": {"on"}}})
	if err != nil || v != `{"down":true,"up":true,"value":"a@example.org"}` {
		t.Errorf("CheckChannel: %q, %v", v, err)
	}
}
