package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/server"
)

// Upstream reads query strings and POST forms through Django's QueryDict
// and its form fields, which differ from net/url and strconv in ways that
// decide between 200 and 400: only "&" separates fields (";" is data), a
// malformed percent escape stays as it is instead of dropping the field,
// more than 1000 fields is a Bad Request, and Python's int() takes
// whitespace, "_" between digits and non-ASCII decimal digits.

// djangoMaxFields is Django's DATA_UPLOAD_MAX_NUMBER_FIELDS.
const djangoMaxFields = 1000

// djangoMaxBody is Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
const djangoMaxBody = 2_621_440

var errTooManyFields = errors.New("too many fields")

// parseDjangoQuery parses a query string or a urlencoded body as Django's
// QueryDict does (urllib's parse_qsl with keep_blank_values): "&" separates
// fields, empty fields are skipped, a field without "=" has an empty value,
// "+" is a space, "%XX" is a byte and any other "%" is kept, and bytes that
// are not UTF-8 become U+FFFD. More than 1000 fields, counted as one more
// than the number of "&", is errTooManyFields (Django's TooManyFieldsSent).
func parseDjangoQuery(raw string) (url.Values, error) {
	out := url.Values{}
	if raw == "" {
		return out, nil
	}
	if strings.Count(raw, "&")+1 > djangoMaxFields {
		return nil, errTooManyFields
	}
	if !utf8.ValidString(raw) {
		// Django decodes a query string that is not UTF-8 as Latin-1.
		runes := make([]rune, len(raw))
		for i := 0; i < len(raw); i++ {
			runes[i] = rune(raw[i])
		}
		raw = string(runes)
	}
	for _, field := range strings.Split(raw, "&") {
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		k, v = pycompat.UnquotePlus(k), pycompat.UnquotePlus(v)
		out[k] = append(out[k], v)
	}
	return out, nil
}

// lastField is QueryDict.get: the last value of a repeated field.
func lastField(v url.Values, key string) (string, bool) {
	vals := v[key]
	if len(vals) == 0 {
		return "", false
	}
	return vals[len(vals)-1], true
}

// parseDjangoPost reads a POST body into fields as Django's request.POST
// does: urlencoded and multipart/form-data bodies are parsed (file parts
// are not fields), any other Content-Type gives no fields. Errors are what
// Django answers with 400: a body over 2.5 MB, more than 1000 fields, a
// multipart Content-Type without a boundary.
func parseDjangoPost(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return url.Values{}, nil
	}
	body := http.MaxBytesReader(w, r.Body, djangoMaxBody)
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		return parseDjangoQuery(string(b))
	case "multipart/form-data":
		boundary := params["boundary"]
		if boundary == "" {
			return nil, errors.New("multipart body without a boundary")
		}
		// Django's parser is lenient: a body that ends without the closing
		// boundary keeps the data read so far as the last value, and
		// anything unreadable ends the form rather than failing it.
		out := url.Values{}
		mr := multipart.NewReader(body, boundary)
		fields := 0
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return nil, err
				}
				return out, nil
			}
			b, err := io.ReadAll(p)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			name := p.FormName()
			if name == "" || p.FileName() != "" {
				if err != nil {
					return out, nil
				}
				continue
			}
			if fields++; fields > djangoMaxFields {
				return nil, errTooManyFields
			}
			out[name] = append(out[name], pycompat.DecodeUTF8(b))
			if err != nil {
				return out, nil
			}
		}
	}
	return url.Values{}, nil
}

// badRequestPage is Django's response to a request it cannot read (too
// many fields, a body over the limit): an HTML page without CORS headers.
func badRequestPage(w http.ResponseWriter) {
	dropCORS(w.Header())
	server.BadRequest(w)
}

// djangoIntegerField is Django's forms.IntegerField for an optional
// field: "" is no value; otherwise a trailing "." with zeros and
// whitespace is dropped ("60.0") and the rest must be a Python int.
func djangoIntegerField(s string) (n int64, present bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	t := pycompat.RStrip(s)
	t = strings.TrimRight(t, "0")
	if strings.HasSuffix(t, ".") {
		s = t[:len(t)-1]
	}
	n, err = pycompat.ParseInt(s)
	return n, true, err
}

// csrfRejected answers as Django's CsrfViewMiddleware does for the views
// that upstream does not mark csrf_exempt (status/ and metrics/): a request
// with an unsafe method and no CSRF cookie and token is refused with 403
// before the view runs. It reports whether it answered.
func csrfRejected(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	const page = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>403 Forbidden</title>\n</head>\n<body>\n  <h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p>\n</body>\n</html>\n"
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, page)
	return true
}
