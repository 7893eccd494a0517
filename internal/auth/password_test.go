package auth

import (
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "argon2$argon2id$v=19$") {
		t.Fatalf("hash %q is not in Django's argon2 format", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("right password refused")
	}
	if CheckPassword(h, "correct horsE") || CheckPassword(h, "") {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
}

func TestImportedDjangoHashes(t *testing.T) {
	// Computed with Python hashlib.pbkdf2_hmac (what Django's PBKDF2PasswordHasher calls) for "hunter22".
	const pbkdf2Hash = "pbkdf2_sha256$1000$saltsalt$ny5meISIhaoh9Hf5couWXriLEditl+KNHV25zTsYC34="
	if !CheckPassword(pbkdf2Hash, "hunter22") {
		t.Error("imported pbkdf2_sha256 hash refused the right password")
	}
	if CheckPassword(pbkdf2Hash, "hunter23") {
		t.Error("imported pbkdf2_sha256 hash accepted a wrong password")
	}
}

func TestHostileHashes(t *testing.T) {
	for _, enc := range []string{
		"", "!unusable", UnusablePassword(), "argon2$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA",
		"argon2$argon2id$v=19$m=1024,t=1,p=1$!!!$aGFzaA", "argon2$argon2id$v=19$m=x$a$b",
		"pbkdf2_sha256$-1$salt$aGFzaA==", "pbkdf2_sha256$999999999$salt$aGFzaA==", "pbkdf2_sha256$1$s",
		"md5$abc$def",
	} {
		if CheckPassword(enc, "x") || CheckPassword(enc, "") {
			t.Errorf("CheckPassword(%q) matched", enc)
		}
	}
}

func TestTokensAndKeys(t *testing.T) {
	if got := len(NewToken(24)); got != 32 {
		t.Errorf("NewToken(24) has %d chars, want 32 like upstream's api keys", got)
	}
	if got := len(NewToken(16)); got != 22 {
		t.Errorf("NewToken(16) has %d chars, want 22 like upstream's ping keys", got)
	}
	if a, b := NewToken(16), NewToken(16); a == b {
		t.Error("tokens repeat")
	}
	if HashAPIKey("abc") != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Error("HashAPIKey is not SHA-256 hex")
	}
}

// TestUpstreamHashVectors checks hashes made outside Overdue: pbkdf2 ones
// by Python's hashlib.pbkdf2_hmac (what Django's PBKDF2 hashers call,
// base64 as Django encodes it), and the argon2 ones from the reference
// implementation's test vectors (phc-winner-argon2 src/test.c, version
// 0x13: "password", salt "somesalt", t=2, m=65536, p=1) in Django's encoding.
func TestUpstreamHashVectors(t *testing.T) {
	for _, tc := range []struct{ hash, password string }{
		{"pbkdf2_sha1$1000$pepper$3NoAlqVT3MW5vmNFzEG3oY6gh7k=", "hunter22"},
		// Django 5's default iteration count and a non-ASCII password (UTF-8 bytes).
		{"pbkdf2_sha256$720000$Q8dMrP2v$L7NhKiNphwD4LEwAVvtMvSB+vG6mpx4YHGORiMweUHA=", "pässwörd"},
		{"argon2$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", "password"},
		{"argon2$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password"},
	} {
		if !CheckPassword(tc.hash, tc.password) {
			t.Errorf("%s refused the right password", tc.hash)
		}
		if CheckPassword(tc.hash, tc.password+"x") || CheckPassword(tc.hash, "") {
			t.Errorf("%s accepted a wrong password", tc.hash)
		}
		if !NeedsRehash(tc.hash) {
			t.Errorf("NeedsRehash(%s) = false", tc.hash)
		}
	}
	// The two argon2 variants are not interchangeable.
	swapped := "argon2$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"
	if CheckPassword(swapped, "password") {
		t.Error("an argon2i digest verified as argon2id")
	}
	own, err := HashPassword("x")
	if err != nil || NeedsRehash(own) {
		t.Errorf("NeedsRehash of Overdue's own hash: %v", err)
	}
}

// TestUpstreamAPIKeyHash checks upstream's stored form of hcw_/hcr_ keys
// against Python's hmac.new(SECRET_KEY, key, "sha256").hexdigest().
func TestUpstreamAPIKeyHash(t *testing.T) {
	const key, secret = "hcw_q2Vb7kR1nX4mT8pLs9dF3gH6jK0a", "upstream-secret"
	const want = "q2Vb7kR1.15ed4339c194f03a3cc5a6da7ff413deb0592dcbbccd8af5f6cc108116e40f7b"
	if got := UpstreamAPIKeyHash(key, secret); got != want {
		t.Errorf("UpstreamAPIKeyHash = %q, want %q", got, want)
	}
	if !IsUpstreamAPIKeyHash(want) || IsUpstreamAPIKeyHash(HashAPIKey(key)) || IsUpstreamAPIKeyHash("") {
		t.Error("IsUpstreamAPIKeyHash misjudges")
	}
	for _, k := range []string{"Xk4pPq9zW2mN7bR5tY8uE3oJ6aS1dF0g", "hcw_", "", "hcw_\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9aaaaaaaaaaaaaaaaaaaa", "hcr_q2Vb7kR1nX4mT8pLs9dF3gH6jK0/"} {
		if got := UpstreamAPIKeyHash(k, secret); got != "" {
			t.Errorf("UpstreamAPIKeyHash(%q) = %q, want none", k, got)
		}
	}
	if got := UpstreamAPIKeyHash(key, ""); got != "" {
		t.Errorf("without a secret: %q", got)
	}
}
