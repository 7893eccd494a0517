package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

// headerName turns REMOTE_USER_HEADER into an HTTP header name. Upstream
// takes Django's request.META key ("HTTP_X_AUTHENTICATED_USER"), so that
// form is read as the header it stands for ("X-Authenticated-User"); a
// plain header name is taken as is.
func headerName(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if rest, ok := strings.CutPrefix(v, "HTTP_"); ok {
		v = strings.ReplaceAll(rest, "_", "-")
	}
	return http.CanonicalHeaderKey(v)
}

// remoteUser is upstream's header SSO (CustomHeaderMiddleware), on only
// when REMOTE_USER_HEADER is set; the proxy in front must then set or
// strip the header on every request, since whoever can send it is trusted.
// The header's email (lower-cased) is the user, created when new; a
// session for someone else, or any session when the header is empty, is
// ended. Go keeps "X_Authenticated_User" and "X-Authenticated-User" apart,
// so a client cannot smuggle the header past a proxy that only strips the
// dashed spelling.
func (w *Web) remoteUser(next http.Handler) http.Handler {
	if w.sec.header == "" {
		return next
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		email := strings.ToLower(strings.TrimSpace(r.Header.Get(w.sec.header)))
		cur := userFrom(r.Context())
		if cur != nil && email != "" && strings.EqualFold(cur.Email, email) {
			next.ServeHTTP(rw, r)
			return
		}
		if cur != nil {
			if err := w.d.Store.DeleteSession(r.Context(), sessionHash(r)); err != nil {
				w.unavailable(rw, r, "delete session", err)
				return
			}
			w.clearCookie(rw)
			ctx := context.WithValue(r.Context(), ctxUser{}, (*model.User)(nil))
			r = r.WithContext(context.WithValue(ctx, ctxSession{}, ""))
		}
		if email == "" {
			next.ServeHTTP(rw, r)
			return
		}
		if !model.ValidEmail(email) {
			http.Error(rw, "The "+w.sec.header+" header does not hold an email address.", http.StatusBadRequest)
			return
		}
		u, err := w.d.Store.UserByEmail(r.Context(), email)
		if errors.Is(err, store.ErrNotFound) {
			// A new user gets a first project, as upstream's _make_user.
			if _, err = w.d.Accounts.CreateProject(r.Context(), email, accounts.FirstProjectName); err == nil {
				u, err = w.d.Store.UserByEmail(r.Context(), email)
			}
		}
		if err != nil {
			w.unavailable(rw, r, "header log-in", err)
			return
		}
		token := auth.NewToken(32)
		hash := auth.HashAPIKey(token)
		now := w.d.Now()
		if err := w.d.Store.SetLastLogin(r.Context(), u.ID, now); err != nil {
			w.unavailable(rw, r, "record log-in", err)
			return
		}
		if err := w.d.Store.CreateSession(r.Context(), hash, u.ID, now, now.Add(sessionAge)); err != nil {
			w.unavailable(rw, r, "create session", err)
			return
		}
		w.setCookie(rw, token, now.Add(sessionAge))
		ctx := context.WithValue(r.Context(), ctxUser{}, &u)
		next.ServeHTTP(rw, r.WithContext(context.WithValue(ctx, ctxSession{}, hash)))
	})
}
