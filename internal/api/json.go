package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/server"
)

// Upstream answers with Django's JsonResponse, i.e. Python's json.dumps with
// its defaults: ", " and ": " separators, non-ASCII escaped as \uXXXX, and
// keys in insertion order. encoding/json can do none of the three, and
// clients that diff or hash responses notice, so responses are written with
// this small encoder instead.

// obj is a JSON object whose keys keep their order.
type obj []kv

type kv struct {
	k string
	v any
}

// pyNum is a float that prints the way Python's repr does ("3.0", "2.9").
type pyNum float64

// rawJSON is inserted verbatim.
type rawJSON string

func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return pycompat.AppendJSONString(b, v)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case pyNum:
		return appendPyFloat(b, float64(v))
	case rawJSON:
		return append(b, v...)
	case obj:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = pycompat.AppendJSONString(b, f.k)
			b = append(b, ": "...)
			b = appendJSON(b, f.v)
		}
		return append(b, '}')
	case []obj:
		b = append(b, '[')
		for i, o := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSON(b, o)
		}
		return append(b, ']')
	}
	// Unreachable for the types this package builds; fail loudly in tests.
	panic("api: cannot encode " + strconv.Quote(typeName(v)))
}

func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "float64 (use pyNum)"
	}
	return "unsupported value"
}

// appendPyFloat writes f as json.dumps does, with Python's float repr;
// NaN and the infinities, which json.dumps would write as the non-JSON
// tokens NaN and Infinity, become null (the API never produces them).
func appendPyFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	return pycompat.AppendFloatRepr(b, f)
}

// round2 is Python's round(x, 2): correctly rounded to two decimals.
func round2(x float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	return f
}

// isoSeconds is upstream's isostring: UTC, whole seconds, "+00:00".
func isoSeconds(t *time.Time) any {
	if t == nil {
		return nil
	}
	return pycompat.ISOFormat(t.Truncate(time.Second))
}

// isoMicro is Python's isoformat of an aware UTC datetime: microseconds
// only when there are any.
func isoMicro(t time.Time) string { return pycompat.ISOFormat(t) }

// appendISOSeconds is isoSeconds as a JSON value, written into b.
func appendISOSeconds(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = pycompat.AppendISOFormat(b, t.Truncate(time.Second))
	return append(b, '"')
}

// writeJSON sends v with upstream's Content-Type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	size := 512
	if o, ok := v.(obj); ok && len(o) == 1 {
		if list, ok := o[0].v.([]obj); ok {
			size += 1024 * len(list) // a check is about 900 bytes
		}
	}
	writeRawJSON(w, status, appendJSON(make([]byte, 0, size), v))
}

// writeRawJSON sends an encoded JSON document with upstream's Content-Type.
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bufPool recycles the buffers of large responses (a list of 1,000 checks
// is about a megabyte); buffers that grew beyond maxPooledBuf are dropped.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuf = 8 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooledBuf {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// writeError sends upstream's {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, obj{{"error", msg}})
}

// writeEmpty sends a status with an empty body, as upstream's bare
// HttpResponseForbidden, HttpResponseBadRequest and 405 do.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// notFoundPage mimics Django's not-found response: an HTML page that no
// client parses, so only the status matters. Upstream raises Http404 (no URL
// pattern matched, or get_object_or_404), which escapes its cors decorator:
// the page carries no CORS headers even where the endpoint has them.
func notFoundPage(w http.ResponseWriter) {
	dropCORS(w.Header())
	server.NotFound(w, nil)
}

// dropCORS removes the CORS headers a route's wrapper set: upstream's error
// pages come from exceptions that escape that wrapper.
func dropCORS(h http.Header) {
	for _, k := range [...]string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Max-Age"} {
		h.Del(k)
	}
}
