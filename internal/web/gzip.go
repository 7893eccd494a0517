package web

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// compressor gzips the UI's text answers. The dashboard of a large project
// is hundreds of kilobytes of repetitive HTML that compresses about tenfold
// (bench/RESULTS.md).
//
// Only requests the browser marks as same-origin (or typed by the user:
// Sec-Fetch-Site "none") are compressed. A page that reflects input (the
// search box) next to a secret (ping URLs, keys shown once) is open to
// BREACH-style guessing when an attacker can make the victim's browser send
// many cross-site requests and watch the sizes; those requests get the
// plain body.
type compressor struct {
	pool sync.Pool
}

func newCompressor() *compressor {
	return &compressor{pool: sync.Pool{New: func() any {
		// BestSpeed: the pages are built per request, and level 1 already
		// gets most of the gain on repeated markup.
		gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return gz
	}}}
}

func (c *compressor) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		site := r.Header.Get("Sec-Fetch-Site")
		if (site != "same-origin" && site != "none") || !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, c: c}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reads Accept-Encoding well enough for browsers: gzip listed
// without q=0.
func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// compressible: text formats only; images and downloads pass through.
func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "application/javascript" || ct == "image/svg+xml"
}

// gzipWriter decides at the first header write whether to compress: only
// a full 200 answer of a compressible type, not already encoded (a range
// answer's Content-Range counts uncompressed bytes, so 206 passes through).
type gzipWriter struct {
	http.ResponseWriter
	c       *compressor
	gz      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		h := g.Header()
		if code == http.StatusOK && h.Get("Content-Encoding") == "" && h.Get("Content-Range") == "" && compressible(h.Get("Content-Type")) {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			g.gz = g.c.pool.Get().(*gzip.Writer)
			g.gz.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close()
		g.gz.Reset(nil)
		g.c.pool.Put(g.gz)
		g.gz = nil
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
