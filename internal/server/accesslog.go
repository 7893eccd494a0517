package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

// RequestIDHeader carries the request id: taken from a proxy that set one
// (when it is short and plain), generated otherwise, and echoed on the
// answer so that a user's report can be matched with the log line.
const RequestIDHeader = "X-Request-Id"

type ctxKey struct{}

// requestInfo is what the access log learns while the request is served:
// the router records which mount took it.
type requestInfo struct {
	id    string
	mount *Mount // the mount that served the request, nil for a 404
	base  string // SITE_ROOT's path, which LogPath's path lacks
	path  string // the path below base, as the mount saw it
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request that ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if info := requestInfoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// validRequestID accepts what proxies generate (UUIDs, hex, base64url) and
// refuses anything that could forge or break a log line.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size of an answer for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushing,
// deadlines) through the wrapper.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog gives each request an id and writes one line per request once
// it is answered. The line shows the mount's LogPath, never the query
// string: paths and queries of compatibility URLs can carry keys.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		info := &requestInfo{id: id}
		w.Header().Set(RequestIDHeader, id)
		sw := &statusWriter{ResponseWriter: w}
		path := r.URL.Path
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
		level := slog.LevelInfo
		if info.mount != nil {
			level = info.mount.LogLevel
		}
		// Checked before the path is masked: ping lines are usually off,
		// and then cost nothing more.
		if !log.Enabled(r.Context(), level) {
			return
		}
		logPath := path
		if info.mount != nil && info.mount.LogPath != nil {
			logPath = info.base + info.mount.LogPath(info.path)
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method),
			slog.String("path", logPath),
			slog.Int("status", status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id),
		)
	})
}
