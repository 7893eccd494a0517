package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// accountRoutes are the pages of a user's own account: sign-up, login
// links, password and email changes, the profile.
func (w *Web) accountRoutes(m *routeMux) {
	m.HandleFunc("GET /accounts/signup/{$}", w.signupForm)
	m.HandleFunc("POST /accounts/signup/{$}", w.signup)
	m.HandleFunc("GET /accounts/login_link_sent/{$}", w.loginLinkSent)
	m.HandleFunc("GET /accounts/check_token/{user}/{token}/{$}", w.checkTokenForm)
	m.HandleFunc("POST /accounts/check_token/{user}/{token}/{$}", w.checkToken)
	m.HandleFunc("GET /accounts/profile/{$}", w.profile)
	m.HandleFunc("POST /accounts/profile/{$}", w.profilePost) // profileleave.go
	m.HandleFunc("GET /accounts/profile/appearance/{$}", w.appearance)
	m.HandleFunc("POST /accounts/profile/appearance/{$}", w.appearance)
	m.HandleFunc("GET /accounts/set_password/{$}", w.setPassword)
	m.HandleFunc("POST /accounts/set_password/{$}", w.setPassword)
	m.HandleFunc("GET /accounts/change_email/{$}", w.changeEmail)
	m.HandleFunc("POST /accounts/change_email/{$}", w.changeEmail)
	m.HandleFunc("GET /accounts/change_email/{signed}/{$}", w.changeEmailVerifyForm)
	m.HandleFunc("POST /accounts/change_email/{signed}/{$}", w.changeEmailVerify)
	m.HandleFunc("GET /accounts/close/{$}", w.closeAccount)
	m.HandleFunc("POST /accounts/close/{$}", w.closeAccount)
}

const tooMany = "Too many attempts, please try later."

// loginLinkData is the login page's second form, "email me a link".
type loginLinkData struct {
	Enabled  bool // email can be sent
	Identity string
	Error    string
	Signup   bool   // REGISTRATION_OPEN: link to the sign-up page
	Notice   string // after a bad link or a closed account
}

// renderLogin shows the login page with both forms.
func (w *Web) renderLogin(rw http.ResponseWriter, r *http.Request, status int, d loginData) {
	d.Link.Enabled = w.d.Accounts.CanEmail()
	d.Link.Signup = w.d.RegistrationOpen
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		switch {
		case q.Has("bad_link"):
			d.Link.Notice = "The login link is incorrect or has expired. Ask for a new one below."
		case q.Has("account-closed"):
			d.Link.Notice = "Your account is closed, and its data deleted."
		}
	}
	w.render(rw, r, status, "login.html", "Log in", d)
}

// startSession logs the user in: a new session row (the cookie holds its
// token, the table its hash). A session the request already had (someone
// else's, or the same user's) is ended first, so a login link followed in
// a browser logged in as another user does not leave two identities.
func (w *Web) startSession(rw http.ResponseWriter, r *http.Request, userID int64) error {
	if h := sessionHash(r); h != "" {
		if err := w.d.Store.DeleteSession(r.Context(), h); err != nil {
			return err
		}
	}
	token := auth.NewToken(32)
	now := w.d.Now()
	if err := w.d.Store.CreateSession(r.Context(), auth.HashAPIKey(token), userID, now, now.Add(sessionAge)); err != nil {
		return err
	}
	w.setCookie(rw, token, now.Add(sessionAge))
	return nil
}

// afterLogin sends a user who logged in by a link to next when it is a
// path here; otherwise, as upstream, to their project's checks when they
// have exactly one project, else to the projects list.
func (w *Web) afterLogin(rw http.ResponseWriter, r *http.Request, userID int64, next string) {
	if next = safeNext(next); next == "" {
		next = "/"
		if ps, err := w.d.Store.ProjectsForUser(r.Context(), userID); err == nil && len(ps) == 1 {
			next = "/projects/" + ps[0].Project.Code + "/checks/"
		}
	}
	http.Redirect(rw, r, w.base+next, http.StatusSeeOther)
}

// me is the logged-in user; anonymous visitors are sent to the login page
// (coming back here afterwards) and get nil.
func (w *Web) me(rw http.ResponseWriter, r *http.Request) *model.User {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
	}
	return u
}

// allowLink takes a token from the address's and the email's buckets:
// both are upstream's limits on emailed links (20 an hour per address, 10
// per email).
func (w *Web) allowLink(r *http.Request, email string) bool {
	okAddr, _ := w.byAddr.Allow(clientIP(r))
	okEmail, _ := w.linkByEmail.Allow(accounts.NormalizeEmail(email))
	return okAddr && okEmail
}

// loginLink is the login page's "email me a link" form. The answer is the
// same whether or not the address has an account (and whether its email
// could be sent), so the form cannot tell who has one.
func (w *Web) loginLink(rw http.ResponseWriter, r *http.Request) {
	identity := strings.TrimSpace(r.PostForm.Get("identity"))
	next := safeNext(r.PostForm.Get("next"))
	if next == "" {
		next = safeNext(r.URL.Query().Get("next"))
	}
	d := loginData{Next: next, Link: loginLinkData{Identity: identity}}
	if !w.d.Accounts.CanEmail() {
		d.Error = "Login links are not available: this site cannot send email."
		w.renderLogin(rw, r, http.StatusBadRequest, d)
		return
	}
	if accounts.CheckEmail(identity) != nil {
		d.Link.Error = "Enter a valid email address."
		w.renderLogin(rw, r, http.StatusBadRequest, d)
		return
	}
	if !w.allowLink(r, identity) {
		d.Link.Error = tooMany
		w.renderLogin(rw, r, http.StatusTooManyRequests, d)
		return
	}
	if err := w.d.Accounts.SendLoginLink(r.Context(), identity, next); err != nil {
		// Logged, not shown: an error only an existing account can have
		// would tell that it exists.
		w.d.Log.Error("web: send login link", "err", err)
	}
	http.Redirect(rw, r, w.base+"/accounts/login_link_sent/", http.StatusSeeOther)
}

func (w *Web) loginLinkSent(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "message.html", "Check your email",
		"If an account uses that address, a login link is on its way to it. The link works once, within an hour.")
}

type confirmData struct {
	Action, Heading, Text, Button string
}

// checkTokenForm is what a login link opens: a button that posts, so that
// mail scanners which follow links do not spend the link.
func (w *Web) checkTokenForm(rw http.ResponseWriter, r *http.Request) {
	action := r.URL.Path
	if next := safeNext(r.URL.Query().Get("next")); next != "" {
		action += "?next=" + url.QueryEscape(next)
	}
	w.render(rw, r, http.StatusOK, "confirm_link.html", "Log in", confirmData{Action: action,
		Heading: "Log in to " + w.d.SiteName, Text: "You are about to log in with the link from your email.", Button: "Log in"})
}

func (w *Web) checkToken(rw http.ResponseWriter, r *http.Request) {
	bad := func() { http.Redirect(rw, r, w.base+"/accounts/login/?bad_link=1", http.StatusSeeOther) }
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil || id <= 0 {
		bad()
		return
	}
	u, err := w.d.Accounts.UseLoginLink(r.Context(), id, r.PathValue("token"))
	if errors.Is(err, accounts.ErrBadLink) {
		bad()
		return
	}
	if err != nil {
		w.unavailable(rw, r, "use login link", err)
		return
	}
	// A link is a first factor: a user with a second one goes on to it.
	w.afterFirstFactor(rw, r, u, safeNext(r.URL.Query().Get("next")))
}

type signupData struct {
	Email, Error string
}

// signupAllowed answers 403 when registration is closed or the visitor is
// logged in, as upstream does.
func (w *Web) signupAllowed(rw http.ResponseWriter, r *http.Request) bool {
	switch {
	case !w.d.RegistrationOpen:
		w.render(rw, r, http.StatusForbidden, "message.html", "Sign-up is closed",
			"This site does not take new accounts (REGISTRATION_OPEN is off). Ask its operator for one.")
		return false
	case userFrom(r.Context()) != nil:
		w.render(rw, r, http.StatusForbidden, "message.html", "Already logged in",
			"You already have an account and are logged in with it.")
		return false
	case !w.d.Accounts.CanEmail():
		w.render(rw, r, http.StatusForbidden, "message.html", "Sign-up is not available",
			"Signing up needs email, and this site cannot send email.")
		return false
	}
	return true
}

func (w *Web) signupForm(rw http.ResponseWriter, r *http.Request) {
	if w.signupAllowed(rw, r) {
		w.render(rw, r, http.StatusOK, "signup.html", "Sign up", signupData{})
	}
}

// signup takes upstream's field, "identity". A new address gets an account
// and a login link; an address that has an account gets a login link too,
// and the page says the same in both cases.
func (w *Web) signup(rw http.ResponseWriter, r *http.Request) {
	if !w.signupAllowed(rw, r) {
		return
	}
	f, ok := w.form(rw, r)
	if !ok {
		return
	}
	d := signupData{Email: strings.TrimSpace(f.Get("identity"))}
	if d.Email == "" {
		d.Error = "Please enter your email address."
		w.render(rw, r, http.StatusBadRequest, "signup.html", "Sign up", d)
		return
	}
	if accounts.CheckEmail(d.Email) != nil {
		d.Error = "Enter a valid email address."
		w.render(rw, r, http.StatusBadRequest, "signup.html", "Sign up", d)
		return
	}
	if !w.allowLink(r, d.Email) {
		d.Error = tooMany
		w.render(rw, r, http.StatusTooManyRequests, "signup.html", "Sign up", d)
		return
	}
	created, err := w.d.Accounts.SignUp(r.Context(), d.Email)
	switch {
	case errors.Is(err, accounts.ErrInvalidEmail), errors.Is(err, accounts.ErrNUL):
		d.Error = "Enter a valid email address."
		w.render(rw, r, http.StatusBadRequest, "signup.html", "Sign up", d)
		return
	case err != nil:
		// Both a new and an existing address send a link, so a failure
		// here tells nothing about who has an account.
		w.d.Log.Error("web: sign up", "err", err)
		w.render(rw, r, http.StatusServiceUnavailable, "message.html", "Please try again",
			"The email with your login link could not be sent. Please try again in a moment.")
		return
	}
	if created {
		w.d.Log.Info("web: new account signed up")
	}
	w.render(rw, r, http.StatusOK, "message.html", "Check your email",
		"A login link is on its way to "+strings.ToLower(d.Email)+". Open it to log in; it works once, within an hour.")
}

type profileData struct {
	Email       string
	HasPassword bool
	Projects    []store.ProjectRole
	Notice      string
}

// profileNotices are the messages the account actions redirect with.
var profileNotices = map[string]string{
	"password": "Your password is set. Your other sessions were logged out.",
	"email":    "Your email address is changed.",
	"left":     "You have left the project.",
}

func (w *Web) profile(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil {
		return
	}
	projects, err := w.d.Store.ProjectsForUser(r.Context(), u.ID)
	if err != nil {
		w.unavailable(rw, r, "list projects", err)
		return
	}
	w.render(rw, r, http.StatusOK, "profile.html", "Account", profileData{Email: u.Email,
		HasPassword: u.Password != "" && !strings.HasPrefix(u.Password, "!"), Projects: projects,
		Notice: profileNotices[r.URL.Query().Get("changed")]})
}

type appearanceData struct {
	Theme, Error string
	Saved        bool
	Choices      []themeChoice
}

type themeChoice struct{ Value, Label string }

var themeChoices = []themeChoice{
	{model.ThemeLight, "Light"}, {model.ThemeDark, "Dark"}, {model.ThemeSystem, "Follow the system setting"},
}

func (w *Web) appearance(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil {
		return
	}
	d := appearanceData{Theme: u.Theme, Choices: themeChoices, Saved: r.URL.Query().Has("saved")}
	if r.Method == http.MethodPost {
		f, ok := w.form(rw, r)
		if !ok {
			return
		}
		err := w.d.Accounts.SetTheme(r.Context(), u.ID, f.Get("theme"))
		if errors.Is(err, accounts.ErrTheme) {
			d.Error, d.Saved = "Pick one of the themes listed.", false
			w.render(rw, r, http.StatusBadRequest, "appearance.html", "Appearance", d)
			return
		}
		if err != nil {
			w.unavailable(rw, r, "set theme", err)
			return
		}
		http.Redirect(rw, r, w.base+"/accounts/profile/appearance/?saved=1", http.StatusSeeOther)
		return
	}
	w.render(rw, r, http.StatusOK, "appearance.html", "Appearance", d)
}

type formData struct {
	Value, Error string
	Email        string // the user's current address
}

func (w *Web) setPassword(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil {
		return
	}
	if r.Method != http.MethodPost {
		w.render(rw, r, http.StatusOK, "set_password.html", "Set password", formData{})
		return
	}
	if !w.requireSudo(rw, r) {
		return
	}
	f, ok := w.form(rw, r)
	if !ok {
		return
	}
	err := w.d.Accounts.SetPassword(r.Context(), u.ID, f.Get("password"), sessionHash(r))
	if errors.Is(err, accounts.ErrPasswordTooShort) || errors.Is(err, accounts.ErrPasswordTooLong) {
		w.render(rw, r, http.StatusBadRequest, "set_password.html", "Set password", formData{Error: sentence(err)})
		return
	}
	if err != nil {
		w.unavailable(rw, r, "set password", err)
		return
	}
	http.Redirect(rw, r, w.base+"/accounts/profile/?changed=password", http.StatusSeeOther)
}

func (w *Web) changeEmail(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil {
		return
	}
	d := formData{Email: u.Email}
	if r.Method != http.MethodPost {
		w.render(rw, r, http.StatusOK, "change_email.html", "Change email", d)
		return
	}
	if !w.requireSudo(rw, r) {
		return
	}
	f, ok := w.form(rw, r)
	if !ok {
		return
	}
	d.Value = strings.TrimSpace(f.Get("email"))
	if !w.d.Accounts.CanEmail() {
		d.Error = "The address cannot be changed: this site cannot send email to confirm it."
		w.render(rw, r, http.StatusBadRequest, "change_email.html", "Change email", d)
		return
	}
	address, err := w.d.Accounts.CheckNewEmail(r.Context(), *u, d.Value)
	switch {
	case err == nil:
	case errors.Is(err, accounts.ErrInvalidEmail), errors.Is(err, accounts.ErrNUL):
		d.Error = "Enter a valid email address."
	case errors.Is(err, accounts.ErrEmailTaken):
		d.Error = err.Error() + "." // upstream's words, starting with the address
	case errors.Is(err, accounts.ErrSameEmail):
		d.Error = sentence(err)
	default:
		w.unavailable(rw, r, "check new email", err)
		return
	}
	if d.Error != "" {
		w.render(rw, r, http.StatusBadRequest, "change_email.html", "Change email", d)
		return
	}
	if !w.allowLink(r, address) {
		d.Error = tooMany
		w.render(rw, r, http.StatusTooManyRequests, "change_email.html", "Change email", d)
		return
	}
	if err := w.d.Accounts.RequestEmailChange(r.Context(), *u, address); err != nil {
		w.d.Log.Error("web: send change-email link", "err", err)
		w.render(rw, r, http.StatusServiceUnavailable, "message.html", "Please try again",
			"The confirmation email could not be sent. Please try again in a moment.")
		return
	}
	w.render(rw, r, http.StatusOK, "message.html", "Check your email",
		"A confirmation link is on its way to "+address+". Your address changes when you open it, within 15 minutes.")
}

func (w *Web) changeEmailVerifyForm(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "confirm_link.html", "Confirm your new address", confirmData{Action: r.URL.Path,
		Heading: "Confirm your new address", Text: "You are about to make the address this link was sent to your account's address, and log in with it.",
		Button: "Confirm and log in"})
}

func (w *Web) changeEmailVerify(rw http.ResponseWriter, r *http.Request) {
	u, err := w.d.Accounts.ConfirmEmailChange(r.Context(), r.PathValue("signed"))
	if errors.Is(err, accounts.ErrBadLink) {
		msg := "This link is incorrect or has expired. Ask for a new one from your account page."
		if errors.Is(err, accounts.ErrEmailTaken) {
			msg = "Another account uses this address now, so it cannot become yours."
		}
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad link", msg)
		return
	}
	if err != nil {
		w.unavailable(rw, r, "change email", err)
		return
	}
	if err := w.startSession(rw, r, u.ID); err != nil {
		w.unavailable(rw, r, "create session", err)
		return
	}
	http.Redirect(rw, r, w.base+"/accounts/profile/?changed=email", http.StatusSeeOther)
}

// closeAccount asks the user to type their address, as upstream does, and
// then deletes the account with its projects.
func (w *Web) closeAccount(rw http.ResponseWriter, r *http.Request) {
	u := w.me(rw, r)
	if u == nil {
		return
	}
	if r.Method != http.MethodPost {
		w.render(rw, r, http.StatusOK, "close_account.html", "Close account", formData{Email: u.Email})
		return
	}
	if !w.requireSudo(rw, r) {
		return
	}
	f, ok := w.form(rw, r)
	if !ok {
		return
	}
	if got := strings.TrimSpace(f.Get("confirmation")); !strings.EqualFold(got, u.Email) {
		w.render(rw, r, http.StatusBadRequest, "close_account.html", "Close account", formData{Email: u.Email, Value: got,
			Error: "That is not your email address: the account stays."})
		return
	}
	if err := w.d.Accounts.CloseAccount(r.Context(), u.ID); err != nil {
		w.unavailable(rw, r, "close account", err)
		return
	}
	w.d.Log.Info("web: account closed", "user_id", u.ID)
	w.clearCookie(rw)
	http.Redirect(rw, r, w.base+"/accounts/login/?account-closed=1", http.StatusSeeOther)
}

// sentence makes an error of the rules packages ("the password must …")
// read as a sentence on a page.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
