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
