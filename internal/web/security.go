package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/ratelimit"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/totp"
)

const (
	// sudoAge is how long a log-in or re-authentication opens sensitive
	// pages: upstream's sudo mode lasts 30 minutes.
	sudoAge = 30 * time.Minute
	// pendingAge bounds the time between the password (or link) and the
	// second factor: upstream's 5 minutes.
	pendingAge = 5 * time.Minute
	// enrolAge is how long a TOTP secret shown for enrolment stays valid.
	enrolAge = 30 * time.Minute
	// factorsPage lists the user's second factors; add and remove pages
	// return to it (upstream returns to the profile page).
	factorsPage   = "/accounts/two_factor/"
	sudoPage      = "/accounts/sudo/"
	pendingCookie = "overdue_2fa"
)

// security is the state of second factors and sudo mode.
type security struct {
	// wa checks security keys; nil when SITE_ROOT has no host a browser
	// would accept as the relying party ID (the key pages are then 404, as
	// upstream's without RP_ID).
	wa *webauthn.WebAuthn
	// totpTries: upstream allows 96 TOTP attempts per user per day.
	totpTries *ratelimit.Limiter
	// sudoTries: re-authentication attempts, upstream's 10 per user per day
	// for sudo codes.
	sudoTries *ratelimit.Limiter
	// header is the canonical name of REMOTE_USER_HEADER, or "".
	header string
}

// ctxSession holds the hash of the request's session token.
type ctxSession struct{}

func sessionHash(r *http.Request) string {
	h, _ := r.Context().Value(ctxSession{}).(string)
	return h
}

// securityRoutes are the second-factor pages (TOTP, security keys) and the
// re-authentication ("sudo mode") form.
func (w *Web) securityRoutes(m *routeMux) {
	w.sec = &security{
		totpTries: ratelimit.Every(96, 24*time.Hour, w.d.Now),
		sudoTries: ratelimit.Every(10, 24*time.Hour, w.d.Now),
		header:    headerName(w.d.RemoteUserHeader),
	}
	if u, err := url.Parse(w.d.SiteRoot); err == nil && u.Hostname() != "" {
		wa, err := webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: w.siteName(), RPOrigins: []string{u.Scheme + "://" + u.Host}})
		if err != nil {
			w.d.Log.Warn("web: security keys are off: SITE_ROOT's host cannot be a WebAuthn relying party", "err", err)
		} else {
			w.sec.wa = wa
		}
	}
	m.HandleFunc("GET /accounts/login/two_factor/{$}", w.loginWebAuthn)
	m.HandleFunc("POST /accounts/login/two_factor/{$}", w.loginWebAuthn)
	m.HandleFunc("GET /accounts/login/two_factor/totp/{$}", w.loginTOTP)
	m.HandleFunc("POST /accounts/login/two_factor/totp/{$}", w.loginTOTP)
	m.HandleFunc("GET "+factorsPage+"{$}", w.factors)
	m.HandleFunc("GET /accounts/two_factor/totp/{$}", w.addTOTP)
	m.HandleFunc("POST /accounts/two_factor/totp/{$}", w.addTOTP)
	m.HandleFunc("GET /accounts/two_factor/totp/remove/{$}", w.removeTOTP)
	m.HandleFunc("POST /accounts/two_factor/totp/remove/{$}", w.removeTOTP)
	m.HandleFunc("GET /accounts/two_factor/webauthn/{$}", w.addWebAuthn)
	m.HandleFunc("POST /accounts/two_factor/webauthn/{$}", w.addWebAuthn)
	m.HandleFunc("GET /accounts/two_factor/{code}/remove/{$}", w.removeCredential)
	m.HandleFunc("POST /accounts/two_factor/{code}/remove/{$}", w.removeCredential)
	m.HandleFunc("GET "+sudoPage+"{$}", w.sudo)
	m.HandleFunc("POST "+sudoPage+"{$}", w.sudo)
}

func (w *Web) siteName() string {
	if w.d.SiteName == "" {
		return "Overdue"
	}
	return w.d.SiteName
}

// requireSudo reports whether the request's user has authenticated
// recently enough for a sensitive action (changing email or password,
// second factors, deleting the account, creating API keys): within
// upstream's 30 minutes of a log-in (password, link, second factor) or of
// a re-authentication. When not, it has already answered (a redirect to
// the re-authentication form, which comes back here) and the handler must
// return.
func (w *Web) requireSudo(rw http.ResponseWriter, r *http.Request) bool {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return false
	}
	hash := sessionHash(r)
	var at *time.Time
	var err error
	if hash != "" { // every logged-in request has one; without, fail closed
		at, err = w.d.Store.SessionAuthTime(r.Context(), hash)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "read session", err)
		return false
	}
	now := w.d.Now()
	if at != nil && !at.After(now.Add(time.Minute)) && now.Sub(*at) < sudoAge {
		return true
	}
	// Come back to the page (a GET of the same path: a form's data is not
	// kept, as upstream, which redirects to request.path).
	next := strings.TrimPrefix(r.URL.Path, w.base)
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(rw, r, w.base+sudoPage+"?next="+url.QueryEscape(safeNext(next)), http.StatusFound)
	return false
}

type sudoData struct {
	ceremony // Options: the assertion options when Keys
	Next     string
	// Password, TOTP and Keys are the ways this user can re-authenticate.
	Password, TOTP, Keys bool
}

const sudoTitle = "Confirm it's you"

// sudo is the re-authentication form: the password, a TOTP code, or a
// security key (an assertion ceremony, as the log-in's second step).
// (Upstream emails a code; Overdue asks for what the user already has, so
// that it works without SMTP.)
func (w *Web) sudo(rw http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return
	}
	// A security key's answer is a few kB of JSON.
	r.Body = http.MaxBytesReader(rw, r.Body, maxWAResp+16<<10)
	if err := r.ParseForm(); err != nil {
		w.render(rw, r, http.StatusBadRequest, "sudo.html", sudoTitle, sudoData{ceremony: ceremony{Error: "The form could not be read."}})
		return
	}
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	data := sudoData{Next: safeNext(r.Form.Get("next")), Password: usablePassword(u.Password), TOTP: hasTOTP,
		Keys: len(keys) > 0 && w.sec.wa != nil}
	if data.Next == "" {
		data.Next = factorsPage
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		var ok bool
		if ok, status, err = w.reauthenticate(r, *u, &data); err != nil {
			w.unavailable(rw, r, "re-authenticate", err)
			return
		}
		if ok {
			if err := w.d.Store.MarkSessionAuth(r.Context(), sessionHash(r), w.d.Now()); err != nil {
				w.unavailable(rw, r, "mark session", err)
				return
			}
			http.Redirect(rw, r, w.base+data.Next, http.StatusSeeOther)
			return
		}
	}
	if !data.Keys {
		w.render(rw, r, status, "sudo.html", sudoTitle, data)
		return
	}
	// Every showing of the form begins a new assertion: a challenge
	// answers once, so a refused key gets a fresh one.
	wu, _, err := w.loadWAUser(r, *u)
	if err != nil {
		w.unavailable(rw, r, "read security keys", err)
		return
	}
	assertion, session, err := w.beginAssertion(wu)
	w.showCeremony(rw, r, ceremonyPage{key: sudoCeremony(r), userID: u.ID, errStatus: status, tmpl: "sudo.html", title: sudoTitle},
		assertion, session, err, &data)
}

// sudoCeremony is where the session's re-authentication ceremony is kept.
func sudoCeremony(r *http.Request) string { return "webauthn-sudo:" + sessionHash(r) }

// reauthenticate checks the sudo form's password, TOTP code or security
// key's answer. When refused, data.Error says why and status is the
// answer's; err is the server's fault.
func (w *Web) reauthenticate(r *http.Request, u model.User, data *sudoData) (ok bool, status int, err error) {
	if ok, _ := w.sec.sudoTries.Allow(idKey(u.ID)); !ok {
		data.Error = "Too many attempts, please try later."
		return false, http.StatusTooManyRequests, nil
	}
	password, code, resp := r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code")), r.PostForm.Get("response")
	switch {
	case password != "" && len(password) <= maxPass:
		ok = data.Password && auth.CheckPassword(u.Password, password)
	case code != "" && data.TOTP:
		ok, data.Error = w.checkTOTP(r, u, code)
	case resp != "" && data.Keys:
		wu, rows, err := w.loadWAUser(r, u)
		if err != nil {
			return false, 0, err
		}
		if data.Error, err = w.answerAssertion(r, wu, rows, sudoCeremony(r), resp); err != nil {
			return false, 0, err
		}
		ok = data.Error == ""
	}
	if ok {
		return true, http.StatusOK, nil
	}
	if data.Error == "" {
		data.Error = "That did not match. Please try again."
	}
	return false, http.StatusForbidden, nil
}

// usablePassword: accounts made by sign-up, invitation or `project create`
// have a random "unusable" password that no one knows.
func usablePassword(hash string) bool {
	return hash != "" && !strings.HasPrefix(hash, "!")
}

func idKey(id int64) string { return strconv.FormatInt(id, 10) }

// checkTOTP checks a TOTP code of u's secret and claims its time step, so
// that it cannot be used again; on refusal it returns the message to show.
func (w *Web) checkTOTP(r *http.Request, u model.User, code string) (bool, string) {
	t, err := w.d.Store.TOTPOf(r.Context(), u.ID)
	if err != nil {
		return false, "Two-factor authentication is not set up."
	}
	if !validCode(code) {
		return false, "Enter the 6-digit code from your authenticator app."
	}
	step, ok := totp.Match(t.Secret, code, w.d.Now())
	if !ok {
		return false, "The code you entered was incorrect."
	}
	fresh, err := w.d.Store.UseTOTPStep(r.Context(), u.ID, step)
	if err != nil {
		w.d.Log.Error("web: use TOTP step", "err", err)
		return false, "The code could not be checked. Please try again."
	}
	if !fresh {
		return false, "This code has already been used. Please wait for the next one."
	}
	return true, ""
}

func validCode(s string) bool {
	if len(s) != totp.Digits {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
