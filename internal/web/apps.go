package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ratelimit"
)

// appRoutes are the install round-trips of the providers that set a channel
// up through their own app (Slack, Discord, GitHub, Trello) when the operator
// configures the app's credentials; the plain webhook/token forms work
// without them. Slack's and Discord's are code exchanges that oauth.go's
// callback completes (notify.OAuth.Exchange); GitHub's and Trello's end
// with a choice on a page of ours (notify.OAuth.Choose), served here:
//
//	GET  <callback>?state=&code=       the provider's answer -> the choice page
//	GET  <callback>?state=             (Fragment) a page whose script posts
//	POST <callback>                    the fragment's fields and the state back
//	POST /projects/<uuid>/add_<kind>/save/   the choice -> the channel
func (w *Web) appRoutes(m *routeMux) {
	// One token per seal, given back only once the seal has expired.
	w.spent = ratelimit.Every(1, stateAge+time.Minute, w.d.Now)
	for _, in := range w.d.Kinds.Addable() {
		if in.OAuth == nil || in.OAuth.Choose == nil || in.OAuth.Save == nil {
			continue
		}
		k := in.Kind
		if in.OAuth.Fragment {
			m.HandleFunc("GET "+in.OAuth.Callback+"{$}", func(rw http.ResponseWriter, r *http.Request) { w.fragmentPage(rw, r, k) })
			m.HandleFunc("POST "+in.OAuth.Callback+"{$}", func(rw http.ResponseWriter, r *http.Request) {
				if form, ok := w.form(rw, r); ok {
					w.choosePage(rw, r, k, form)
				}
			})
		} else {
			m.HandleFunc("GET "+in.OAuth.Callback+"{$}", func(rw http.ResponseWriter, r *http.Request) { w.choosePage(rw, r, k, r.URL.Query()) })
		}
		m.HandleFunc("POST /projects/{code}/add_"+string(k)+"/save/{$}", func(rw http.ResponseWriter, r *http.Request) { w.saveChoice(rw, r, k) })
	}
}

// choosePurpose is the seal purpose of a choice page's grant.
func choosePurpose(k notify.Kind) string { return "choose|" + string(k) }

// fragmentPage is the callback of a provider that answers in the URL's
// fragment: static/fragment.js posts the fragment's fields, with the state
// from the query, back to this URL. Nothing is spent here.
func (w *Web) fragmentPage(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	if userFrom(r.Context()) == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	in, ok := w.kindFor(k)
	if !ok {
		w.notFound(rw)
		return
	}
	w.render(rw, r, http.StatusOK, "fragment.html", "Connecting "+in.Name, fragmentData{
		KindNm: in.Name, Action: w.base + in.OAuth.Callback, State: r.URL.Query().Get("state"),
	})
}

type fragmentData struct{ KindNm, Action, State string }

type choiceData struct {
	Project        model.Project
	KindNm         string
	Action         string
	Grant          string
	Label          string
	Options        [][2]string
	Empty          string
	Fields         []formField
	Link, LinkText string
}

// choosePage spends the round-trip's state, asks the provider (Choose) and
// offers its options; the provider's token goes on in the sealed grant.
func (w *Web) choosePage(rw http.ResponseWriter, r *http.Request, k notify.Kind, q url.Values) {
	p, in, ok := w.oauthReturn(rw, r, k, q)
	if !ok {
		return
	}
	c, err := in.OAuth.Choose(r.Context(), w.d.Client, in.EnvFrom(w.d.Getenv), q, w.oauthCallback(in))
	if err != nil {
		w.d.Log.Warn("web: oauth choice", "kind", k, "err", err)
		w.render(rw, r, http.StatusBadGateway, "message.html", in.Name+" not added", notify.ErrorText(err))
		return
	}
	d := choiceData{Project: p, KindNm: in.Name, Action: w.base + "/projects/" + p.Code + "/add_" + string(k) + "/save/",
		Grant: w.seal(r, choosePurpose(k), p.Code, c.Grant), Label: c.Label, Options: c.Options, Empty: c.Empty,
		Link: c.Link, LinkText: c.LinkText}
	for _, f := range c.Fields {
		d.Fields = append(d.Fields, formField{Field: f, Value: f.Default})
	}
	w.render(rw, r, http.StatusOK, "choose.html", in.Name+" · "+projectTitle(p), d)
}

// saveChoice adds the channel the user chose: the grant must be this
// session's, for this project and kind, unused and fresh (400 otherwise);
// Save checks the pick with the provider again.
func (w *Web) saveChoice(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	p, in, ok := w.addPage(rw, r, k)
	if !ok {
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	project, grant, err := w.unseal(r, choosePurpose(k), form.Get("grant"))
	if err == nil && project != p.Code {
		err = errSeal
	}
	if err != nil {
		// 400, not the callback's 403: the form itself is not one this
		// session's choice page gave (or was already sent).
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", err.Error())
		return
	}
	ch, err := in.OAuth.Save(r.Context(), w.d.Client, in.EnvFrom(w.d.Getenv), grant, form)
	if err != nil {
		w.d.Log.Warn("web: oauth save", "kind", k, "err", err)
		status, msg := http.StatusBadGateway, notify.ErrorText(err)
		var fe *notify.FieldError
		if errors.As(err, &fe) { // the pick or a field, not the provider
			status, msg = http.StatusBadRequest, fe.Text(func(f string) string { return f })
		}
		w.render(rw, r, status, "message.html", in.Name+" not added", msg)
		return
	}
	w.addProvided(rw, r, p, in, []notify.OAuthChannel{ch})
}
