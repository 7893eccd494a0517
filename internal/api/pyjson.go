package api

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Upstream parses request bodies with Python's json module and takes
// str() of a non-string "api_key". The helpers here reproduce the parts of
// that which a client can observe: which bodies parse, and the length of
// str(value) (a key must be exactly 32 characters).

// pyJSONConstants rewrites the NaN, Infinity and -Infinity tokens that
// Python's json.loads accepts (and encoding/json does not) into numbers
// that decode to the same kind of value: a float, whose str() has the same
// length ("nan" becomes 0.0, the infinities overflow to ±Inf). Tokens inside
// strings are left alone; each replacement is padded with spaces so that a
// token glued to something else ("1NaN", "NaN1") still fails to parse, as
// it does in Python. found is false when there was nothing to rewrite.
func pyJSONConstants(body []byte) (out []byte, found bool) {
	inString, escaped := false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		var repl string
		var n int
		switch rest := body[i:]; {
		case bytes.HasPrefix(rest, []byte("NaN")):
			repl, n = " 0.0 ", 3
		case bytes.HasPrefix(rest, []byte("Infinity")):
			repl, n = " 1e999 ", 8
		case bytes.HasPrefix(rest, []byte("-Infinity")):
			repl, n = " -1e999 ", 9
		}
		if n == 0 {
			out = append(out, c)
			continue
		}
		out, found = append(out, repl...), true
		i += n - 1
	}
	return out, found
}

// pyMaxIntDigits is Python's default int_max_str_digits: json.loads refuses
// (ValueError, so "could not parse request body") an integer literal with
// more digits than that.
const pyMaxIntDigits = 4300

// hasHugeInt reports whether a decoded document holds such an integer.
func hasHugeInt(v any) bool {
	switch v := v.(type) {
	case json.Number:
		s := strings.TrimPrefix(string(v), "-")
		return len(s) > pyMaxIntDigits && !strings.ContainsAny(s, ".eE")
	case []any:
		for _, x := range v {
			if hasHugeInt(x) {
				return true
			}
		}
	case map[string]any:
		for _, x := range v {
			if hasHugeInt(x) {
				return true
			}
		}
	}
	return false
}

// pyStr is Python's str() of a decoded JSON value, for "api_key" in a body.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr() of a decoded JSON value. Dict keys come out
// sorted rather than in document order; only the length of the result
// matters to its one caller.
func pyRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return pyReprString(v)
	case json.Number:
		return pyReprNumber(string(v))
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = pyRepr(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyReprString(k) + ": " + pyRepr(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// pyReprNumber is repr(int(s)) or repr(float(s)) for a JSON number literal.
func pyReprNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if strings.TrimLeft(s, "-0") == "" {
			return "0" // "-0" is the int 0
		}
		return s
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, as float() gives
	return pyReprFloat(f)
}

// pyReprFloat is Python's repr of a float: the shortest round-tripping
// digits, positional for decimal exponents -4 to 15, otherwise scientific
// with at least two exponent digits; always a fractional part when
// positional.
func pyReprFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return mant + "e" + sign + pad2(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// pyReprString is Python's repr of a str: single quotes unless the text
// has a single quote and no double quote, backslash escapes for the quote,
// the backslash, \t \n \r and characters that are not printable.
func pyReprString(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	b := []byte{quote}
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == ' ' || unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r < 0x100:
			b = append(b, `\x`...)
			b = append(b, hexDigits[r>>4], hexDigits[r&0xf])
		case r < 0x10000:
			b = appendU4(b, r)
		default:
			b = append(b, `\U`...)
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, hexDigits[r>>uint(shift)&0xf])
			}
		}
	}
	return string(append(b, quote))
}
