package opsmetrics

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// ContentType is the Prometheus text format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the metrics. When token is not empty a request must carry
// "Authorization: Bearer <token>"; anything else is answered 401 without
// a word about what was wrong.
func (m *Metrics) Handler(token string) http.Handler {
	// Compared as SHA-256 digests: equal lengths, so the comparison's time
	// tells nothing about the token, not even its length.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if token != "" && !bearerMatches(r.Header.Values("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="overdue metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var buf bytes.Buffer
		if err := m.WriteText(r.Context(), &buf); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(buf.Bytes())
	})
}

// bearerMatches accepts exactly one Authorization header of the Bearer
// scheme (case-insensitive, as RFC 9110 says of schemes) whose token is
// the configured one.
func bearerMatches(values []string, want [32]byte) bool {
	if len(values) != 1 {
		return false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimLeft(tok, " ")))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
