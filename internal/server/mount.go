package server

import (
	"log/slog"
	"net/http"
	"strings"
)

// A Mount claims the paths (below SITE_ROOT's path) that match Pattern.
//
// A pattern is a path whose segments are literal or "*" (any one segment,
// empty included). A pattern ending in "/" also claims every path below it,
// as in ServeMux; any other pattern claims exactly its own path. Unlike
// ServeMux, nothing is cleaned or redirected: "/ping//x/../y" is offered to
// the "/ping/" mount as sent, and its handler decides.
type Mount struct {
	Pattern string
	Handler http.Handler
	// LogPath, if set, is what the access log writes instead of the path:
	// it hides the secrets some compatibility URLs carry (ping keys, metrics
	// keys, signed tokens).
	LogPath func(path string) string
	// LogLevel is the level of this mount's access-log lines: pings, by far
	// the most frequent requests, log at Debug.
	LogLevel slog.Level
}

// A Group is mounts that share middleware (the UI's CSRF protection and
// sessions, for example, and none of it on the ping path).
type Group struct {
	// Middleware wraps each mount's handler, the first entry outermost.
	Middleware []func(http.Handler) http.Handler
	Mounts     []Mount
}

type pattern struct {
	segs   []string // the segments after the leading "/"
	prefix bool     // the pattern ended in "/": deeper paths match too
}

func compilePattern(p string) pattern {
	p = strings.TrimPrefix(p, "/")
	var pt pattern
	if p == "" {
		return pattern{prefix: true}
	}
	if strings.HasSuffix(p, "/") {
		pt.prefix = true
		p = strings.TrimSuffix(p, "/")
	}
	pt.segs = strings.Split(p, "/")
	return pt
}

func (pt pattern) match(path string) bool {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	for i, seg := range pt.segs {
		got, after, more := strings.Cut(rest, "/")
		rest = after
		if seg != "*" && seg != got {
			return false
		}
		if !more {
			// The path ended on this segment: an exact pattern matches when
			// this is its last segment; a prefix pattern needs the slash.
			return !pt.prefix && i == len(pt.segs)-1
		}
	}
	// Every segment matched and the path goes on after a "/": only a
	// prefix pattern claims deeper paths.
	return pt.prefix
}

// Surfaces are the handlers of the compatibility surfaces: the URLs that
// crontab lines, API clients, README badges, Prometheus and alert emails
// already point at. Compat gives each one upstream's exact patterns.
type Surfaces struct {
	// Pings serves /ping/...
	Pings http.Handler
	// Badges serves /badge/... and /b/... (public status badges).
	Badges http.Handler
	// Metrics serves /projects/<uuid>/metrics/... and
	// /projects/<uuid>/checks/metrics/... (Prometheus).
	Metrics http.Handler
	// API serves the Management API, /api/v1/, /api/v2/ and /api/v3/.
	API http.Handler
	// Integrations serves the links in integration emails:
	// /integrations/<uuid>/verify/... and /integrations/<uuid>/unsub/...,
	// and the reports' /accounts/unsubscribe_reports/<signed>/.
	Integrations http.Handler
}

// Compat is the group of the compatibility surfaces, without middleware
// beyond what every request gets: they keep upstream's exact answers, and
// pings stay on the shortest path.
func Compat(s Surfaces) Group {
	return Group{Mounts: []Mount{
		{Pattern: "/ping/", Handler: s.Pings, LogPath: MaskSegments(1), LogLevel: slog.LevelDebug},
		{Pattern: "/badge/", Handler: s.Badges},
		{Pattern: "/b/", Handler: s.Badges},
		{Pattern: "/api/", Handler: s.API},
		// /projects/<uuid>/metrics redirects to the slash form.
		{Pattern: "/projects/*/metrics", Handler: s.Metrics},
		{Pattern: "/projects/*/metrics/", Handler: s.Metrics, LogPath: MaskSegments(3)},
		{Pattern: "/projects/*/checks/metrics/", Handler: s.Metrics, LogPath: MaskSegments(4)},
		{Pattern: "/integrations/*/verify/", Handler: s.Integrations, LogPath: MaskSegments(3)},
		{Pattern: "/integrations/*/unsub/", Handler: s.Integrations, LogPath: MaskSegments(3)},
		{Pattern: "/accounts/unsubscribe_reports/", Handler: s.Integrations, LogPath: MaskSegments(2)},
	}}
}

// MaskSegments returns a LogPath function that replaces the path segments
// at the given indexes (0 is the first segment after the leading "/") with
// "***", when they are not empty.
func MaskSegments(idx ...int) func(string) string {
	return func(path string) string {
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		for _, i := range idx {
			if i < len(segs) && segs[i] != "" {
				segs[i] = "***"
			}
		}
		return "/" + strings.Join(segs, "/")
	}
}
