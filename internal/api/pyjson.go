package api

import "bytes"

// Upstream parses request bodies with Python's json.loads, which differs
// from encoding/json in two ways a client can see:
//
//   - it accepts the bare tokens NaN, Infinity and -Infinity as floats, so
//     {"timeout": NaN} is a validation error ("timeout is not a number") and
//     {"foo": Infinity} is an ignored field, not an unparsable body;
//   - it refuses integers of more than 4,300 digits (Python's limit on
//     int/str conversions), which is a ValueError, so the body does not
//     parse.
//
// pyJSON rewrites the three tokens, outside strings, into number literals
// that encoding/json accepts and that are floats to parseSpec ("1e999",
// "-1e999"), padded with spaces so that a token glued to its neighbours
// ("NaN1", "1NaN") stays as invalid as Python finds it. It reports false
// for a body holding an over-long integer. The body is returned unchanged
// (not copied) when there is nothing to rewrite.

const pyMaxIntDigits = 4300

var (
	pyNaN      = []byte("NaN")
	pyInf      = []byte("Infinity")
	pyNegInf   = []byte("-Infinity")
	pyPosFloat = []byte(" 1e999 ")
	pyNegFloat = []byte(" -1e999 ")
)

func pyJSON(body []byte) ([]byte, bool) {
	var out []byte // nil until something is rewritten
	last := 0      // body[last:i] is not copied to out yet
	replace := func(i, n int, with []byte) {
		out = append(out, body[last:i]...)
		out = append(out, with...)
		last = i + n
	}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"':
			// Skip the string; escapes hide quotes.
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == 'N' && bytes.HasPrefix(body[i:], pyNaN):
			replace(i, len(pyNaN), pyPosFloat)
			i += len(pyNaN)
		case c == 'I' && bytes.HasPrefix(body[i:], pyInf):
			replace(i, len(pyInf), pyPosFloat)
			i += len(pyInf)
		case c == '-' && bytes.HasPrefix(body[i:], pyNegInf):
			replace(i, len(pyNegInf), pyNegFloat)
			i += len(pyNegInf)
		case c == '-' || c >= '0' && c <= '9':
			// A number: count its integer digits; a fraction or an
			// exponent makes it a float, which has no digit limit.
			if c == '-' {
				i++
			}
			start := i
			for i < len(body) && body[i] >= '0' && body[i] <= '9' {
				i++
			}
			isInt := i == len(body) || body[i] != '.' && body[i] != 'e' && body[i] != 'E'
			if isInt && i-start > pyMaxIntDigits {
				return nil, false
			}
			for i < len(body) && (body[i] >= '0' && body[i] <= '9' || body[i] == '.' || body[i] == 'e' || body[i] == 'E' ||
				body[i] == '+' || body[i] == '-') {
				i++
			}
		default:
			i++
		}
	}
	if out == nil {
		return body, true
	}
	return append(out, body[last:]...), true
}
