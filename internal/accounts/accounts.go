// Package accounts holds the business rules for creating users, projects
// and integrations: what input is valid, which secrets a project gets,
// which rows are written together, and when a verification email goes out.
// The CLI and the web UI both call it; neither repeats its rules.
package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/group"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/ratelimit"
	"github.com/overdue/overdue/internal/store"
)

// DefaultCheckLimit is how many checks a new user may have: upstream's
// limit when payments are off.
const DefaultCheckLimit = 10000

// FirstProjectName is the project every new superuser starts with, as
// upstream gives every new account one.
const FirstProjectName = "My Project"

// Limits on input, as upstream's models and forms set them.
const (
	MinPasswordLen    = 8   // bytes, as Overdue's CLI has always counted
	MaxProjectNameLen = 200 // bytes, as Overdue's CLI has always counted
	MaxChannelNameLen = 100 // characters (Django's max_length)
)

// Refused input. Errors returned by this package wrap one of these (test
// with errors.Is); the wrapping text names the value.
var (
	ErrInvalidEmail     = errors.New("not an email address (one @, no spaces, at most 254 bytes)")
	ErrPasswordTooShort = errors.New("the password must be at least 8 characters long")
	ErrUserExists       = errors.New("a user with this email address already exists")
	ErrProjectName      = errors.New("a project name is required and must be at most 200 characters")
	ErrProjectCode      = errors.New("not a project UUID")
	ErrNoSuchProject    = errors.New("there is no such project")
	ErrChannelName      = errors.New("an integration name is limited to 100 characters")
	ErrNUL              = errors.New("the database cannot store a NUL character")
)

// Options are an Accounts' dependencies; main builds them once.
type Options struct {
	Store *store.Store
	// Kinds is the integration registry (kinds.New()).
	Kinds *kinds.Registry
	// Mailer sends verification emails.
	Mailer notify.Mailer
	// Clock is the time rows are created at; nil is time.Now.
	Clock func() time.Time
	// Rand is where keys and UUIDs come from; nil is crypto/rand.Reader.
	Rand io.Reader
	// SiteRoot, SiteName and SecretKey build verification links.
	SiteRoot, SiteName, SecretKey string
	// EmailUseVerification is EMAIL_USE_VERIFICATION: when false, new email
	// integrations are verified at once.
	EmailUseVerification bool
	// PingLogLimit is PING_LOG_LIMIT, new users' ping log length.
	PingLogLimit int
}

// Accounts creates users, projects and integrations. It is safe for
// concurrent use.
type Accounts struct {
	o Options
	// invites is upstream's invitation bucket, per inviting user.
	invites *ratelimit.Limiter
}

// New returns an Accounts over o; Store and Kinds are required.
func New(o Options) (*Accounts, error) {
	if o.Store == nil || o.Kinds == nil {
		return nil, errors.New("accounts: Store and Kinds are required")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &Accounts{o: o, invites: ratelimit.Every(InvitesPerDay, 24*time.Hour, o.Clock)}, nil
}

// CheckEmail reports whether s can be a user's email address.
func CheckEmail(s string) error {
	if !model.ValidEmail(s) {
		return fmt.Errorf("%q: %w", s, ErrInvalidEmail)
	}
	return nil
}

// CheckPassword reports whether pw can be a password.
func CheckPassword(pw string) error {
	if len(pw) < MinPasswordLen {
		return ErrPasswordTooShort
	}
	return nil
}

// CheckProjectName reports whether name can be a project's name: not blank,
// at most 200 bytes.
func CheckProjectName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxProjectNameLen {
		return fmt.Errorf("%.40q: %w", name, ErrProjectName)
	}
	return nil
}

// checkText refuses a NUL character where the engine cannot store one
// (PostgreSQL), which would otherwise fail the insert with a driver error.
func (a *Accounts) checkText(what string, values ...string) error {
	if a.o.Store.TextHoldsNUL() {
		return nil
	}
	for _, v := range values {
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("%s: %w", what, ErrNUL)
		}
	}
	return nil
}

// NewProject is a created project with the secrets that are shown once:
// the database keeps only hashes of the API keys.
type NewProject struct {
	Project        model.Project
	APIKey         string // read-write, "hcw_..."
	APIKeyReadonly string // "hcr_..."
	PingKey        string
}

// newProject draws a project's code, keys and badge key. Nothing is
// written, so a failing random source leaves no row behind.
func (a *Accounts) newProject(name string) (NewProject, error) {
	r := a.o.Rand
	code, err := uuid.NewRandomFromReader(r)
	if err != nil {
		return NewProject{}, fmt.Errorf("generate the project's UUID: %w", err)
	}
	badge, err := uuid.NewRandomFromReader(r)
	if err != nil {
		return NewProject{}, fmt.Errorf("generate the project's badge key: %w", err)
	}
	// Upstream's current key shape: a read-write "hcw_" or read-only "hcr_"
	// prefix and 28 random characters, 32 in all, as its API demands.
	rw, err := auth.APIKeyFrom(r, "hcw_")
	if err != nil {
		return NewProject{}, fmt.Errorf("generate the API key: %w", err)
	}
	ro, err := auth.APIKeyFrom(r, "hcr_")
	if err != nil {
		return NewProject{}, fmt.Errorf("generate the read-only API key: %w", err)
	}
	ping, err := auth.PingKeyFrom(r)
	if err != nil {
		return NewProject{}, fmt.Errorf("generate the ping key: %w", err)
	}
	return NewProject{
		Project: model.Project{Code: code.String(), Name: name, APIKey: auth.HashAPIKey(rw), APIKeyReadonly: auth.HashAPIKey(ro),
			PingKey: ping, BadgeKey: badge.String(), Created: a.o.Clock().UTC()},
		APIKey: rw, APIKeyReadonly: ro, PingKey: ping,
	}, nil
}

// CreateSuperuser creates an administrator with password and a first
// project, "My Project", in one transaction.
func (a *Accounts) CreateSuperuser(ctx context.Context, address, password string) (model.User, NewProject, error) {
	if err := CheckEmail(address); err != nil {
		return model.User{}, NewProject{}, err
	}
	if err := CheckPassword(password); err != nil {
		return model.User{}, NewProject{}, err
	}
	np, err := a.newProject(FirstProjectName)
	if err != nil {
		return model.User{}, NewProject{}, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return model.User{}, NewProject{}, err
	}
	u := model.User{Email: address, Password: hash, IsSuperuser: true, CheckLimit: DefaultCheckLimit,
		PingLogLimit: a.o.PingLogLimit, Created: a.o.Clock()}
	if err := a.o.Store.CreateAccount(ctx, &u, &np.Project); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			if _, lerr := a.o.Store.UserByEmail(ctx, address); lerr == nil {
				return model.User{}, NewProject{}, fmt.Errorf("%s: %w", address, ErrUserExists)
			}
		}
		return model.User{}, NewProject{}, err
	}
	return u, np, nil
}

// CreateProject creates a project named name for the user with the email
// address owner, creating that user (without a usable password) when there
// is none; a new owner and the project are written in one transaction.
func (a *Accounts) CreateProject(ctx context.Context, owner, name string) (NewProject, error) {
	if err := CheckEmail(owner); err != nil {
		return NewProject{}, err
	}
	if err := CheckProjectName(name); err != nil {
		return NewProject{}, err
	}
	if err := a.checkText("the project name", name); err != nil {
		return NewProject{}, err
	}
	np, err := a.newProject(name)
	if err != nil {
		return NewProject{}, err
	}
	for try := 0; ; try++ {
		u, err := a.o.Store.UserByEmail(ctx, owner)
		if errors.Is(err, store.ErrNotFound) {
			var perr error
			if u, perr = a.passwordlessUser(owner); perr != nil {
				return NewProject{}, fmt.Errorf("cannot find or create the owner: %w", perr)
			}
			err = nil
		}
		if err != nil {
			return NewProject{}, fmt.Errorf("cannot find or create the owner: %w", err)
		}
		newOwner := u.ID == 0
		err = a.o.Store.CreateAccount(ctx, &u, &np.Project)
		if err == nil {
			return np, nil
		}
		// Another process created the same owner meanwhile: use theirs.
		if newOwner && errors.Is(err, store.ErrDuplicate) && try == 0 {
			if _, lerr := a.o.Store.UserByEmail(ctx, owner); lerr == nil {
				continue
			}
		}
		if newOwner {
			return NewProject{}, fmt.Errorf("cannot find or create the owner: %w", err)
		}
		return NewProject{}, fmt.Errorf("create project: %w", err)
	}
}

// NewChannel is a request to add an integration to a project.
type NewChannel struct {
	// Project is the project's UUID, in lower case.
	Project string
	Kind    notify.Kind
	Name    string
	// Form holds the kind's fields (notify.Integration.Fields).
	Form url.Values
	// Value, when set, is the stored value itself, which a provider's
	// set-up round-trip gave (never what a user typed: a GitHub App
	// installation, say, must not be named by a form); it is checked with
	// the kind's Validate, and Form is not read.
	Value string
}

// CheckChannel checks nc without the database: the project UUID's shape,
// the name, and the kind's form (a *notify.FieldError). It returns the
// value the channel would store.
func CheckChannel(reg *kinds.Registry, nc NewChannel) (value string, err error) {
	if u, err := uuid.Parse(nc.Project); err != nil || u.String() != nc.Project {
		return "", fmt.Errorf("%.40q: %w", nc.Project, ErrProjectCode)
	}
	if utf8.RuneCountInString(nc.Name) > MaxChannelNameLen {
		return "", ErrChannelName
	}
	if nc.Value != "" {
		if in, ok := reg.Lookup(nc.Kind); ok && in.Addable() {
			return nc.Value, in.Validate(nc.Value)
		}
	}
	return reg.FromForm(nc.Kind, nc.Form)
}

// AddedChannel is the outcome of AddChannel.
type AddedChannel struct {
	Channel model.Channel
	// VerificationSent is true when a verification link was emailed: the
	// channel sends nothing until it is opened.
	VerificationSent bool
}

// VerificationError is AddChannel's error when the channel was added but
// its verification email could not be sent.
type VerificationError struct {
	Address string
	Err     error
}

func (e *VerificationError) Error() string {
	return "the integration was added, but the verification email could not be sent: " + e.Err.Error()
}

func (e *VerificationError) Unwrap() error { return e.Err }

// AddChannel adds an integration to a project and links it to every check
// there, in one transaction, as upstream's "Add integration" pages do. A
// new email address gets a verification link, unless it is the project
// owner's own address or EMAIL_USE_VERIFICATION is False; when that email
// fails, the channel stays and the error is a *VerificationError.
func (a *Accounts) AddChannel(ctx context.Context, nc NewChannel) (AddedChannel, error) {
	value, err := CheckChannel(a.o.Kinds, nc)
	if err != nil {
		return AddedChannel{}, err
	}
	if err := a.checkText("the integration", nc.Name, value); err != nil {
		return AddedChannel{}, err
	}
	code, err := uuid.NewRandomFromReader(a.o.Rand)
	if err != nil {
		return AddedChannel{}, fmt.Errorf("generate the integration's UUID: %w", err)
	}
	p, err := a.o.Store.ProjectByCode(ctx, nc.Project)
	if errors.Is(err, store.ErrNotFound) {
		return AddedChannel{}, fmt.Errorf("%s: %w", nc.Project, ErrNoSuchProject)
	}
	if err != nil {
		return AddedChannel{}, err
	}
	if nc.Kind == "group" {
		if err := a.checkMembers(ctx, p.ID, value); err != nil {
			return AddedChannel{}, err
		}
	}
	ch := model.Channel{Code: code.String(), ProjectID: p.ID, Name: nc.Name, Kind: string(nc.Kind), Value: value, Created: a.o.Clock()}
	verify := a.setVerified(ctx, &ch, p.OwnerID)
	if err := a.o.Store.CreateChannelForAllChecks(ctx, &ch); err != nil {
		return AddedChannel{}, err
	}
	out := AddedChannel{Channel: ch}
	if verify {
		if err := a.sendVerification(ctx, ch); err != nil {
			return out, err
		}
		out.VerificationSent = true
	}
	return out, nil
}

// setVerified decides an email channel's verification: none is needed for
// the project owner's own address or when EMAIL_USE_VERIFICATION is False.
// It reports whether a verification email must go out.
func (a *Accounts) setVerified(ctx context.Context, ch *model.Channel, ownerID int64) bool {
	if ch.Kind != "email" {
		return false
	}
	owner, err := a.o.Store.UserByID(ctx, ownerID)
	ownAddress := err == nil && strings.EqualFold(owner.Email, email.Address(ch.Value))
	ch.EmailVerified = !a.o.EmailUseVerification || ownAddress
	return !ch.EmailVerified
}

// sendVerification emails ch's verification link; a failure is a
// *VerificationError.
func (a *Accounts) sendVerification(ctx context.Context, ch model.Channel) error {
	addr := email.Address(ch.Value)
	if a.o.Mailer == nil {
		return &VerificationError{Address: addr, Err: errors.New("no mailer is configured")}
	}
	if err := email.SendVerification(ctx, a.o.Mailer, a.o.SiteRoot, a.o.SiteName, a.o.SecretKey, ch); err != nil {
		return &VerificationError{Address: addr, Err: err}
	}
	return nil
}

// EditChannel saves new settings for an existing channel with the kind's
// form rules, as upstream's edit pages do. An email channel whose address
// changed must be verified again (the same rule as a new one), so that
// editing cannot route alerts to an address nobody confirmed. The result's
// VerificationSent says whether a link went out; a failed verification
// email leaves the edit saved and answers a *VerificationError.
func (a *Accounts) EditChannel(ctx context.Context, ch model.Channel, ownerID int64, name string, form url.Values) (AddedChannel, error) {
	if utf8.RuneCountInString(name) > MaxChannelNameLen {
		return AddedChannel{}, ErrChannelName
	}
	value, err := a.o.Kinds.FromForm(notify.Kind(ch.Kind), form)
	if err != nil {
		return AddedChannel{}, err
	}
	if err := a.checkText("the integration", name, value); err != nil {
		return AddedChannel{}, err
	}
	verify := false
	if ch.Kind == "email" && !strings.EqualFold(email.Address(value), email.Address(ch.Value)) {
		ch.Value = value
		verify = a.setVerified(ctx, &ch, ownerID)
	}
	ch.Name, ch.Value = name, value
	if err := a.o.Store.UpdateChannel(ctx, &ch); err != nil {
		return AddedChannel{}, err
	}
	out := AddedChannel{Channel: ch}
	if verify {
		if err := a.sendVerification(ctx, ch); err != nil {
			return out, err
		}
		out.VerificationSent = true
	}
	return out, nil
}

// checkMembers is upstream's GroupForm choice rule: a group names only
// integrations of its own project, and no other group.
func (a *Accounts) checkMembers(ctx context.Context, projectID int64, value string) error {
	codes := group.Parse(value)
	found, err := a.o.Store.ProjectChannelsByCode(ctx, projectID, codes)
	if err != nil {
		return err
	}
	for _, code := range codes {
		if !slices.ContainsFunc(found, func(ch model.Channel) bool { return ch.Code == code && ch.Kind != "group" }) {
			return &notify.FieldError{Field: "channels", Msg: "must be integrations of this project, other than groups"}
		}
	}
	return nil
}
