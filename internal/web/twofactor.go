package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/totp"
)

// pending is a log-in waiting for its second factor: the user's id (the
// auth state's) and email (a log-in started before an email change does
// not complete, as upstream), and where to go afterwards.
type pending struct {
	Email string `json:"email"`
	Next  string `json:"next"`
}

// userFactors reports which second factors u has.
func (w *Web) userFactors(r *http.Request, userID int64) (hasTOTP bool, keys []store.WebAuthnCredential, err error) {
	_, err = w.d.Store.TOTPOf(r.Context(), userID)
	switch {
	case err == nil:
		hasTOTP = true
	case !errors.Is(err, store.ErrNotFound):
		return false, nil, err
	}
	keys, err = w.d.Store.WebAuthnCredentials(r.Context(), userID)
	return hasTOTP, keys, err
}

// afterFirstFactor continues a log-in once the password (or a login link)
// checked out: a user without a second factor gets a session at once; a
// user with one gets a pending log-in (a cookie naming a short-lived
// state, no session) and the second step's page: the security key when
// there is one (that page links to TOTP), else TOTP. Login links (and any
// other first step) should call this too.
func (w *Web) afterFirstFactor(rw http.ResponseWriter, r *http.Request, u model.User, next string) {
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	useKeys := len(keys) > 0 && w.sec.wa != nil
	if !hasTOTP && !useKeys {
		w.logIn(rw, r, u, next)
		return
	}
	token := auth.NewToken(32)
	data, _ := json.Marshal(pending{Email: u.Email, Next: next})
	now := w.d.Now()
	if err := w.d.Store.PutAuthState(r.Context(), "login:"+auth.HashAPIKey(token), u.ID, string(data), now.Add(pendingAge), now); err != nil {
		w.unavailable(rw, r, "start second step", err)
		return
	}
	http.SetCookie(rw, &http.Cookie{Name: pendingCookie, Value: token, Path: w.base + "/accounts/login/", MaxAge: int(pendingAge.Seconds()),
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
	to := "/accounts/login/two_factor/"
	if !useKeys {
		to += "totp/"
	}
	http.Redirect(rw, r, w.base+to, http.StatusSeeOther)
}

// pendingLogin loads the request's pending log-in. ok false means the page
// has answered: 400 without one (as upstream), back to the log-in form
// when it expired, and 400 for a user who is already logged in.
func (w *Web) pendingLogin(rw http.ResponseWriter, r *http.Request) (u model.User, p pending, key string, ok bool) {
	if userFrom(r.Context()) != nil {
		http.Error(rw, "You are already logged in.", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		http.Error(rw, "There is no log-in waiting for a second step.", http.StatusBadRequest)
		return
	}
	key = "login:" + auth.HashAPIKey(c.Value)
	userID, data, err := w.d.Store.AuthState(r.Context(), key, w.d.Now())
	if err == nil {
		u, err = w.d.Store.UserByID(r.Context(), userID)
	}
	if err == nil && json.Unmarshal([]byte(data), &p) != nil {
		err = store.ErrNotFound
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !strings.EqualFold(p.Email, u.Email)):
		w.clearPending(rw)
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return
	case err != nil:
		w.unavailable(rw, r, "read pending log-in", err)
		return
	}
	return u, p, key, true
}

func (w *Web) clearPending(rw http.ResponseWriter) {
	http.SetCookie(rw, &http.Cookie{Name: pendingCookie, Value: "", Path: w.base + "/accounts/login/", MaxAge: -1,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
}

// finishLogin turns a pending log-in into a session. Deleting the state
// is the claim: of two requests that passed the second step at once only
// one gets a session.
func (w *Web) finishLogin(rw http.ResponseWriter, r *http.Request, u model.User, p pending, key string) {
	won, err := w.d.Store.DeleteAuthState(r.Context(), key)
	if err != nil {
		w.unavailable(rw, r, "finish log-in", err)
		return
	}
	w.clearPending(rw)
	if !won {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return
	}
	w.logIn(rw, r, u, safeNext(p.Next))
}

type codeData struct {
	Error string
	// KeysURL links back to the security-key step, when the user has keys.
	KeysURL string
}

// loginTOTP is the second step with an authenticator app's code.
func (w *Web) loginTOTP(rw http.ResponseWriter, r *http.Request) {
	u, p, key, ok := w.pendingLogin(rw, r)
	if !ok {
		return
	}
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	if !hasTOTP {
		http.Error(rw, "This account has no authenticator app set up.", http.StatusBadRequest)
		return
	}
	var data codeData
	if len(keys) > 0 && w.sec.wa != nil {
		data.KeysURL = w.base + "/accounts/login/two_factor/"
	}
	if r.Method == http.MethodGet {
		w.render(rw, r, http.StatusOK, "login_totp.html", "Two-factor authentication", data)
		return
	}
	if ok, _ := w.sec.totpTries.Allow(idKey(u.ID)); !ok {
		data.Error = "Too many attempts, please try later."
		w.render(rw, r, http.StatusTooManyRequests, "login_totp.html", "Two-factor authentication", data)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		data.Error = "The form could not be read."
		w.render(rw, r, http.StatusBadRequest, "login_totp.html", "Two-factor authentication", data)
		return
	}
	if ok, msg := w.checkTOTP(r, u, strings.TrimSpace(r.PostForm.Get("code"))); !ok {
		data.Error = msg
		w.render(rw, r, http.StatusBadRequest, "login_totp.html", "Two-factor authentication", data)
		return
	}
	w.finishLogin(rw, r, u, p, key)
}

type factorsData struct {
	TOTP     bool
	Keys     []store.WebAuthnCredential
	WebAuthn bool // security keys can be used (SITE_ROOT has a host)
}

// factors lists the user's second factors with links to add and remove.
func (w *Web) factors(rw http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+factorsPage, http.StatusFound)
		return
	}
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	w.render(rw, r, http.StatusOK, "factors.html", "Two-factor authentication", factorsData{TOTP: hasTOTP, Keys: keys, WebAuthn: w.sec.wa != nil})
}

type addTOTPData struct {
	Error  string
	Secret string
	QR     template.URL // a data: URI of the QR code's PNG
}

// addTOTP enrols an authenticator app: the secret is drawn once per
// session and kept server-side until a code from it confirms it.
func (w *Web) addTOTP(rw http.ResponseWriter, r *http.Request) {
	if !w.requireSudo(rw, r) {
		return
	}
	u := userFrom(r.Context())
	ctx := r.Context()
	if _, err := w.d.Store.TOTPOf(ctx, u.ID); err == nil {
		http.Error(rw, "An authenticator app is already set up; remove it first.", http.StatusBadRequest)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "read TOTP", err)
		return
	}
	key := "totp-enrol:" + sessionHash(r)
	now := w.d.Now()
	_, secret, err := w.d.Store.AuthState(ctx, key, now)
	if errors.Is(err, store.ErrNotFound) {
		secret = totp.NewSecret()
		err = w.d.Store.PutAuthState(ctx, key, u.ID, secret, now.Add(enrolAge), now)
	}
	if err != nil {
		w.unavailable(rw, r, "TOTP enrolment", err)
		return
	}
	png, err := qrcode.Encode(totp.URI(secret, u.Email, w.siteName()), qrcode.Medium, 256)
	if err != nil {
		w.d.Log.Error("web: TOTP QR code", "err", err)
	}
	data := addTOTPData{Secret: secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}
	if r.Method == http.MethodGet {
		w.render(rw, r, http.StatusOK, "add_totp.html", "Set up an authenticator app", data)
		return
	}
	if ok, _ := w.sec.totpTries.Allow(idKey(u.ID)); !ok {
		data.Error = "Too many attempts, please try later."
		w.render(rw, r, http.StatusTooManyRequests, "add_totp.html", "Set up an authenticator app", data)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		data.Error = "The form could not be read."
		w.render(rw, r, http.StatusBadRequest, "add_totp.html", "Set up an authenticator app", data)
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	step, ok := totp.Match(secret, code, now)
	if !ok {
		data.Error = "The code you entered was incorrect."
		if !validCode(code) {
			data.Error = "Enter the 6-digit code from your authenticator app."
		}
		w.render(rw, r, http.StatusBadRequest, "add_totp.html", "Set up an authenticator app", data)
		return
	}
	if err := w.d.Store.SetTOTP(ctx, u.ID, secret, now); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			http.Error(rw, "An authenticator app is already set up; remove it first.", http.StatusBadRequest)
			return
		}
		w.unavailable(rw, r, "save TOTP", err)
		return
	}
	// The confirming code is spent: it cannot also pass a log-in.
	_, _ = w.d.Store.UseTOTPStep(ctx, u.ID, step)
	_, _ = w.d.Store.DeleteAuthState(ctx, key)
	http.Redirect(rw, r, w.base+factorsPage, http.StatusSeeOther)
}

// removeTOTP turns the authenticator app off after a confirmation.
func (w *Web) removeTOTP(rw http.ResponseWriter, r *http.Request) {
	if !w.requireSudo(rw, r) {
		return
	}
	u := userFrom(r.Context())
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	if !hasTOTP {
		http.Error(rw, "There is no authenticator app to remove.", http.StatusBadRequest)
		return
	}
	// As upstream, only a post of the confirmation form's button removes.
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	if r.Method == http.MethodPost && r.PostFormValue("disable_totp") != "" {
		if _, err := w.d.Store.DeleteTOTP(r.Context(), u.ID); err != nil {
			w.unavailable(rw, r, "remove TOTP", err)
			return
		}
		http.Redirect(rw, r, w.base+factorsPage, http.StatusSeeOther)
		return
	}
	w.render(rw, r, http.StatusOK, "remove_totp.html", "Remove the authenticator app", map[string]bool{"IsLast": len(keys) == 0})
}
