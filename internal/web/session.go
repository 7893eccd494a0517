package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

const (
	sessionCookie = "overdue_session"
	// Upstream's (Django's) SESSION_COOKIE_AGE: two weeks, renewed as the
	// user comes back.
	sessionAge = 14 * 24 * time.Hour
	maxEmail   = 254
	maxPass    = 1024
)

// session loads the user of the request's session cookie, if any, into the
// context. A session is renewed when less than half its life is left, so
// that most requests write nothing.
func (w *Web) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" || len(c.Value) > 64 {
			next.ServeHTTP(rw, r)
			return
		}
		hash := auth.HashAPIKey(c.Value)
		now := w.d.Now()
		u, expires, err := w.d.Store.SessionUser(r.Context(), hash, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			w.clearCookie(rw)
			next.ServeHTTP(rw, r)
			return
		case err != nil:
			w.unavailable(rw, r, "read session", err)
			return
		}
		if expires.Sub(now) < sessionAge/2 {
			if err := w.d.Store.ExtendSession(r.Context(), hash, now.Add(sessionAge)); err == nil {
				w.setCookie(rw, c.Value, now.Add(sessionAge))
			}
		}
		ctx := context.WithValue(r.Context(), ctxUser{}, &u)
		// twofa: the session's token hash, for sudo mode (security.go).
		ctx = context.WithValue(ctx, ctxSession{}, hash)
		next.ServeHTTP(rw, r.WithContext(ctx))
	})
}

func (w *Web) setCookie(rw http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: token, Path: w.base + "/", Expires: expires,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
}

func (w *Web) clearCookie(rw http.ResponseWriter) {
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: "", Path: w.base + "/", MaxAge: -1,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
}

type loginData struct {
	Email, Next, Error string
	// The email-link form (account.go): shown when email can be sent.
	Link loginLinkData
}

func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) != nil {
		http.Redirect(rw, r, w.base+"/", http.StatusFound)
		return
	}
	w.renderLogin(rw, r, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks the password. Every refusal has the same words, whether the
// account exists or not, and both the address and the email are rate
// limited, so the form cannot be used to guess passwords or to find out
// who has an account.
func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		w.renderLogin(rw, r, http.StatusBadRequest, loginData{Error: "The form could not be read."})
		return
	}
	// Upstream's split: action=login is the password form, any other
	// post with an identity asks for a login link by email.
	if r.PostForm.Get("action") != "login" && r.PostForm.Has("identity") {
		w.loginLink(rw, r)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	data := loginData{Email: email, Next: safeNext(r.PostForm.Get("next"))}
	if email == "" || password == "" || len(email) > maxEmail || len(password) > maxPass {
		data.Error = "Enter your email address and password."
		w.renderLogin(rw, r, http.StatusBadRequest, data)
		return
	}
	okAddr, _ := w.byAddr.Allow(clientIP(r))
	okEmail, _ := w.byEmail.Allow(strings.ToLower(email))
	if !okAddr || !okEmail {
		data.Error = "Too many attempts. Please try again later."
		w.renderLogin(rw, r, http.StatusTooManyRequests, data)
		return
	}
	u, err := w.d.Store.UserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "read user", err)
		return
	}
	// A missing user still costs a hash check, so that timing does not tell.
	hash := u.Password
	if err != nil {
		hash = w.dummyHash
	}
	if !auth.CheckPassword(hash, password) || err != nil {
		data.Error = "Incorrect email or password."
		w.renderLogin(rw, r, http.StatusForbidden, data)
		return
	}
	w.rehash(r.Context(), u, password)
	// twofa: a user with a second factor gets a pending log-in, not a
	// session, and goes on to /accounts/login/two_factor/ (twofactor.go).
	w.afterFirstFactor(rw, r, u, data.Next)
}

// logIn finishes a log-in: a new session (startSession), the time of the
// log-in (which keeps the account from being pruned as never used) and the
// page the user came for (afterLogin).
func (w *Web) logIn(rw http.ResponseWriter, r *http.Request, u model.User, next string) {
	// Recorded first: if it fails, no session (and no cookie) exists yet.
	if err := w.d.Store.SetLastLogin(r.Context(), u.ID, w.d.Now()); err != nil {
		w.unavailable(rw, r, "record log-in", err)
		return
	}
	if err := w.startSession(rw, r, u.ID); err != nil {
		w.unavailable(rw, r, "create session", err)
		return
	}
	w.afterLogin(rw, r, u.ID, next)
}

// rehash replaces a password hash imported from upstream (pbkdf2, argon2
// with Django's parameters) with Overdue's own once the password is known,
// as Django does when its preferred hasher changes. A failure only costs
// the upgrade: the old hash still verifies.
func (w *Web) rehash(ctx context.Context, u model.User, password string) {
	if !auth.NeedsRehash(u.Password) {
		return
	}
	h, err := auth.HashPassword(password)
	if err == nil {
		_, err = w.d.Store.ReplacePasswordHash(ctx, u.ID, u.Password, h)
	}
	if err != nil {
		w.d.Log.Warn("web: rehash password after log-in", "user_id", u.ID, "err", err)
	}
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) <= 64 {
		if err := w.d.Store.DeleteSession(r.Context(), auth.HashAPIKey(c.Value)); err != nil {
			w.unavailable(rw, r, "delete session", err)
			return
		}
	}
	w.clearCookie(rw)
	http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusSeeOther)
}

// safeNext keeps a redirect target only when it is a path on this site:
// never another host ("//evil", "/\evil", "https://…").
func safeNext(s string) string {
	if s == "" || len(s) > 1000 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n\t") {
		return ""
	}
	return s
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
