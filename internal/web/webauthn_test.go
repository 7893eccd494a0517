package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/overdue/overdue/internal/store/storetest"
)

// softKey is a software security key: a P-256 key pair that answers the
// server's WebAuthn options as a browser and an authenticator would, with
// "none" attestation. The server checks its answers with the real
// library, so a wrong origin, challenge or signature fails as it would
// with a real key.
type softKey struct {
	t      testing.TB
	id     []byte
	priv   *ecdsa.PrivateKey
	count  uint32
	rpID   string
	origin string
}

func newSoftKey(t testing.TB) *softKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{t: t, id: id, priv: priv, rpID: "example.org", origin: "http://example.org"}
}

var b64u = base64.RawURLEncoding

var optionsRE = regexp.MustCompile(`(?s)<script type="application/json" id="webauthn-options">(.*?)</script>`)

type waOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		RP struct {
			ID string `json:"id"`
		} `json:"rp"`
	} `json:"publicKey"`
}

func parseOptions(t testing.TB, body string) waOptions {
	t.Helper()
	m := optionsRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no WebAuthn options in the page:\n%s", body)
	}
	var o waOptions
	if err := json.Unmarshal([]byte(m[1]), &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("WebAuthn options %q: %v", m[1], err)
	}
	return o
}

func (k *softKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return b
}

func (k *softKey) rpHash() []byte {
	h := sha256.Sum256([]byte(k.rpID))
	return h[:]
}

// create answers navigator.credentials.create().
func (k *softKey) create(o waOptions) string {
	pub, err := k.priv.PublicKey.ECDH()
	if err != nil {
		k.t.Fatal(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
	if err != nil {
		k.t.Fatal(err)
	}
	auth := append([]byte{}, k.rpHash()...)
	auth = append(auth, 0x41) // user present, attested credential data
	auth = binary.BigEndian.AppendUint32(auth, k.count)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.id)))
	auth = append(auth, k.id...)
	auth = append(auth, cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(k.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64u.EncodeToString(att)}})
	return string(b)
}

// get answers navigator.credentials.get(): a signature over the
// authenticator data and the hash of the client data.
func (k *softKey) get(o waOptions) string {
	k.count++
	auth := append([]byte{}, k.rpHash()...)
	auth = append(auth, 0x01)
	auth = binary.BigEndian.AppendUint32(auth, k.count)
	cd := k.clientData("webauthn.get", o.PublicKey.Challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(auth),
			"signature": b64u.EncodeToString(sig)}})
	return string(b)
}

// registerKey adds k under name for the logged-in client.
func registerKey(t testing.TB, e *env, c *http.Client, k *softKey, name string) {
	t.Helper()
	resp, body := get(t, c, e.base+"/accounts/two_factor/webauthn/")
	if resp.StatusCode != 200 {
		t.Fatalf("add key page: %d", resp.StatusCode)
	}
	resp, body = post(t, c, e.base+"/accounts/two_factor/webauthn/", url.Values{"name": {name}, "response": {k.create(parseOptions(t, body))}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register key: %d\n%s", resp.StatusCode, body)
	}
}

func TestWebAuthnRegisterLogInRemove(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			e := newEnv(t, engine, withClock(clk))
			e.user("alice@example.org", "correct horse")
			e.user("bob@example.org", "battery staple")
			c := e.client()
			logIn(t, e, c, "alice@example.org", "correct horse")
			key := newSoftKey(t)

			resp, body := get(t, c, e.base+"/accounts/two_factor/webauthn/")
			o := parseOptions(t, body)
			if resp.StatusCode != 200 || o.PublicKey.RP.ID != "example.org" {
				t.Fatalf("add key page: %d, RP ID %q (want SITE_ROOT's host)", resp.StatusCode, o.PublicKey.RP.ID)
			}
			// Refused registrations: each answer gives fresh options.
			wrongOrigin := newSoftKey(t)
			wrongOrigin.origin = "http://evil.example"
			wrongRP := newSoftKey(t)
			wrongRP.rpID = "evil.example"
			for _, tc := range []struct {
				name, keyName string
				resp          func(o waOptions) string
				want          string
			}{
				{"no name", "", key.create, "Give the key a name"},
				{"long name", strings.Repeat("k", 101), key.create, "Give the key a name"},
				{"NUL in name", "a\x00b", key.create, "Give the key a name"},
				{"no response", "Key", func(waOptions) string { return "" }, "answer is missing"},
				{"garbage", "Key", func(waOptions) string { return `{"id":` }, "could not be registered"},
				{"huge", "Key", func(waOptions) string { return strings.Repeat("x", 65<<10) }, "answer is missing"},
				{"wrong origin", "Key", wrongOrigin.create, "could not be registered"},
				{"wrong RP ID", "Key", wrongRP.create, "could not be registered"},
				{"stale challenge", "Key", func(waOptions) string { return key.create(o) }, "could not be registered"},
			} {
				cur := parseOptions(t, body)
				resp, body = post(t, c, e.base+"/accounts/two_factor/webauthn/", url.Values{"name": {tc.keyName}, "response": {tc.resp(cur)}})
				if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
					t.Fatalf("%s: %d, want 400 %q\n%s", tc.name, resp.StatusCode, tc.want, body)
				}
			}
			resp, body = post(t, c, e.base+"/accounts/two_factor/webauthn/", url.Values{"name": {"<b>My key</b>"}, "response": {key.create(parseOptions(t, body))}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/accounts/two_factor/" {
				t.Fatalf("register: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			_, body = get(t, c, e.base+"/accounts/two_factor/")
			if !strings.Contains(body, "&lt;b&gt;My key&lt;/b&gt;") || strings.Contains(body, "<b>My key") {
				t.Errorf("factors page: key name missing or not escaped:\n%s", body)
			}
			// The next registration excludes the key already there.
			_, body = get(t, c, e.base+"/accounts/two_factor/webauthn/")
			if ex := parseOptions(t, body).PublicKey.ExcludeCredentials; len(ex) != 1 || ex[0].ID != b64u.EncodeToString(key.id) {
				t.Errorf("excludeCredentials: %+v", ex)
			}
			post(t, c, e.base+"/accounts/logout/", nil)

			// Log-in: the password leads to the key step, not a session.
			c = e.client()
			resp = logIn(t, e, c, "alice@example.org", "correct horse")
			if resp.Header.Get("Location") != "/hc/accounts/login/two_factor/" || hasSession(c, e.base) {
				t.Fatalf("password step: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body = get(t, c, e.base+"/accounts/login/two_factor/")
			o = parseOptions(t, body)
			if resp.StatusCode != 200 || len(o.PublicKey.AllowCredentials) != 1 || o.PublicKey.AllowCredentials[0].ID != b64u.EncodeToString(key.id) {
				t.Fatalf("key step: %d %+v", resp.StatusCode, o.PublicKey.AllowCredentials)
			}
			if strings.Contains(body, "two_factor/totp/") {
				t.Error("the key step offers TOTP, which alice does not have")
			}
			impostor := newSoftKey(t)
			impostor.id = key.id // the right credential ID, the wrong private key
			otherOrigin := *key
			otherOrigin.origin = "http://127.0.0.1"
			for _, tc := range []struct {
				name string
				resp func(o waOptions) string
			}{
				{"wrong private key", impostor.get},
				{"wrong origin", otherOrigin.get},
				{"garbage", func(waOptions) string { return "[]" }},
				{"a registration instead", func(o waOptions) string { return key.create(o) }},
			} {
				resp, body = post(t, c, e.base+"/accounts/login/two_factor/", url.Values{"response": {tc.resp(parseOptions(t, body))}})
				if resp.StatusCode != 400 || !strings.Contains(body, "was not accepted") || hasSession(c, e.base) {
					t.Fatalf("%s: %d\n%s", tc.name, resp.StatusCode, body)
				}
			}
			good := key.get(parseOptions(t, body))
			resp, _ = post(t, c, e.base+"/accounts/login/two_factor/", url.Values{"response": {good}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc/" || !hasSession(c, e.base) {
				t.Fatalf("key step: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}

			// A recorded answer does not open another log-in (the
			// challenge was single use).
			c2 := e.client()
			logIn(t, e, c2, "alice@example.org", "correct horse")
			get(t, c2, e.base+"/accounts/login/two_factor/")
			if resp, _ = post(t, c2, e.base+"/accounts/login/two_factor/", url.Values{"response": {good}}); resp.StatusCode != 400 || hasSession(c2, e.base) {
				t.Errorf("replayed assertion: %d", resp.StatusCode)
			}
			// Bob has no factor: no second step for him.
			cb := e.client()
			if resp = logIn(t, e, cb, "bob@example.org", "battery staple"); resp.Header.Get("Location") != "/hc/" {
				t.Errorf("bob without factors: %q", resp.Header.Get("Location"))
			}
			// A cloned key (its counter goes backwards) is refused.
			c3 := e.client()
			logIn(t, e, c3, "alice@example.org", "correct horse")
			_, body = get(t, c3, e.base+"/accounts/login/two_factor/")
			clone := *key
			clone.count = 0
			if resp, _ = post(t, c3, e.base+"/accounts/login/two_factor/", url.Values{"response": {clone.get(parseOptions(t, body))}}); resp.StatusCode != 400 || hasSession(c3, e.base) {
				t.Errorf("cloned key: %d", resp.StatusCode)
			}

			// Removal: sudo first, then only alice's own key codes.
			clk.Add(31 * time.Minute)
			if resp, _ = get(t, c, e.base+"/accounts/two_factor/webauthn/"); resp.StatusCode != http.StatusFound {
				t.Errorf("add key without sudo: %d", resp.StatusCode)
			}
			post(t, c, e.base+"/accounts/sudo/", url.Values{"password": {"correct horse"}})
			_, body = get(t, c, e.base+"/accounts/two_factor/")
			m := regexp.MustCompile(`/accounts/two_factor/([0-9a-f-]{36})/remove/`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no remove link:\n%s", body)
			}
			for _, code := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
				if resp, _ = post(t, c, e.base+"/accounts/two_factor/"+code+"/remove/", url.Values{"remove_credential": {"1"}}); resp.StatusCode != 400 {
					t.Errorf("remove %q: %d, want 400", code, resp.StatusCode)
				}
			}
			// Bob, in sudo mode (a fresh log-in), cannot remove alice's key.
			cb = e.client()
			logIn(t, e, cb, "bob@example.org", "battery staple")
			if resp, _ = post(t, cb, e.base+"/accounts/two_factor/"+m[1]+"/remove/", url.Values{"remove_credential": {"1"}}); resp.StatusCode != 400 {
				t.Errorf("bob removes alice's key: %d, want 400", resp.StatusCode)
			}
			if resp, body = get(t, c, e.base+"/accounts/two_factor/"+m[1]+"/remove/"); resp.StatusCode != 200 || !strings.Contains(body, "last second factor") {
				t.Errorf("remove page: %d", resp.StatusCode)
			}
			if resp, _ = post(t, c, e.base+"/accounts/two_factor/"+m[1]+"/remove/", nil); resp.StatusCode != 200 {
				t.Errorf("remove without the confirmation field: %d, want the confirmation page", resp.StatusCode)
			}
			if resp, _ = post(t, c, e.base+"/accounts/two_factor/"+m[1]+"/remove/", url.Values{"remove_credential": {"1"}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("remove: %d", resp.StatusCode)
			}
			c4 := e.client()
			if resp = logIn(t, e, c4, "alice@example.org", "correct horse"); resp.Header.Get("Location") != "/hc/" {
				t.Errorf("after removing the key: %q", resp.Header.Get("Location"))
			}
		})
	}
}

// A user with both factors is sent to the key, which offers TOTP instead.
func TestWebAuthnAndTOTPTogether(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, "sqlite", withClock(clk))
	e.user("alice@example.org", "correct horse")
	c := e.client()
	logIn(t, e, c, "alice@example.org", "correct horse")
	secret := enrolTOTP(t, e, c, clk)
	registerKey(t, e, c, newSoftKey(t), "Key")
	clk.Add(time.Minute)
	c = e.client()
	resp := logIn(t, e, c, "alice@example.org", "correct horse")
	if resp.Header.Get("Location") != "/hc/accounts/login/two_factor/" {
		t.Fatalf("both factors: %q", resp.Header.Get("Location"))
	}
	if _, body := get(t, c, e.base+"/accounts/login/two_factor/"); !strings.Contains(body, `href="/hc/accounts/login/two_factor/totp/"`) {
		t.Errorf("key step has no TOTP link:\n%s", body)
	}
	if _, body := get(t, c, e.base+"/accounts/login/two_factor/totp/"); !strings.Contains(body, `href="/hc/accounts/login/two_factor/"`) {
		t.Errorf("TOTP step has no key link:\n%s", body)
	}
	if resp, _ := post(t, c, e.base+"/accounts/login/two_factor/totp/", url.Values{"code": {codeAt(t, secret, clk, 0)}}); resp.StatusCode != http.StatusSeeOther || !hasSession(c, e.base) {
		t.Errorf("TOTP instead of the key: %d", resp.StatusCode)
	}
}

// Sudo mode with a security key: the re-authentication page runs an
// assertion ceremony over the user's keys, bound to the session, and
// only a real signature over its challenge opens sensitive pages.
func TestSudoWithSecurityKey(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			clk := newClock()
			e := newEnv(t, engine, withClock(clk))
			e.user("alice@example.org", "correct horse")
			c := e.client()
			logIn(t, e, c, "alice@example.org", "correct horse")
			key := newSoftKey(t)
			registerKey(t, e, c, key, "Key")
			const addKey = "/accounts/two_factor/webauthn/"
			inSudo := func(c *http.Client) bool {
				t.Helper()
				resp, _ := get(t, c, e.base+addKey)
				return resp.StatusCode == 200
			}
			clk.Add(31 * time.Minute)
			if inSudo(c) {
				t.Fatal("sudo mode 31 minutes after log-in")
			}
			resp, body := get(t, c, e.base+"/accounts/sudo/?next="+url.QueryEscape(addKey))
			o := parseOptions(t, body)
			if resp.StatusCode != 200 || len(o.PublicKey.AllowCredentials) != 1 || o.PublicKey.AllowCredentials[0].ID != b64u.EncodeToString(key.id) ||
				!strings.Contains(body, `id="webauthn-form"`) || !strings.Contains(body, `name="password"`) || !strings.Contains(body, "/static/webauthn.js") {
				t.Fatalf("sudo page: %d %+v\n%s", resp.StatusCode, o.PublicKey.AllowCredentials, body)
			}
			first := o

			// Another session of alice (log-in with the key) has its own
			// ceremony: its challenge's answer does not open c.
			c2 := e.client()
			logIn(t, e, c2, "alice@example.org", "correct horse")
			_, b2 := get(t, c2, e.base+"/accounts/login/two_factor/")
			if resp, _ = post(t, c2, e.base+"/accounts/login/two_factor/", url.Values{"response": {key.get(parseOptions(t, b2))}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("second session's log-in: %d", resp.StatusCode)
			}
			clk.Add(31 * time.Minute)
			_, b2 = get(t, c2, e.base+"/accounts/sudo/")
			otherSession := parseOptions(t, b2)
			_, body = get(t, c, e.base+"/accounts/sudo/?next="+url.QueryEscape(addKey))

			impostor := newSoftKey(t)
			impostor.id = key.id // the right credential ID, the wrong private key
			otherOrigin := *key
			otherOrigin.origin = "http://127.0.0.1"
			clone := *key
			for _, tc := range []struct {
				name string
				resp func(o waOptions) string
				want string
			}{
				{"wrong private key", impostor.get, "was not accepted"},
				{"wrong origin", otherOrigin.get, "was not accepted"},
				{"garbage", func(waOptions) string { return `{"id":` }, "was not accepted"},
				{"a registration instead", key.create, "was not accepted"},
				{"stale challenge", func(waOptions) string { return key.get(first) }, "was not accepted"},
				{"another session's challenge", func(waOptions) string { return key.get(otherSession) }, "was not accepted"},
				{"huge", func(waOptions) string { return strings.Repeat("x", 65<<10) }, "answer is missing"},
				{"cloned key", func(o waOptions) string { clone.count = 0; return clone.get(o) }, "was not accepted"},
			} {
				resp, body = post(t, c, e.base+"/accounts/sudo/", url.Values{"next": {addKey}, "response": {tc.resp(parseOptions(t, body))}})
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, tc.want) {
					t.Fatalf("%s: %d, want 403 %q\n%s", tc.name, resp.StatusCode, tc.want, body)
				}
				if inSudo(c) {
					t.Fatalf("%s opened sudo mode", tc.name)
				}
			}
			good := key.get(parseOptions(t, body))
			resp, _ = post(t, c, e.base+"/accounts/sudo/", url.Values{"next": {addKey}, "response": {good}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hc"+addKey || !inSudo(c) {
				t.Fatalf("sudo with the key: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// The answer was single use: after sudo lapses it opens nothing.
			clk.Add(25 * time.Hour) // past sudo mode and the day's attempts
			get(t, c, e.base+"/accounts/sudo/")
			if resp, _ = post(t, c, e.base+"/accounts/sudo/", url.Values{"response": {good}}); resp.StatusCode != http.StatusForbidden || inSudo(c) {
				t.Errorf("replayed sudo answer: %d", resp.StatusCode)
			}
			// A user without keys gets no ceremony, and an answer is refused.
			e.user("bob@example.org", "battery staple")
			cb := e.client()
			logIn(t, e, cb, "bob@example.org", "battery staple")
			if _, body = get(t, cb, e.base+"/accounts/sudo/"); strings.Contains(body, "webauthn-options") {
				t.Error("bob, without keys, gets a ceremony")
			}
			clk.Add(31 * time.Minute)
			if resp, body = post(t, cb, e.base+"/accounts/sudo/", url.Values{"response": {good}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "That did not match") || inSudo(cb) {
				t.Errorf("bob with alice's answer: %d", resp.StatusCode)
			}
		})
	}
}
