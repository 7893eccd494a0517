package accounts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// MaxPasswordLen bounds a password (bytes): hashing a megabyte of input
// would let one request keep a core busy.
const MaxPasswordLen = 1024

// EmailChangeLinkAge is how long the link sent to a new address works:
// upstream's change-email links last 15 minutes.
const EmailChangeLinkAge = 15 * time.Minute

// emailChangeSalt separates the change-email signatures from every other
// signature made with SECRET_KEY.
const emailChangeSalt = "overdue.accounts.change_email"

// emailChangePrefix keeps a change-email token from being used as a login
// link: it is stored hashed with this prefix, which check_token never adds.
const emailChangePrefix = "change-email:"

// Refused account changes.
var (
	ErrPasswordTooLong = errors.New("the password must be at most 1024 bytes long")
	ErrEmailTaken      = errors.New("is already registered")
	ErrSameEmail       = errors.New("this is already your address")
	ErrBadLink         = errors.New("the link is incorrect or has expired")
	ErrTheme           = errors.New(`the theme must be "light", "dark" or "system"`)
	ErrNoMailer        = errors.New("email is not configured (EMAIL_HOST is not set)")
)

// CanEmail reports whether emails can be sent: without a mailer, the pages
// hide the forms that would send one (upstream hides the login-link form
// when SMTP is not configured).
func (a *Accounts) CanEmail() bool {
	if a.o.Mailer == nil {
		return false
	}
	if e, ok := a.o.Mailer.(interface{ Enabled() bool }); ok {
		return e.Enabled()
	}
	return true
}

// NormalizeEmail is the form of an address that rate limits count by, as
// upstream's buckets do: lower case, and in the local part dots and a
// "+tag" ignored, so that a.b+1@x and ab+2@x share one bucket.
func NormalizeEmail(address string) string {
	address = strings.ToLower(strings.TrimSpace(address))
	local, domain, ok := strings.Cut(address, "@")
	if !ok {
		return address
	}
	local, _, _ = strings.Cut(local, "+")
	return strings.ReplaceAll(local, ".", "") + "@" + domain
}

// SignUp is upstream's sign-up: a new address gets an account (without a
// usable password), its first project, "My Project", and an email
// integration to the address, verified (createUser); either way a login
// link goes to the address, so that the answer never tells whether it had
// an account. created reports which happened, for the caller's log and
// tests only.
func (a *Accounts) SignUp(ctx context.Context, address string) (created bool, err error) {
	address = strings.ToLower(strings.TrimSpace(address))
	if err := CheckEmail(address); err != nil {
		return false, err
	}
	if err := a.checkText("the email address", address); err != nil {
		return false, err
	}
	if !a.CanEmail() {
		return false, ErrNoMailer
	}
	u, err := a.o.Store.UserByEmail(ctx, address)
	if errors.Is(err, store.ErrNotFound) {
		u, err = a.createUser(ctx, address)
		created = err == nil
		// Someone signed up with the same address meanwhile: theirs.
		if errors.Is(err, store.ErrDuplicate) {
			u, err = a.o.Store.UserByEmail(ctx, address)
			created = false
		}
	}
	if err != nil {
		return false, fmt.Errorf("sign up %s: %w", address, err)
	}
	if err := a.sendLoginLink(ctx, u, ""); err != nil {
		return created, err
	}
	return created, nil
}

// createUser writes a signed-up user, their first project and, as
// upstream, a verified email integration to their own address, together.
// An address too long for an email integration (over 100 characters) gets
// the account without it.
func (a *Accounts) createUser(ctx context.Context, address string) (model.User, error) {
	np, err := a.newProject(FirstProjectName)
	if err != nil {
		return model.User{}, err
	}
	pw, err := auth.UnusablePasswordFrom(a.o.Rand)
	if err != nil {
		return model.User{}, err
	}
	var ch *model.Channel
	if value, err := a.o.Kinds.FromForm("email", url.Values{"value": {address}, "up": {"on"}, "down": {"on"}}); err == nil {
		code, err := uuid.NewRandomFromReader(a.o.Rand)
		if err != nil {
			return model.User{}, fmt.Errorf("generate the integration's UUID: %w", err)
		}
		ch = &model.Channel{Code: code.String(), Kind: "email", Value: value, EmailVerified: true, Created: a.o.Clock()}
	}
	u := model.User{Email: address, Password: pw, CheckLimit: DefaultCheckLimit, PingLogLimit: a.o.PingLogLimit, Created: a.o.Clock()}
	if err := a.o.Store.CreateSignedUpAccount(ctx, &u, &np.Project, ch); err != nil {
		return model.User{}, err
	}
	return u, nil
}

// SendLoginLink emails a one-time login link to the user with this
// address, if there is one. An unknown or malformed address is not an
// error: the caller answers the same either way. next is a path on this
// site (already checked) where the link lands.
func (a *Accounts) SendLoginLink(ctx context.Context, address, next string) error {
	if !a.CanEmail() {
		return ErrNoMailer
	}
	if CheckEmail(address) != nil || a.checkText("the email address", address) != nil {
		return nil
	}
	u, err := a.o.Store.UserByEmail(ctx, address)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("login link: %w", err)
	}
	return a.sendLoginLink(ctx, u, next)
}

func (a *Accounts) sendLoginLink(ctx context.Context, u model.User, next string) error {
	link, err := a.LoginLink(ctx, u.ID, next)
	if err != nil {
		return err
	}
	return a.send(ctx, u.Email, "Log in to "+a.o.SiteName, loginText, loginHTML, link)
}

// UseLoginLink consumes the token of a login link for the user with this
// id. A token that is unknown, used, expired or another user's is
// ErrBadLink; the token is gone afterwards in every case.
func (a *Accounts) UseLoginLink(ctx context.Context, userID int64, token string) (model.User, error) {
	if token == "" || len(token) > 100 {
		return model.User{}, ErrBadLink
	}
	id, err := a.o.Store.UseLoginToken(ctx, auth.HashAPIKey(token), a.o.Clock())
	if errors.Is(err, store.ErrNotFound) || (err == nil && id != userID) {
		return model.User{}, ErrBadLink
	}
	if err != nil {
		return model.User{}, fmt.Errorf("login link: %w", err)
	}
	u, err := a.o.Store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrBadLink
	}
	return u, err
}

// SetPassword sets a user's password. It also cancels their outstanding
// login links and ends every session but keepSession (the hash of the one
// that asked), so that a password changed because it leaked locks the
// other devices out.
func (a *Accounts) SetPassword(ctx context.Context, userID int64, password, keepSession string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if len(password) > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if err := a.o.Store.SetUserPassword(ctx, userID, hash); err != nil {
		return err
	}
	return a.o.Store.DeleteUserSessions(ctx, userID, keepSession)
}

// emailChange is what a change-email link carries, signed.
type emailChange struct {
	User  int64  `json:"u"`
	Token string `json:"t"`
	Email string `json:"e"`
}

// CheckNewEmail reports whether u may change their address to address
// (lower-cased): a valid address, not theirs already, that no other
// account has. The error for a taken one reads "<address> is already
// registered", as upstream's.
func (a *Accounts) CheckNewEmail(ctx context.Context, u model.User, address string) (string, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	if err := CheckEmail(address); err != nil {
		return address, err
	}
	if err := a.checkText("the email address", address); err != nil {
		return address, err
	}
	if strings.EqualFold(address, u.Email) {
		return address, ErrSameEmail
	}
	other, err := a.o.Store.UserByEmail(ctx, address)
	if err == nil && other.ID != u.ID {
		return address, fmt.Errorf("%s %w", address, ErrEmailTaken)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return address, err
	}
	return address, nil
}

// RequestEmailChange emails a link to the new address; the account's
// address changes only when that link is followed (ConfirmEmailChange),
// which proves the user reads the new mailbox. The link is signed with
// SECRET_KEY, carries a one-time token, and lasts 15 minutes.
func (a *Accounts) RequestEmailChange(ctx context.Context, u model.User, address string) error {
	address, err := a.CheckNewEmail(ctx, u, address)
	if err != nil {
		return err
	}
	if !a.CanEmail() {
		return ErrNoMailer
	}
	if a.o.SecretKey == "" {
		return errors.New("change email: SECRET_KEY is not set")
	}
	token, err := auth.TokenFrom(a.o.Rand, 24)
	if err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	now := a.o.Clock()
	if err := a.o.Store.CreateLoginToken(ctx, auth.HashAPIKey(emailChangePrefix+token), u.ID, now.Add(EmailChangeLinkAge)); err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	payload, err := json.Marshal(emailChange{User: u.ID, Token: token, Email: address})
	if err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	signed := auth.TimestampSign(a.o.SecretKey, emailChangeSalt, base64.RawURLEncoding.EncodeToString(payload), now)
	link := strings.TrimSuffix(a.o.SiteRoot, "/") + "/accounts/change_email/" + signed + "/"
	return a.send(ctx, address, "Confirm your new email address for "+a.o.SiteName, changeText, changeHTML, link)
}

// ConfirmEmailChange follows a change-email link: it checks the signature
// and age, consumes the token and changes the address. Any fault in the
// link, and an address taken since the link was sent, is ErrBadLink (the
// taken case wrapped with ErrEmailTaken too). It returns the changed user.
func (a *Accounts) ConfirmEmailChange(ctx context.Context, signed string) (model.User, error) {
	if a.o.SecretKey == "" || len(signed) > 2000 {
		return model.User{}, ErrBadLink
	}
	value, at, err := auth.TimestampUnsign(a.o.SecretKey, emailChangeSalt, signed)
	now := a.o.Clock()
	if err != nil || now.Sub(at) > EmailChangeLinkAge || at.After(now.Add(time.Minute)) {
		return model.User{}, ErrBadLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	var p emailChange
	if err != nil || json.Unmarshal(raw, &p) != nil || CheckEmail(p.Email) != nil {
		return model.User{}, ErrBadLink
	}
	id, err := a.o.Store.UseLoginToken(ctx, auth.HashAPIKey(emailChangePrefix+p.Token), now)
	if errors.Is(err, store.ErrNotFound) || (err == nil && id != p.User) {
		return model.User{}, ErrBadLink
	}
	if err != nil {
		return model.User{}, fmt.Errorf("change email: %w", err)
	}
	err = a.o.Store.SetUserEmail(ctx, id, p.Email)
	if errors.Is(err, store.ErrDuplicate) {
		return model.User{}, fmt.Errorf("%w: %s %w", ErrBadLink, p.Email, ErrEmailTaken)
	}
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, ErrBadLink
	}
	if err != nil {
		return model.User{}, fmt.Errorf("change email: %w", err)
	}
	return a.o.Store.UserByID(ctx, id)
}

// CloseAccount deletes a user with every project they own (and those
// projects' checks, pings and integrations) in one transaction.
func (a *Accounts) CloseAccount(ctx context.Context, userID int64) error {
	if err := a.o.Store.DeleteUser(ctx, userID); err != nil {
		return fmt.Errorf("close account: %w", err)
	}
	return nil
}

// CheckTheme returns the theme a form value names. Upstream's appearance
// form sends "" for light, so "" is light here too.
func CheckTheme(v string) (string, error) {
	switch v {
	case "", model.ThemeLight:
		return model.ThemeLight, nil
	case model.ThemeDark, model.ThemeSystem:
		return v, nil
	}
	return "", fmt.Errorf("%.20q: %w", v, ErrTheme)
}

// SetTheme stores a user's theme choice (CheckTheme's values).
func (a *Accounts) SetTheme(ctx context.Context, userID int64, v string) error {
	theme, err := CheckTheme(v)
	if err != nil {
		return err
	}
	return a.o.Store.SetUserTheme(ctx, userID, theme)
}

// send emails a message with one link, as text and HTML.
func (a *Accounts) send(ctx context.Context, to, subject string, text *template.Template, html *htmltemplate.Template, link string) error {
	if !a.CanEmail() {
		return ErrNoMailer
	}
	d := struct{ SiteName, Link string }{a.o.SiteName, link}
	var tb, hb bytes.Buffer
	if err := text.Execute(&tb, d); err != nil {
		return err
	}
	if err := html.Execute(&hb, d); err != nil {
		return err
	}
	if err := a.o.Mailer.Send(ctx, &mailer.Message{To: []string{to}, Subject: subject, Text: tb.String(), HTML: hb.String()}); err != nil {
		return fmt.Errorf("send email to %s: %w", to, err)
	}
	return nil
}

var (
	loginText = template.Must(template.New("login").Parse(`Hello,

Open this link to log in to {{.SiteName}}:

{{.Link}}

The link works once, within ` + strconv.Itoa(int(LoginLinkAge/time.Minute)) + ` minutes. If you did not ask to log in, you can ignore this message.
`))
	loginHTML = htmltemplate.Must(htmltemplate.New("login").Parse(`<p>Hello,</p>
<p>Open this link to log in to {{.SiteName}}:</p>
<p><a href="{{.Link}}">Log in</a></p>
<p>The link works once, within ` + strconv.Itoa(int(LoginLinkAge/time.Minute)) + ` minutes. If you did not ask to log in, you can ignore this message.</p>
`))
	changeText = template.Must(template.New("change").Parse(`Hello,

Someone asked to use this address for an account on {{.SiteName}}. Open this link to confirm it:

{{.Link}}

The link works once, within ` + strconv.Itoa(int(EmailChangeLinkAge/time.Minute)) + ` minutes. If you did not ask for this, you can ignore this message: nothing changes.
`))
	changeHTML = htmltemplate.Must(htmltemplate.New("change").Parse(`<p>Hello,</p>
<p>Someone asked to use this address for an account on {{.SiteName}}. Open this link to confirm it:</p>
<p><a href="{{.Link}}">Confirm the new address</a></p>
<p>The link works once, within ` + strconv.Itoa(int(EmailChangeLinkAge/time.Minute)) + ` minutes. If you did not ask for this, you can ignore this message: nothing changes.</p>
`))
)
