package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/notify"
)

// The kinds' OAuth set-ups (notify.OAuth): the add page's "Connect"
// button leads to the provider with a state, and the provider sends the
// user back to the kind's callback page, which trades the code for the
// channel and adds it like a submitted form.

// oauthState binds a round-trip to the project and to the session that
// started it: the project's code and an HMAC of it and the kind, keyed by
// the session's cookie, so that no other browser can complete it (a login
// CSRF that adds the attacker's account to a victim's project). Upstream
// keeps a random state in the session instead; Overdue's sessions hold no
// data, and this needs none.
func oauthState(session string, k notify.Kind, project string) string {
	mac := hmac.New(sha256.New, []byte(session))
	mac.Write([]byte("oauth|" + string(k) + "|" + project))
	return project + "." + hex.EncodeToString(mac.Sum(nil))
}

// oauthCallback is the absolute URL the provider sends the user back to.
func (w *Web) oauthCallback(in notify.Integration) string {
	return strings.TrimSuffix(w.d.SiteRoot, "/") + in.OAuth.Callback
}

// connectURL is the "Connect" button's target on the add page of in for
// project, or "" when the kind has no OAuth or the operator set none up.
func (w *Web) connectURL(r *http.Request, in notify.Integration, project string) string {
	c, err := r.Cookie(sessionCookie)
	if in.OAuth == nil || err != nil {
		return ""
	}
	return in.OAuth.Authorize(in.EnvFrom(w.d.Getenv), w.oauthCallback(in), oauthState(c.Value, in.Kind, project))
}

// oauthComplete is a kind's callback: the state is checked first (403
// when it was not made for this session), then the project's access as on
// the add page; a refusal at the provider ("?error=access_denied") adds
// nothing.
func (w *Web) oauthComplete(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	if userFrom(r.Context()) == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	project, _, _ := strings.Cut(state, ".")
	c, err := r.Cookie(sessionCookie)
	if err != nil || state == "" || !hmac.Equal([]byte(state), []byte(oauthState(c.Value, k, project))) {
		w.render(rw, r, http.StatusForbidden, "message.html", "Not allowed",
			"This link was not started from this browser's session. Start again from the integration's add page.")
		return
	}
	r.SetPathValue("code", project)
	p, in, ok := w.addPage(rw, r, k)
	if !ok {
		return
	}
	integrations := w.base + "/projects/" + p.Code + "/integrations/"
	if q.Get("error") != "" {
		w.render(rw, r, http.StatusOK, "message.html", in.Name+" setup cancelled", in.Name+" setup was cancelled. Nothing was added.")
		return
	}
	chans, err := in.OAuth.Exchange(r.Context(), w.d.Client, in.EnvFrom(w.d.Getenv), q, w.oauthCallback(in))
	if err == nil && len(chans) == 0 {
		err = &notify.Error{Msg: "Received an unexpected response from " + in.Name + ". Integration not added."}
	}
	if err != nil {
		w.d.Log.Warn("web: oauth exchange", "kind", k, "err", err)
		w.render(rw, r, http.StatusBadGateway, "message.html", in.Name+" not added", notify.ErrorText(err))
		return
	}
	// Each form is checked before any is added, so that a bad one adds none.
	for _, ch := range chans {
		if _, err := in.FromForm(ch.Form); err != nil {
			w.d.Log.Warn("web: oauth exchange gave a form the kind refuses", "kind", k, "err", err)
			w.render(rw, r, http.StatusBadGateway, "message.html", in.Name+" not added", "Received an unexpected response from "+in.Name+". Integration not added.")
			return
		}
	}
	for _, ch := range chans {
		// The provider's name for it, made one line of at most 100
		// characters (what a channel's name may be).
		name := strings.TrimSpace(strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return -1
			}
			return r
		}, ch.Name))
		if utf8.RuneCountInString(name) > 100 {
			name = string([]rune(name)[:100])
		}
		if _, err := w.d.Accounts.AddChannel(r.Context(), accounts.NewChannel{Project: p.Code, Kind: k, Name: name, Form: ch.Form}); err != nil {
			w.unavailable(rw, r, "add channel", err)
			return
		}
	}
	http.Redirect(rw, r, integrations, http.StatusSeeOther)
}
