// Package auth owns credentials: password hashes, API keys and the other
// secrets users present.
package auth

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters. Django's defaults (m=102400 KiB, t=2, p=8) would make
// every log-in cost 100 MiB; these follow RFC 9106's second recommended
// option, scaled to a small server.
const (
	argonTime    = 2
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in Django's encoding
// ("argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash"), so a database imported from
// upstream and one written by Overdue hold the same kind of strings.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password must not be empty")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s",
		argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches encoded, which may be an
// Overdue/Django argon2id hash or a hash imported from upstream: Django's
// argon2 (argon2id, or argon2i from Django before 3.2), pbkdf2_sha256 or
// pbkdf2_sha1. Unusable hashes (Django's "!…") never match. The comparison
// of the derived key is constant-time.
func CheckPassword(encoded, password string) bool {
	switch {
	case strings.HasPrefix(encoded, "argon2$argon2id$"), strings.HasPrefix(encoded, "argon2$argon2i$"):
		return checkArgon2(encoded, password)
	case strings.HasPrefix(encoded, "pbkdf2_sha256$"):
		return checkPBKDF2(sha256.New, encoded, password)
	case strings.HasPrefix(encoded, "pbkdf2_sha1$"):
		return checkPBKDF2(sha1.New, encoded, password)
	}
	return false
}

// NeedsRehash reports whether a hash that just verified should be replaced
// by HashPassword's: every imported format but Overdue's own argon2id
// parameters. Log-in rehashes such passwords once they are known.
func NeedsRehash(encoded string) bool {
	return !strings.HasPrefix(encoded, fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d$", argonMemory, argonTime, argonThreads))
}

func checkArgon2(encoded, password string) bool {
	// argon2 $ argon2id|argon2i $ v=19 $ m=..,t=..,p=.. $ salt $ hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[2] != "v=19" {
		return false
	}
	derive := argon2.IDKey
	if parts[1] == "argon2i" {
		derive = argon2.Key
	}
	var m, t, p uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return false
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		}
	}
	// Refuse absurd parameters from a tampered row instead of allocating them.
	if m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 || p > 64 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := derive([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func checkPBKDF2(h func() hash.Hash, encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(h, password, []byte(parts[2]), iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// UnusablePassword is stored for accounts that sign in by other means
// (magic links) until they set a password; it matches nothing.
func UnusablePassword() string { return must(UnusablePasswordFrom(rand.Reader)) }

// NewToken returns a URL-safe random token of n bytes of entropy, the shape
// of upstream's token_urlsafe(n): 24 bytes give 32 characters, 16 give 22.
func NewToken(n int) string { return must(TokenFrom(rand.Reader, n)) }

// NewPingKey is a project's ping key as upstream (HEAD) makes one: 22
// characters of [a-z0-9] (token_urlsafe(16) lower-cased, drawn again while
// it has "-" or "_"), about 113 bits. Lower case, because ping keys are
// also the local part of email-ping addresses.
func NewPingKey() string { return must(PingKeyFrom(rand.Reader)) }

// NewAPIKey is an API key as upstream makes one: the prefix ("hcw_" for
// read-write, "hcr_" for read-only) and 28 characters of token_urlsafe(21)
// without "-" or "_".
func NewAPIKey(prefix string) string { return must(APIKeyFrom(rand.Reader, prefix)) }

// must is for crypto/rand, which does not fail on supported platforms.
func must(s string, err error) string {
	if err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // unreachable on supported platforms
	}
	return s
}

// HashAPIKey is how API keys are stored: only their SHA-256 digest, so a
// leaked database does not leak working keys. Lookups by digest compare no
// secret bytes in variable time.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// UpstreamAPIKeyHash is how upstream (v3.11+) stores an "hcw_"/"hcr_" API
// key: the first 8 characters after the prefix, ".", and the hex
// HMAC-SHA256 of the whole key under upstream's SECRET_KEY. Imported
// projects keep that form; computing it for a presented key lets the
// lookup compare whole stored values, as for HashAPIKey. It is "" for a
// key of another shape or without a secret.
func UpstreamAPIKeyHash(key, secret string) string {
	if secret == "" || len(key) < 12 || (!strings.HasPrefix(key, "hcw_") && !strings.HasPrefix(key, "hcr_")) {
		return ""
	}
	// Upstream's keys are token_urlsafe text. Anything else matches no
	// stored key, and must not reach the database: its 8 characters are
	// compared as text, which PostgreSQL refuses when not valid UTF-8.
	for i := 4; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(key))
	return key[4:12] + "." + hex.EncodeToString(mac.Sum(nil))
}

// IsUpstreamAPIKeyHash reports whether a stored key has upstream's hashed
// form (8 characters, ".", 64 hex digits).
func IsUpstreamAPIKeyHash(s string) bool {
	if len(s) != 73 || s[8] != '.' {
		return false
	}
	_, err := hex.DecodeString(s[9:])
	return err == nil
}
