package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// The kinds' OAuth set-ups (notify.OAuth): the add page's "Connect"
// button leads to the provider with a state (a seal, seal.go), and the
// provider sends the user back to the kind's callback page, which trades
// the code for the channel (Exchange, here) or offers a choice first
// (Choose, apps.go).

// oauthPurpose is the seal purpose of kind k's OAuth state.
func oauthPurpose(k notify.Kind) string { return "oauth|" + string(k) }

// oauthCallback is the absolute URL the provider sends the user back to.
func (w *Web) oauthCallback(in notify.Integration) string {
	return strings.TrimSuffix(w.d.SiteRoot, "/") + in.OAuth.Callback
}

// connectURL is the "Connect" button's target on the add page of in for
// project, or "" when the kind has no OAuth or the operator set none up.
func (w *Web) connectURL(r *http.Request, in notify.Integration, project string) string {
	if in.OAuth == nil {
		return ""
	}
	state := w.seal(r, oauthPurpose(in.Kind), project, nil)
	if state == "" {
		return ""
	}
	return in.OAuth.Authorize(in.EnvFrom(w.d.Getenv), w.oauthCallback(in), state)
}

// oauthReturn is the first part of every provider's way back: the state is
// checked and spent first (403 when it was not made for this session, or
// was used or is stale), then the project's access as on the add page; a
// refusal at the provider ("?error=access_denied") is answered here, and
// adds nothing.
func (w *Web) oauthReturn(rw http.ResponseWriter, r *http.Request, k notify.Kind, q url.Values) (model.Project, notify.Integration, bool) {
	if userFrom(r.Context()) == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return model.Project{}, notify.Integration{}, false
	}
	project, _, err := w.unseal(r, oauthPurpose(k), q.Get("state"))
	if err != nil {
		w.render(rw, r, http.StatusForbidden, "message.html", "Not allowed", err.Error())
		return model.Project{}, notify.Integration{}, false
	}
	r.SetPathValue("code", project)
	p, in, ok := w.addPage(rw, r, k)
	if !ok {
		return p, in, false
	}
	if q.Get("error") != "" {
		w.render(rw, r, http.StatusOK, "message.html", in.Name+" setup cancelled", in.Name+" setup was cancelled. Nothing was added.")
		return p, in, false
	}
	return p, in, true
}

// oauthComplete is a kind's callback (oauthReturn, then the kind's
// Exchange): the channels are added only when every one of them is valid.
func (w *Web) oauthComplete(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	q := r.URL.Query()
	p, in, ok := w.oauthReturn(rw, r, k, q)
	if !ok {
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
	w.addProvided(rw, r, p, in, chans)
}

// addProvided adds the channels a provider's round-trip set up, each named
// as the provider names it, and returns to the integrations page. Each is
// checked before any is added, so that a bad one adds none.
func (w *Web) addProvided(rw http.ResponseWriter, r *http.Request, p model.Project, in notify.Integration, chans []notify.OAuthChannel) {
	news := make([]accounts.NewChannel, 0, len(chans))
	for _, ch := range chans {
		nc := accounts.NewChannel{Project: p.Code, Kind: in.Kind, Name: oneLine(ch.Name, accounts.MaxChannelNameLen), Form: ch.Form, Value: ch.Value}
		if _, err := accounts.CheckChannel(w.d.Kinds, nc); err != nil {
			w.d.Log.Warn("web: a provider's set-up gave a channel the kind refuses", "kind", in.Kind, "err", err)
			w.render(rw, r, http.StatusBadGateway, "message.html", in.Name+" not added", "Received an unexpected response from "+in.Name+". Integration not added.")
			return
		}
		news = append(news, nc)
	}
	for _, nc := range news {
		if _, err := w.d.Accounts.AddChannel(r.Context(), nc); err != nil {
			w.unavailable(rw, r, "add channel", err)
			return
		}
	}
	http.Redirect(rw, r, w.base+"/projects/"+p.Code+"/integrations/", http.StatusSeeOther)
}

// oneLine is s without control characters, trimmed and cut to max
// characters: a provider's name made fit for a channel's.
func oneLine(s string, max int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return s
}
