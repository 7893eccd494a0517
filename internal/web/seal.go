package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stateAge bounds a set-up round-trip, from the add page to its last step
// (installing a GitHub App on the way can take a few minutes).
const stateAge = 30 * time.Minute

// A seal carries one step of a set-up round-trip through the browser: the
// OAuth state the provider hands back, or the user's GitHub token between
// the repository page and its form's answer. It is
//
//	<project>.<expiry, Unix seconds>.<base64url(nonce ‖ AES-GCM(payload))>
//
// with the project and expiry authenticated, the payload encrypted, and
// the key derived from SECRET_KEY, the session's cookie and the purpose
// ("oauth|slack"), so that no other browser can complete the round-trip (a
// login CSRF that adds the attacker's Slack or GitHub to a victim's
// project) and no other step accepts it. It is good until its expiry and
// for one use. Upstream keeps a random state in the session instead;
// Overdue's sessions hold no data.
//
// Single use is kept in memory (w.spent, ratelimit's buckets: one token per
// nonce, given back only after the seal has expired). Behind several
// instances a seal could be used once on each, but the provider's one-time
// code cannot.
func sealKey(secret, session, purpose string) cipher.AEAD {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("seal\x00" + session + "\x00" + purpose))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

func makeSeal(secret, session, purpose, project string, payload []byte, now time.Time) string {
	aead := sealKey(secret, session, purpose)
	head := project + "." + strconv.FormatInt(now.Add(stateAge).Unix(), 10)
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(payload)+aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return head + "." + base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, payload, []byte(head)))
}

// seal is makeSeal for the request's session ("" without one).
func (w *Web) seal(r *http.Request, purpose, project string, payload []byte) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return makeSeal(w.d.SecretKey, c.Value, purpose, project, payload, w.d.Now())
}

// The refusals of unseal, in words for the page.
const (
	errSeal     sealError = "This link was not started from this browser's session. Start again from the integration's add page."
	errSealUsed sealError = "This set-up link has expired or was already used. Start again from the integration's add page."
)

// sealError is a refused seal.
type sealError string

func (e sealError) Error() string { return string(e) }

// unseal opens s and spends it: the project and payload it was made for.
func (w *Web) unseal(r *http.Request, purpose, s string) (project string, payload []byte, err error) {
	c, cerr := r.Cookie(sessionCookie)
	i := strings.LastIndexByte(s, '.')
	if cerr != nil || i < 0 || len(s) > maxFormBytes {
		return "", nil, errSeal
	}
	head := s[:i]
	project, expiry, _ := strings.Cut(head, ".")
	box, err := base64.RawURLEncoding.DecodeString(s[i+1:])
	aead := sealKey(w.d.SecretKey, c.Value, purpose)
	if err != nil || len(box) < aead.NonceSize() {
		return "", nil, errSeal
	}
	nonce := box[:aead.NonceSize()]
	payload, err = aead.Open(nil, nonce, box[aead.NonceSize():], []byte(head))
	if err != nil {
		return "", nil, errSeal
	}
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || !w.d.Now().Before(time.Unix(exp, 0)) {
		return "", nil, errSealUsed
	}
	if ok, _ := w.spent.Allow(string(nonce)); !ok {
		return "", nil, errSealUsed
	}
	return project, payload, nil
}
