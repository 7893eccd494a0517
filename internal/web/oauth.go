package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// The kinds' OAuth set-ups (notify.OAuth): the add page's "Connect"
// button leads to the provider with a state, and the provider sends the
// user back to the kind's callback page, which trades the code for the
// channel and adds it like a submitted form.

// stateAge bounds a set-up round-trip, from the add page to the last step
// (installing a GitHub App can take a few minutes).
const stateAge = 30 * time.Minute

// A seal binds a round-trip's step (the OAuth state the provider hands
// back, a GitHub repository list between two pages) to the project, to the
// session that started it and to a purpose, for stateAge and for one use:
//
//	<project>.<expiry, Unix seconds>.<nonce>.<payload, base64url>.<HMAC>
//
// The HMAC is keyed by SECRET_KEY and the session's cookie, so no other
// browser can complete the round-trip (a login CSRF that adds the
// attacker's Slack or GitHub to a victim's project). Upstream keeps a
// random state in the session instead; Overdue's sessions hold no data.
// Single use is kept in memory (ratelimit's buckets, one token per nonce,
// refilled only after the seal has expired): across several instances a
// seal could be replayed once per instance, but the provider's one-time
// code cannot.
func sealMAC(secret, session, purpose, body string) string {
	mac := hmac.New(sha256.New, []byte(secret+"\x00"+session))
	mac.Write([]byte("seal|" + purpose + "|" + body))
	return hex.EncodeToString(mac.Sum(nil))
}

func makeSeal(secret, session, purpose, project string, payload []byte, now time.Time) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	body := project + "." + strconv.FormatInt(now.Add(stateAge).Unix(), 10) + "." + hex.EncodeToString(nonce) + "." +
		base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + sealMAC(secret, session, purpose, body)
}

// seal is makeSeal for the request's session ("" without one).
func (w *Web) seal(r *http.Request, purpose, project string, payload []byte) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return makeSeal(w.d.SecretKey, c.Value, purpose, project, payload, w.d.Now())
}

// errSeal and errSealUsed are unseal's refusals, each a page's message.
const (
	errSeal     sealError = "This link was not started from this browser's session. Start again from the integration's add page."
	errSealUsed sealError = "This set-up link has expired or was already used. Start again from the integration's add page."
)

// sealError is a refused seal, in words for the page.
type sealError string

func (e sealError) Error() string { return string(e) }

// unseal checks s and spends it: the project and payload it was made for.
func (w *Web) unseal(r *http.Request, purpose, s string) (project string, payload []byte, err error) {
	c, cerr := r.Cookie(sessionCookie)
	i := strings.LastIndexByte(s, '.')
	if cerr != nil || i < 0 || len(s) > 64<<10 {
		return "", nil, errSeal
	}
	body := s[:i]
	if !hmac.Equal([]byte(s[i+1:]), []byte(sealMAC(w.d.SecretKey, c.Value, purpose, body))) {
		return "", nil, errSeal
	}
	parts := strings.Split(body, ".")
	if len(parts) != 4 {
		return "", nil, errSeal
	}
	exp, err1 := strconv.ParseInt(parts[1], 10, 64)
	payload, err2 := base64.RawURLEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return "", nil, errSeal
	}
	if !w.d.Now().Before(time.Unix(exp, 0)) {
		return "", nil, errSealUsed
	}
	if ok, _ := w.spent.Allow(parts[2]); !ok {
		return "", nil, errSealUsed
	}
	return parts[0], payload, nil
}

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
func (w *Web) oauthReturn(rw http.ResponseWriter, r *http.Request, k notify.Kind) (model.Project, notify.Integration, bool) {
	if userFrom(r.Context()) == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return model.Project{}, notify.Integration{}, false
	}
	q := r.URL.Query()
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
	p, in, ok := w.oauthReturn(rw, r, k)
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
