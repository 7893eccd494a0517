package auth

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// The *From functions draw the secrets of NewToken, NewPingKey, NewAPIKey
// and UnusablePassword from r, so that a caller holding its own random
// source (internal/accounts) can be tested with one that fails, and sees
// the failure as an error instead of a panic.

// TokenFrom is NewToken reading n bytes from r.
func TokenFrom(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read %d random bytes: %w", n, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// PingKeyFrom is NewPingKey reading from r.
func PingKeyFrom(r io.Reader) (string, error) {
	for {
		k, err := TokenFrom(r, 16)
		if err != nil {
			return "", err
		}
		if k = strings.ToLower(k); !strings.ContainsAny(k, "-_") {
			return k, nil
		}
	}
}

// APIKeyFrom is NewAPIKey reading from r.
func APIKeyFrom(r io.Reader, prefix string) (string, error) {
	for {
		k, err := TokenFrom(r, 21)
		if err != nil {
			return "", err
		}
		if !strings.ContainsAny(k, "-_") {
			return prefix + k, nil
		}
	}
}

// UnusablePasswordFrom is UnusablePassword reading from r.
func UnusablePasswordFrom(r io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read 20 random bytes: %w", err)
	}
	return "!" + hex.EncodeToString(b), nil
}
