package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

const (
	maxKeyName = 100      // upstream's Credential.name max_length
	maxWAResp  = 64 << 10 // a ceremony's JSON is a few kB
)

// waUser is a user as the WebAuthn library sees it.
type waUser struct {
	u     model.User
	creds []webauthn.Credential
}

// WebAuthnID is the user handle. Keys are a second factor only, so the
// handle identifies no one by itself: a hash of the user's id, stable (so
// that an authenticator that returns it matches) and not personal data.
func (a waUser) WebAuthnID() []byte {
	h := sha256.Sum256([]byte("overdue webauthn user " + strconv.FormatInt(a.u.ID, 10)))
	return h[:16]
}
func (a waUser) WebAuthnName() string                       { return a.u.Email }
func (a waUser) WebAuthnDisplayName() string                { return a.u.Email }
func (a waUser) WebAuthnCredentials() []webauthn.Credential { return a.creds }

// loadWAUser decodes the user's stored keys.
func (w *Web) loadWAUser(r *http.Request, u model.User) (waUser, []store.WebAuthnCredential, error) {
	rows, err := w.d.Store.WebAuthnCredentials(r.Context(), u.ID)
	if err != nil {
		return waUser{}, nil, err
	}
	wu := waUser{u: u}
	for _, row := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(row.Data), &c); err != nil {
			return waUser{}, nil, errors.New("a stored security key cannot be read: " + err.Error())
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, rows, nil
}

// ceremony is what every security-key page shows: an error, and the
// options of a ceremony begun for this rendering (JSON for webauthn.js).
type ceremony struct {
	Error   string
	Options template.JS
}

// Pages' data embed a ceremony; showCeremony fills it in through this
// (a pointer, so that the rendered page sees the options).
func (c *ceremony) ceremonyOf() *ceremony { return c }

type ceremonyData interface{ ceremonyOf() *ceremony }

type addKeyData struct {
	ceremony
	Name string
}

// addWebAuthn registers a named security key: GET hands out the creation
// options (the challenge kept server-side), POST checks the browser's
// attestation against them.
func (w *Web) addWebAuthn(rw http.ResponseWriter, r *http.Request) {
	if w.sec.wa == nil {
		w.notFound(rw)
		return
	}
	if !w.requireSudo(rw, r) {
		return
	}
	u := userFrom(r.Context())
	wu, _, err := w.loadWAUser(r, *u)
	if err != nil {
		w.unavailable(rw, r, "read security keys", err)
		return
	}
	key := "webauthn-add:" + sessionHash(r)
	var data addKeyData
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(rw, r.Body, maxWAResp+4<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(rw, "The form could not be read.", http.StatusBadRequest)
			return
		}
		data.Name = strings.TrimSpace(r.PostForm.Get("name"))
		resp := r.PostForm.Get("response")
		switch {
		case data.Name == "" || utf8.RuneCountInString(data.Name) > maxKeyName || !utf8.ValidString(data.Name) || strings.ContainsRune(data.Name, 0):
			data.Error = "Give the key a name of at most 100 characters."
		case resp == "" || len(resp) > maxWAResp:
			data.Error = "The security key's answer is missing. Please try again."
		default:
			if err := w.registerKey(r, wu, key, data.Name, resp); err != nil {
				if !errors.Is(err, errCeremony) {
					w.unavailable(rw, r, "add security key", err)
					return
				}
				data.Error = "The security key could not be registered. Please try again."
			} else {
				http.Redirect(rw, r, w.base+factorsPage, http.StatusSeeOther)
				return
			}
		}
	}
	creation, session, err := w.sec.wa.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementDiscouraged, UserVerification: protocol.VerificationDiscouraged}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	w.showCeremony(rw, r, ceremonyPage{key: key, userID: u.ID, errStatus: http.StatusBadRequest,
		tmpl: "add_credential.html", title: "Add a security key"}, creation, session, err, &data)
}

// ceremonyPage is where a ceremony's state is kept and how its page shows.
type ceremonyPage struct {
	key         string // the auth state's key; the answer is checked against it
	userID      int64
	errStatus   int // the status of a page that shows an error
	tmpl, title string
}

// showCeremony ends every security-key page the same way: the ceremony
// just begun (opts and session, or beginErr) is kept server-side under
// pg.key, and its options go into the page's data.
func (w *Web) showCeremony(rw http.ResponseWriter, r *http.Request, pg ceremonyPage, opts any, session *webauthn.SessionData, beginErr error, data ceremonyData) {
	err := beginErr
	if err == nil {
		err = w.putCeremony(r, pg.key, pg.userID, session)
	}
	var b []byte
	if err == nil {
		b, err = json.Marshal(opts)
	}
	if err != nil {
		w.unavailable(rw, r, "begin a security key ceremony", err)
		return
	}
	c := data.ceremonyOf()
	c.Options = template.JS(b)
	status := http.StatusOK
	if c.Error != "" {
		status = pg.errStatus
	}
	w.render(rw, r, status, pg.tmpl, pg.title, data)
}

// errCeremony is a WebAuthn response that does not verify (or a ceremony
// that expired): the user's problem, not the server's.
var errCeremony = errors.New("the WebAuthn ceremony failed")

func (w *Web) putCeremony(r *http.Request, key string, userID int64, s *webauthn.SessionData) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	now := w.d.Now()
	return w.d.Store.PutAuthState(r.Context(), key, userID, string(b), now.Add(pendingAge), now)
}

// takeCeremony loads and ends a ceremony's state: a challenge answers once.
func (w *Web) takeCeremony(r *http.Request, key string, userID int64) (webauthn.SessionData, error) {
	var s webauthn.SessionData
	owner, data, err := w.d.Store.AuthState(r.Context(), key, w.d.Now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner != userID) {
		return s, errCeremony
	}
	if err != nil {
		return s, err
	}
	won, err := w.d.Store.DeleteAuthState(r.Context(), key)
	if err != nil {
		return s, err
	}
	if !won || json.Unmarshal([]byte(data), &s) != nil {
		return s, errCeremony
	}
	return s, nil
}

func (w *Web) registerKey(r *http.Request, wu waUser, key, name, resp string) error {
	session, err := w.takeCeremony(r, key, wu.u.ID)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(resp))
	if err != nil {
		return errCeremony
	}
	cred, err := w.sec.wa.CreateCredential(wu, session, parsed)
	if err != nil {
		w.d.Log.Info("web: security key registration refused", "user_id", wu.u.ID, "err", err)
		return errCeremony
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	return w.d.Store.AddWebAuthnCredential(r.Context(), &store.WebAuthnCredential{
		Code: uuid.NewString(), UserID: wu.u.ID, Name: name, Data: string(b), Created: w.d.Now()})
}

type loginKeyData struct {
	ceremony
	TOTPURL string
}

// loginWebAuthn is the second step with a security key.
func (w *Web) loginWebAuthn(rw http.ResponseWriter, r *http.Request) {
	if w.sec.wa == nil {
		w.notFound(rw)
		return
	}
	u, p, key, ok := w.pendingLogin(rw, r)
	if !ok {
		return
	}
	hasTOTP, _, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	wu, rows, err := w.loadWAUser(r, u)
	if err != nil {
		w.unavailable(rw, r, "read security keys", err)
		return
	}
	if len(wu.creds) == 0 {
		if hasTOTP {
			http.Redirect(rw, r, w.base+"/accounts/login/two_factor/totp/", http.StatusFound)
			return
		}
		http.Error(rw, "This account has no security key.", http.StatusBadRequest)
		return
	}
	var data loginKeyData
	if hasTOTP {
		data.TOTPURL = w.base + "/accounts/login/two_factor/totp/"
	}
	cKey := "webauthn-login:" + strings.TrimPrefix(key, "login:")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(rw, r.Body, maxWAResp+1<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(rw, "The form could not be read.", http.StatusBadRequest)
			return
		}
		msg, err := w.answerAssertion(r, wu, rows, cKey, r.PostForm.Get("response"))
		if err != nil {
			w.unavailable(rw, r, "check security key", err)
			return
		}
		if msg == "" {
			w.finishLogin(rw, r, u, p, key)
			return
		}
		data.Error = msg
	}
	assertion, session, err := w.beginAssertion(wu)
	w.showCeremony(rw, r, ceremonyPage{key: cKey, userID: u.ID, errStatus: http.StatusBadRequest,
		tmpl: "login_webauthn.html", title: "Two-factor authentication"}, assertion, session, err, &data)
}

// beginAssertion starts an assertion ceremony (log-in's second step, and
// re-authentication) over the user's keys.
func (w *Web) beginAssertion(wu waUser) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	return w.sec.wa.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
}

// answerAssertion checks a form's answer (resp) to the assertion ceremony
// kept under key: "" when the key passed, else the message to show; err is
// the server's fault.
func (w *Web) answerAssertion(r *http.Request, wu waUser, rows []store.WebAuthnCredential, key, resp string) (string, error) {
	if resp == "" || len(resp) > maxWAResp {
		return "The security key's answer is missing. Please try again.", nil
	}
	if err := w.assertKey(r, wu, rows, key, resp); err != nil {
		if !errors.Is(err, errCeremony) {
			return "", err
		}
		return "The security key was not accepted. Please try again.", nil
	}
	return "", nil
}

// assertKey checks a security key's signature over the challenge and
// keeps its new signature counter. A counter that went backwards means a
// cloned key: refused.
func (w *Web) assertKey(r *http.Request, wu waUser, rows []store.WebAuthnCredential, key, resp string) error {
	session, err := w.takeCeremony(r, key, wu.u.ID)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(resp))
	if err != nil {
		return errCeremony
	}
	cred, err := w.sec.wa.ValidateLogin(wu, session, parsed)
	if err != nil {
		w.d.Log.Info("web: security key refused", "user_id", wu.u.ID, "err", err)
		return errCeremony
	}
	if cred.Authenticator.CloneWarning {
		w.d.Log.Warn("web: security key's counter went backwards (cloned key?)", "user_id", wu.u.ID)
		return errCeremony
	}
	for i, c := range wu.creds {
		if bytes.Equal(c.ID, cred.ID) {
			b, err := json.Marshal(cred)
			if err != nil {
				return err
			}
			return w.d.Store.UpdateWebAuthnData(r.Context(), wu.u.ID, rows[i].ID, string(b))
		}
	}
	return errCeremony
}

// removeCredential removes one of the user's keys after a confirmation.
func (w *Web) removeCredential(rw http.ResponseWriter, r *http.Request) {
	if w.sec.wa == nil {
		w.notFound(rw)
		return
	}
	if !w.requireSudo(rw, r) {
		return
	}
	u := userFrom(r.Context())
	hasTOTP, keys, err := w.userFactors(r, u.ID)
	if err != nil {
		w.unavailable(rw, r, "read second factors", err)
		return
	}
	code := r.PathValue("code")
	var found *store.WebAuthnCredential
	for i := range keys {
		if keys[i].Code == code {
			found = &keys[i]
		}
	}
	if found == nil {
		// Another user's key, or none: the same answer (upstream's 400).
		http.Error(rw, "There is no such security key.", http.StatusBadRequest)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	if r.Method == http.MethodPost && r.PostFormValue("remove_credential") != "" {
		if err := w.d.Store.DeleteWebAuthnCredential(r.Context(), u.ID, code); err != nil && !errors.Is(err, store.ErrNotFound) {
			w.unavailable(rw, r, "remove security key", err)
			return
		}
		http.Redirect(rw, r, w.base+factorsPage, http.StatusSeeOther)
		return
	}
	w.render(rw, r, http.StatusOK, "remove_credential.html", "Remove a security key",
		map[string]any{"Name": found.Name, "IsLast": !hasTOTP && len(keys) == 1})
}
