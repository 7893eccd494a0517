// Package server assembles the HTTP handler tree, applies the middleware
// every request goes through, and runs the listener with graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Options configure the handler tree.
type Options struct {
	// BasePath is SITE_ROOT's path ("" or "/hc"): every route lives under it.
	BasePath string
	// HostAllowed implements ALLOWED_HOSTS; nil allows every host.
	HostAllowed func(host string) bool
	Log         *slog.Logger
	// Groups are tried in order, and within a group its mounts in order: the
	// first mount whose pattern matches the path serves the request. Put the
	// compatibility surfaces (Compat) before the UI, whose "/" takes the rest.
	Groups []Group
	// Ready reports whether the service can answer (database reachable):
	// /readyz answers 503 while it fails. /healthz asks nothing.
	Ready func(ctx context.Context) error
	// Metrics, when set, serves /metrics (the operator's metrics, which
	// authenticate their own requests); without it /metrics is not claimed.
	Metrics http.Handler
}

// Handler builds the root handler: /healthz, /readyz, /metrics (when
// Options.Metrics is set), the groups' mounts, and a 404
// for paths that no mount claims; every answer goes through the access log,
// a request id, ALLOWED_HOSTS, the security headers and panic recovery.
func Handler(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// Paths are matched as they came, not through ServeMux: ServeMux answers
	// a path with "//", "." or ".." segments with a redirect to its cleaned
	// form (dropping BasePath, and re-sending a POST there), where upstream's
	// URL patterns simply do not match, so each handler answers such a path
	// with its own 404. Every handler does its own routing below its pattern.
	var routes []route
	// The operator's endpoints come first, so that the UI's "/" cannot take them.
	for _, g := range append([]Group{opsGroup(o.Ready, o.Metrics)}, o.Groups...) {
		for _, m := range g.Mounts {
			if m.Handler == nil {
				continue
			}
			h := m.Handler
			for i := len(g.Middleware) - 1; i >= 0; i-- {
				h = g.Middleware[i](h)
			}
			routes = append(routes, route{pattern: compilePattern(m.Pattern), h: h, mount: m})
		}
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range routes {
			if routes[i].pattern.match(r.URL.Path) {
				if info := requestInfoFrom(r.Context()); info != nil {
					info.mount, info.base, info.path = &routes[i].mount, o.BasePath, r.URL.Path
				}
				routes[i].h.ServeHTTP(w, r)
				return
			}
		}
		NotFound(w, r)
	})
	h = stripBase(o.BasePath, h)
	h = allowedHosts(o.HostAllowed, o.BasePath, h)
	h = securityHeaders(h)
	h = recoverer(o.Log, h)
	h = accessLog(o.Log, h)
	return h
}

type route struct {
	pattern pattern
	h       http.Handler
	mount   Mount
}

// NotFound is the 404 page for paths that no handler owns.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("<!doctype html>\n<title>404 Not Found</title>\n<h1>404 Not Found</h1>\n"))
}

// BadRequest writes Django's 400 page, as its handler renders it with DEBUG
// off: what upstream answers to a disallowed host, an unreadable query or
// form, and other requests it refuses before any view runs.
func BadRequest(w http.ResponseWriter) {
	const page = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n"
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, page)
}

// securityHeaders sets, on every response, the headers that upstream's
// Django middleware adds by default (SecurityMiddleware and
// XFrameOptionsMiddleware): no MIME sniffing, no framing, a same-origin
// referrer policy and opener isolation.
//
// The values are built once and shared by every response (Header.Set would
// allocate four slices per request, pings included); each has len == cap,
// so an Add appends to a copy, and net/http copies them when it writes.
func securityHeaders(next http.Handler) http.Handler {
	nosniff, deny, sameOrigin := []string{"nosniff"}, []string{"DENY"}, []string{"same-origin"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = deny
		h["Referrer-Policy"] = sameOrigin
		h["Cross-Origin-Opener-Policy"] = sameOrigin
		next.ServeHTTP(w, r)
	})
}

// stripBase serves the tree under SITE_ROOT's path only; anything outside it
// is 404, as upstream's URL prefix does.
func stripBase(base string, next http.Handler) http.Handler {
	if base == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, base)
		if !ok || (rest != "" && rest[0] != '/') {
			NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		r2.URL.RawPath = ""
		next.ServeHTTP(w, r2)
	})
}

// allowedHosts answers 400 to requests for other host names, as Django's
// ALLOWED_HOSTS does; it blocks Host-header poisoning of generated links.
func allowedHosts(allowed func(string) bool, base string, next http.Handler) http.Handler {
	if allowed == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(r.Host) && !isHealthPath(base, r.URL.Path) {
			// Django answers DisallowedHost with its plain 400 page.
			BadRequest(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a handler panic into a logged 500 instead of a dropped
// connection; a panic is a bug, and the stack goes to the log.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve listens on addr until ctx is cancelled, then shuts down gracefully,
// giving in-flight requests up to grace to finish. ready, if not nil, is
// called with the bound address once the listener is open.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h, log, ready)
}

// ServeListener is Serve on a listener the caller bound, so that the caller
// can learn the real address (--listen 127.0.0.1:0) before it builds the
// handlers that print URLs. It closes ln.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: answering the requests in flight", "addr", ln.Addr().String())
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
