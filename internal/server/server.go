// Package server assembles the HTTP handler tree, applies the middleware
// every request goes through, and runs the listener with graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
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
	// Pings serves /ping/...; it sees the path with BasePath removed.
	Pings http.Handler
	// Badges serves /badge/... and /b/... (public status badges).
	Badges http.Handler
	// Metrics serves /projects/<uuid>/metrics/... (Prometheus).
	Metrics http.Handler
	// API serves the Management API, /api/v1/, /api/v2/ and /api/v3/.
	API http.Handler
	// Integrations serves /integrations/... (email verification links).
	Integrations http.Handler
	// Ready reports whether the service can answer (database reachable).
	Ready func(ctx context.Context) error
}

// Handler builds the root handler.
func Handler(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	if o.Pings != nil {
		mux.Handle("/ping/", o.Pings)
	}
	if o.Badges != nil {
		mux.Handle("/badge/", o.Badges)
		mux.Handle("/b/", o.Badges)
	}
	if o.Metrics != nil {
		mux.Handle("/projects/", o.Metrics)
	}
	if o.API != nil {
		// One prefix: the API does its own routing, including the 301 that
		// adds a missing trailing slash and its 404s.
		mux.Handle("/api/", o.API)
	}
	if o.Integrations != nil {
		mux.Handle("/integrations/", o.Integrations)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if o.Ready != nil {
			if err := o.Ready(r.Context()); err != nil {
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "OK")
	})
	var h http.Handler = mux
	if o.API != nil {
		h = apiFirst(o.API, mux)
	}
	h = stripBase(o.BasePath, h)
	h = allowedHosts(o.HostAllowed, h)
	h = recoverer(o.Log, h)
	return h
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
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		r2.URL.RawPath = ""
		next.ServeHTTP(w, r2)
	})
}

// apiFirst hands /api/ paths to the API as they are. ServeMux would answer
// a path with "//", "." or ".." segments with a redirect to its cleaned form
// (dropping BasePath, and re-sending a POST there); upstream's URL patterns
// simply do not match such a path, so the API answers 404.
func apiFirst(api, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// allowedHosts answers 400 to requests for other host names, as Django's
// ALLOWED_HOSTS does; it blocks Host-header poisoning of generated links.
func allowedHosts(allowed func(string) bool, next http.Handler) http.Handler {
	if allowed == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(r.Host) {
			http.Error(w, "Bad Request (400): the Host header is not in ALLOWED_HOSTS", http.StatusBadRequest)
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
