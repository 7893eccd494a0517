// Package totp computes and checks the time-based one-time passwords of
// authenticator apps (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second
// steps, 6 digits, as upstream's pyotp defaults and every app expects.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

const (
	// Period is the length of a time step.
	Period = 30 * time.Second
	// Digits is the length of a code.
	Digits = 6
	// Skew is how many steps either side of now are accepted, as upstream
	// (valid_window=1): clocks drift and people type slowly.
	Skew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrSecret is a secret that is not base32.
var ErrSecret = errors.New("totp: the secret is not base32")

// NewSecret draws a 160-bit secret (RFC 4226's recommended length) and
// returns it in base32, 32 characters, the form apps take.
func NewSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b32.EncodeToString(b)
}

func decode(secret string) ([]byte, error) {
	k, err := b32.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil || len(k) == 0 {
		return nil, ErrSecret
	}
	return k, nil
}

// Step is the time step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the code of a time step.
func Code(secret string, step int64) (string, error) {
	k, err := decode(secret)
	if err != nil {
		return "", err
	}
	return hotp(k, uint64(step)), nil
}

// hotp is RFC 4226 §5.3: HMAC of the counter, dynamic truncation, modulo.
func hotp(key []byte, counter uint64) string {
	m := hmac.New(sha1.New, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", Digits, v%1_000_000)
}

// Match looks for code among the steps around now (±Skew) and returns the
// step it belongs to, so that the caller can refuse a step used before.
// Every candidate is computed and compared in constant time.
func Match(secret, code string, now time.Time) (int64, bool) {
	k, err := decode(secret)
	if err != nil || len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	var found int64
	ok := 0
	for s := cur - Skew; s <= cur+Skew; s++ {
		if subtle.ConstantTimeCompare([]byte(hotp(k, uint64(s))), []byte(code)) == 1 && ok == 0 {
			found, ok = s, 1
		}
	}
	return found, ok == 1
}

// URI is the otpauth:// key URI apps read from a QR code (Google
// Authenticator's key URI format): the label is "issuer:account".
func URI(secret, account, issuer string) string {
	q := url.Values{"secret": {secret}, "issuer": {issuer}}
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
